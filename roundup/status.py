"""`roundup status`: the status table, taken from the site's index for every post whose inputs are unchanged;
only the others are read and assessed again (all of them, through the build cache, when many changed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from roundup.cache import Cache, read_site
from roundup.digest import digest_of, key_of, profile_snapshot
from roundup.errors import Problems
from roundup.gate import Inclusion, PostStatus, assess_post, assess_site
from roundup.index import Index, Row
from roundup.model import Contributor, Site, SiteConfig
from roundup.posts import post_folders, post_signature, read_entry
from roundup.report import post_status, status_report, status_summary, utc_today
from roundup.validate import load_config, load_contributors

REREAD = 300
"""With more changed posts than this, the whole site is read through the build cache (faster than reading
that many post folders one by one)."""


def site_status(root: Path, slug: str | None = None) -> list[str]:
    """The status table of every post, or of one post with each voice's history."""
    root = root.resolve()
    if slug is not None:
        site = read_site(root)
        return status_report((assess_post(site, site.post(slug)),), timeline=True)
    problems = Problems()
    config, contributors = load_config(root, problems), load_contributors(root, problems)
    folders = {path.name: post_signature(str(path)) for path in post_folders(root, problems)}
    problems.raise_if_any()
    assert config is not None
    today, index = utc_today(), Index(root)
    try:
        keys = _Keys(config, contributors, today)
        rows = {slug: row for slug, row in index.rows().items()
                if slug in folders and row.key == keys(folders[slug], row.voices, row.deadline)}
        stale = [slug for slug in folders if slug not in rows]
        made = [_row(status, keys, folders[status.post.slug], today) for status in
                _assess(root, config, contributors, {slug: folders[slug] for slug in stale}, len(folders))]
        index.replace([row for row in made if row.slug in stale], set(folders))
        rows.update((row.slug, row) for row in made)
    finally:
        index.close()
    if not rows:
        return status_report(())
    ordered = sorted(sorted(rows.values(), key=lambda r: r.slug), key=lambda r: r.date, reverse=True)
    return [line for row in ordered for line in row.lines] + status_summary(
        [(row.slug, Inclusion[row.inclusion]) for row in ordered])


def _assess(root: Path, config: SiteConfig, contributors: dict[str, Contributor], stale: dict[str, tuple],
            total: int) -> tuple[PostStatus, ...]:
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


class _Keys:
    """The key of a row: the post's files, the profiles of its voices, the settings, and whether its deadline
    has passed (the only part of the table that changes with the day)."""

    def __init__(self, config: SiteConfig, contributors: dict[str, Contributor], today: dt.date):
        self.settings, self.today = key_of(config), today
        self.profiles = {cid: digest_of({"profile": profile_snapshot(c.profile)}) for cid, c in contributors.items()}

    def __call__(self, signature: tuple, voices: tuple[str, ...], deadline: str | None) -> str:
        late = deadline is not None and dt.date.fromisoformat(deadline) < self.today
        return key_of(signature, [(cid, self.profiles.get(cid)) for cid in voices], self.settings, late)


def _row(status: PostStatus, keys: _Keys, signature: tuple, today: dt.date) -> Row:
    post = status.post
    voices = tuple(q.contributor_id for q in (*post.quotes, *post.unanswered))
    deadline = post.deadline.isoformat() if post.deadline else None
    return Row(post.slug, keys(signature, voices, deadline), post.date.isoformat(), deadline,
               status.inclusion.name, voices, tuple(post_status(status, today)))
