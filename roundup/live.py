"""posts/<slug>/published.yml: the last fully approved version of a post, kept online while a newer one waits."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roundup.approvals import dump
from roundup.digest import digest_of, digest_v1, post_snapshot, profile_snapshot, quote_snapshot
from roundup.errors import Problem, Problems
from roundup.fields import Fields
from roundup.fsutil import atomic_write, locked, remove_temporaries
from roundup.load import LineDict, describe, load_yaml_file
from roundup.model import Avatar, Contributor, Link, Live, LiveVoice, Post, Profile, Quote, Site

if TYPE_CHECKING:
    from roundup.gate import PostStatus

NAME = "published.yml"
HEADER = ("# The version of this post that is online, written by roundup when every voice had approved it.\n"
          "# Keep it under version control: while a newer version waits for approval, builds publish this one.\n")
FIX = ("it is written by roundup: restore it from version control, or delete it (the post then stays "
       "offline until every voice approves the version in post.md)")


def path_of(site_root: Path, post: Post) -> Path:
    return site_root / post.folder / NAME


def read(site_root: Path, post: Post, problems: Problems) -> Live | None:
    """The live version of `post`, or None when it has none; a damaged file is reported to `problems`."""
    path = path_of(site_root, post)
    if not path.is_file():
        return None
    doc = load_yaml_file(site_root, path)
    if isinstance(doc, Problem):
        problems.items.append(doc)
        return None
    before = len(problems.items)
    f = Fields(doc.path, doc.meta, problems)
    f.only(("approved_on", "title", "date", "summary", "tags", "intro", "outro", "voices"))
    title, date, approved_on = f.text("title", required=True), f.date("date", required=True), \
        f.date("approved_on", required=True)
    intro, outro = _raw_text(f, "intro"), _raw_text(f, "outro")
    tags = tuple(tag for tag, _ in f.text_list("tags") or ())
    shown = Post(post.slug, title or "", date or post.date, f.text("summary"), tags, "ready", None, intro, outro,
                 (), doc.path)
    voices = _voices(f, shown, problems)
    if len(problems.items) > before or approved_on is None:
        return None
    quotes = tuple(Quote(v.contributor_id, prompt, body, None, doc.path) for v, (prompt, body) in voices)
    return Live(dataclasses.replace(shown, quotes=quotes), tuple(v for v, _ in voices), approved_on, doc.path)


def _raw_text(f: Fields, key: str) -> str:
    value = f.data.get(key, "")
    if not isinstance(value, str):
        f.error(key, f"must be text, not {describe(value)}; {FIX}")
        return ""
    return value


def _voices(f: Fields, shown: Post, problems: Problems) -> list[tuple[LiveVoice, tuple[str | None, str]]]:
    """Each voice with its (prompt, body), checked against the digest its contributor approved."""
    items = f.data.get("voices")
    if not isinstance(items, list) or not items:
        f.error("voices", f"must list the voices of the live version; {FIX}")
        return []
    voices = []
    for item in items:
        if not isinstance(item, LineDict):
            f.error("voices", f"must hold one mapping per voice; {FIX}")
            continue
        voice = _voice(Fields(f.path, item, problems), shown)
        if voice is not None:
            voices.append(voice)
    return voices


def _voice(f: Fields, shown: Post) -> tuple[LiveVoice, tuple[str | None, str]] | None:
    cid, digest = f.text("id", required=True), f.text("digest", required=True)
    quote, profile = f.data.get("quote"), f.data.get("profile")
    if not (cid and digest and isinstance(quote, dict) and isinstance(profile, dict)):
        f.problems.add(f.path, f.data.line, f"a voice needs id, digest, quote and profile; {FIX}")
        return None
    content = {"quote": dict(quote), "profile": dict(profile), "post": post_snapshot(shown)}
    try:
        person = _profile(profile)
    except (KeyError, TypeError, ValueError):
        person = None
    # a file written before summary and tags were approved holds digests of DIGEST_VERSION 1
    if person is None or digest not in (digest_of(content), digest_v1(content)):
        f.problems.add(f.path, f.data.line, f"the voice of {cid} is not what they approved (it was edited "
                                            f"by hand); {FIX}")
        return None
    avatar = (profile["avatar"], profile["avatar_sha256"]) if profile.get("avatar") else None
    return LiveVoice(cid, digest, person, avatar), (quote.get("prompt"), quote.get("body") or "")


def _profile(data: dict[str, Any]) -> Profile:
    """A profile from its approved copy (`digest.profile_snapshot`), the picture left to `profile_now`."""
    links = tuple(Link(str(label), str(href)) for label, href in data.get("links") or ())
    return Profile(str(data["name"]), data.get("handle"), data.get("url"), links, None, data.get("bio") or "")


def profile_now(voice: LiveVoice, person: Contributor | None) -> Profile:
    """The approved profile with its picture: today's photo while it is still the approved one (or the
    approved remote URL); otherwise none, so the initials stand in for a photo nobody approved."""
    avatar = None
    if voice.avatar is not None:
        source, sha = voice.avatar
        current = person.profile.avatar if person is not None else None
        if current is not None and (current.source, current.sha256) == (source, sha):
            avatar = current
        elif source.startswith("https://"):
            avatar = Avatar(source, None, sha)
    return dataclasses.replace(voice.profile, avatar=avatar)


def matches(live: Live | None, post: Post, digests: dict[str, str]) -> bool:
    """`live` is exactly this post with these voice digests (contributor id → digest), in this order."""
    if live is None:
        return False
    shown, now = live.post, post
    same_post = (shown.title, shown.date, shown.summary, shown.tags, shown.intro, shown.outro) == \
                (now.title, now.date, now.summary, now.tags, now.intro, now.outro)
    return same_post and [(v.contributor_id, v.digest) for v in live.voices] == list(digests.items())


def keep(site: Site, status: PostStatus) -> bool:
    """When `status` publishes its post as it is now (every voice approved it: Inclusion.PUBLISHED) and the live
    version is not this one, make it the live version, approved on the day of its last approval. Returns whether
    published.yml was written: not when another command wrote it since `status` read it (that one is newer)."""
    if not to_keep(status):
        return False
    post, digests = status.post, {v.contributor_id: v.digest for v in status.voices}
    profiles = {cid: site.contributors[cid].profile for cid in digests}
    approved_on = max(v.record.at for v in status.voices).date()  # every voice approved: each has its record
    return remember(site.config.root, post, profiles, digests, approved_on, status.live)


def to_keep(status: PostStatus) -> bool:
    """`status` publishes its post as it is now (Inclusion.PUBLISHED), and its live version is another one."""
    return status.published_post is status.post and \
        not matches(status.live, status.post, {v.contributor_id: v.digest for v in status.voices})


def remember(site_root: Path, post: Post, profiles: dict[str, Profile], digests: dict[str, str],
             approved_on: dt.date, replacing: Live | None) -> bool:
    """Write `post`, fully approved as it is now, as its live version (atomically, under the post's lock), in
    place of the live version `replacing`; False, writing nothing, when published.yml holds another one by now."""
    data = {
        "approved_on": approved_on.isoformat(), "title": post.title, "date": post.date.isoformat(),
        "summary": post.summary, "tags": list(post.tags), "intro": post.intro, "outro": post.outro,
        "voices": [{"id": q.contributor_id, "digest": digests[q.contributor_id], "quote": quote_snapshot(q),
                    "profile": profile_snapshot(profiles[q.contributor_id])} for q in post.quotes],
    }
    path = path_of(site_root, post)
    with locked(path.parent):
        if read(site_root, post, Problems()) != replacing:
            return False
        remove_temporaries(path)
        atomic_write(path, dump(data, HEADER, blocks=True).encode("utf-8"))
    return True
