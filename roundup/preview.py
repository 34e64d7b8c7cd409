"""`roundup preview`: for each voice awaiting a contributor's answer, a private self-contained page and message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote as urlquote

from markupsafe import Markup

from roundup import avatars, tokens
from roundup.approvals import approved_copy
from roundup.diff import Change, changes
from roundup.digest import snapshot
from roundup.errors import Problem, RoundupError
from roundup.gate import Inclusion, PostStatus, VoiceState, VoiceStatus, assess_post
from roundup.model import Contributor, Site
from roundup.render import environment, render_template, static_files
from roundup.views import AvatarView, Views, as_preview, avatar_alt, display_date, published_paths


@dataclass(frozen=True, slots=True)
class PreviewInfo:
    """What the preview page adds around the post: who it is for, and how to answer."""

    name: str
    editor_name: str
    approve_line: str
    mailto: str
    deadline_display: str | None
    changes: tuple[Change, ...]
    answered_on: str | None
    """The date of their last answer, when the preview shows what changed since."""


@dataclass(frozen=True, slots=True)
class Preview:
    """One contributor's preview of one post: the page, the token, and what the message needs."""

    contributor: Contributor
    status: PostStatus
    voice: VoiceStatus
    token: str
    info: PreviewInfo
    html: bytes


def due(site: Site, contributor_id: str, slug: str | None) -> list[tuple[PostStatus, VoiceStatus]]:
    """The (post, voice) pairs where this contributor's approval is missing, stale or declined;
    only the posts they are a voice in are assessed."""
    if contributor_id not in site.contributors:
        raise RoundupError([Problem(f"contributors/{contributor_id}.yml", None, "no such contributor")])
    posts = (site.post(slug),) if slug is not None else site.posts
    theirs = [p for p in posts if any(q.contributor_id == contributor_id for q in p.quotes)]
    if slug is not None and not theirs:
        raise RoundupError(f"posts/{slug}/post.md: {contributor_id!r} is not a voice in this post")
    found = [(status, voice) for status in (assess_post(site, p) for p in theirs) for voice in status.voices
             if voice.contributor_id == contributor_id]
    return [(s, v) for s, v in found
            if s.inclusion is not Inclusion.CANCELLED and v.state is not VoiceState.APPROVED]


def make_preview(site: Site, status: PostStatus, voice: VoiceStatus, now: dt.datetime) -> Preview:
    """Render the self-contained preview page for one voice (nothing is written here)."""
    post, config = status.post, site.config
    contributor = site.contributors[voice.contributor_id]
    secret = tokens.secret_for(config.root)
    token = tokens.make(secret, tokens.Claims(contributor.id, post.slug, voice.digest,
                                              tokens.expiry_for(post, now)))
    info = _info(site, status, voice, contributor, token)
    views = Views(site, (status,), drafts=True)
    published = published_paths(site, post)  # links lead only to pages that exist
    context = {
        "site": views.site_view, "root": config.base_url, "drafts": False, "preview": info,
        "canonical": views.posts[0].abs_url if views.posts[0].path in published else None,
        "inline_css": _inline_css(site),
        "post": as_preview(views.posts[0], contributor.id, _inline_avatars(site, status), published),
        "share": None,  # a private file: no sharing card, no JSON-LD pointing at remote pictures
    }
    html = render_template(environment(config), config.root, "preview.html", context,
                           f"{config.previews.name}/{contributor.id}/{post.slug}.html")
    return Preview(contributor, status, voice, token, info, html.encode("utf-8"))


def _info(site: Site, status: PostStatus, voice: VoiceStatus, contributor: Contributor, token: str) -> PreviewInfo:
    post, editor = status.post, site.config.editor
    line = f"roundup approve --token {token}"
    subject = urlquote(f"Approved: {post.title}")
    mailto = f"mailto:{editor.email or ''}?subject={subject}&body={urlquote(line)}"
    quote = next(q for q in post.quotes if q.contributor_id == contributor.id)
    record = voice.record
    shown = changes(approved_copy(record) if record and record.decision else None,
                    snapshot(post, quote, contributor.profile))
    answered = record.at.date().isoformat() if record and record.decision and shown else None
    return PreviewInfo(contributor.profile.name, editor.name, line, mailto,
                       display_date(post.deadline) if post.deadline else None, shown, answered)


def _inline_css(site: Site) -> Markup:
    """The theme's stylesheet, to be placed in a <style> element."""
    source = static_files(site.config).get("static/style.css")
    css = source.read_text(encoding="utf-8") if source else ""
    return Markup(css.replace("</", "<\\/"))


def _inline_avatars(site: Site, status: PostStatus) -> dict[str, AvatarView]:
    """Contributor id → their picture as a data: URI (a remote photo becomes initials), for every voice."""
    inline = {}
    for quote in status.post.quotes:
        person = site.contributors[quote.contributor_id]
        uri, placeholder = avatars.data_uri(site.config.root, person)
        inline[person.id] = AvatarView(uri, avatar_alt(person.profile.name, placeholder), placeholder=placeholder)
    return inline
