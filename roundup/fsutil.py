"""Writing files so that a crash leaves either the old bytes or the new, never half of either."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, data: bytes | Callable[[BinaryIO], None], mode: int | None = None) -> None:
    """Replace `path` with `data` in one rename, after the bytes are safely on disk. `data` may be a
    function that writes the bytes into the open file (for data too large to hold twice in memory)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path) if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            data(handle) if callable(data) else handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def remove_temporaries(path: Path) -> None:
    """Delete what `atomic_write` left beside `path` when it was killed mid-write (call it under the lock
    every writer of `path` takes, so no write in progress is touched)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def usual_mode(directory: bool = False) -> int:
    """The permissions a new file (or folder) gets from the umask, rather than mkstemp's private 0600/0700."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def _mode_for(path: Path) -> int:
    """The file's current permissions, or the usual ones for a new file (not mkstemp's 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return usual_mode()


def sync_filesystem(folder: Path) -> None:
    """Flush every written file on `folder`'s filesystem to disk (Linux syncfs: one call for thousands of
    files, where an fsync each would take seconds); elsewhere, sync everything."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.syncfs(fd) == 0:
            return
    except (OSError, AttributeError):
        pass
    finally:
        os.close(fd)
    os.sync()


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (no lock file is left behind)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


STATE_DIR = ".roundup"
"""Inside the site, ignored by version control: the token secret and the caches live here."""


def state_dir(site_root: Path, *parts: str) -> Path:
    """The site's local-state folder (or a folder inside it), made on first use with its own .gitignore."""
    folder = site_root / STATE_DIR
    if not (folder / ".gitignore").exists():
        folder.mkdir(exist_ok=True)
        atomic_write(folder / ".gitignore", b"# roundup's local state: never commit it\n*\n")
    target = folder.joinpath(*parts)
    target.mkdir(parents=True, exist_ok=True)
    return target
