"""What a build keeps of each post in the site's index (its card, its view, its summary), under the key of
what they were made from: a build reads, assesses and views only the posts whose key changed."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from roundup import live
from roundup.cache import Cache, fast_pickling, pickled_as_fields
from roundup.errors import Problem, Problems, RoundupError
from roundup.gate import Held, Inclusion, PostStatus, assess_site
from roundup.index import Index
from roundup.model import Contributor, Site, SiteConfig
from roundup.posts import load_posts, post_signature, post_slugs
from roundup.progress import SILENT, Progress
from roundup.status import Keys, row_of
from roundup.statustable import utc_today
from roundup.validate import load_config, load_contributors
from roundup.viewtypes import Card, PostView

HELD = (Inclusion.WITHHELD, Inclusion.DRAFT, Inclusion.LIVE, Inclusion.CANCELLED)


@dataclass(frozen=True, slots=True)
class Built:
    """What a build keeps of one post besides its view."""

    date: str
    """The post's own date (ISO): the site's order, even while an older version is shown."""
    inclusion: Inclusion
    held: Held | None
    """The post's part of the build summary, when it is not simply published."""
    card: Card | None
    """None when the build does not show the post."""
    to_keep: bool
    """The post is published as it is, but its published.yml holds another version (`live.to_keep`): a `serve`
    build, which writes nothing, made the row. A build does not keep such a post from its row: it reads it again,
    and keeps the version as the live one (`build._keep_live`)."""


pickled_as_fields(Built)


@dataclass(slots=True)
class Plan:
    """The site as a build finds it: settings and contributors read, every post either kept from its row
    (its key unchanged) or to be read and assessed again."""

    root: Path
    drafts: bool
    config: SiteConfig | None
    """None when site.yml has problems (see `problems`)."""
    contributors: dict[str, Contributor]
    folders: dict[str, tuple]
    """By slug, the signature of each post folder."""
    kept: dict[str, Built]
    """By slug, what the build keeps of the posts whose rows are current."""
    keys: Keys
    rows: dict[str, tuple[str, tuple[str, ...], str | None]]
    """By slug, (key, voices, deadline) of each post's row in the index; renewed by `record`."""
    problems: Problems
    """With the settings, profiles or post folder names: raised by `read` with those of the posts."""

    @property
    def stale(self) -> frozenset[str]:
        return frozenset(self.folders) - frozenset(self.kept)

    def cards(self) -> dict[str, Card]:
        """The cards of the kept posts the build shows."""
        return {slug: built.card for slug, built in self.kept.items() if built.card is not None}

    def read(self, cache: Cache, progress: Progress = SILENT, workers: int = 1) -> tuple[Site, tuple[PostStatus, ...]]:
        """The stale posts read (each folder unchanged since it was last read taken from the build cache) and
        assessed; every problem raised at once."""
        problems = self.problems
        stale = self.stale
        cache.load_posts(stale)
        cache.folders.scanned = {slug: sig for slug, sig in self.folders.items() if slug in stale}
        posts = load_posts(self.root, self.contributors, problems, progress, cache.folders, workers, stale)
        problems.raise_if_any()
        site = Site(self.config, self.contributors, posts)
        statuses = assess_site(site, problems, progress, entries=cache.folders.entries,
                               known=cache.assessed)
        problems.raise_if_any()
        return site, statuses

    def record(self, statuses: tuple[PostStatus, ...], memo: dict) -> None:
        """Keep what the build made of the posts it read (`views.Made`, by slug in `memo`)."""
        today, index = utc_today(), Index(self.root)
        fast_pickling()
        try:
            made, views = {}, {}
            for status in statuses:
                known = memo.get(status.post.slug)
                fresh = known is not None and known.status is status
                card, views[status.post.slug] = (known.card, known.view) if fresh else (None, None)
                held = Held.of(status) if status.inclusion in HELD else None
                made[status.post.slug] = Built(status.post.date.isoformat(), status.inclusion, held, card,
                                               live.to_keep(status))

            def pickled(slug: str) -> tuple[bytes, bytes | None]:  # one row at a time: a cold build has thousands
                view = views[slug]
                return (pickle.dumps(made[slug], pickle.HIGHEST_PROTOCOL),
                        pickle.dumps(view, pickle.HIGHEST_PROTOCOL) if view is not None else None)

            rows = [row_of(status, self.keys, self.folders[status.post.slug], today) for status in statuses]
            index.replace(rows, set(self.folders), pickled, self.drafts)
        finally:
            index.close()
        self.rows.update((row.slug, (row.key, row.voices, row.deadline)) for row in rows)
        self.kept.update(made)


def plan(root: Path, drafts: bool, scanned: dict[str, tuple] | None = None, keep: bool = True,
         listed: Iterable[str] | None = None, previous: Plan | None = None) -> Plan:
    """What a build of the site at `root` can keep of each post (nothing without `keep`). `scanned`: the post
    folders' signatures where they were just taken; `listed`: every post folder's name, where just listed;
    `previous`: the plan of the last build in this process (`serve`), whose rows are taken instead of the
    index's (what it kept of a post is kept while the post's key is the same). Problems with the settings,
    profiles or post folder names keep nothing, and are raised by `Plan.read` with those of every post."""
    problems = Problems()
    config = load_config(root, problems)
    contributors = load_contributors(root, problems, config)
    scanned, posts = scanned or {}, os.path.join(root, "posts")
    folders = {slug: scanned.get(slug) or post_signature(os.path.join(posts, slug))
               for slug in post_slugs(root, problems, listed)}
    keys = Keys(config, contributors, utc_today())
    if problems.items or config is None:
        return Plan(root, drafts, config, contributors, folders, {}, keys, {}, problems)
    mine = previous is not None and previous.drafts == drafts
    index = None if mine else Index(root, make=False)
    try:
        known = dict(previous.rows) if mine else index.keys()
        current = {slug for slug, (key, voices, deadline) in known.items()
                   if slug in folders and key == keys(folders[slug], voices, deadline)}
        if not keep:
            kept = {}
        elif mine:
            kept = {slug: previous.kept[slug] for slug in current if slug in previous.kept}
        else:
            fast_pickling()
            loaded = _loaded({slug: blob for slug, blob in index.built(drafts).items() if slug in current})
            kept = {slug: built for slug, built in loaded.items() if not built.to_keep}
    finally:
        if index is not None:
            index.close()
    return Plan(root, drafts, config, contributors, folders, kept, keys, known, problems)


def _loaded(blobs: dict[str, bytes]) -> dict[str, Built]:
    """What a build kept of each post; a damaged one is left out (the post is read again)."""
    kept = {}
    for slug, blob in blobs.items():
        try:
            built = pickle.loads(blob)
        except Exception:  # an index is only ever a shortcut
            continue
        if isinstance(built, Built):
            kept[slug] = built
    return kept


class Stored:
    """Reads back the views a build kept, by slug (from any process: each opens the index for itself)."""

    def __init__(self, root: Path, drafts: bool):
        self.root, self.drafts = root, drafts
        self.local = threading.local()
        """This thread's connection, and the process it was opened in (a forked worker opens its own)."""

    def __call__(self, slugs: list[str]) -> dict[str, PostView]:
        if getattr(self.local, "pid", None) != os.getpid():
            self.local.index, self.local.pid = Index(self.root, make=False), os.getpid()
            fast_pickling()
        index = self.local.index
        found = index.views(slugs, self.drafts)
        try:
            views = {slug: pickle.loads(blob) for slug, blob in found.items()}
            if len(views) == len(slugs) and all(isinstance(view, PostView) for view in views.values()):
                return views
        except Exception:  # damaged: below
            pass
        index.forget(self.drafts)  # one damaged, any may be: the next build reads every post again
        raise RoundupError([Problem(".roundup/cache/index.sqlite", None, "what an earlier build kept of "
                                    f"{', '.join(slugs[:3])}{' and others' if len(slugs) > 3 else ''} was damaged or "
                                    "changed by another roundup command while this build ran: build again (every "
                                    "post will be read from its files; nothing was written)")])
