"""sellerkit: typed clients for the export APIs of seller platforms.

`sellerkit.wabi2b`, `sellerkit.sellercloud`, `sellerkit.selsup`: the clients; `sellerkit.<vendor>_api`: their
generated HTTP clients; `sellerkit.errors`: one error set. The names here are what every vendor shares."""

import os as _os
import sys as _sys

# `sellerkit` spans two source folders (generated/ and overlays/) in a checkout; installed, they are one.
# What pkgutil.extend_path does, by hand: importing pkgutil alone costs ~12 ms.
__path__ = [
    *__path__,
    *(
        folder
        for entry in _sys.path
        if (folder := _os.path.join(entry or ".", __name__)) not in __path__ and _os.path.isdir(folder)
    ),
]

from sellerkit._core.download import DownloadResult, StreamedFile
from sellerkit._core.jobs import AsyncJob, Job, JobState
from sellerkit._core.journal import Journal
from sellerkit._core.kit import ClientOptions
from sellerkit._core.polling import PollPolicy, Progress
from sellerkit._core.quota import Quota
from sellerkit._core.redis_store import RedisStore

__all__ = [
    "AsyncJob",
    "ClientOptions",
    "DownloadResult",
    "Job",
    "JobState",
    "Journal",
    "PollPolicy",
    "Progress",
    "Quota",
    "RedisStore",
    "StreamedFile",
]
_SHARED = list(__all__)
"""The names every vendor package re-exports (with the complete `sellerkit.errors` set)."""


def __getattr__(name: str) -> str:
    if name == "__version__":  # read on first use: importlib.metadata is slow to import
        from sellerkit._core.kit import version

        return version()
    raise AttributeError(f"module 'sellerkit' has no attribute {name!r}")
