"""`roundup preview`: for each voice awaiting a contributor's answer, a private self-contained page and message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from markupsafe import Markup

from roundup import avatars, tokens
from roundup.approvals import Record, approved_copy
from roundup.codes import Codes, codes_for
from roundup.diff import Change, changes
from roundup.digest import snapshot
from roundup.errors import Problem, RoundupError, UsageError
from roundup.gate import PostStatus, VoiceState, VoiceStatus, assess_post
from roundup.i18n import Translator
from roundup.messages import Said, answer_links, words_for
from roundup.model import Contributor, Post, Site
from roundup.theme import environment, render_template, speaking, static_files
from roundup.views import Views, as_preview, avatar_alt
from roundup.viewtypes import AvatarView


@dataclass(frozen=True, slots=True)
class PreviewInfo:
    """What the preview page adds around the post: who it is for, and how to answer."""

    name: str
    editor_name: str
    token: str
    approve_mailto: str
    """Opens their approval, ready to send: the token in the subject and the body."""
    changes_mailto: str
    """Opens a message to the editor asking for changes, with room for their words."""
    deadline_display: str | None
    changes: tuple[Change, ...]
    answered_on: str | None
    """The date of their last answer, when the preview shows what changed since."""
    declined_on: str | None = None
    """When they last asked for changes (this preview answers that request)."""
    declined_reason: str | None = None
    """What they asked for, in their words, quoted back to them."""
    comment_on: str | None = None
    """When they last wrote a comment since their last answer (this preview answers it)."""
    comment: str | None = None
    """That comment, in their words, quoted back to them."""
    first_answer: bool = False
    """Their answer is new: nothing decided about it yet, no comment since (the message thanks them for it)."""
    alongside: tuple[str, ...] = ()
    """The names of the other voices whose words the page shows, in the post's order (the others by name only)."""


@dataclass(frozen=True, slots=True)
class Preview:
    """One contributor's preview of one post: the page, the token, and what the message needs."""

    contributor: Contributor
    status: PostStatus
    voice: VoiceStatus
    token: str
    info: PreviewInfo
    html: bytes


@dataclass(frozen=True, slots=True)
class Due:
    """The voices a `preview` run writes for, and the ones it leaves out, named so nobody wonders why."""

    voices: tuple[tuple[PostStatus, VoiceStatus], ...]
    """The (post, voice) pairs whose approval is missing, stale or declined."""
    cancelled: tuple[str, ...]
    """The slugs of the cancelled posts among them (never previewed)."""
    unanswered: tuple[tuple[str, str], ...] = ()
    """(slug, contributor id) of the voices with no words yet: an invitation asks for them first."""


def due(site: Site, contributor_id: str | None, slug: str | None) -> Due:
    """What `preview` writes: for one contributor (in one post or all of theirs), or for every voice of
    one post awaiting an answer; only the posts concerned are assessed."""
    if contributor_id is not None and contributor_id not in site.contributors:
        raise RoundupError([Problem(f"contributors/{contributor_id}.yml", None, "no such contributor")])
    if contributor_id is None and slug is None:
        raise UsageError("usage: roundup preview <contributor> [--post SLUG] | roundup preview --post SLUG")
    posts = (site.post(slug),) if slug is not None else site.posts
    theirs = [p for p in posts if contributor_id is None or contributor_id in voice_ids(p)]
    if slug is not None and not theirs:
        raise RoundupError(f"posts/{slug}/post.md: {contributor_id!r} is not a voice in this post")
    cancelled = [p for p in theirs if p.status == "cancelled"]
    if slug is not None and cancelled:
        raise RoundupError([Problem(cancelled[0].source, None, "is cancelled (status: cancelled), so no preview "
                                    "was written; set `status: ready` to run it after all")])
    found = [(status, voice) for status in (assess_post(site, p) for p in theirs if p not in cancelled)
             for voice in status.voices if contributor_id in (None, voice.contributor_id)]
    for post in {s.post.slug: s.post for s, v in found if v.state is not VoiceState.APPROVED}.values():
        require_open(site, post, "a preview")
    return Due(tuple((s, v) for s, v in found if v.state not in (VoiceState.APPROVED, VoiceState.UNANSWERED,
                                                                  VoiceState.OUT)),
               tuple(p.slug for p in cancelled),
               tuple((s.post.slug, v.contributor_id) for s, v in found if v.state is VoiceState.UNANSWERED))


def voice_ids(post: Post) -> tuple[str, ...]:
    """Every voice of a post, answered or not."""
    return tuple(q.contributor_id for q in (*post.quotes, *post.unanswered))


def require_open(site: Site, post: Post, what: str, today: dt.date | None = None) -> None:
    """Refuse to write `what` for a post whose deadline has passed: its token (or its request) would
    already be out of date."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if post.deadline and post.deadline < today:
        raise RoundupError([Problem(post.source, deadline_line(site, post), f"the deadline {post.deadline.isoformat()} "
                                    f"has passed, so {what} for {post.slug} would ask for an answer nobody can "
                                    "give any more: set a later `deadline` there and run this again (approvals "
                                    "already given stay as they are)")])


def deadline_line(site: Site, post: Post) -> int | None:
    """The line of `deadline:` in post.md, for messages."""
    try:
        lines = (site.config.root / post.source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, line in enumerate(lines, 1) if line.startswith("deadline:")), None)


def make_preview(site: Site, status: PostStatus, voice: VoiceStatus, now: dt.datetime,
                 published: frozenset[str]) -> Preview:
    """Render the self-contained preview page for one voice (nothing is written here); it links only to the
    `published` pages (see `status.Indexed.published`)."""
    post, config = status.post, site.config
    contributor = site.contributors[voice.contributor_id]
    codes = codes_for(site, post.slug, contributor.id, voice.digest, tokens.expiry_for(post, now), approve=True,
                      changes=True)
    frame = words_for(site, contributor)
    views = Views(site, (status,), drafts=True)
    view = as_preview(views.view(post.slug), contributor.id, _inline_avatars(site, status, contributor.id, views.words),
                      published, views.words)
    info = replace(_info(site, status, voice, contributor, codes, frame),
                   alongside=tuple(v.name for v in view.voices if not v.awaiting and v.id != contributor.id))
    context = {
        "site": views.site_view, "root": config.base_url, "drafts": False, "preview": info,
        "canonical": view.abs_url if view.path in published else None,
        "inline_css": _inline_css(site),
        "post": view,
        "frame": {**speaking(frame), "lang": frame.language.tag, "dir": frame.direction},
        "share": None,  # a private file: no sharing card, no JSON-LD pointing at remote pictures
    }
    html = render_template(environment(config, views.words), config.root, "preview.html", context,
                           f"{config.previews.name}/{contributor.id}/{post.slug}.html")
    return Preview(contributor, status, voice, codes.approve or "", info, html.encode("utf-8"))


def _info(site: Site, status: PostStatus, voice: VoiceStatus, contributor: Contributor, codes: Codes,
          words: Translator) -> PreviewInfo:
    """The frame's part of a preview, in its reader's language (`words`)."""
    post, editor = status.post, site.config.editor
    links = answer_links(site, post, codes, words)
    quote = next(q for q in post.quotes if q.contributor_id == contributor.id)
    record = voice.record
    shown = changes(approved_copy(record) if record and record.decision else None,
                    snapshot(post, quote, contributor.profile))
    answered = words.date(record.at.date()) if record and record.decision and shown else None
    declined = record is not None and record.decision == "declined"
    comment = open_comment(record)
    return PreviewInfo(contributor.profile.name, editor.name, codes.approve or "", links["approve"], links["changes"],
                       words.date(post.deadline) if post.deadline else None, shown, answered,
                       words.date(record.at.date()) if declined else None, record.reason if declined else None,
                       words.date(comment.day) if comment else None, comment.text if comment else None,
                       first_answer=not (record and record.decision) and comment is None)


def open_comment(record: Record | None) -> Said | None:
    """Their last comment, when it came after their last decision (nothing has answered it but a preview)."""
    if record is None or record.commented_at is None or not record.comment:
        return None
    if record.at is not None and record.commented_at <= record.at:
        return None
    return Said(record.commented_at.date(), record.comment)


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


def _inline_avatars(site: Site, status: PostStatus, contributor_id: str, words: Translator) -> dict[str, AvatarView]:
    """Contributor id → their picture as a data: URI (a remote photo becomes initials), for every voice
    shown in full; the voices shown by name only get none (their picture is not theirs to share yet)."""
    inline = {}
    shown = shown_voices(site, status, contributor_id)
    for quote in status.post.quotes:
        if quote.contributor_id not in shown:
            continue
        person = site.contributors[quote.contributor_id]
        uri, placeholder = avatars.data_uri(site.config.root, person)
        inline[person.id] = AvatarView(uri, avatar_alt(words, person.profile.name, placeholder), placeholder=placeholder)
    return inline
