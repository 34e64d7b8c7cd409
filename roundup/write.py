"""The build output: gathered in memory, written to a fresh folder, then swapped in at once; and the
ledger of what the published output holds, to know which of its files are still exactly as written."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from roundup.errors import Problem, RoundupError
from roundup.fsutil import fsync_dir, locked, sync_filesystem, usual_mode
from roundup.progress import SILENT, Progress


MARKER = ".roundup-build"
"""A file in every output folder written by roundup, so it never replaces a folder it did not make."""


@dataclass(slots=True)
class Ledger:
    """The files of the published output as the build that wrote them left them."""

    pages: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Output path → (key of everything the page was made from, sha256 of its bytes)."""
    written: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Output path → (inode, size, mtime) of the file in the published output, to know it is untouched."""

    def reusable(self, path: str, key: str, output: Path) -> bool:
        """The published output still holds exactly the page made from `key`, untouched since."""
        entry = self.pages.get(path)
        return entry is not None and entry[0] == key and self.untouched(path, output)

    def untouched(self, path: str, output: Path) -> bool:
        """The file at `path` is the one written, by inode, size and time."""
        try:
            st = os.stat(output / path)
        except OSError:
            return False
        return self.written.get(path) == (st.st_ino, st.st_size, st.st_mtime_ns)

    def output_untouched(self, output: Path) -> bool:
        """`output` holds the files written, each untouched, and nothing else."""
        if not (output / MARKER).is_file():
            return False
        found, folders = 0, [""]
        while folders:
            folder = folders.pop()
            try:
                with os.scandir(output / folder) as scan:
                    entries = list(scan)
            except OSError:
                return False
            if not entries:
                return False  # an empty folder the build did not make
            for entry in entries:
                path = folder + entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.append(path + "/")
                elif path != MARKER:
                    st = entry.stat(follow_symlinks=False)
                    if self.written.get(path) != (st.st_ino, st.st_size, st.st_mtime_ns):
                        return False
                    found += 1
        return found == len(self.written)


class Later:
    """A page made the first time its bytes are asked for (`serve`), then kept; safe across threads."""

    __slots__ = ("make", "data", "lock")

    def __init__(self, make: Callable[[], bytes]):
        self.make: Callable[[], bytes] | None = make
        self.data: bytes | None = None
        self.lock = threading.Lock()

    def __call__(self) -> bytes:
        with self.lock:
            if self.data is None:
                assert self.make is not None
                self.data, self.make = self.make(), None
            return self.data


@dataclass(frozen=True, slots=True)
class _File:
    data: bytes | None
    """The bytes to write; None for a copy, a kept file or a page made later."""
    source: Path | None
    """A file to copy (theme static files, pictures)."""
    origin: str
    key: str | None = None
    """What the page was made from (see `render`), remembered in the ledger."""
    kept: bool = False
    """The published file is already this one: it is carried over, not made again."""
    later: Later | None = None
    """Makes the bytes when they are first asked for."""
    sha: str | None = None
    """The sha256 of the bytes, when known (a page spooled to disk)."""
    spooled: bool = False
    """`source` is this build's own copy in the spool: it is moved into the output, not copied."""

    def content(self) -> bytes:
        """The file's bytes (a kept file has none here: see `Output.bytes_of`)."""
        if self.data is not None:
            return self.data
        return self.later() if self.later is not None else self.source.read_bytes()


class Output:
    """Files of one build, by output path; writing one path twice is a bug and is refused."""

    def __init__(self, spool: Path | None = None) -> None:
        self.files: dict[str, _File] = {}
        self.written = 0
        """How many files the last commit wrote (the rest were unchanged)."""
        self.spool = spool
        """Where pages go as they are added, instead of memory (`spool_for`); removed by `commit`/`discard`."""

    def add(self, path: str, data: bytes, origin: str, key: str | None = None) -> None:
        if self.spool is None:
            self._put(path, _File(data, None, origin, key))
            return
        spooled = self.spool / str(len(self.files))
        spooled.write_bytes(data)
        self._put(path, _File(None, spooled, origin, key, sha=hashlib.sha256(data).hexdigest(), spooled=True))

    def discard(self) -> None:
        """Remove the spool of a build that will not be committed."""
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)

    def copy(self, path: str, source: Path, origin: str) -> None:
        self._put(path, _File(None, source, origin))

    def keep(self, path: str, key: str, origin: str) -> None:
        self._put(path, _File(None, None, origin, key, kept=True))

    def add_later(self, path: str, make: Later, origin: str, key: str) -> None:
        """A page whose bytes `make` gives when they are first asked for (by `bytes_of` or `commit`)."""
        self._put(path, _File(None, None, origin, key, later=make))

    def carry(self, path: str, other: Output) -> bool:
        """Take the file at `path` from `other` (an earlier build in memory) as it is; False if it has none
        that can be carried (a kept file lives on disk only)."""
        item = other.files.get(path)
        if item is None or item.kept:
            return False
        self._put(path, item)
        return True

    def _put(self, path: str, item: _File) -> None:
        if path in self.files:
            raise RoundupError([Problem(item.origin, None, f"would write {path}, which "
                                                           f"{self.files[path].origin} already writes")])
        self.files[path] = item

    def __len__(self) -> int:
        return len(self.files)

    def bytes_of(self, path: str, published: Path | None = None) -> bytes:
        """The content of one file of the build (a kept one is read from the `published` output)."""
        item = self.files[path]
        return (published / path).read_bytes() if item.kept else item.content()

    def commit(self, folder: Path, progress: Progress = SILENT, ledger: Ledger | None = None,
               spare: Path | None = None) -> None:
        """Write everything into a folder beside `folder`, then swap it in atomically. With the `ledger` of
        the published output, files whose bytes it already has are hard-linked from it, not written again,
        and when nothing at all changed, nothing is touched; the ledger then describes the new output.
        With `spare`, the output this build replaces is kept there, and the next build is made in it:
        only the files that changed are replaced (never rewritten in place: they may be hard links)."""
        try:
            self._commit(folder, progress, ledger if ledger is not None else Ledger(), spare)
        finally:
            self.discard()

    def _commit(self, folder: Path, progress: Progress, ledger: Ledger, spare: Path | None) -> None:
        check_replaceable(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        with locked(folder.parent):
            _clean_leftovers(folder, self.spool)
            plan = {path: self._unchanged(path, item, folder, ledger) for path, item in self.files.items()}
            if all(plan.values()) and set(plan) == set(ledger.written) and ledger.output_untouched(folder):
                self.written = 0  # the published site is this build already: leave it be
                ledger.pages = {path: (item.key or "", ledger.pages[path][1]) for path, item in self.files.items()}
                return
            staging = _staging(folder, spare)
            try:
                self._write_all(staging, folder, plan, progress, ledger)
                sync_filesystem(staging)  # the new files are on disk before the swap makes them the site
                _swap(staging, folder)
                staging = _keep(staging, spare)
            finally:
                if staging is not None:
                    shutil.rmtree(staging, ignore_errors=True)

    def _unchanged(self, path: str, item: _File, folder: Path, ledger: Ledger) -> bool:
        """The published output holds this very file, untouched since the build that wrote it."""
        if item.kept:
            return True
        old = ledger.pages.get(path)
        if old is None or not ledger.untouched(path, folder):
            return False
        return old[1] == (item.sha or hashlib.sha256(item.content()).hexdigest())

    def _write_all(self, staging: Path, folder: Path, plan: dict[str, bool], progress: Progress,
                   ledger: Ledger) -> None:
        """Make `staging` hold this build: a file it already holds as the published one (the same inode) is
        left alone, any other is replaced, and whatever this build does not have is removed."""
        present = _clear_others(staging, set(self.files))
        made: set[Path] = {staging}
        pages, written = {}, {}
        self.written = 0
        for done, (path, item) in enumerate(self.files.items(), 1):
            progress("writing files", done, len(self.files))
            published = ledger.written.get(path) if plan[path] else None
            inode = present.get(path)
            if published is not None and inode == published[0]:
                pages[path], written[path] = (item.key or "", ledger.pages[path][1]), published
                continue
            target = staging / path
            if inode is not None:
                os.unlink(target)  # maybe a hard link to a published file: never written in place
            elif target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if plan[path]:
                _link_or_copy(folder / path, target)
                sha = ledger.pages[path][1]
            else:
                sha = _put_file(item, target)
                self.written += 1
            st = target.stat()
            pages[path], written[path] = (item.key or "", sha), (st.st_ino, st.st_size, st.st_mtime_ns)
        if MARKER not in present:
            (staging / MARKER).write_text("This folder is written by `roundup build` and replaced whole on each "
                                          "build.\n")
        ledger.pages, ledger.written = pages, written


def _put_file(item: _File, target: Path) -> str:
    """Write one file of the build at `target` (a spooled page is moved there); its sha256."""
    if item.spooled:
        os.replace(item.source, target)
        return item.sha
    data = item.content()
    target.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def spool_for(folder: Path) -> Path:
    """A new folder beside the output `folder` (so its files can be moved in) for a build's pages as they
    are made; named like a staging folder, so one a killed build left is cleaned up with them."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-spool-", dir=folder.parent))


def _staging(folder: Path, spare: Path | None) -> Path:
    """Where the next build is made: the kept `spare` output when there is one, else a new empty folder;
    either way named `.<output>.new-…` beside the output, so an interrupted build's is cleaned up."""
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    os.chmod(staging, usual_mode(directory=True))  # mkdtemp's 0700 would hide the site from a web server
    if spare is not None and (spare / MARKER).is_file():
        try:
            os.rename(spare, staging)  # replaces the empty folder just made
        except OSError:  # another filesystem, or in the way: build from nothing
            shutil.rmtree(spare, ignore_errors=True)
    return staging


def _keep(old: Path, spare: Path | None) -> Path | None:
    """Keep the replaced output as the `spare` for the next build; what is left to remove, if anything."""
    if spare is None or not (old / MARKER).is_file():
        return old
    try:
        shutil.rmtree(spare, ignore_errors=True)
        spare.parent.mkdir(parents=True, exist_ok=True)
        os.rename(old, spare)
    except OSError:
        return old
    return None


def _clear_others(staging: Path, wanted: set[str]) -> dict[str, int]:
    """Remove from `staging` every file and folder that a build of `wanted` paths has no place for; the
    inode of each file left, by path."""
    folders: set[str] = set()
    for path in wanted:
        cut = path.rfind("/")
        while cut > 0 and path[:cut + 1] not in folders:
            folders.add(path[:cut + 1])
            cut = path.rfind("/", 0, cut)
    present: dict[str, int] = {}
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(staging / prefix) as scan:
            for entry in scan:
                path = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if path + "/" in folders:
                        stack.append(path + "/")
                    else:
                        shutil.rmtree(entry.path)
                elif path in wanted or path == MARKER:
                    present[path] = entry.inode()
                else:
                    os.unlink(entry.path)
    return present


def _link_or_copy(published: Path, target: Path) -> None:
    """The published file, unchanged, in the new build: the same file (a hard link) where possible."""
    try:
        os.link(published, target)
    except OSError:
        shutil.copy2(published, target)


def check_replaceable(folder: Path) -> None:
    """Refuse to replace a non-empty folder that roundup did not write."""
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise RoundupError([Problem("site.yml", None, f"the output folder {folder.name}/ exists and was not "
                                                      "written by roundup; move it away or set `output` to "
                                                      "another folder (nothing was changed)")])
    if folder.exists() and not folder.is_dir():
        raise RoundupError([Problem("site.yml", None, f"the output {folder.name} is a file, not a folder")])


def _swap(staging: Path, folder: Path) -> None:
    """Put `staging` where `folder` is; after this call `staging` holds the old build (if any)."""
    if not folder.exists():
        os.rename(staging, folder)
        os.mkdir(staging)  # keep the caller's cleanup simple
    elif not _exchange(staging, folder):
        old = staging.with_name(staging.name.replace(".new-", ".old-"))
        os.rename(folder, old)
        os.rename(staging, folder)
        os.rename(old, staging)
    fsync_dir(folder.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    return False


def tidy(folder: Path) -> None:
    """Clean up after an interrupted build, when this build has nothing to write."""
    with locked(folder.parent):
        _clean_leftovers(folder)


def _clean_leftovers(folder: Path, mine: Path | None = None) -> None:
    """Remove staging folders that an interrupted build left beside the output (not this build's `mine`)."""
    if folder.parent.is_dir():
        for stale in folder.parent.glob(f".{folder.name}.new-*"):
            if stale != mine:
                shutil.rmtree(stale, ignore_errors=True)
        for stale in folder.parent.glob(f".{folder.name}.old-*"):
            if folder.exists():
                shutil.rmtree(stale, ignore_errors=True)
            else:  # killed between the two renames of the fallback: the old build comes back
                os.rename(stale, folder)
