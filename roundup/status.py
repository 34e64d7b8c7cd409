"""`roundup status`: the status table, taken from the site's index for every post whose inputs are unchanged;
only the others are read and assessed again (all of them, through the build cache, when many changed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
from dataclasses import dataclass
from pathlib import Path

from roundup.cache import Cache, read_site
from roundup.digest import digest_of, key_of, profile_snapshot
from roundup.errors import Problems
from roundup.gate import Inclusion, PostStatus, assess_post, assess_site
from roundup.index import Index, Row
from roundup.model import Contributor, Site, SiteConfig
from roundup.posts import load_posts, post_folders, post_signature, read_entry
from roundup.statustable import post_status, status_report, status_summary, utc_today
from roundup.validate import load_config, load_contributors, load_site
from roundup.viewtypes import tag_path

REREAD = 300
"""With more changed posts than this, the whole site is read through the build cache (faster than reading
that many post folders one by one)."""


@dataclass(frozen=True, slots=True)
class Indexed:
    """The site as its index knows it: the settings and contributors read, and every post's row up to date."""

    config: SiteConfig
    contributors: dict[str, Contributor]
    rows: dict[str, Row]
    """By slug, newest post first (the site's order)."""

    def published(self) -> frozenset[str]:
        """Every page a build of the site as it is publishes that a preview may link to: the lists, and the
        pages of the posts, contributors and tags in a published post (as shown: a live post as approved)."""
        pages = (page for row in self.rows.values() for page in row.published)
        return frozenset({"", "contributors/", "feed.xml", *pages})


def indexed(root: Path) -> Indexed:
    """The index brought up to date: the posts whose inputs changed since their row was made are read and
    assessed again (all of them through the build cache when there are many); every problem raised at once."""
    root = root.resolve()
    problems = Problems()
    config = load_config(root, problems)
    contributors = load_contributors(root, problems, config)
    folders = {path.name: post_signature(str(path)) for path in post_folders(root, problems)}
    problems.raise_if_any()
    assert config is not None
    today, index = utc_today(), Index(root)
    try:
        keys = Keys(config, contributors, today)
        rows = {slug: row for slug, row in index.rows().items()
                if slug in folders and row.key == keys(folders[slug], row.voices, row.deadline)}
        stale = [slug for slug in folders if slug not in rows]
        made = [row_of(status, keys, folders[status.post.slug], today) for status in
                _assess(root, config, contributors, {slug: folders[slug] for slug in stale})]
        index.replace([row for row in made if row.slug in stale], set(folders))
        rows.update((row.slug, row) for row in made)
    finally:
        index.close()
    ordered = sorted(sorted(rows.values(), key=lambda r: r.slug), key=lambda r: r.date, reverse=True)
    return Indexed(config, contributors, {row.slug: row for row in ordered})


def site_status(root: Path, slug: str | None = None) -> list[str]:
    """The status table of every post, or of one post with each voice's history."""
    if slug is not None:
        site = read_posts(root, frozenset({slug}))
        return status_report((assess_post(site, site.post(slug)),), timeline=True)
    rows = indexed(root).rows.values()
    if not rows:
        return status_report(())
    return [line for row in rows for line in row.lines] + status_summary(
        [(row.slug, Inclusion[row.inclusion]) for row in rows])


def read_posts(root: Path, slugs: frozenset[str], known: Indexed | None = None) -> Site:
    """The site with only these posts read (the whole site when one of them is missing, so that the problem
    names the posts there are); with `known`, its settings and contributors are not read again."""
    root = root.resolve()
    if known is None:
        site = load_site(root, only=slugs)
    else:
        problems = Problems()
        site = Site(known.config, known.contributors, load_posts(root, known.contributors, problems, only=slugs))
        problems.raise_if_any()
    return site if len(site.posts) == len(slugs) else read_site(root)


def _assess(root: Path, config: SiteConfig, contributors: dict[str, Contributor],
            stale: dict[str, tuple]) -> tuple[PostStatus, ...]:
    """The statuses of the `stale` posts (of every post when there are many), every problem raised at once."""
    problems = Problems()
    if len(stale) > REREAD:
        cache = Cache.earlier(root)
        site = read_site(root, cache)
        statuses = assess_site(site, problems, entries=cache.folders.entries, known=cache.assessed)
    else:
        entries = {slug: read_entry(root, root / "posts" / slug, sig, contributors) for slug, sig in stale.items()}
        for entry in entries.values():
            problems.items.extend(entry.problems)
        problems.raise_if_any()
        posts = tuple(entry.post for entry in entries.values())
        statuses = assess_site(Site(config, contributors, posts), problems, entries=entries)
    problems.raise_if_any()
    return statuses


class Keys:
    """The key of a row: the post's files, the profiles of its voices, the settings, and whether its deadline
    has passed (the only part of the table that changes with the day)."""

    def __init__(self, config: SiteConfig, contributors: dict[str, Contributor], today: dt.date):
        self.settings, self.today = key_of(config), today
        self.profiles = {cid: digest_of({"profile": profile_snapshot(c.profile)}) for cid, c in contributors.items()}

    def __call__(self, signature: tuple, voices: tuple[str, ...], deadline: str | None) -> str:
        late = deadline is not None and dt.date.fromisoformat(deadline) < self.today
        parts = (signature, [(cid, self.profiles.get(cid)) for cid in voices], self.settings, late)
        # marshal (several times faster than repr) at version 2, which has no references: equal data, equal bytes
        return hashlib.sha256(marshal.dumps(parts, 2)).hexdigest()


def row_of(status: PostStatus, keys: Keys, signature: tuple, today: dt.date) -> Row:
    post = status.post
    live = status.live.voices if status.live else ()
    voices = tuple(dict.fromkeys((*(q.contributor_id for q in (*post.quotes, *post.unanswered)),
                                  *(v.contributor_id for v in live))))
    deadline = post.deadline.isoformat() if post.deadline else None
    shown = status.published_post
    published = () if shown is None else (f"posts/{shown.slug}/", *(f"contributors/{q.contributor_id}/"
                                          for q in shown.quotes), *(tag_path(t) for t in shown.tags))
    return Row(post.slug, keys(signature, voices, deadline), post.date.isoformat(), deadline,
               status.inclusion.name, voices, published, tuple(post_status(status, today)))
