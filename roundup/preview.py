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
from roundup.gate import PostStatus, VoiceState, VoiceStatus, assess_post
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
    declined_on: str | None = None
    """When they last asked for changes (this preview answers that request)."""
    declined_reason: str | None = None
    """What they asked for, in their words, quoted back to them."""


@dataclass(frozen=True, slots=True)
class Preview:
    """One contributor's preview of one post: the page, the token, and what the message needs."""

    contributor: Contributor
    status: PostStatus
    voice: VoiceStatus
    token: str
    info: PreviewInfo
    html: bytes


def due(site: Site, contributor_id: str, slug: str | None) -> tuple[list[tuple[PostStatus, VoiceStatus]], list[str]]:
    """The (post, voice) pairs where this contributor's approval is missing, stale or declined, and the
    slugs of the cancelled posts they are in (never previewed: named, so nobody wonders why);
    only the posts they are a voice in are assessed."""
    if contributor_id not in site.contributors:
        raise RoundupError([Problem(f"contributors/{contributor_id}.yml", None, "no such contributor")])
    posts = (site.post(slug),) if slug is not None else site.posts
    theirs = [p for p in posts if any(q.contributor_id == contributor_id for q in p.quotes)]
    if slug is not None and not theirs:
        raise RoundupError(f"posts/{slug}/post.md: {contributor_id!r} is not a voice in this post")
    cancelled = [p for p in theirs if p.status == "cancelled"]
    if slug is not None and cancelled:
        raise RoundupError([Problem(cancelled[0].source, None, "is cancelled (status: cancelled), so no preview "
                                    "was written; set `status: ready` to run it after all")])
    found = [(status, voice) for status in (assess_post(site, p) for p in theirs if p not in cancelled)
             for voice in status.voices if voice.contributor_id == contributor_id]
    return [(s, v) for s, v in found if v.state is not VoiceState.APPROVED], [p.slug for p in cancelled]


def make_preview(site: Site, status: PostStatus, voice: VoiceStatus, now: dt.datetime,
                 published: frozenset[str] | None = None) -> Preview:
    """Render the self-contained preview page for one voice (nothing is written here); it links only to the
    `published` pages (`views.published_paths`, worked out here when not given)."""
    post, config = status.post, site.config
    contributor = site.contributors[voice.contributor_id]
    secret = tokens.secret_for(config.root)
    token = tokens.make(secret, tokens.Claims(contributor.id, post.slug, voice.digest,
                                              tokens.expiry_for(post, now)))
    info = _info(site, status, voice, contributor, token)
    views = Views(site, (status,), drafts=True)
    if published is None:  # links lead only to pages that exist
        published = published_paths(site, (post,))
    context = {
        "site": views.site_view, "root": config.base_url, "drafts": False, "preview": info,
        "canonical": views.posts[0].abs_url if views.posts[0].path in published else None,
        "inline_css": _inline_css(site),
        "post": as_preview(views.posts[0], contributor.id, _inline_avatars(site, status, contributor.id), published),
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
    declined = record is not None and record.decision == "declined"
    return PreviewInfo(contributor.profile.name, editor.name, line, mailto,
                       display_date(post.deadline) if post.deadline else None, shown, answered,
                       display_date(record.at.date()) if declined else None, record.reason if declined else None)


def _inline_css(site: Site) -> Markup:
    """The theme's stylesheet, to be placed in a <style> element."""
    source = static_files(site.config).get("static/style.css")
    css = source.read_text(encoding="utf-8") if source else ""
    return Markup(css.replace("</", "<\\/"))


def shown_voices(site: Site, status: PostStatus, contributor_id: str) -> set[str]:
    """Whose words a preview for `contributor_id` shows: their own, and those of the voices already approved
    (every voice with `preview_others: all`); the others appear by name only."""
    if site.config.preview_others == "all":
        return {v.contributor_id for v in status.voices}
    return {v.contributor_id for v in status.voices
            if v.contributor_id == contributor_id or v.state is VoiceState.APPROVED}


def _inline_avatars(site: Site, status: PostStatus, contributor_id: str) -> dict[str, AvatarView]:
    """Contributor id → their picture as a data: URI (a remote photo becomes initials), for every voice
    shown in full; the voices shown by name only get none (their picture is not theirs to share yet)."""
    inline = {}
    shown = shown_voices(site, status, contributor_id)
    for quote in status.post.quotes:
        if quote.contributor_id not in shown:
            continue
        person = site.contributors[quote.contributor_id]
        uri, placeholder = avatars.data_uri(site.config.root, person)
        inline[person.id] = AvatarView(uri, avatar_alt(person.profile.name, placeholder), placeholder=placeholder)
    return inline
