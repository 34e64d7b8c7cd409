"""`roundup new`: starting a site, a post or a contributor profile from a commented template."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from roundup.errors import Problem, RoundupError
from roundup.fields import ID_RE
from roundup.fsutil import atomic_write
from roundup.i18n import shipped
from roundup.words import id_advice

SITE = """\
title: My Roundups                       # required
base_url: https://example.com/           # required: where the site will live
editor: {{name: Your Name, email: you@example.com}}
language: en                             # your pages' and messages' language: {languages}
# theme: default                         # a folder under themes/, else the shipped theme
# output: _site
# previews: _previews
# mail: {{host: localhost, port: 25, starttls: false, username: null, password_env: ROUNDUP_SMTP_PASSWORD}}
# inbox: {{host: imap.example.com, username: you@example.com}}   # where `roundup inbox --imap` reads replies
# remind_every: 3                        # days between two reminders to the same person
"""

POST = """\
---
title: {title}
date: {date}
summary: One sentence that says what this roundup is about.
tags: []
# prompt: What is the one tool you would never give up?   # the question `roundup invite` asks
# voices: [zoe, sam]     # who is asked, in order; default: quote files in quotes/ sorted by id
# status: ready          # ready | draft | cancelled
# deadline: {deadline}   # when answers and approvals are due
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
# language: fr                           # private: the language roundup writes to them in; default: the site's
# short_name:                            # optional: the name they go by, used in greetings ("Dear Priya",
#                                        # "Dear Dr. Okafor"); never guessed: without it, the full name is used
"""


IGNORED = ("/_site/", "/_previews/", "/.roundup/")
"""What a site's repository must not hold: the built site, the previews (private notes and addresses, one
file per contributor) and roundup's own state (the token secret, the cache). Matches SITE's defaults."""
IGNORE_NOTE = "# roundup: the built site, private previews, and roundup's secret and cache\n"


def new_site(root: Path) -> list[str]:
    """Start a site in `root`; the lines that say what was made."""
    target = root / "site.yml"
    _refuse_existing(root, target)
    _refuse_nested(root)
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("contributors/avatars", "posts"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    atomic_write(target, SITE.format(languages=", ".join(shipped())).encode())
    note = _ignore(root / ".gitignore")
    made = ["site.yml", "contributors/", "posts/"] + ([".gitignore"] if note is None else [])
    return ["Created " + ", ".join(made)] + ([note] if note else [])


def _refuse_nested(root: Path) -> None:
    """A site inside another would be read as part of it (under its posts/, as a post whose build fails on
    the inner site's output): refuse, naming the outer site.yml."""
    here = root.resolve()
    outer = next((folder for folder in here.parents if (folder / "site.yml").is_file()), None)
    if outer is not None:
        raise RoundupError([Problem(os.path.relpath(outer / "site.yml"), None, (
            f"{here} is inside the site of this site.yml, and a site inside another breaks that site's build. "
            f"Start the new site in a folder outside {outer}; to add to this site, use `roundup new post <slug>` "
            "or `roundup new contributor <id>`"))])


def _ignore(path: Path) -> str | None:
    """Write a .gitignore of IGNORED, or append the lines it misses to the one there (nothing in it is
    changed or removed); None when written new, else what was done to it."""
    if not path.exists():
        atomic_write(path, (IGNORE_NOTE + "\n".join(IGNORED) + "\n").encode())
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        return f"Could not read your .gitignore ({exc.strerror or exc}): add {', '.join(IGNORED)} to it yourself."
    have = {line.strip().strip("/") for line in text.splitlines()}
    missing = [line for line in IGNORED if line.strip("/") not in have]
    if not missing:
        return f"Kept your .gitignore: it already ignores {', '.join(IGNORED)}."
    lead = "" if not text or text.endswith("\n") else "\n"
    with open(path, "a", encoding="utf-8") as handle:  # appended in place: a linked .gitignore stays linked
        handle.write(lead + IGNORE_NOTE + "\n".join(missing) + "\n")
    return f"Added {', '.join(missing)} to your .gitignore (the rest of it is unchanged)."


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
