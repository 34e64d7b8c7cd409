"""The consent loop: previews out, approvals in by token, and notices when a post is cancelled or published."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

from roundup import live, tokens
from roundup.approvals import record, record_preview
from roundup.errors import Problem, RoundupError
from roundup.fsutil import atomic_write
from roundup.gate import Inclusion, PostStatus, assess_post
from roundup.mailer import Delivery, Outgoing, send, write
from roundup.messages import cancel_message, preview_message, require_editor_email, thank_message
from roundup.model import Post, Site
from roundup.preview import due, make_preview
from roundup.validate import read_site
from roundup.views import published_paths


@dataclass(frozen=True, slots=True)
class Sent:
    """What a consent command wrote, and which deliveries failed (when sending)."""

    written: tuple[Path, ...]
    failures: tuple[str, ...]
    already: bool = False
    """`cancel`: the post was cancelled before, so nothing was written or sent again."""
    cancelled: tuple[str, ...] = ()
    """`preview`: the cancelled posts the contributor is in, which get no preview."""
    setting: Problem | None = None
    """The `mail:` setting in site.yml to fix, when the mail server itself could not be used."""
    no_email: tuple[str, ...] = ()
    """Contributors with a message written but no `email` to send it to."""


def preview(root: Path, contributor_id: str, slug: str | None, deliver: bool) -> Sent:
    """Write (and optionally send) a preview and message for every voice of theirs awaiting an answer."""
    site = read_site(root)
    require_editor_email(site)
    now = dt.datetime.now(dt.timezone.utc)
    pending, cancelled = due(site, contributor_id, slug)
    outgoing, written = [], []
    published = published_paths(site, tuple(status.post for status, _ in pending))
    for status, voice in pending:
        made = make_preview(site, status, voice, now, published)
        folder = site.config.previews / contributor_id
        folder.mkdir(parents=True, exist_ok=True)
        html_path = folder / f"{status.post.slug}.html"
        atomic_write(html_path, made.html)
        note = next(q.note for q in status.post.quotes if q.contributor_id == contributor_id)
        message = preview_message(site, status.post, made.contributor, note, made.info, made.html)
        outgoing.append(Outgoing(contributor_id, message, folder / f"{status.post.slug}.eml"))
        written.append(html_path)
    write(outgoing)
    for status, voice in pending:  # only once the page and the message are on disk
        record_preview(site, status.post, contributor_id, voice.digest)
    sent = _finish(site, outgoing, written, deliver)
    return replace(sent, cancelled=tuple(cancelled))


def answer(site: Site, post: Post, contributor_id: str, decision: str, via: str = "cli",
           reason: str | None = None) -> PostStatus:
    """Record their answer; when it completes the approvals of a ready post, keep that version as the one
    to publish while any later version waits (published.yml). Returns the post's status now."""
    record(site, post, contributor_id, decision, via=via, reason=reason)
    status = assess_post(site, post)
    digests = {v.contributor_id: v.digest for v in status.voices}
    if status.inclusion is Inclusion.PUBLISHED and not live.matches(status.live, post, digests):
        profiles = {cid: site.contributors[cid].profile for cid in digests}
        live.remember(site.config.root, post, profiles, digests, max(v.record.at for v in status.voices).date())
    return status


def approve_token(root: Path, token: str) -> tuple[PostStatus, str]:
    """Record the approval a signed token carries, if it is genuine, unexpired and still current."""
    site = read_site(root)
    claims = tokens.verify(tokens.secret_for(site.config.root), token, dt.datetime.now(dt.timezone.utc))
    post = next((p for p in site.posts if p.slug == claims.slug), None)
    if post is None or claims.contributor_id not in site.contributors:
        raise RoundupError(f"this token is for {claims.contributor_id} in {claims.slug}, which no longer "
                           "exists in this site")
    status = assess_post(site, post)
    voice = next((v for v in status.voices if v.contributor_id == claims.contributor_id), None)
    if voice is None:
        raise RoundupError(f"{claims.contributor_id} is no longer a voice in {post.slug}; nothing was recorded")
    if voice.digest != claims.digest:
        raise RoundupError(f"{claims.contributor_id}'s voice in {post.slug} (the quote, their profile or the "
                           "post's text) changed after this preview was sent, so this token cannot approve it; "
                           f"nothing was recorded — send a new preview: roundup preview {claims.contributor_id} "
                           f"--post {post.slug}")
    return answer(site, post, claims.contributor_id, "approved", via="token"), claims.contributor_id


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
    outgoing = [Outgoing(q.contributor_id, cancel_message(site, post, site.contributors[q.contributor_id],
                                                          reason, was_online),
                         site.config.previews / q.contributor_id / f"{post.slug}.cancelled.eml")
                for q in post.quotes]
    write(outgoing)
    return _finish(site, outgoing, [], deliver)


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
    return _finish(site, outgoing, [], deliver)


def _finish(site: Site, outgoing: list[Outgoing], written: list[Path], deliver: bool) -> Sent:
    """Deliver the messages (already written to disk) when asked to."""
    delivery = send(site.config.mail, outgoing) if deliver else Delivery()
    no_email = tuple(dict.fromkeys(o.contributor_id for o in outgoing if not o.message["To"]))
    return Sent(tuple(written) + tuple(o.path for o in outgoing), delivery.failures, setting=delivery.setting,
                no_email=no_email)


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
