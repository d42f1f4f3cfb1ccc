"""`SellersCommerceClient` / `AsyncSellersCommerceClient`: the Sellers Commerce Open API (51 operations).

What this adds to the generated `sellerkit.sellerscommerce_api` client: the OAuth password grant with its
rotating refresh tokens through the core's `TokenAuth` (single flight, early renewal, every new refresh token
saved to a token store before it is used, a refresh token never presented twice, the password grant when
the chain dies), the envelope's `StatusCode` checked on every answer (HTTP 200 included) with the codes
21-36 as typed errors, checked OData queries on the list routes with automatic `$top`/`$skip` paging, and
paged exports to one JSON-lines or CSV file that resume after a crash and can be incremental (`since=`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from os import PathLike
from types import ModuleType
from typing import Any, ClassVar, Literal, TypeVar, Unpack

import httpx

from sellerkit._core.auth import FileTokenStore, TokenAuth, TokenStore, oauth2_password_grant
from sellerkit._core.errors import APIConnectionError, ApiError, ConfigurationError, ServerError
from sellerkit._core.export import (
    ExportFormat,
    ExportPlan,
    ExportProgress,
    ExportResult,
    check_format,
    forget,
    paged_export,
)
from sellerkit._core.files import resolve
from sellerkit._core.journal import default_folder, fingerprint
from sellerkit._core.kit import AsyncClient, ClientCore, ClientOptions, SyncClient
from sellerkit._core.odata import Filter, check_filter, check_orderby, literal
from sellerkit._core.operations import prepare
from sellerkit._core.steps import Emit, Emits, Offload, Send, Steps, iterates, operation_call, verb
from sellerkit.sellerscommerce_api.api.categories import get_category
from sellerkit.sellerscommerce_api.api.orders import get_order
from sellerkit.sellerscommerce_api.api.products import get_product
from sellerkit.sellerscommerce_api.api.returns import get_return
from sellerkit.sellerscommerce_api.api.shoppers import get_shopper
from sellerkit.sellerscommerce_api.models import (
    Category,
    CategoryEnvelope,
    Order,
    OrderEnvelope,
    Product,
    ProductEnvelope,
    ReturnEnvelope,
    ReturnRequest,
    Shopper,
    ShopperEnvelope,
)

from . import _facts
from ._routes import ROUTES, Route, route
from ._vendor import VENDOR, results

log = logging.getLogger("sellerkit.sellerscommerce")
T = TypeVar("T")
Dest = str | PathLike[str]
FilterArg = Filter | str | Mapping[str, Any] | None
OrderArg = str | Sequence[str] | None
Since = datetime | date | str | Literal["last"] | None
TokenStoreArg = TokenStore | str | PathLike[str] | Literal[False] | None


def _page_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _facts.MAX_PAGE_SIZE:
        raise ConfigurationError(f"page_size must be an int from 1 to {_facts.MAX_PAGE_SIZE}, not {value!r}")
    return value


def _max_pages(value: object) -> int:
    if value is None:
        return _facts.MAX_PAGES
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"max_pages must be an int >= 1 (or None), not {value!r}")
    return value


class SellersCommerceCore(ClientCore):
    """Sellers Commerce's verbs, written once for both clients."""

    vendor = VENDOR
    _paged_exports: ClassVar[Mapping[str, Mapping[str, ModuleType]]] = {
        "export": {name: r.operation for name, r in ROUTES.items()}
    }

    def __init__(
        self,
        access_key: str | None = None,
        shared_secret: str | None = None,
        *,
        token_store: TokenStoreArg = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """Args:
        access_key: your access key (the token endpoint's username); default `SELLERSCOMMERCE_ACCESS_KEY`.
        shared_secret: its shared secret key (the password); default `SELLERSCOMMERCE_SHARED_SECRET`.
        token_store: where the tokens outlive the process, so a restart refreshes instead of logging in
            again: a `TokenStore`, a file path, or False for memory only. Default: a 0600 file per
            API root, access key and secret under `$SELLERKIT_STATE_DIR/tokens` (or the user state folder).
        **options: base_url, timeout, max_retries, max_wait, deadline, http_client, default_headers,
            quotas, journal (see `sellerkit.ClientOptions`).
        """
        plain = token_store is None or token_store is False or isinstance(token_store, str | PathLike)
        if not plain and not (
            callable(getattr(token_store, "load", None)) and callable(getattr(token_store, "save", None))
        ):
            raise ConfigurationError(
                "token_store must be a TokenStore (load/save), a file path, or False for memory only"
            )
        self._token_store_arg = token_store
        credentials = {"access_key": access_key, "shared_secret": shared_secret}
        super().__init__(credentials, default_base_url=lambda: _facts.BASE_URL, **options)

    # -- auth

    def _token_store(self) -> TokenStore | None:
        given = self._token_store_arg
        if given is False:
            return None
        if isinstance(given, str | PathLike):
            return FileTokenStore(given)
        if given is not None:
            return given
        # one file per API root and credential pair, named by a digest keyed with the secret: the key is
        # not on disk in clear, and a changed (or wrong) secret never reuses tokens the old one obtained
        digest = hmac.new(
            self._credential("shared_secret").encode(),
            f"{self.base_url}\n{self._credential('access_key')}".encode(),
            hashlib.sha256,
        ).hexdigest()
        return FileTokenStore(default_folder().parent / "tokens" / _facts.VENDOR / f"{digest[:32]}.json")

    def _make_auth(self) -> httpx.Auth:
        return TokenAuth(
            oauth2_password_grant(self.base_url + _facts.TOKEN_PATH),
            vendor=_facts.VENDOR,
            username=self._credential("access_key"),
            password=self._credential("shared_secret"),
            store=self._token_store(),
            refresh_lifetime=_facts.REFRESH_LIFETIME,
            clock=self._runtime.wall_clock,
            single_use_refresh=True,
            credential_names=("access key/shared secret", "access_key= and shared_secret="),
        )

    # -- any operation

    @operation_call
    def call(self, operation: Any, /, **params: Any) -> Steps[Any]:
        """Send any of the 51 operations (a module of `sellerkit.sellerscommerce_api.operations`) with its
        parameters (and `body=` model for writes) as keyword arguments; its parsed success envelope, typed
        as the generated parser's union (narrow with isinstance, or use `order()`, `product()`, ... for the
        single reads). The envelope's StatusCode is checked first: codes 21-36 raise their typed error even
        on HTTP 200, and every other documented error raises too, so only the success model is returned."""
        ready = prepare(operation, params)
        what = f"{_words(operation)} answer"

        def parse(response: httpx.Response) -> Any:
            results(response, what)  # the StatusCode check (raises)
            return self._parse(operation, response)

        return (yield from self._read(self._request(operation, **ready), parse))

    def _read(self, request: httpx.Request, parse: Callable[[httpx.Response], T]) -> Steps[T]:
        """Send and parse; a GET whose 2xx body is cut or unreadable is sent again within the client's
        retry budget (`max_retries`): the transport retries only until an answer begins, and a read is safe
        to repeat."""
        budget = self.max_retries + 1  # attempts for both layers together: the transport's and these
        while True:
            try:
                response = yield Send(request)
            except APIConnectionError as exc:
                # the transport retries until an answer begins; a body cut after that comes here (it used
                # `exc.attempts` of the budget)
                budget -= exc.attempts
                if request.method != "GET" or budget < 1:
                    raise
                log.warning("%s; reading it again (%d attempts left)", exc, budget)
                continue
            try:
                return parse(response)
            except ServerError as exc:
                budget -= 1
                if not _unreadable(exc) or request.method != "GET" or budget < 1:
                    raise
                log.warning("%s; reading it again (%d attempts left)", exc.message, budget)

    def _one(self, operation: Any, envelope: type[T], **params: Any) -> Steps[T]:
        """A single-entity read: the envelope checked and parsed as `envelope`."""
        ready = prepare(operation, params)
        what = f"{_words(operation)} answer"

        def parse(response: httpx.Response) -> T:
            results(response, what)
            parsed: T = self._parse(operation, response, envelope)
            return parsed

        return (yield from self._read(self._request(operation, **ready), parse))

    @verb
    def order(self, order_number: str) -> Steps[Order]:
        """`getOrder`: one order by its OrderNumber (unknown → `OrderNotFoundError`, code 24)."""
        answer = yield from self._one(get_order, OrderEnvelope, ordernumber=order_number)
        return answer.results

    @verb
    def product(self, product_code: str) -> Steps[Product]:
        """`getProduct`: one product by its ProductCode (unknown → `InvalidSkuError`, code 34)."""
        answer = yield from self._one(get_product, ProductEnvelope, productcode=product_code)
        return answer.results

    @verb
    def shopper(self, username: str) -> Steps[Shopper]:
        """`getShopper`: one shopper by UserName (unknown → `UserNotFoundError`, code 22)."""
        answer = yield from self._one(get_shopper, ShopperEnvelope, username=username)
        return answer.results

    @verb
    def category(self, category_code: str) -> Steps[Category]:
        """`getCategory`: one category by its CategoryCode (unknown → `CategoryNotFoundError`, code 31)."""
        answer = yield from self._one(get_category, CategoryEnvelope, categorycode=category_code)
        return answer.results

    @verb
    def return_request(self, return_number: str) -> Steps[ReturnRequest]:
        """`getReturn`: one return request by its ReturnNumber (unknown → `OrderNotFoundError`, code 24)."""
        answer = yield from self._one(get_return, ReturnEnvelope, returnnumber=return_number)
        return answer.results

    # -- lists

    def _query(self, spec: Route, filter: FilterArg, orderby: OrderArg, since: Any = None) -> dict[str, str]:
        query: dict[str, str] = {}
        if filter is not None:
            query["filter"] = check_filter(spec.entity, filter)
        if since is not None and spec.mark is not None:
            clause = f"{spec.mark} ge {literal(since, 'datetime')}"
            query["filter"] = f"({query['filter']}) and {clause}" if "filter" in query else clause
        if orderby is not None:
            query["orderby"] = check_orderby(spec.entity, orderby)
        spec.check(query)
        return query

    def _page(
        self, spec: Route, query: Mapping[str, str], skip: int, top: int
    ) -> Steps[list[dict[str, Any]]]:
        if spec.paging == "none" and skip > 0:
            return []  # the route answers with every row at once

        def parse(response: httpx.Response) -> list[dict[str, Any]]:
            rows = results(response, f"{spec.name} page")
            if rows is None:
                return []
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise ApiError.about(
                    f"Sellers Commerce sent {spec.name} Results that are not a list of objects",
                    vendor=_facts.VENDOR,
                    response=response,
                )
            return rows

        request = self._request(spec.operation, **spec.arguments(query, skip, top))
        return (yield from self._read(request, parse))

    @iterates
    def rows(
        self,
        entity: str,
        *,
        filter: FilterArg = None,
        orderby: OrderArg = None,
        page_size: int = _facts.DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
    ) -> Emits[dict[str, Any]]:
        """Every row of a list route as a dict, page by page (`$top`/`$skip`), e.g.
        `rows("orders", filter=Orders.OrderStatusId == 3)`; `entity` is one of `ENTITIES`. The filter and
        ordering are checked against the entity's fields before any request."""
        spec = route(entity)
        query = self._query(spec, filter, orderby)
        size, limit = _page_size(page_size), _max_pages(max_pages)
        skip = 0
        for _ in range(limit):
            # $skip advances by the rows received and only an empty page ends the list: a server that caps
            # $top below page_size sends short pages that are not the last
            batch = yield from self._page(spec, query, skip, size)
            if not batch:
                return
            for row in batch:
                yield Emit(row)
            skip += len(batch)

    # -- export

    @verb
    def export(
        self,
        entity: str,
        dest: Dest,
        *,
        filter: FilterArg = None,
        orderby: OrderArg = None,
        format: ExportFormat = "jsonl",
        since: Since = None,
        page_size: int = _facts.DEFAULT_PAGE_SIZE,
        overwrite: bool = False,
        fresh: bool = False,
        on_progress: Callable[[ExportProgress], object] | None = None,
    ) -> Steps[ExportResult]:
        """Every row of a list route into one file at `dest` (a folder, "exports/", or a file path),
        `format="jsonl"` (one JSON object per line) or `"csv"` (the entity's fields as columns, nested
        objects as JSON). One page in memory at a time; the file appears complete or not at all.

        Interrupted (a crash, a kill, an error), the same call resumes after the last complete page
        (`fresh=True`: start over). `since="last"` exports only what changed since the last complete export
        of the same query (its high-water mark on the entity's change date, kept in the journal); a
        datetime or ISO string sets the mark. `on_progress(ExportProgress(pages, rows))` after each page.

        Args:
            entity: the list route, one of `ENTITIES` ("orders", "products", ...).
            dest: a folder (the file is named `<entity>.<format>`) or a file path.
            filter: an OData $filter, e.g. "OrderStatusId eq 3" (checked against the entity's fields).
            orderby: an OData $orderby, e.g. "OrderNumber desc" (the entity's key is added last).
            format: jsonl (one JSON object per line) or csv (the entity's fields as columns).
            since: "last" (what changed since the last complete export of the same query) or an ISO-8601
                date-time.
            page_size: rows per page ($top).
            overwrite: replace an existing file of the same name (default: a free name beside it).
            fresh: start over instead of resuming an interrupted run of the same call.
            on_progress: called with `ExportProgress(pages, rows)` after each page.
        """
        spec = route(entity)
        fmt = check_format(format)
        size = _page_size(page_size)
        if spec.mark is None and since is not None:
            raise ConfigurationError(
                f"{spec.name} rows carry no change date, so since= cannot select changed ones; "
                f"entities that can: {', '.join(n for n, r in ROUTES.items() if r.mark)}"
            )
        if isinstance(since, str) and since != "last":
            since = _when(since)
        base = self._query(spec, filter, orderby)
        query_key = fingerprint(self.vendor.name, self.base_url, self._account(), spec.name, base)
        mark: Any = None
        if since == "last":
            mark = yield Offload(lambda: self.journal.mark(self.vendor.name, query_key))
        elif since is not None:
            mark = since
        query = self._query(spec, filter, orderby, _when(mark) if isinstance(mark, str) else mark)
        # a stable order under $skip paging: the caller's ordering, then the entity's key
        terms = [query["orderby"]] if "orderby" in query else []
        if spec.key not in {t.split()[0] for term in terms for t in term.split(",")}:
            terms.append(spec.key)
        if spec.paging == "odata":
            query["orderby"] = ",".join(terms)
        target = resolve(dest, overwrite=overwrite)
        # the destination as resolved here (absolute; a folder keeps its slash: "exports/" is not "exports")
        where = (target.path or target.folder).absolute()
        call = {
            "query": query,
            "format": fmt,
            "page_size": size,
            "dest": f"{where}{'/' if target.is_folder else ''}",
        }
        plan = ExportPlan(
            vendor=self.vendor.name,
            key=fingerprint(self.vendor.name, self.base_url, self._account(), "export", call),
            query_key=query_key,
            name=f"{spec.name}.{fmt}",
            format=fmt,
            columns=spec.entity.columns(),
            page_size=size,
            max_pages=_facts.MAX_PAGES,
            mark_field=spec.mark,
            identity=lambda row: row.get(spec.key),
        )
        if fresh:
            yield Offload(lambda: forget(plan, self.journal))

        def fetch(skip: int) -> Steps[list[dict[str, Any]]]:
            return self._page(spec, query, skip, size)

        return (yield from paged_export(plan, target, self.journal, fetch, on_progress))


def _when(value: object) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ConfigurationError(
                f"since must be 'last', a datetime or an ISO-8601 string, not {value!r}"
            ) from None
    return value


def _unreadable(exc: ServerError) -> bool:
    """A 2xx body that could not be read (`readable()` chains the decode error), not a vendor's 5xx."""
    return exc.status_code < 300 and isinstance(exc.__cause__, ValueError | KeyError | TypeError)


def _words(operation: object) -> str:
    return str(getattr(operation, "__name__", "the")).rsplit(".", 1)[-1].replace("_", " ")


class SellersCommerceClient(SellersCommerceCore, SyncClient):
    """Synchronous Sellers Commerce client; `.api` is the generated client sending through the same
    connection (and tokens)."""


class AsyncSellersCommerceClient(SellersCommerceCore, AsyncClient):
    """Asynchronous Sellers Commerce client, the same as `SellersCommerceClient` with `await`."""


__all__ = ["AsyncSellersCommerceClient", "SellersCommerceClient"]
