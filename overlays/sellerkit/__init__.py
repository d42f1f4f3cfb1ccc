"""sellerkit: typed clients for the export APIs of seller platforms.

`sellerkit.wabi2b`, `sellerkit.sellercloud`, `sellerkit.selsup`: the clients; `sellerkit.<vendor>_api`: their
generated HTTP clients; `sellerkit.errors`: one error set. The names here are what every vendor shares."""

# `sellerkit` spans two source folders (generated/ and overlays/) in a checkout; installed, they are one.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)

from sellerkit._core.download import DownloadResult, StreamedFile
from sellerkit._core.jobs import AsyncJob, Job, JobState
from sellerkit._core.journal import Journal
from sellerkit._core.kit import VERSION as __version__
from sellerkit._core.kit import ClientOptions
from sellerkit._core.polling import PollPolicy, Progress
from sellerkit._core.quota import Quota

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
    "StreamedFile",
    "__version__",
]
_SHARED = [name for name in __all__ if name != "__version__"]
"""The names every vendor package re-exports (with the complete `sellerkit.errors` set)."""
