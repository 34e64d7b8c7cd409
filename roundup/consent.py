"""The consent loop: previews out, approvals in by token, and notices when a post is cancelled or published."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

from roundup import live, tokens
from roundup.approvals import read_records, record, record_preview
from roundup.errors import Problem, Problems, RoundupError
from roundup.fsutil import atomic_write
from roundup.gate import Inclusion, PostStatus, VoiceState, assess_post
from roundup.mailer import Delivery, Outgoing, send, write
from roundup.messages import cancel_message, preview_message, require_editor_email, thank_message
from roundup.model import Post, Site
from roundup.preview import due, make_preview, voice_ids
from roundup.cache import read_site
from roundup.status import indexed, read_posts


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


def preview(root: Path, contributor_id: str | None, slug: str | None, deliver: bool) -> Sent:
    """Write (and optionally send) a preview and message for every voice of theirs (or of the post, with
    no contributor) awaiting an answer."""
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
        folder.mkdir(parents=True, exist_ok=True)
        html_path = folder / f"{status.post.slug}.html"
        atomic_write(html_path, made.html)
        note = next(q.note for q in status.post.quotes if q.contributor_id == voice.contributor_id)
        message = preview_message(site, status.post, made.contributor, note, made.info, made.html)
        outgoing.append(Outgoing(voice.contributor_id, message, folder / f"{status.post.slug}.eml", html_path))
    write(outgoing)
    for (status, voice), item in zip(pending.voices, outgoing):  # only once the page and message are on disk
        record_preview(site, status.post, voice.contributor_id, voice.digest, item.message["Message-ID"])
    sent = finish(site, outgoing, deliver)
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
    digests = {v.contributor_id: v.digest for v in status.voices}
    if status.inclusion is Inclusion.PUBLISHED and not live.matches(status.live, post, digests):
        profiles = {cid: site.contributors[cid].profile for cid in digests}
        live.remember(site.config.root, post, profiles, digests, max(v.record.at for v in status.voices).date())
    return status


def _recorded(status: PostStatus, contributor_id: str, decision: str, reason: str | None) -> bool:
    """This very answer is already on record for the voice as it is now."""
    voice = next((v for v in status.voices if v.contributor_id == contributor_id), None)
    record = voice.record if voice else None
    return bool(record and record.decision == decision and record.digest == voice.digest
                and (decision == "approved" or record.reason == reason))


def check_token(site: Site, token: str, now: dt.datetime) -> tuple[PostStatus, tokens.Claims]:
    """The post a genuine, unexpired token approves a voice of, with its claims; RoundupError when the
    token is not genuine, has expired, or was made for words that changed since."""
    secret = tokens.secret_for(site.config.root)
    claims = tokens.verify(secret, token, now, ((cid, p.slug) for p in site.posts for cid in voice_ids(p)))
    post = site.post(claims.slug)
    status = assess_post(site, post)
    voice = next(v for v in status.voices if v.contributor_id == claims.contributor_id)
    if voice.state is VoiceState.UNANSWERED or not claims.matches(voice.digest):
        raise RoundupError(f"{claims.contributor_id}'s voice in {post.slug} (the quote, their profile or the "
                           "post's text) changed after this preview was sent, so this token cannot approve it; "
                           f"nothing was recorded — send a new preview: roundup preview {claims.contributor_id} "
                           f"--post {post.slug}")
    return status, claims


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
    told = [q.contributor_id for q in post.quotes] + [q.contributor_id for q in post.unanswered
                                                      if q.contributor_id in records and records[q.contributor_id].invited_at]
    outgoing = [Outgoing(cid, cancel_message(site, post, site.contributors[cid], reason, was_online),
                         site.config.previews / cid / f"{post.slug}.cancelled.eml")
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
    base = site.config.base_url
    outgoing = [Outgoing(q.contributor_id,
                         thank_message(site, shown, site.contributors[q.contributor_id],
                                       f"{base}posts/{post.slug}/#voice-{q.contributor_id}"),
                         site.config.previews / q.contributor_id / f"{post.slug}.thanks.eml")
                for q in shown.quotes if q.contributor_id in site.contributors]
    write(outgoing)
    return finish(site, outgoing, deliver)


def finish(site: Site, outgoing: list[Outgoing], deliver: bool) -> Sent:
    """Deliver the messages (already written to disk) when asked to."""
    delivery = send(site.config.mail, outgoing) if deliver else Delivery()
    no_email = tuple(dict.fromkeys(o.contributor_id for o in outgoing if not o.message["To"]))
    return Sent(tuple(outgoing), delivery.failures, setting=delivery.setting, no_email=no_email)


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
