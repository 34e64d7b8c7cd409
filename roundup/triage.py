"""Deciding what a reply is, from clear signals only: an answer, an approval, a change request, not taking part,
a comment, or one for the editor to read."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from roundup import codes, sentmail, tokens
from roundup.approvals import Record, read_records
from roundup.errors import Problems, RoundupError
from roundup.gate import VoiceState, VoiceStatus, assess
from roundup.messages import button_lines
from roundup.model import Post, Site
from roundup.quoting import split
from roundup.replies import Reply
from roundup.signals import reads_as_refusal, reads_as_withdrawal, reads_as_yes, without_button_lines

REASON_LIMIT = 4000
"""A change request or comment longer than this is kept to its first characters in approvals.yml."""
ANSWER_LIMIT = 20_000
"""Bytes: a longer answer is set aside for the editor, not written into a quote file."""
_REPLY_SUBJECT = re.compile(r"^\s*\[?\s*(re|aw|sv|vs|antw|odp|ynt|rif|r|res|ré|atb|vá|απ|отв|回复|回覆|答复|答覆|返信"
                            r"|رد)\s*(\[\d+\]|\(\d+\))?\s*[:：]", re.I)
MOST_CODES = 3
"""A message carrying more codes than this is set aside without checking each (one answer has one)."""
LOUD = "ASKS TO WITHDRAW"
"""What the line says when a message reads like a withdrawal: consent does not move, the editor decides."""


class Kind(enum.Enum):
    ANSWER = "answer"
    APPROVAL = "approval"
    CHANGE = "change request"
    OUT = "not taking part"
    COMMENT = "comment"
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
    """Their words: the answer (ANSWER), their request (CHANGE), why they leave (OUT), the comment (COMMENT)."""


@dataclass(frozen=True, slots=True)
class Voice:
    """One voice as the inbox sees it: where it is, how it stands, and who may speak for it."""

    post: Post
    status: VoiceStatus
    email: str
    """The profile's address, lowercased ("" when there is none)."""


class Index:
    """Every voice roundup has written to, found by the Message-IDs of its messages; and roundup's own words to
    each person, read when first needed."""

    def __init__(self, site: Site, secret: bytes | None):
        self.site, self.secret = site, secret
        self.by_id: dict[str, Voice] = {}
        self._own: dict[str, sentmail.Own] = {}
        for post in site.posts:
            records = read_records(site.config.root, post, Problems())
            for voice in assess(site, post, records).voices:
                self._add(post, voice, records.get(voice.contributor_id))

    def _add(self, post: Post, voice: VoiceStatus, record: Record | None) -> None:
        person = self.site.contributors[voice.contributor_id]
        entry = Voice(post, voice, (person.email or "").lower())
        for message_id in record.mail if record else ():
            self.by_id[message_id] = entry

    def in_thread(self, reply: Reply) -> Voice | None:
        """The voice whose message this replies to, by its In-Reply-To or References."""
        return next((self.by_id[m] for m in reply.thread if m in self.by_id), None)

    def words(self, reply: Reply, contributor_id: str) -> str:
        """Their own new words: the reply without anything roundup wrote to them, however it was quoted, and
        without quoted lines, attributions, greetings and signatures."""
        if contributor_id not in self._own:
            config = self.site.config
            self._own[contributor_id] = sentmail.Own(sentmail.texts(config.root, config.previews, contributor_id))
        return split(self._own[contributor_id].strip(reply.body), reply.sender_name)[0]


def classify(site: Site, index: Index, reply: Reply, now: dt.datetime) -> Outcome:
    """Exactly one outcome for one reply; nothing is recorded here. Consent moves only on a signed code in
    the person's own words; everything else is an answer, a comment, or set aside."""
    not_theirs = _not_a_reply(site, index, reply)
    if not_theirs is not None:
        return not_theirs
    thread = index.in_thread(reply)
    signal = _signal(site, index, reply, thread, now)
    if signal is not None:
        return signal
    if reply.set_aside:
        return _loud(Outcome(Kind.ASIDE, reply.set_aside), reply.new_text)
    if thread is None:
        return _loud(Outcome(Kind.ASIDE, _unmatched(site, reply)), reply.new_text)
    return _words(index, reply, thread)


def _not_a_reply(site: Site, index: Index, reply: Reply) -> Outcome | None:
    """Mail that is nobody's answer: a machine's, a forward, forged, or a copy of the editor's own."""
    editor = (site.config.editor.email or "").lower()
    if reply.set_aside and not reply.set_aside.startswith("no "):
        return Outcome(Kind.ASIDE, reply.set_aside)
    if reply.key in index.by_id:
        return Outcome(Kind.ASIDE, "a copy of a message roundup wrote (the same Message-ID), not anyone's reply")
    if editor and reply.sender == editor:
        return Outcome(Kind.ASIDE, f"from your own address ({editor}): a copy of your own mail is never anyone's "
                                   "answer")
    return None


def _unmatched(site: Site, reply: Reply) -> str:
    """Why a message with no code and no thread decides nothing."""
    known = next((c.id for c in site.contributors.values() if c.email and c.email.lower() == reply.sender), None)
    if known:
        return (f"from {known}'s address, but not a reply to any message roundup wrote and with no code in their "
                "words: a From: line alone proves nothing, so nothing was recorded")
    return f"not a reply to any message roundup wrote, and {reply.sender or 'the sender'} is no contributor's address"


def _written(index: Index, reply: Reply, now: dt.datetime) -> list[tuple[str, codes.Checked | RoundupError]]:
    """The codes the person put in, each read against the site: in the subject they sent (never one carried by
    "Re:"), or in their new words (never inside a link, nor in text roundup wrote to that voice)."""
    subject = [] if _REPLY_SUBJECT.match(reply.subject) else tokens.find(reply.subject)
    found: list[tuple[str, codes.Checked | RoundupError]] = []
    candidates = list(dict.fromkeys([*subject, *tokens.find(reply.new_text)]))
    if len(candidates) > MOST_CODES:  # nobody writes that many: set aside unread (each would be checked)
        return [(code, RoundupError("one of many")) for code in candidates]
    for code in candidates:
        try:
            if index.secret is None:
                raise RoundupError("this site has no token secret, so no code can be genuine")
            checked: codes.Checked | RoundupError = codes.read(index.site, code, now, index.secret)
        except RoundupError as error:
            checked = error
        if code in subject or isinstance(checked, RoundupError) or \
                code in tokens.find(index.words(reply, checked.claims.contributor_id)):
            found.append((code, checked))
    return found


def _signal(site: Site, index: Index, reply: Reply, thread: Voice | None, now: dt.datetime) -> Outcome | None:
    """What a signed code the person wrote says, or None when they wrote none."""
    found = _written(index, reply, now)
    if not found:
        return None
    if len({code for code, _ in found}) > 1:
        return Outcome(Kind.ASIDE, f"it carries {len(found)} different codes")
    code, checked = found[0]
    if isinstance(checked, RoundupError):
        return _loud(Outcome(Kind.ASIDE, "its code cannot decide anything: " + "; ".join(checked.lines())),
                     reply.new_text)
    cid, post, kind = checked.claims.contributor_id, checked.status.post, checked.claims.kind
    if thread is not None and (thread.post.slug, thread.status.contributor_id) != (post.slug, cid):
        return Outcome(Kind.ASIDE, f"its code is {cid}'s for {post.slug}, but it replies to the message to "
                                   f"{thread.status.contributor_id} about {thread.post.slug}")
    if post.status == "cancelled":
        return Outcome(Kind.ASIDE, f"{post.slug} is cancelled, so {cid}'s {kind.name.lower()} code was not recorded",
                       post, cid)
    profile = (site.contributors[cid].email or "").lower()
    if not profile or reply.sender != profile:  # no address on file, or none on the message: nobody's own
        command = f"roundup approve --token {code}" if kind is tokens.Kind.APPROVE else \
            f"roundup decline {cid} {post.slug}" + (" --not-taking-part" if kind is tokens.Kind.OUT else "")
        return Outcome(Kind.ASIDE, f"it carries {cid}'s code for {post.slug} but comes from "
                                   f"{reply.sender or 'an unknown address'}, not the address in contributors/{cid}.yml: "
                                   f"if it is theirs, run {command}", post, cid)
    words = without_button_lines(index.words(reply, cid), code, button_lines(site, post, site.contributors[cid]))
    return _decided(checked, words)


def _decided(checked: codes.Checked, words: str) -> Outcome:
    """The outcome of a genuine code from the contributor's own address."""
    cid, post, kind = checked.claims.contributor_id, checked.status.post, checked.claims.kind
    about = f"{cid} in {post.slug}"
    if kind is tokens.Kind.OUT:
        return Outcome(Kind.OUT, f"{cid} is not taking part in {post.slug} (Count-me-out button)" + _kept_up(checked),
                       post, cid, words[:REASON_LIMIT])
    if not checked.current:
        what = "approve" if kind is tokens.Kind.APPROVE else "ask for changes to"
        newer = checked.newer_preview()
        then = f"read it; the newer preview sent on {newer.date().isoformat()} shows their voice as it is now, so " \
            "nothing needs sending" if newer else f"read it, then roundup preview {cid} --post {post.slug}"
        return _loud(Outcome(Kind.COMMENT, f"from {about}: its code was made to {what} an earlier version of their "
                                           f"voice; {then}", post, cid, words[:REASON_LIMIT]), words)
    if kind is tokens.Kind.CHANGES:
        return Outcome(Kind.CHANGE, f"{cid} asked for changes to their voice in {post.slug} (Ask-for-changes button)"
                       + _kept_up(checked), post, cid, words[:REASON_LIMIT])
    if reads_as_withdrawal(words):
        return Outcome(Kind.ASIDE, f"{LOUD}: it carries {cid}'s approval code for {post.slug}, but their words read "
                                   f"like a withdrawal; nothing was recorded: read it, then roundup approve {cid} "
                                   f"{post.slug} or roundup decline {cid} {post.slug}", post, cid)
    return Outcome(Kind.APPROVAL, f"{cid} approved their voice in {post.slug} (approval code)", post, cid)


def _kept_up(checked: codes.Checked) -> str:
    """What the line adds when the post is online: mail never takes it down."""
    status = checked.status
    if status.live is None or checked.claims.contributor_id not in {v.contributor_id for v in status.live.voices}:
        return ""
    return (f"; the published version stays online: to take it down, run roundup decline "
            f"{checked.claims.contributor_id} {status.post.slug}")


def _words(index: Index, reply: Reply, voice: Voice) -> Outcome:
    """A reply in a voice's thread with no code: their answer, or a comment that decides nothing."""
    post, cid, state = voice.post, voice.status.contributor_id, voice.status.state
    about = f"{cid} in {post.slug}"
    if not voice.email or reply.sender != voice.email:
        return Outcome(Kind.ASIDE, f"a reply about {about}, but from {reply.sender or 'an unknown address'}, not the "
                                   f"address in contributors/{cid}.yml")
    if post.status == "cancelled":
        return Outcome(Kind.ASIDE, f"from {about}, but the post is cancelled")
    words = index.words(reply, cid)
    if not words:
        return Outcome(Kind.ASIDE, f"from {about}, with no words of their own in it")
    if state is VoiceState.UNANSWERED:
        return _answer(voice, words)
    written, record = next((q.body for q in post.quotes if q.contributor_id == cid), ""), voice.status.record
    if written == words.strip() and record and record.answered_at:
        return Outcome(Kind.ANSWER, f"{cid} answered for {post.slug}", post, cid, words)  # a run cut short
    if record is None or (record.decision is None and record.previewed_digest is None):
        return Outcome(Kind.ASIDE, f"a second answer from {about}: {post.folder}/quotes/{cid}.md has their words "
                                   "already and was not changed")
    return _comment(voice, words)


def _answer(voice: Voice, words: str) -> Outcome:
    """Their words for a voice with none yet, unless they refuse, or write more than a quote holds."""
    post, cid = voice.post, voice.status.contributor_id
    if reads_as_refusal(words):
        return Outcome(Kind.ASIDE, f"from {cid} in {post.slug}: it reads like they can't take part, so it was not "
                                   f"made their quote; if so, run roundup decline {cid} {post.slug} --not-taking-part")
    if len(words.encode("utf-8")) > ANSWER_LIMIT:
        return Outcome(Kind.ASIDE, f"an answer from {cid} in {post.slug} of {len(words.encode('utf-8')) // 1000} kB, "
                                   f"over the {ANSWER_LIMIT // 1000} kB a voice holds: read it, and paste what belongs "
                                   f"into {post.folder}/quotes/{cid}.md yourself")
    return Outcome(Kind.ANSWER, f"{cid} answered for {post.slug}", post, cid, words)


def _comment(voice: Voice, words: str) -> Outcome:
    """Words that decide nothing: kept, shown, quoted back; the line names the command that would decide."""
    post, cid = voice.post, voice.status.contributor_id
    if reads_as_yes(words):
        hint = f"it reads like a yes but carries no approval code: if you are sure, run roundup approve {cid} {post.slug}"
    else:
        hint = f"to record it as their request for changes, run roundup decline {cid} {post.slug} --reason-from-comment"
    return _loud(Outcome(Kind.COMMENT, f"from {cid} in {post.slug}, kept as their comment ({hint})", post, cid,
                         words[:REASON_LIMIT]), words)


def _loud(outcome: Outcome, words: str) -> Outcome:
    """The outcome, its line starting with LOUD when the words ask to withdraw (consent does not move)."""
    if not reads_as_withdrawal(words):
        return outcome
    who = f"roundup decline {outcome.contributor_id} {outcome.post.slug}" if outcome.post else "roundup decline"
    return Outcome(outcome.kind, f"{LOUD}: {outcome.why}; nothing was taken down: if they mean it, run {who}",
                   outcome.post, outcome.contributor_id, outcome.text)
