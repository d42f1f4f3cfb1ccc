"""SelSup declared for the kit: the raw key, both error-body shapes, and its background tasks as jobs."""

from __future__ import annotations

from typing import Any

import httpx

from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.errors import ConfigurationError, NotFoundError, ServerError
from sellerkit._core.jobs import JobSpec, JobState
from sellerkit._core.polling import Progress
from sellerkit._core.steps import Send, Steps
from sellerkit._core.vendor import Credential, Vendor
from sellerkit.selsup_api import AuthenticatedClient
from sellerkit.selsup_api.api.files import download_file as files_download_file
from sellerkit.selsup_api.api.tasks import cancel_task, find_task
from sellerkit.selsup_api.models import Task, TaskPage
from sellerkit.selsup_api.types import Unset

from . import _facts


def _is_job_creating(request: httpx.Request) -> bool:
    # POSTs (the default), plus the one background export started with a GET: never re-sent after a 5xx
    return request.method == "POST" or request.url.path in _facts.GET_STARTS_TASK


def _raw_key(value: str) -> str | None:
    if value.lower().startswith("bearer "):
        return "SelSup takes the raw key in Authorization, without 'Bearer ': drop the prefix"
    return None


def _set(value: object) -> Any:
    """None for the generated models' UNSET / None."""
    return None if isinstance(value, Unset) else value


def task_state(task: Task, reference: str | None = None) -> JobState:
    """A SelSup task as a vendor-neutral `JobState` (pure: the status mapping, progress and result link)."""
    status = _set(task.status)
    text = str(status) if status is not None else "UNKNOWN"
    progress, processed = _set(task.progress), _set(task.processed_quantity)
    fraction = None
    if isinstance(progress, int | float) and not isinstance(progress, bool):
        fraction = min(max(progress / 100.0, 0.0), 1.0)
    url, file, message = _set(task.url), _set(task.file), _set(task.message)
    return JobState(
        reference=reference if reference is not None else str(_set(task.id)),
        status=text,
        terminal=text in _facts.SUCCEEDED or text in _facts.FAILED,
        succeeded=text in _facts.SUCCEEDED,
        progress=Progress(fraction=fraction, processed=processed if isinstance(processed, int) else None),
        result_url=next((link for link in (url, file) if isinstance(link, str) and link), None),
        message=message if isinstance(message, str) and message else None,
        raw=task,
    )


def started(task: Task) -> JobState:
    """The state of a task an export just started (it must name its id)."""
    task_id = _set(task.id)
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise ServerError("SelSup started a task but sent no task id", vendor=_facts.VENDOR, status=200)
    return task_state(task, str(task_id))


def _pick(page: TaskPage, reference: str) -> Task:
    rows: list[Task] = page.rows if isinstance(page.rows, list) else []
    for row in rows:
        if str(_set(row.id)) == reference:
            return row
    if len(rows) == 1 and _set(rows[0].id) is None:
        return rows[0]  # a row without its id: the only task findTask was asked for
    raise NotFoundError(
        f"SelSup has no task {reference}",
        vendor=_facts.VENDOR,
        status=404,
        method="GET",
        url=f"/api/task/findTask?id={reference}",
    )


class Tasks(JobSpec):
    """SelSup's background tasks: `findTask` until FINISHED (or a failure status), `cancelTask`, the file."""

    def reference(self, value: object) -> str:
        ok = isinstance(value, int | str) and not isinstance(value, bool)
        text = str(value).strip() if ok else ""
        if not text.isdigit() or int(text) <= 0:
            raise ConfigurationError(f"a SelSup task id is a positive integer, not {value!r}")
        return str(int(text))

    def fetch(self, client: Any, reference: str) -> Steps[JobState]:
        response = yield Send(client._request(find_task, id=int(reference)))
        return task_state(_pick(client._parse(find_task, response, TaskPage), reference), reference)

    def cancel(self, client: Any, reference: str) -> Steps[None]:
        # the answer's body is undocumented; errors were already raised by the transport
        yield Send(client._request(cancel_task, task_id=int(reference)))

    def result(self, client: Any, state: JobState) -> httpx.Request:
        task = state.raw
        url = _set(task.url) if isinstance(task, Task) else None
        if isinstance(url, str) and url:
            return client._get(url)  # type: ignore[no-any-return]
        file = _set(task.file) if isinstance(task, Task) else None
        if isinstance(file, str) and file:
            return client._request(files_download_file, path=file)  # type: ignore[no-any-return]
        return super().result(client, state)


VENDOR = Vendor(
    name=_facts.VENDOR,
    title="SelSup",
    credentials=(
        Credential("api_key", _facts.ENV_API_KEY, "the API key from SelSup's settings", check=_raw_key),
    ),
    errors=ErrorFacts(
        _facts.VENDOR,
        message_keys=(
            *(key for key in ErrorFacts.message_keys if key not in _facts.CODE_KEYS),
            *_facts.MESSAGE_KEYS_BEFORE_CODE,
            *_facts.CODE_KEYS,
        ),
        # SelSup answers a wrong or revoked key with 403 [doc]: that is an authentication problem
        authentication_statuses=frozenset({401, 403}),
        hints={403: "SelSup refused the API key: check SELSUP_API_KEY (or api_key=)"},
    ),
    is_job_creating=_is_job_creating,
    jobs=Tasks(),
    generated=AuthenticatedClient,
)
JOBS = VENDOR.jobs
