"""Asking and chasing, politely: `invite` asks each voice not answered yet; `remind` nudges those still
waiting, at most once every `remind_every` days. A message written without `--send` is delivered by the next
`--send`, as it was written, while it is still the one roundup would write."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from roundup import tokens, unsent
from roundup.approvals import Record, record_event
from roundup.codes import codes_for
from roundup.consent import Sent, finish, thread_of
from roundup.errors import Problem, RoundupError
from roundup.gate import PostStatus, VoiceState, VoiceStatus, assess_post
from roundup.mailer import Outgoing, write
from roundup.messages import invitation_message, reminder_message, require_editor_email
from roundup.model import Post, Site
from roundup.preview import open_comment, require_open, voice_ids
from roundup.cache import read_site
from roundup.threads import continue_thread, fresh_note

Made = tuple[Post, str, Outgoing, bool]
"""A message of a run: its post, the event it is written for, the message, and whether an earlier run wrote it."""


def invite(root: Path, slug: str, contributor_id: str | None, deliver: bool) -> Sent:
    """Write (and optionally send) a personal invitation to each voice of the post not answered yet and
    not invited before; record each in approvals.yml with the message's Message-ID, as unsent until it is
    sent. An invitation written earlier and never sent is sent now (kept as it is, while it is still the one
    roundup would write; otherwise a new one takes its place)."""
    site = read_site(root)
    require_editor_email(site)
    post = _open_post(site, slug, contributor_id, "an invitation")
    status = assess_post(site, post)
    made: list[Made] = []
    skipped = []
    for voice in status.voices:
        if contributor_id not in (None, voice.contributor_id):
            continue
        record = voice.record
        if voice.state is VoiceState.OUT:
            skipped.append(f"{voice.contributor_id}: is not taking part, so no invitation is needed")
        elif voice.state is not VoiceState.UNANSWERED:
            skipped.append(f"{voice.contributor_id}: has answered already, so no invitation is needed")
        elif record and record.invited_at and not unsent.waiting(record.unsent, "invited"):
            skipped.append(f"{voice.contributor_id}: invited on {record.invited_at.date().isoformat()} "
                           f"already; roundup remind {slug} sends a reminder when one is due")
        else:
            quote = next(q for q in post.unanswered if q.contributor_id == voice.contributor_id)
            thread = thread_of(record)
            note = fresh_note(thread, quote.note)
            message = invitation_message(site, post, site.contributors[voice.contributor_id], replace(quote, note=note),
                                         codes_for(site, slug, voice.contributor_id, "", tokens.expiry_for(
                                             post, dt.datetime.now(dt.timezone.utc)), out=True))
            path = site.config.previews / voice.contributor_id / f"{slug}-invitation.eml"
            item = Outgoing(voice.contributor_id, continue_thread(message, thread), path, post=post, note=note)
            made.append(_made(post, "invited", item, record))
    return replace(_deliver(site, made, deliver), skipped=tuple(skipped))


def remind(root: Path, slug: str | None, deliver: bool, now: dt.datetime | None = None) -> Sent:
    """Write (and optionally send) a short reminder to each voice still waiting: invited with no answer,
    or previewed with no answer; never after an answer, never for a cancelled post, and at most once
    every `remind_every` days since roundup last wrote to them (with `deliver`: since it last sent them
    something; a reminder written earlier and never sent is then sent as it is)."""
    site = read_site(root)
    require_editor_email(site)
    now = now or dt.datetime.now(dt.timezone.utc)
    posts = (_open_post(site, slug, None, "a reminder"),) if slug else tuple(
        p for p in site.posts if p.status != "cancelled")
    made: list[Made] = []
    skipped = []
    for post in posts:
        status = assess_post(site, post)
        waiting = [(v, _not_due(site, post, v, now, deliver)) for v in status.voices]
        if post.deadline and post.deadline < now.date() and any(why is None for _, why in waiting):
            skipped.append(f"{post.slug}: the deadline {post.deadline.isoformat()} has passed, so no reminder was "
                           f"written; set a later `deadline` in {post.source} to remind them")
            continue
        for voice, why in waiting:
            if why is None:
                item = reminder_for(site, status, voice, now)
                made.append(_made(post, "reminded", item, voice.record if deliver else None))
            elif slug is not None or voice.state is not VoiceState.APPROVED:
                skipped.append(f"{voice.contributor_id}: {why}" + ("" if slug else f" ({post.slug})"))
    return replace(_deliver(site, made, deliver), skipped=tuple(skipped))


def _made(post: Post, event: str, item: Outgoing, record: Record | None) -> Made:
    """The message written earlier for this event and never sent, when its file still holds it and roundup
    would write the same now (Message-ID and date aside); otherwise the new one, tagged with its event."""
    written = unsent.waiting(record.unsent, event) if record else None
    kept = unsent.on_disk(item.path, written) if written else None
    if kept is not None and unsent.same(kept, item.message):
        return post, event, replace(item, message=kept), True
    unsent.tag(item.message, event)
    return post, event, item, False


def _deliver(site: Site, made: list[Made], deliver: bool) -> Sent:
    """Write the new messages, record each as written and not sent, then send them all when asked to (the
    ones delivered are recorded as sent)."""
    write([item for _, _, item, earlier in made if not earlier])
    for post, event, item, earlier in made:  # only once every message is on disk
        if not earlier:
            record_event(site, post, item.contributor_id, event, str(item.message["Message-ID"]), unsent=True)
    return finish(site, [item for _, _, item, _ in made], deliver, [(post, event) for post, event, _, _ in made],
                  earlier=tuple(str(item.message["Message-ID"]) for _, _, item, earlier in made if earlier))


def _not_due(site: Site, post: Post, voice: VoiceStatus, now: dt.datetime, deliver: bool) -> str | None:
    """Why this voice gets no reminder now, or None when one is due."""
    record = voice.record
    if voice.state is VoiceState.APPROVED:
        return "has approved; nothing to remind them of"
    if voice.state is VoiceState.OUT:
        return "is not taking part; nothing to remind them of"
    if record and record.decision == "declined" and record.digest == voice.digest:
        return "asked for changes; a new preview answers them, not a reminder"
    if voice.state is VoiceState.UNANSWERED and not (record and record.invited_at):
        return "was never invited: roundup invite asks them first"
    if voice.state is not VoiceState.UNANSWERED and not (record and record.previewed_digest == voice.digest):
        return "has no preview of their words as they are now: roundup preview sends one"
    assert record is not None
    if deliver and (why := _not_sent(post, voice, record)):
        return why
    last = _last_sent(record) if deliver else record.contacted_at
    every = dt.timedelta(days=site.config.remind_every)
    if last and now - last < every:
        pending = unsent.waiting(record.unsent, "reminded") and record.reminded_at
        return (f"last written to on {last.date().isoformat()}; the next reminder is due on "
                f"{(last + every).date().isoformat()} (remind_every: {site.config.remind_every} days)"
                + (f"; the reminder written on {pending.date().isoformat()} is not sent yet: roundup remind "
                   f"{post.slug} --send sends it" if pending else ""))
    return None


def _not_sent(post: Post, voice: VoiceStatus, record: Record) -> str | None:
    """With --send: the message a reminder would remind them of (the invitation, or the preview) was written
    and never sent, so no reminder goes out; what sends it instead."""
    cid = voice.contributor_id
    if voice.state is VoiceState.UNANSWERED and unsent.waiting(record.unsent, "invited"):
        return (f"the invitation written on {record.invited_at.date().isoformat()} was never sent, so no reminder "
                f"is sent: roundup invite {post.slug} --contributor {cid} --send sends it")
    if voice.state is not VoiceState.UNANSWERED and unsent.waiting(record.unsent, "previewed"):
        return (f"the preview written on {record.previewed_at.date().isoformat()} was never sent, so no reminder "
                f"is sent: roundup preview {cid} --post {post.slug} --send sends a new one")
    return None


def _last_sent(record: Record) -> dt.datetime | None:
    """When roundup last sent them something about this post (a reminder written and not sent yet aside)."""
    times = {"invited": record.invited_at, "previewed": record.previewed_at, "reminded": record.reminded_at}
    return max((at for event, at in times.items() if at and not unsent.waiting(record.unsent, event)), default=None)


def reminder_for(site: Site, status: PostStatus, voice: VoiceStatus, now: dt.datetime) -> Outgoing:
    """The reminder due to one voice (the question again, or the preview's buttons), as `remind` writes it."""
    post, person = status.post, site.contributors[voice.contributor_id]
    previewed = voice.state is not VoiceState.UNANSWERED  # waiting on their look at the preview
    codes = codes_for(site, post.slug, person.id, voice.digest, tokens.expiry_for(post, now), approve=previewed,
                      changes=previewed, out=True)
    quote = next(q for q in (*post.quotes, *post.unanswered) if q.contributor_id == person.id)
    thread = thread_of(voice.record)
    note = fresh_note(thread, quote.remind_note)
    message = continue_thread(reminder_message(site, post, person, quote, codes,
                                               open_comment(voice.record) if previewed else None, note), thread)
    return Outgoing(person.id, message, site.config.previews / person.id / f"{post.slug}-reminder.eml", post=post,
                    note=note)


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
