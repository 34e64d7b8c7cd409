"""Deciding what a reply is: an answer, an approval, a change request, or one for the editor to read."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from roundup import tokens
from roundup.approvals import Record, read_records
from roundup.consent import check_token
from roundup.errors import Problems, RoundupError
from roundup.gate import VoiceState, VoiceStatus, assess
from roundup.model import Post, Site
from roundup.replies import Reply

REASON_LIMIT = 4000
"""A change request longer than this is kept to its first characters in approvals.yml."""
_YES = re.compile(r"(yes|yep|ok|okay|approved?|i approve|looks (good|great|fine)|lgtm|all good|perfect|great|fine|"
                  r"go ahead|publish( it)?)\b[\s!.,:;)-]*((many )?thanks?( you)?|cheers)?[\s!.]*", re.IGNORECASE)


class Kind(enum.Enum):
    ANSWER = "answer"
    APPROVAL = "approval"
    CHANGE = "change request"
    ASIDE = "needs reading"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one message is, and what to record for it."""

    kind: Kind
    why: str
    """The rest of its output line, in words."""
    post: Post | None = None
    contributor_id: str | None = None
    text: str = ""
    """The answer's words (ANSWER) or their request (CHANGE)."""


@dataclass(frozen=True, slots=True)
class Voice:
    """One voice as the inbox sees it: where it is, how it stands, and who may speak for it."""

    post: Post
    status: VoiceStatus
    email: str
    """The profile's address, lowercased ("" when there is none)."""


class Index:
    """Every voice roundup has written to, found by the Message-IDs of its messages and by address."""

    def __init__(self, site: Site):
        self.site = site
        self.by_id: dict[str, Voice] = {}
        self.by_address: dict[str, list[Voice]] = {}
        for post in site.posts:
            records = read_records(site.config.root, post, Problems())
            for voice in assess(site, post, records).voices:
                self._add(post, voice, records.get(voice.contributor_id))

    def _add(self, post: Post, voice: VoiceStatus, record: Record | None) -> None:
        person = self.site.contributors[voice.contributor_id]
        entry = Voice(post, voice, (person.email or "").lower())
        for message_id in record.mail if record else ():
            self.by_id[message_id] = entry
        if entry.email and record and record.contacted_at and post.status != "cancelled":
            self.by_address.setdefault(entry.email, []).append(entry)

    def in_thread(self, reply: Reply) -> Voice | None:
        """The voice whose message this replies to, by its In-Reply-To or References."""
        return next((self.by_id[m] for m in reply.thread if m in self.by_id), None)

    def match(self, reply: Reply) -> Voice | str:
        """The voice a reply is about: by its In-Reply-To/References, else by its sender and subject (clients
        that drop those headers); otherwise why it could not be told."""
        threaded = self.in_thread(reply)
        if threaded is not None:
            return threaded
        candidates = self.by_address.get(reply.sender, [])
        if len(candidates) > 1:
            subject = reply.subject.casefold()
            candidates = [v for v in candidates if v.post.title.casefold() in subject] or candidates
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            slugs = ", ".join(v.post.slug for v in candidates)
            return f"{reply.sender} is waiting on {len(candidates)} posts ({slugs}) and the reply does not say which"
        known = any(c.email and c.email.lower() == reply.sender for c in self.site.contributors.values())
        return ("not a reply to any message roundup wrote" if known else
                f"not a reply to any message roundup wrote, and {reply.sender or 'the sender'} is no contributor's "
                "address")


def classify(site: Site, index: Index, reply: Reply, now: dt.datetime) -> Outcome:
    """Exactly one outcome for one reply; nothing is recorded here."""
    codes = tokens.find(f"{reply.subject}\n{reply.new_text}") or _quoted_alone(reply)
    if reply.set_aside and not (codes and reply.set_aside.startswith("no text")):  # the Approve button, body lost
        return Outcome(Kind.ASIDE, reply.set_aside)
    if codes:
        return _approval(site, reply, codes, index.in_thread(reply), now)
    match = index.match(reply)
    if isinstance(match, str):
        return Outcome(Kind.ASIDE, match)
    return _words(reply, match)


def _approval(site: Site, reply: Reply, codes: list[str], thread: Voice | None, now: dt.datetime) -> Outcome:
    if len(codes) > 1:
        return Outcome(Kind.ASIDE, f"it carries {len(codes)} different approval codes")
    try:
        status, claims = check_token(site, codes[0], now)
    except RoundupError as exc:
        return Outcome(Kind.ASIDE, "its approval code cannot approve anything: " + "; ".join(exc.lines()))
    cid, post = claims.contributor_id, status.post
    if thread is not None and (thread.post.slug, thread.status.contributor_id) != (post.slug, cid):
        return Outcome(Kind.ASIDE, f"its approval code is {cid}'s for {post.slug}, but it replies to the message "
                                   f"to {thread.status.contributor_id} about {thread.post.slug}")
    if post.status == "cancelled":
        return Outcome(Kind.ASIDE, f"{post.slug} is cancelled, so {cid}'s approval was not recorded", post, cid)
    profile = (site.contributors[cid].email or "").lower()
    other = "" if reply.sender == profile else (
        f"; note: sent from {reply.sender or 'an unknown address'}, not the address in contributors/{cid}.yml")
    return Outcome(Kind.APPROVAL, f"{cid} approved their voice in {post.slug} (approval code){other}", post, cid)


def _words(reply: Reply, voice: Voice) -> Outcome:
    """A reply without an approval code from the voice it is about: their answer or their request."""
    post, cid, state = voice.post, voice.status.contributor_id, voice.status.state
    record = voice.status.record
    about = f"{cid} in {post.slug}"
    if reply.sender != voice.email:
        return Outcome(Kind.ASIDE, f"a reply about {about}, but from {reply.sender or 'an unknown address'}, not the "
                                   f"address in contributors/{cid}.yml")
    if post.status == "cancelled":
        return Outcome(Kind.ASIDE, f"from {about}, but the post is cancelled")
    if not reply.new_text:
        return Outcome(Kind.ASIDE, f"from {about}, with no words of their own in it")
    if state is VoiceState.UNANSWERED:
        return Outcome(Kind.ANSWER, f"{cid} answered for {post.slug}", post, cid, reply.new_text)
    if state is VoiceState.APPROVED:
        return Outcome(Kind.ASIDE, f"from {about}, who has approved already: read what they wrote")
    words = next((q.body for q in post.quotes if q.contributor_id == cid), "")
    if words == reply.new_text.strip():  # an earlier run filled the file and was cut short
        return Outcome(Kind.ANSWER, f"{cid} answered for {post.slug}", post, cid, reply.new_text)
    if record is None or (record.decision is None and record.previewed_digest is None):
        return Outcome(Kind.ASIDE, f"a second answer from {about}: {post.folder}/quotes/{cid}.md has their "
                                   "words already and was not changed")
    if len(reply.new_text) < 80 and _YES.fullmatch(reply.new_text.strip()):
        return Outcome(Kind.ASIDE, f"from {about}: it reads like an approval but carries no approval code; if you "
                                   f"are sure, run roundup approve {cid} {post.slug}")
    return Outcome(Kind.CHANGE, f"{cid} asked for changes to their voice in {post.slug}", post, cid,
                   reply.new_text[:REASON_LIMIT])


def _quoted_alone(reply: Reply) -> list[str]:
    """A message that is nothing but an approval code behind "> " (or the whole approve line) counts as
    sending it; a code anywhere else in quoted text never does."""
    if reply.new_text:
        return []
    rest = re.sub(r"(?m)^[ \t>]*", "", reply.quoted_text)
    codes = tokens.find(rest)
    leftover = rest
    for code in codes:
        leftover = re.sub(r"\s*".join(map(re.escape, code)), "", leftover, flags=re.IGNORECASE)
    return codes if codes and not re.sub(r"roundup approve --token|approval code:?", "", leftover).strip() else []
