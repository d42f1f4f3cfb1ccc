"""Where downloaded files go, and how they get there without ever losing one.

The destination rule, once for every vendor and every download:

- `dest` ending in a slash (`"exports/"`), or naming an existing folder, is a folder: it is created (parents
  too) and the file goes inside under the server's name (Content-Disposition, else the URL's last segment).
  A name already taken gets ` (1)`, ` (2)`, ... — an earlier file is never replaced.
- any other `dest` is a file path (its parent folders are created). If the file exists, the download is
  refused before any request unless `overwrite=True`.
- files are written to a temporary name in the target folder, fsynced and moved into place only when
  complete; without `overwrite` the move cannot replace a file that appeared meanwhile (hard link).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError

PART_SUFFIX = ".sellerkit-part"


@dataclass(frozen=True)
class Target:
    """A resolved destination: a folder to name the file in, or an exact file path."""

    folder: Path
    path: Path | None
    overwrite: bool = False

    @property
    def is_folder(self) -> bool:
        return self.path is None


def resolve(dest: str | os.PathLike[str], *, overwrite: bool = False) -> Target:
    """Apply the destination rule to `dest` (no network; creates the folder it names)."""
    if not isinstance(dest, str | os.PathLike):
        raise ConfigurationError(f"dest must be a file path or a folder path, not {type(dest).__name__}")
    text = os.fspath(dest)
    if not text:
        raise ConfigurationError('dest is empty: pass a folder ("exports/") or a file path')
    path = Path(text)
    folder_like = text.endswith(("/", os.sep)) or path.is_dir()
    target_folder = path if folder_like else path.parent
    try:
        target_folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigurationError(f"{target_folder} is a file, not a folder: choose another dest") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot create the folder {target_folder}: {exc.strerror}") from exc
    if folder_like:
        return Target(path, None, overwrite)
    if path.exists() and not overwrite:
        raise ConfigurationError(
            f"{path} already exists: pass overwrite=True to replace it, or a folder path ending in '/'"
        )
    return Target(target_folder, path, overwrite)


def numbered(name: str, n: int) -> str:
    """`report.csv` → `report (n).csv` (n = 0: unchanged)."""
    if n == 0:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem} ({n}).{ext}" if dot and stem else f"{name} ({n})"


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or the first `name (n)` no complete file has (a part file there is resumed)."""
    n = 0
    while (folder / numbered(name, n)).exists():
        n += 1
    return folder / numbered(name, n)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where folders can't be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def place(part: Path, final: Path, *, overwrite: bool, number: bool) -> Path:
    """Move a complete `part` file to `final` and return where it went.

    `overwrite`: replace `final`. Else `number`: take the first free `final (n)`; else a file at `final`
    (one that appeared since the download started) is an error and `part` is kept for the caller.
    """
    if overwrite:
        os.replace(part, final)
        fsync_folder(final.parent)
        return final
    n = 0
    while True:
        candidate = final.with_name(numbered(final.name, n))
        n += 1
        try:
            os.link(part, candidate)  # fails if the name exists: never replaces a file
        except FileExistsError:
            if number:
                continue
            raise ConfigurationError(
                f"{candidate} appeared while downloading; the file is kept as {part}: "
                "pass overwrite=True to replace it"
            ) from None
        except OSError:  # no hard links on this file system: check, then rename
            if candidate.exists():
                if number:
                    continue
                raise ConfigurationError(
                    f"{candidate} appeared while downloading; the file is kept as {part}"
                ) from None
            os.replace(part, candidate)
        else:
            part.unlink()
        fsync_folder(candidate.parent)
        return candidate


def write_atomically(
    path: Path,
    data: bytes,
    *,
    overwrite: bool = True,
    number: bool = False,
    private: bool = False,
    durable: bool = True,
) -> Path:
    """Write `data` to a new temporary file beside `path`, fsync it, and `place` it; returns the path.

    `private`: the file is created 0600 (tokens), never readable by others, not even briefly.
    `durable=False`: no fsync (still atomic for other processes and after a crash of this one, not after a
    power loss) — for state rewritten many times a second, made durable now and then by the caller."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")  # unique: writers never share one
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if not durable and overwrite:
            os.replace(tmp, path)
            return path
        return place(tmp, path, overwrite=overwrite, number=number)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
