"""The consent loop: previews out, approvals in by token, and notices when a post is cancelled or published."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from roundup import codes, live, sentmail, tokens, unsent
from roundup.approvals import Record, read_records, record, record_event, record_sent
from roundup.errors import Problem, Problems, RoundupError
from roundup.fsutil import atomic_write
from roundup.gate import PostStatus, assess_post
from roundup.mailer import PRIVATE_FILE, Delivery, Outgoing, private_folder, send, write
from roundup.messages import cancel_message, preview_message, require_editor_email, thank_message
from roundup.model import Post, Site
from roundup.preview import due, make_preview
from roundup.cache import read_site
from roundup.status import indexed, read_posts
from roundup.threads import Thread, continue_thread, fresh_note


@dataclass(frozen=True, slots=True)
class Sent:
    """What a consent command wrote, and which deliveries failed (when sending)."""

    written: tuple[Outgoing, ...]
    """Every message written, one per contributor and post."""
    failures: tuple[str, ...]
    """One line per contributor not reached: "zoe: the server refused …"."""
    already: bool = False
    """`cancel`: the post was cancelled before, so nothing was written or sent again."""
    cancelled: tuple[str, ...] = ()
    """`preview`: the cancelled posts the contributor is in, which get no preview."""
    skipped: tuple[str, ...] = ()
    """One line per contributor left out, and why ("zoe: has not answered yet …")."""
    setting: Problem | None = None
    """The `mail:` setting in site.yml to fix, when the mail server itself could not be used."""
    no_email: tuple[str, ...] = ()
    """Contributors with a message written but no `email` to send it to."""
    sent: tuple[str, ...] = ()
    """The Message-IDs of the messages delivered (with --send); every other one is written and not sent."""
    earlier: tuple[str, ...] = ()
    """The Message-IDs of the messages in `written` that an earlier run wrote and never sent: kept as they were."""


def preview(root: Path, contributor_id: str | None, slug: str | None, deliver: bool) -> Sent:
    """Write (and optionally send) a preview and message for every voice of theirs (or of the post, with
    no contributor) awaiting an answer."""
    tokens.secret_for(root, create=False)  # a lost secret is an error before anything is written, the index too
    known = indexed(root)
    if contributor_id is not None and contributor_id not in known.contributors:
        raise RoundupError([Problem(f"contributors/{contributor_id}.yml", None, "no such contributor")])
    theirs = {slug} if slug is not None else {r.slug for r in known.rows.values() if contributor_id in r.voices}
    site = read_posts(root, frozenset(theirs), known)
    require_editor_email(site)
    now = dt.datetime.now(dt.timezone.utc)
    pending = due(site, contributor_id, slug)
    outgoing = []
    published = known.published()
    for status, voice in pending.voices:
        made = make_preview(site, status, voice, now, published)
        folder = site.config.previews / voice.contributor_id
        private_folder(folder)
        html_path = folder / f"{status.post.slug}.html"
        atomic_write(html_path, made.html, PRIVATE_FILE)
        thread = thread_of(voice.record)
        note = fresh_note(thread, next(q.note for q in status.post.quotes if q.contributor_id == voice.contributor_id))
        message = continue_thread(preview_message(site, status.post, made.contributor, note, made.info, made.html),
                                  thread)
        unsent.tag(message, "previewed")
        outgoing.append(Outgoing(voice.contributor_id, message, folder / f"{status.post.slug}.eml", html_path,
                                 status.post, note))
    write(outgoing)
    for (status, voice), item in zip(pending.voices, outgoing):  # only once the page and message are on disk
        record_event(site, status.post, voice.contributor_id, "previewed", str(item.message["Message-ID"]),
                     unsent=True, previewed_digest=voice.digest)  # in place of an earlier preview never sent
    sent = finish(site, outgoing, deliver, [(status.post, "previewed") for status, _ in pending.voices])
    skipped = tuple(f"{cid}: has not answered yet in {slug}, so there is nothing to preview; "
                    f"roundup invite {slug} asks them" for slug, cid in pending.unanswered)
    return replace(sent, cancelled=pending.cancelled, skipped=skipped)


def answer(site: Site, post: Post, contributor_id: str, decision: str, via: str = "cli",
           reason: str | None = None, once: bool = False) -> PostStatus:
    """Record their answer (with `once`, unless this very answer is on record already: `inbox` rerun after
    a crash); when it completes the approvals of a ready post, keep that version as the one to publish
    while any later version waits (published.yml). Returns the post's status now."""
    if not (once and _recorded(assess_post(site, post), contributor_id, decision, reason)):
        record(site, post, contributor_id, decision, via=via, reason=reason)
    status = assess_post(site, post)
    live.keep(site, status)
    return status


def _recorded(status: PostStatus, contributor_id: str, decision: str, reason: str | None) -> bool:
    """This very answer is already on record for the voice as it is now."""
    voice = next((v for v in status.voices if v.contributor_id == contributor_id), None)
    record = voice.record if voice else None
    return bool(record and record.decision == decision and record.digest == voice.digest
                and (decision == "approved" or record.reason == reason))


def comment_of(site: Site, post: Post, contributor_id: str) -> str:
    """Their last comment on the post, as `roundup inbox` kept it; an error naming the file when there is none."""
    record = read_records(site.config.root, post, Problems()).get(contributor_id)
    if record is None or not record.comment:
        raise RoundupError([Problem(f"{post.folder}/approvals.yml", None, f"has no comment from {contributor_id} "
                                    "(`roundup inbox` keeps one when they reply without deciding): give the reason "
                                    "with --reason \"…\" instead")])
    return record.comment


def check_token(site: Site, token: str, now: dt.datetime) -> tuple[PostStatus, tokens.Claims]:
    """The post a genuine, unexpired approval code approves a voice of, with its claims; RoundupError when the
    code is not genuine, has expired, is no approval code, or was made for words that changed since."""
    checked = codes.read(site, token, now, tokens.secret_for(site.config.root))
    if checked.claims.kind is not tokens.Kind.APPROVE:
        raise RoundupError("this code is the Ask-for-changes or Count-me-out button's, not an approval code; "
                           "nothing was recorded")
    if not checked.current:
        raise checked.stale_error()
    return checked.status, checked.claims


def approve_token(root: Path, token: str) -> tuple[PostStatus, str]:
    """Record the approval a signed token carries, if it is genuine, unexpired and still current."""
    site = read_site(root)
    status, claims = check_token(site, token, dt.datetime.now(dt.timezone.utc))
    return answer(site, status.post, claims.contributor_id, "approved", via="token"), claims.contributor_id


def cancel(root: Path, slug: str, deliver: bool, reason: str | None = None) -> Sent:
    """Mark the post cancelled in its front matter and tell every contributor in it (that it was taken
    down, when it was online), quoting the `reason`; a post cancelled before is left as it is."""
    site = read_site(root)
    require_editor_email(site)
    post = site.post(slug)
    if post.status == "cancelled":
        return Sent((), (), already=True)
    was_online = assess_post(site, post).published_post is not None
    _set_status(site.config.root, post, "cancelled")
    records = read_records(site.config.root, post, Problems())
    invited = [q.contributor_id for q in post.unanswered if (r := records.get(q.contributor_id)) and r.invited_at]
    told = [cid for cid in (*(q.contributor_id for q in post.quotes), *invited)  # not who already left
            if not (cid in records and records[cid].decision == "out")]
    answered = {q.contributor_id for q in post.quotes}
    outgoing = [Outgoing(cid, continue_thread(cancel_message(site, post, site.contributors[cid], reason, was_online,
                                                             cid in answered), thread_of(records.get(cid))),
                         site.config.previews / cid / f"{post.slug}.cancelled.eml", post=post)
                for cid in told if cid in site.contributors]
    write(outgoing)
    return finish(site, outgoing, deliver)


def thank(root: Path, slug: str, deliver: bool) -> Sent:
    """A thank-you to every contributor of a published post, with the link to their own voice."""
    site = read_site(root)
    require_editor_email(site)
    post = site.post(slug)
    status = assess_post(site, post)
    shown = status.published_post  # the voices that are online
    if shown is None:
        waiting = "; ".join([*status.post_reasons, *(f"{v.contributor_id}: {v.reason}" for v in status.pending)])
        raise RoundupError([Problem(post.source, None, f"is not published ({waiting or post.status}); "
                                                       "thank-you notes go out once it is")])
    base, records = site.config.base_url, {v.contributor_id: v.record for v in status.voices}
    outgoing = [Outgoing(q.contributor_id,
                         continue_thread(thank_message(site, shown, site.contributors[q.contributor_id],
                                                       f"{base}posts/{post.slug}/#voice-{q.contributor_id}"),
                                         thread_of(records.get(q.contributor_id))),
                         site.config.previews / q.contributor_id / f"{post.slug}.thanks.eml", post=post)
                for q in shown.quotes if q.contributor_id in site.contributors]
    write(outgoing)
    return finish(site, outgoing, deliver)


def thread_of(record: Record | None) -> Thread:
    """Their conversation about the post so far (none yet without a record)."""
    return record.thread if record else Thread()


def finish(site: Site, outgoing: list[Outgoing], deliver: bool, events: Sequence[tuple[Post, str]] = (),
           earlier: tuple[str, ...] = ()) -> Sent:
    """Deliver the messages (already written to disk) when asked to. With `events` (the post and the event
    each message was written for, in order), each one delivered is recorded as sent: it leaves `unsent` in
    its voice's entry, and the event's time becomes now; one not delivered stays unsent, for the next --send."""
    sentmail.keep(site.config.root, outgoing)  # so the inbox knows its own words in their replies
    delivery = send(site.config.mail, outgoing) if deliver else Delivery()
    failed = {line.split(":", 1)[0] for line in delivery.failures}  # each line starts with the contributor's id
    went = tuple(str(o.message["Message-ID"]) for o in outgoing
                 if deliver and o.message["To"] and o.contributor_id not in failed)
    for item, (post, event) in zip(outgoing, events):
        if str(item.message["Message-ID"]) in went:
            record_event(site, post, item.contributor_id, event, sent=(str(item.message["Message-ID"]),))
    for item in outgoing:  # each one delivered continues their conversation about the post
        if item.post is not None and str(item.message["Message-ID"]) in went:
            record_sent(site, item.post, item.contributor_id, str(item.message["Message-ID"]),
                        str(item.message["Subject"]), item.note)
    no_email = tuple(dict.fromkeys(o.contributor_id for o in outgoing if not o.message["To"]))
    return Sent(tuple(outgoing), delivery.failures, setting=delivery.setting, no_email=no_email, sent=went,
                earlier=earlier)


_STATUS_LINE = re.compile(r"^status[ \t]*:[^\r\n]*", re.MULTILINE)
_FENCE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


def _set_status(root: Path, post: Post, status: str) -> None:
    """Set `status:` in a post's front matter; every other byte (BOM, line endings) stays as written."""
    path = root / post.source
    raw = path.read_bytes().decode("utf-8")
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    text = raw[len(bom):]
    end = _FENCE.search(text, text.find("\n") + 1) if _FENCE.match(text) else None
    if end is None:
        raise RoundupError([Problem(post.source, 1, f"has no front matter to set `status: {status}` in")])
    front = text[:end.start()]
    if _STATUS_LINE.search(front):
        front = _STATUS_LINE.sub(f"status: {status}", front, count=1)
    else:
        front += f"status: {status}" + ("\r\n" if front.endswith("\r\n") else "\n")
    atomic_write(path, (bom + front + text[end.start():]).encode("utf-8"))
