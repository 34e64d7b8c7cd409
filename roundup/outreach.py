"""Asking and chasing, politely: `invite` asks each voice not answered yet; `remind` nudges those still
waiting, at most once every `remind_every` days."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from roundup import tokens
from roundup.approvals import record_event
from roundup.consent import Sent, finish
from roundup.errors import Problem, RoundupError
from roundup.gate import PostStatus, VoiceState, VoiceStatus, assess_post
from roundup.mailer import Outgoing, write
from roundup.messages import invitation_message, reminder_message, require_editor_email
from roundup.model import Post, Site
from roundup.preview import require_open, voice_ids
from roundup.cache import read_site


def invite(root: Path, slug: str, contributor_id: str | None, deliver: bool) -> Sent:
    """Write (and optionally send) a personal invitation to each voice of the post not answered yet and
    not invited before; record each in approvals.yml with the message's Message-ID."""
    site = read_site(root)
    require_editor_email(site)
    post = _open_post(site, slug, contributor_id, "an invitation")
    status = assess_post(site, post)
    outgoing, skipped = [], []
    for voice in status.voices:
        if contributor_id not in (None, voice.contributor_id):
            continue
        if voice.state is not VoiceState.UNANSWERED:
            skipped.append(f"{voice.contributor_id}: has answered already, so no invitation is needed")
        elif voice.record and voice.record.invited_at:
            skipped.append(f"{voice.contributor_id}: invited on {voice.record.invited_at.date().isoformat()} "
                           f"already; roundup remind {slug} sends a reminder when one is due")
        else:
            quote = next(q for q in post.unanswered if q.contributor_id == voice.contributor_id)
            message = invitation_message(site, post, site.contributors[voice.contributor_id], quote)
            path = site.config.previews / voice.contributor_id / f"{slug}-invitation.eml"
            outgoing.append(Outgoing(voice.contributor_id, message, path))
    write(outgoing)
    for item in outgoing:  # only once every message is on disk
        record_event(site, post, item.contributor_id, "invited", item.message["Message-ID"])
    return replace(finish(site, outgoing, deliver), skipped=tuple(skipped))


def remind(root: Path, slug: str | None, deliver: bool, now: dt.datetime | None = None) -> Sent:
    """Write (and optionally send) a short reminder to each voice still waiting: invited with no answer,
    or previewed with no answer; never after an answer, never for a cancelled post, and at most once
    every `remind_every` days since roundup last wrote to them."""
    site = read_site(root)
    require_editor_email(site)
    now = now or dt.datetime.now(dt.timezone.utc)
    posts = (_open_post(site, slug, None, "a reminder"),) if slug else tuple(
        p for p in site.posts if p.status != "cancelled")
    made: list[tuple[Post, Outgoing]] = []
    skipped = []
    for post in posts:
        status = assess_post(site, post)
        waiting = [(v, _not_due(site, v, now)) for v in status.voices]
        if post.deadline and post.deadline < now.date() and any(why is None for _, why in waiting):
            skipped.append(f"{post.slug}: the deadline {post.deadline.isoformat()} has passed, so no reminder was "
                           f"written; set a later `deadline` in {post.source} to remind them")
            continue
        for voice, why in waiting:
            if why is None:
                made.append((post, _reminder(site, status, voice, now)))
            elif slug is not None or voice.state is not VoiceState.APPROVED:
                skipped.append(f"{voice.contributor_id}: {why}" + ("" if slug else f" ({post.slug})"))
    write([item for _, item in made])
    for post, item in made:  # only once every message is on disk
        record_event(site, post, item.contributor_id, "reminded", item.message["Message-ID"])
    return replace(finish(site, [item for _, item in made], deliver), skipped=tuple(skipped))


def _not_due(site: Site, voice: VoiceStatus, now: dt.datetime) -> str | None:
    """Why this voice gets no reminder now, or None when one is due."""
    record = voice.record
    if voice.state is VoiceState.APPROVED:
        return "has approved; nothing to remind them of"
    if record and record.decision == "declined" and record.digest == voice.digest:
        return "asked for changes; a new preview answers them, not a reminder"
    if voice.state is VoiceState.UNANSWERED and not (record and record.invited_at):
        return "was never invited: roundup invite asks them first"
    if voice.state is not VoiceState.UNANSWERED and not (record and record.previewed_digest == voice.digest):
        return "has no preview of their words as they are now: roundup preview sends one"
    last = record.contacted_at if record else None
    every = dt.timedelta(days=site.config.remind_every)
    if last and now - last < every:
        return (f"last written to on {last.date().isoformat()}; the next reminder is due on "
                f"{(last + every).date().isoformat()} (remind_every: {site.config.remind_every} days)")
    return None


def _reminder(site: Site, status: PostStatus, voice: VoiceStatus, now: dt.datetime) -> Outgoing:
    post, person = status.post, site.contributors[voice.contributor_id]
    token = None
    if voice.state is not VoiceState.UNANSWERED:  # waiting on their look at the preview
        claims = tokens.Claims(person.id, post.slug, tokens.fingerprint(voice.digest), tokens.expiry_for(post, now))
        token = tokens.make(tokens.secret_for(site.config.root), claims)
    message = reminder_message(site, post, person, token)
    return Outgoing(person.id, message, site.config.previews / person.id / f"{post.slug}-reminder.eml")


def _open_post(site: Site, slug: str, contributor_id: str | None, what: str) -> Post:
    """The post to write to its voices about: it exists, is not cancelled, and its deadline is ahead."""
    post = site.post(slug)
    if post.status == "cancelled":
        raise RoundupError([Problem(post.source, None, f"is cancelled (status: cancelled), so no {what.split()[-1]} "
                                    "was written; set `status: ready` to run it after all")])
    if contributor_id is not None and contributor_id not in voice_ids(post):
        raise RoundupError([Problem(post.source, None, f"{contributor_id!r} is not a voice in this post "
                                    f"(voices: {', '.join(voice_ids(post)) or 'none'})")])
    require_open(site, post, what)
    return post
