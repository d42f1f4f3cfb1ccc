"""Vendor verbs written once, run sync or async: sans-I/O step generators and the descriptors that drive them.

A vendor writes each of its verbs as a generator that *yields effects* (send this request, download that
one, wait for this job, run this file work) and returns a value. `SyncClient` and `AsyncClient` (in
`kit.py`) are the only two drivers that perform effects; the descriptors below turn one generator method
into a blocking method on the sync client and a coroutine on the async one, with the same signature:

    class AcmeCore(ClientCore):
        @verb
        def plugins(self) -> Steps[list[Plugin]]:
            response = yield Send(self._request(get_plugins))
            return parse(response)

    class AcmeClient(AcmeCore, SyncClient): ...        # client.plugins() -> list[Plugin]
    class AsyncAcmeClient(AcmeCore, AsyncClient): ...  # await client.plugins() -> list[Plugin]

An exception raised while performing an effect is thrown into the generator (it may catch it). A
`SellerkitError` leaves the public method with a traceback that starts there, not deep in the transport.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

import httpx

from .errors import SellerkitError

if TYPE_CHECKING:
    from typing import Self

    from .download import Writable
    from .files import Target
    from .jobs import AsyncJob, Job, JobState
    from .kit import AsyncClient, SyncClient
    from .polling import PollPolicy, Progress

P = ParamSpec("P")
T = TypeVar("T")
ByteProgress = Callable[[int, int | None], object]


# Effects are plain slotted classes, not dataclasses: ~0.5 ms less import time each, and they are only
# ever built by verbs and read by the two drivers.


class Send:
    """Send a request through the client (auth, quota, retries, typed errors); → the read `httpx.Response`."""

    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


class Download:
    """Stream a request's body to a resolved destination or a stream; → `DownloadResult` / `StreamedFile`."""

    __slots__ = ("on_progress", "request", "target")

    def __init__(
        self, request: httpx.Request, target: Target | Writable, on_progress: ByteProgress | None = None
    ) -> None:
        self.request, self.target, self.on_progress = request, target, on_progress


class Offload:
    """Blocking local work (files, hashing): run inline by the sync client, in a thread by the async one."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn


class Pause:
    """Wait `seconds` on the client's clock (its sleep, or its async sleep) before the next step."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Wait:
    """Poll a job until it ends (the client's clock, sleep and deadline); → the succeeded terminal
    `JobState` (a failed one raises the vendor's failure). `on_state` sees every fetched state first (a job
    handle keeps its `status` current)."""

    __slots__ = ("on_progress", "on_state", "policy", "reference", "state")

    def __init__(
        self,
        reference: str,
        state: JobState | None = None,
        policy: PollPolicy | None = None,
        on_progress: Callable[[Progress], object] | None = None,
        on_state: Callable[[JobState], object] | None = None,
    ) -> None:
        self.reference, self.state, self.policy = reference, state, policy
        self.on_progress, self.on_state = on_progress, on_state


class Emit(Generic[T]):
    """An item of an iterator verb (`@iterates`): handed to the caller's `for` / `async for`."""

    __slots__ = ("item",)

    def __init__(self, item: T) -> None:
        self.item = item


Action = Send | Download | Offload | Pause | Wait
Effect = Action | Emit[Any]
Steps = Generator[Effect, Any, T]
"""A verb's steps: yields effects, is sent their results, returns a `T`."""
Emits = Generator[Action | Emit[T], Any, None]
"""An iterator verb's steps: also yields `Emit(item)` for each item of type `T`."""


def public(exc: SellerkitError) -> SellerkitError:
    """`exc` as a public call raises it: its traceback starts at that call, and a chained cause (the
    httpx error under an `APIConnectionError`) keeps only the frame that raised it — the frames between
    the public call and the transport, auth and step generators explain nothing to a user."""
    cause = exc.__cause__
    if cause is not None:
        tb = cause.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        cause.__traceback__ = tb
        cause.__cause__ = None  # chained once: httpx's own cause (httpcore's) says the same again
        cause.__suppress_context__ = True
    return exc.with_traceback(None)


class _Verb(Generic[P, T]):
    """The one runtime behind every verb descriptor; the subclasses only declare their types."""

    _kind = "value"

    def __init__(self, fn: Callable[Concatenate[Any, P], Generator[Effect, Any, Any]]) -> None:
        self.fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def _bind(self, obj: Any) -> Callable[..., Any]:
        fn, kind = self.fn, self._kind
        if kind == "iter":

            def start(*args: Any, **kwargs: Any) -> Any:
                try:
                    return obj._iterate(fn(obj, *args, **kwargs))
                except SellerkitError as exc:
                    raise public(exc) from exc.__cause__

            return functools.update_wrapper(start, fn)
        finish: Callable[[Any], Any] = obj._handle if kind == "job" else _same
        if obj._async:

            async def run_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return finish(await obj._run(fn(obj, *args, **kwargs)))
                except SellerkitError as exc:
                    raise public(exc) from exc.__cause__

            return functools.update_wrapper(run_async, fn)

        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return finish(obj._run(fn(obj, *args, **kwargs)))
            except SellerkitError as exc:
                raise public(exc) from exc.__cause__

        return functools.update_wrapper(run, fn)

    if not TYPE_CHECKING:  # the subclasses declare the typed overloads

        def __get__(self, obj: object, owner: type) -> Any:
            return self if obj is None else self._bind(obj)


def _same(value: T) -> T:
    return value


class verb(_Verb[P, T]):
    """A vendor verb returning a value: `T` on the sync client, `Awaitable[T]` on the async one."""

    if TYPE_CHECKING:

        def __init__(self, fn: Callable[Concatenate[Any, P], Steps[T]]) -> None: ...

        @overload
        def __get__(self, obj: None, owner: type) -> Self: ...
        @overload
        def __get__(self, obj: SyncClient, owner: type) -> Callable[P, T]: ...
        @overload
        def __get__(self, obj: AsyncClient, owner: type) -> Callable[P, Awaitable[T]]: ...
        def __get__(self, obj: object, owner: type) -> Any: ...


class starts_job(_Verb[P, "JobState"]):
    """A verb whose steps return a `JobState`: a `Job` on the sync client, an `AsyncJob` on the async one."""

    _kind = "job"
    if TYPE_CHECKING:

        @overload
        def __get__(self, obj: None, owner: type) -> Self: ...
        @overload
        def __get__(self, obj: SyncClient, owner: type) -> Callable[P, Job]: ...
        @overload
        def __get__(self, obj: AsyncClient, owner: type) -> Callable[P, Awaitable[AsyncJob]]: ...
        def __get__(self, obj: object, owner: type) -> Any: ...


class iterates(_Verb[P, T]):
    """A verb whose steps `Emit` items: an `Iterator[T]` on the sync client, an `AsyncIterator[T]` on the
    async one. The arguments are checked (the steps run to their first effect) when the verb is called."""

    _kind = "iter"
    if TYPE_CHECKING:

        def __init__(self, fn: Callable[Concatenate[Any, P], Emits[T]]) -> None: ...

        @overload
        def __get__(self, obj: None, owner: type) -> Self: ...
        @overload
        def __get__(self, obj: SyncClient, owner: type) -> Callable[P, Iterator[T]]: ...
        @overload
        def __get__(self, obj: AsyncClient, owner: type) -> Callable[P, AsyncIterator[T]]: ...
        def __get__(self, obj: object, owner: type) -> Any: ...


# Verbs that take a generated operation module first and its filters as keyword arguments: mypy checks the
# filters against that module's request builder (a ParamSpec of the call, which a plain descriptor loses).
Q = ParamSpec("Q")
R = TypeVar("R", covariant=True)
D = TypeVar("D", contravariant=True)


class Operation(Protocol[Q]):
    """A generated operation module; its request builder's parameters are the operation's filters."""

    @property
    def _get_kwargs(self) -> Callable[Q, dict[str, Any]]: ...


class OperationCall(Protocol[R]):
    def __call__(self, operation: Operation[Q], /, *args: Q.args, **filters: Q.kwargs) -> R: ...


class OperationInto(Protocol[D, R]):
    def __call__(
        self,
        operation: Operation[Q],
        dest: D,
        on_progress: ByteProgress | None = None,
        /,
        *args: Q.args,
        **filters: Q.kwargs,
    ) -> R: ...


class operation_job(_Verb[..., "JobState"]):
    """`starts_job` for `(operation, /, **filters)` verbs."""

    _kind = "job"
    if TYPE_CHECKING:

        @overload
        def __get__(self, obj: None, owner: type) -> Self: ...
        @overload
        def __get__(self, obj: SyncClient, owner: type) -> OperationCall[Job]: ...
        @overload
        def __get__(self, obj: AsyncClient, owner: type) -> OperationCall[Awaitable[AsyncJob]]: ...
        def __get__(self, obj: object, owner: type) -> Any: ...


class operation_into(_Verb[..., T], Generic[D, T]):
    """`verb` for `(operation, dest, on_progress=None, /, **filters)` verbs (downloads)."""

    if TYPE_CHECKING:

        def __init__(self, fn: Callable[..., Steps[T]]) -> None: ...
        @overload
        def __get__(self, obj: None, owner: type) -> Self: ...
        @overload
        def __get__(self, obj: SyncClient, owner: type) -> OperationInto[D, T]: ...
        @overload
        def __get__(self, obj: AsyncClient, owner: type) -> OperationInto[D, Awaitable[T]]: ...
        def __get__(self, obj: object, owner: type) -> Any: ...


class TypedOperation(Protocol[Q, R]):
    """A generated operation module with its request builder and its typed response parser; `R` is what the
    parser answers (the union of the operation's documented bodies, and None)."""

    @property
    def _get_kwargs(self) -> Callable[Q, dict[str, Any]]: ...

    @property
    def _parse_response(self) -> Callable[..., R]: ...


class OperationResult(Protocol):
    def __call__(self, operation: TypedOperation[Q, T], /, *args: Q.args, **params: Q.kwargs) -> T: ...


class AsyncOperationResult(Protocol):
    def __call__(
        self, operation: TypedOperation[Q, T], /, *args: Q.args, **params: Q.kwargs
    ) -> Awaitable[T]: ...


class operation_call(_Verb[..., Any]):
    """`verb` for `(operation, /, **params)` verbs answering with the operation's own parsed type."""

    if TYPE_CHECKING:

        def __init__(self, fn: Callable[..., Steps[Any]]) -> None: ...
        @overload
        def __get__(self, obj: None, owner: type) -> Self: ...
        @overload
        def __get__(self, obj: SyncClient, owner: type) -> OperationResult: ...
        @overload
        def __get__(self, obj: AsyncClient, owner: type) -> AsyncOperationResult: ...
        def __get__(self, obj: object, owner: type) -> Any: ...


_PACKAGE = str(Path(__file__).resolve().parent.parent)  # overlays/sellerkit (or site-packages/sellerkit)


def user_stacklevel() -> int:
    """The `warnings.warn` stacklevel of the first frame outside sellerkit: a warning points at the caller's
    line however many driver frames lie between (Python 3.12's `skip_file_prefixes`, by hand for 3.11)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level
