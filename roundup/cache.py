"""The build cache in .roundup/cache/: each post as last read, each voice's digest and each page as last
written, reused while the files behind them are unchanged, so that a rebuild does only what changed."""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import hashlib
import os
import pickle
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roundup import __version__
from roundup.approvals import Record
from roundup.errors import Problem
from roundup.fsutil import atomic_write, locked, remove_temporaries, state_dir
from roundup.model import Live, Post

FORMAT = (6, __version__, sys.version_info[:2])
"""A cache written by another roundup or Python is ignored, never trusted."""
STATE, POSTS = "state.pickle", "posts.pickle"
"""The cache is two files: what the last build wrote (small, enough to see that nothing changed), and
what it read (every post, large: loaded only when something did change)."""
MARKER = ".roundup-build"
"""A file in every output folder written by roundup, so it never replaces a folder it did not make."""


@dataclass(frozen=True, slots=True)
class PostEntry:
    """One post folder as it was read: enough to skip reading it again while its files are unchanged."""

    signature: tuple
    """(name, inode, size, mtime) of every file and folder the post was read from."""
    known: tuple[bool, ...]
    """For each voice listed, whether contributors/<id>.yml existed (a post's problems depend on it)."""
    post: Post | None
    """None when the folder had problems."""
    records: dict[str, Record]
    problems: tuple[Problem, ...]
    live: Live | None = None
    """The post's last fully approved version (published.yml), if it has one."""


@dataclass(slots=True)
class Cache:
    """What earlier builds knew; every part is checked against the files before it is used."""

    posts: dict[str, PostEntry] = field(default_factory=dict)
    """By slug."""
    digests: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(post digest, contributor id, profile digest) → the voice's digest."""
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Output path → (key of everything the page was made from, sha256 of its bytes)."""
    written: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Output path → (inode, size, mtime) of the file in the published output, to know it is untouched."""
    inputs: str = ""
    """The `fingerprint` of the inputs of the last build written."""
    report: Any = None
    """That build's BuildReport: when neither inputs nor output changed since, it is the answer."""
    enabled: bool = True
    root: Path | None = None
    """Where the posts part is loaded from by `load_posts` (None: nothing to load)."""
    scanned: dict[str, tuple] = field(default_factory=dict)
    """This build's `post_signature` of each post folder, taken by `fingerprint` (never saved)."""
    memo: dict[tuple[str, str], tuple] = field(default_factory=dict)
    """What an earlier build in this process (`serve`) made from the very same objects: a post's status,
    view and page key, reused while those objects are the same (never saved)."""
    pickled: dict[str, tuple[PostEntry, bytes]] = field(default_factory=dict)
    """Each post entry as loaded, with its pickle: saving an unchanged entry reuses it (never saved)."""

    @classmethod
    def load(cls, root: Path) -> Cache:
        """The small part of the cache of the site at `root` (what the last build wrote); an empty cache when
        there is none or it cannot be used. The posts part follows with `load_posts`."""
        stored = _read(root / ".roundup" / "cache" / STATE)
        if not isinstance(stored, dict) or set(stored) != {"pages", "written", "inputs", "report"}:
            return cls()
        return cls(root=root, **stored)

    @classmethod
    def earlier(cls, root: Path) -> Cache:
        """Both parts, for a command that only reads the site (status, preview, approve...); never saved."""
        cache = cls.load(root)
        cache.load_posts()
        cache.enabled = False
        return cache

    def load_posts(self) -> None:
        """What the last build read, for a build that has something to do."""
        stored = _read(self.root / ".roundup" / "cache" / POSTS) if self.root else None
        self.root = None
        if isinstance(stored, tuple) and len(stored) == 2 and all(isinstance(part, dict) for part in stored):
            try:
                self.pickled = {slug: (pickle.loads(blob), blob) for slug, blob in stored[0].items()}
            except Exception:  # as in _read: a damaged cache is no cache
                self.pickled = {}
                return
            self.posts = {slug: entry for slug, (entry, _) in self.pickled.items()}
            self.digests = stored[1]

    def save(self, root: Path) -> None:
        """Write the cache atomically (a killed build leaves the previous one)."""
        if not self.enabled:
            return
        folder = state_dir(root, "cache")
        _register_fast_pickling()
        state = {"pages": self.pages, "written": self.written, "inputs": self.inputs, "report": self.report}
        posts = {slug: self._pickle(slug, entry) for slug, entry in self.posts.items()}
        with locked(folder):
            for name, part in ((POSTS, (posts, self.digests)), (STATE, state)):
                remove_temporaries(folder / name)
                atomic_write(folder / name, functools.partial(pickle.dump, (FORMAT, part),
                                                              protocol=pickle.HIGHEST_PROTOCOL))

    def _pickle(self, slug: str, entry: PostEntry) -> bytes:
        loaded = self.pickled.get(slug)
        if loaded is not None and loaded[0] is entry:
            return loaded[1]
        return pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)

    def reusable(self, path: str, key: str, output: Path) -> bool:
        """The published output still holds exactly the page made from `key`, untouched since."""
        entry = self.pages.get(path)
        return entry is not None and entry[0] == key and self.untouched(path, output)

    def published_untouched(self) -> bool:
        """The output of the last build is still there, exactly as it was written."""
        return self.report is not None and self.output_untouched(self.report.output)

    def output_untouched(self, output: Path) -> bool:
        """`output` holds the files the last build wrote, each untouched, and nothing else."""
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

    def untouched(self, path: str, output: Path) -> bool:
        try:
            st = os.stat(output / path)
        except OSError:
            return False
        return self.written.get(path) == (st.st_ino, st.st_size, st.st_mtime_ns)


def _read(path: Path) -> Any:
    """One part of the cache, or None when it is missing, from another roundup or Python, or damaged."""
    _register_fast_pickling()
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except Exception:  # a cache is only ever a shortcut: anything odd about it means starting afresh
        return None
    return stored[1] if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == FORMAT else None


def fingerprint(root: Path, drafts: bool, cache: Cache | None = None) -> str:
    """Who and when every input file is (site.yml, contributors/, posts/, themes/, the shipped theme and
    the cached avatar renditions), with roundup's version and --drafts: equal fingerprints mean a build
    would write the same site. Each post folder's `post_signature` is left in `cache.scanned`."""
    from roundup.render import package_theme  # render needs this module; this needs render only here

    seen: list[tuple] = []
    for top in (root / "site.yml", root / "contributors", root / "themes", package_theme(),
                root / ".roundup" / "cache" / "avatars"):
        _scan(top, seen)
    posts = root / "posts"
    scanned = {}
    if posts.is_dir():
        for name, is_dir, *rest in signature(str(posts)):
            scanned[name] = post_signature(str(posts / name)) if is_dir else None
            seen.append((name, is_dir, *rest, scanned[name]))
    if cache is not None:
        cache.scanned = {name: sig for name, sig in scanned.items() if sig is not None}
    return hashlib.sha256(pickle.dumps((FORMAT, str(root), drafts, seen), protocol=4)).hexdigest()


def _scan(path: Path | str, seen: list[tuple]) -> None:
    try:
        st = os.stat(path)
    except OSError:
        seen.append((str(path), None))
        return
    seen.append((str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode))
    if stat.S_ISDIR(st.st_mode):
        with os.scandir(path) as scan:
            entries = sorted((entry.name, entry) for entry in scan)
        for _, entry in entries:
            if entry.is_dir():
                _scan(entry.path, seen)
            else:
                try:
                    st = entry.stat()
                    seen.append((entry.path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
                except OSError:
                    seen.append((entry.path, None))


@functools.cache
def _register_fast_pickling() -> None:
    """Frozen slotted dataclasses pickle through a slow generic path (all fields looked up per object);
    the cache holds hundreds of thousands of them, so each is pickled as its class and field values."""
    from roundup import gate, model, yamlfast
    from roundup import errors, approvals

    for cls in (model.Post, model.Quote, model.Contributor, model.Profile, model.Link, model.Avatar,
                model.Live, model.LiveVoice, approvals.Record, errors.Problem, gate.PostStatus, gate.VoiceStatus, yamlfast.Deferred):
        names = tuple(f.name for f in dataclasses.fields(cls))
        copyreg.pickle(cls, lambda obj, cls=cls, names=names: (cls, tuple(getattr(obj, n) for n in names)))


def key_of(*parts: object) -> str:
    """A digest of everything a page or post was made from."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def signature(folder: str) -> tuple:
    """Who each entry of `folder` is and when it last changed (name, is a folder, inode, size, mtime,
    ctime), by name; a changed signature means read the folder again."""
    result = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                st = entry.stat()
                result.append((entry.name, entry.is_dir(), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            except OSError:
                result.append((entry.name, None))
    result.sort()
    return tuple(result)


def post_signature(folder: str) -> tuple:
    """Every file a post is read from, and the listing of its folders."""
    found = signature(folder)
    if any(name == "quotes" and is_dir for name, is_dir, *_ in found):
        found += signature(os.path.join(folder, "quotes"))
    return found
