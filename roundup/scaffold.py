"""`roundup new`: starting a site, a post or a contributor profile from a commented template."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from roundup.errors import Problem, RoundupError
from roundup.fields import ID_RE
from roundup.fsutil import atomic_write
from roundup.words import id_advice

SITE = """\
title: My Roundups                       # required
base_url: https://example.com/           # required: where the site will live
editor: {name: Your Name, email: you@example.com}
# theme: default                         # a folder under themes/, else the shipped theme
# output: _site
# previews: _previews
# mail: {host: localhost, port: 25, starttls: false, username: null, password_env: ROUNDUP_SMTP_PASSWORD}
"""

POST = """\
---
title: {title}
date: {date}
summary: One sentence that says what this roundup is about.
tags: []
# voices: [zoe, sam]     # order of voices; default: quote files in quotes/ sorted by id
# status: ready          # ready | draft | cancelled
# deadline: {deadline}   # when approvals are due
---
Your introduction: why you asked these people, and what you asked them.

<!-- voices -->

An optional closing paragraph, after the voices.
"""

CONTRIBUTOR = """\
name: {name}                             # required; shown exactly as written
# handle: "@{id}"
# url: https://example.com/              # the name links here
# links: {{Blog: https://example.com/blog/, Mastodon: https://example.social/@{id}}}
# avatar: avatars/{id}.jpg               # a file under contributors/, or an https URL
# bio: One or two sentences, Markdown.
# email: {id}@example.com                # private: previews are sent here
"""


def new_site(root: Path) -> list[str]:
    target = root / "site.yml"
    _refuse_existing(root, target)
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("contributors/avatars", "posts"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    atomic_write(target, SITE.encode())
    return ["site.yml", "contributors/", "posts/"]


def new_post(root: Path, slug: str) -> list[str]:
    _check_id(slug, "post slug")
    folder = root / "posts" / slug
    _refuse_existing(root, folder / "post.md")
    (folder / "quotes").mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    text = POST.format(title=slug.replace("-", " ").capitalize(), date=today.isoformat(),
                       deadline=(today + dt.timedelta(days=14)).isoformat())
    atomic_write(folder / "post.md", text.encode())
    return [f"posts/{slug}/post.md", f"posts/{slug}/quotes/"]


def new_contributor(root: Path, cid: str) -> list[str]:
    _check_id(cid, "contributor id")
    target = root / "contributors" / f"{cid}.yml"
    _refuse_existing(root, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, CONTRIBUTOR.format(id=cid, name=cid.replace("-", " ").title()).encode())
    return [f"contributors/{cid}.yml"]


def _check_id(value: str, what: str) -> None:
    if not ID_RE.match(value):
        raise RoundupError(id_advice(value, what))


def _refuse_existing(root: Path, target: Path) -> None:
    if target.exists():
        name = target.relative_to(root).as_posix() if target.is_relative_to(root) else str(target)
        raise RoundupError([Problem(name, None, "already exists; nothing was changed")])
