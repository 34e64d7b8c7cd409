"""The build cache in .roundup/cache/: the one owner of what builds reuse. It keeps each stage's own
record of what it made (the post folders as read and their voice digests, beside each post's row in the
site's index; the published output's ledger), hands each stage its part, and saves them together."""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roundup import __version__, parallel
from roundup.digest import key_of
from roundup.fsutil import atomic_write, locked, remove_temporaries, state_dir
from roundup.gate import Assessed
from roundup.i18n import LOCALES
from roundup.index import Index
from roundup.model import Site
from roundup.posts import Folders, PostEntry, post_signature, signature
from roundup.render import Reuse
from roundup.theme import package_theme
from roundup.validate import load_site
from roundup.write import Ledger, Output

FORMAT = (10, __version__, sys.version_info[:2])
"""A cache written by another roundup or Python is ignored, never trusted."""
STATE = "state.pickle"
"""What the last build wrote: small, enough to see that nothing changed. What it read is kept per post in the
site's index (see `load_posts`)."""


@dataclass(slots=True)
class Cache:
    """What earlier builds knew; every part is checked against the files before it is used."""

    folders: Folders = field(default_factory=Folders)
    """The post folders as last read (`load_posts`'s part)."""
    assessed: Assessed = field(default_factory=Assessed)
    """The voice digests (and, in `serve`, statuses) last made (`assess_site`'s part)."""
    ledger: Ledger = field(default_factory=Ledger)
    """What the published output holds (saved as its two dicts)."""
    inputs: str = ""
    """The `fingerprint` of the inputs of the last build written."""
    report: Any = None
    """That build's BuildReport: when neither inputs nor output changed since, it is the answer."""
    enabled: bool = True
    root: Path | None = None
    """The site whose index `load_posts` loads post folders from (None: nothing to load)."""
    views: dict = field(default_factory=dict)
    """By slug, the views and cards made in this process (`views.Made`: `render_site`'s part, never saved)."""
    loaded: dict[str, PostEntry] = field(default_factory=dict)
    """Each post entry as loaded: an unchanged one is not saved again (never saved)."""

    @classmethod
    def load(cls, root: Path) -> Cache:
        """The small part of the cache of the site at `root` (what the last build wrote); an empty cache when
        there is none or it cannot be used. The posts part follows with `load_posts`."""
        stored = _read(root / ".roundup" / "cache" / STATE)
        if not isinstance(stored, dict) or set(stored) != {"pages", "written", "inputs", "report"}:
            return cls(root=root)
        return cls(root=root, ledger=Ledger(stored["pages"], stored["written"]), inputs=stored["inputs"],
                   report=stored["report"])

    @classmethod
    def earlier(cls, root: Path) -> Cache:
        """Both parts, for a command that only reads the site (status, preview, approve...); never saved."""
        cache = cls.load(root)
        cache.load_posts()
        cache.enabled = False
        return cache

    def load_posts(self, slugs: Iterable[str] | None = None) -> None:
        """Every post folder (or these) as the last command that read it left it, with its voices' digests."""
        index = Index(self.root, make=False) if self.root else None
        try:
            stored = index.entries(slugs) if index else {}
        finally:
            if index:
                index.close()
        fast_pickling()
        for slug, blob in stored.items():
            try:
                entry, digests = pickle.loads(blob)
            except Exception:  # a cache is only ever a shortcut: a damaged entry is read again
                continue
            self.loaded[slug] = self.folders.entries[slug] = entry
            key = key_of(entry.signature)
            self.assessed.digests.update(((key, cid, profile), digest) for (cid, profile), digest in digests.items())

    def save(self, root: Path) -> None:
        """Write the cache atomically (a killed build leaves the previous one); each post folder read again is
        kept beside its row in the index."""
        if not self.enabled:
            return
        folder = state_dir(root, "cache")
        fast_pickling()
        state = {"pages": self.ledger.pages, "written": self.ledger.written, "inputs": self.inputs,
                 "report": self.report}
        with locked(folder):
            remove_temporaries(folder / STATE)
            atomic_write(folder / STATE, functools.partial(pickle.dump, (FORMAT, state),
                                                           protocol=pickle.HIGHEST_PROTOCOL))
        fresh = {slug: entry for slug, entry in self.folders.entries.items() if self.loaded.get(slug) is not entry}
        if fresh:
            by_key: dict[str, dict] = {}
            for (key, cid, profile), digest in self.assessed.digests.items():
                by_key.setdefault(key, {})[cid, profile] = digest
            index = Index(root)
            try:
                index.keep_entries({slug: pickle.dumps((entry, by_key.get(key_of(entry.signature), {})),
                                                       protocol=pickle.HIGHEST_PROTOCOL)
                                    for slug, entry in fresh.items()})
            finally:
                index.close()

    def reuse(self, previous: Output | None = None) -> Reuse:
        """`render_site`'s part: the published output's ledger and the post views made in this process, with
        the `previous` build in memory (`serve`)."""
        return Reuse(self.ledger, previous, self.views)

    def forget_objects(self) -> None:
        """Drop what is reused by identity (statuses, views): after a build that is written."""
        self.assessed.statuses.clear()
        self.views.clear()

    def spare(self, root: Path) -> Path | None:
        """Where the output a build replaces is kept, for the next build to be made in (see `Output.commit`);
        None when the cache is off."""
        return state_dir(root, "cache") / "output" if self.enabled else None

    def published_untouched(self) -> bool:
        """The output of the last build is still there, exactly as it was written."""
        return self.report is not None and self.ledger.output_untouched(self.report.output)


def _read(path: Path) -> Any:
    """One part of the cache, or None when it is missing, from another roundup or Python, or damaged."""
    fast_pickling()
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except Exception:  # a cache is only ever a shortcut: anything odd about it means starting afresh
        return None
    return stored[1] if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == FORMAT else None


def fingerprint(root: Path, drafts: bool, cache: Cache | None = None) -> str:
    """Who and when every input file is (site.yml, contributors/, posts/, themes/, the shipped theme and
    catalogues, and the cached avatar renditions), with roundup's version and --drafts: equal fingerprints mean a build
    would write the same site. Each post folder's `post_signature` is left in `cache.folders.scanned`."""
    seen: list[tuple] = []
    for top in (root / "site.yml", root / "contributors", root / "themes", package_theme(), LOCALES,
                root / ".roundup" / "cache" / "avatars"):
        _scan(top, seen)
    posts = root / "posts"
    scanned = {}
    if posts.is_dir():
        for name, is_dir, *rest in signature(str(posts)):
            scanned[name] = post_signature(str(posts / name)) if is_dir else None
            seen.append((name, is_dir, *rest, scanned[name]))
    if cache is not None:
        cache.folders.scanned = {name: sig for name, sig in scanned.items() if sig is not None}
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
def fast_pickling() -> None:
    """Frozen slotted dataclasses pickle through a slow generic path (all fields looked up per object);
    the cache holds hundreds of thousands of them, so each is pickled as its class and field values."""
    from roundup import approvals, avatars, errors, gate, model, viewtypes, yamlfast

    for cls in (model.Post, model.Quote, model.Contributor, model.Profile, model.Link, model.Avatar,
                model.Live, model.LiveVoice, approvals.Record, errors.Problem, gate.PostStatus, gate.VoiceStatus,
                yamlfast.Deferred, gate.Held, viewtypes.PostView, viewtypes.VoiceView, viewtypes.AvatarView,
                viewtypes.LinkView, viewtypes.TagRef, viewtypes.PendingView, viewtypes.Card, avatars.Rendition):
        pickled_as_fields(cls)


def pickled_as_fields(cls: type) -> None:
    """Pickle the frozen dataclass `cls` as its class and field values (see `fast_pickling`)."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    copyreg.pickle(cls, lambda obj, cls=cls, names=names: (cls, tuple(getattr(obj, n) for n in names)))


def read_site(root: Path, cache: Cache | None = None) -> Site:
    """The site for a command that does not build it: posts unchanged since the last build are taken from
    its cache (`Cache.earlier`, never written here), the others read on every core."""
    root = root.resolve()
    cache = cache if cache is not None else Cache.earlier(root)
    return load_site(root, folders=cache.folders, workers=parallel.workers())
