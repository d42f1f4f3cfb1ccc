"""SelSup vendor facts (vendor-docs/004_21ff856b2e1b50dd.txt; vendor-notes.md § SelSup; specs/selsup.yaml)."""

from __future__ import annotations

from typing import Final

VENDOR: Final = "selsup"
BASE_URL: Final = "https://api.selsup.ru"
ENV_API_KEY: Final = "SELSUP_API_KEY"
AUTH_HEADER: Final = "Authorization"  # the raw key, no `Bearer` prefix [doc]

# Task.status [doc]; which are terminal is inferred from the names (spec: TaskStatus.x-inferred).
SUCCEEDED: Final = frozenset({"FINISHED"})
FAILED: Final = frozenset({"ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED"})
# CREATED, RUNNING, RESTARTING, INTERRUPTING and any status the docs don't list: keep polling

# list paging everywhere [doc]: `limit` at most 500, `page` from 1
MAX_LIMIT: Final = 500
FIRST_PAGE: Final = 1

# the one background export that starts its task with a GET: never re-sent after a 5xx either
GET_STARTS_TASK: Final = frozenset({"/api/export/getProductSetsFile"})

# error bodies [doc]: 400 {error, localMessage, params}, 403 {error}, 500 {error, message, system}, and the
# older {message, messageParams}. The core's default keys read `message`/`localMessage`/`error`; `system`
# (the parser's complaint on a 500) is read before the bare code `error`, which stays the code.
MESSAGE_KEYS_BEFORE_CODE: Final = ("system",)
CODE_KEYS: Final = ("error", "Error")
