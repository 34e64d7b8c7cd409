"""`roundup inbox`: every reply read once, given exactly one outcome, and recorded so nothing happens twice."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from roundup import replies, tokens
from roundup.approvals import record_comment, record_event
from roundup.consent import answer
from roundup.errors import UsageError
from roundup.fsutil import atomic_write, locked, remove_temporaries
from roundup.mailsource import Imap, Incoming, from_maildir, from_mbox
from roundup.model import Site
from roundup.triage import Index, Kind, Outcome, classify
from roundup.cache import read_site

HANDLED = "inbox-handled.txt"
HANDLED_HEADER = ("# The messages `roundup inbox` has read, one a line: Message-ID, when, what came of it.\n"
                  "# Written by roundup so that nothing is recorded twice: keep it under version control.\n")
_FENCE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Source:
    """Where the replies are: a Maildir folder, an mbox file, or the IMAP folder set in site.yml."""

    maildir: Path | None = None
    mbox: Path | None = None
    imap: bool = False


@dataclass(slots=True)
class Tally:
    """What one run did, for its closing line."""

    kinds: dict[Kind, int] = field(default_factory=lambda: {kind: 0 for kind in Kind})
    before: int = 0
    """Messages read by an earlier run (or twice in this one): skipped."""


def run(root: Path, source: Source, dry_run: bool = False) -> Iterator[str]:
    """Read every message of `source`; yield one line for each new one, then a closing line. With
    `dry_run`, nothing is written anywhere (and no IMAP message is marked)."""
    site = read_site(root)
    now = dt.datetime.now(dt.timezone.utc)
    handled_path = site.config.root / HANDLED
    with locked(site.config.root), _opened(site, source) as (messages, mark_seen):
        handled = _handled(handled_path)
        index, tally = Index(site, _secret(site)), Tally()
        for incoming in messages:
            reply = replies.parse(incoming.raw) if incoming.raw is not None else _too_big(incoming)
            if reply.key in handled:
                tally.before += 1
                continue
            outcome = classify(site, index, reply, now)
            if not dry_run:
                outcome = _apply(site, outcome)
                _remember(handled_path, reply.key, outcome, now)
                if mark_seen and incoming.uid and outcome.kind not in (Kind.ASIDE, Kind.COMMENT):  # yours to read
                    mark_seen(incoming.uid)
                if outcome.kind is not Kind.ASIDE:  # the next reply meets the site as it is now
                    site = read_site(root)
                    index = Index(site, index.secret)
            handled.add(reply.key)
            tally.kinds[outcome.kind] += 1
            yield line(outcome, reply)
    yield closing(tally, dry_run)


@contextlib.contextmanager
def _opened(site: Site, source: Source):
    """(messages, mark_seen) of the source; mark_seen is None for files, which are never changed."""
    if source.imap:
        with Imap(site.config.inbox) as imap:
            yield imap.messages(), imap.mark_seen
    elif source.maildir is not None:
        yield from_maildir(source.maildir), None
    else:
        yield from_mbox(source.mbox), None


def _too_big(incoming: Incoming) -> replies.Reply:
    key, sender, subject = replies.head_key(incoming.head)
    return replies.Reply(key, sender, "", subject, (), "", "",
                         f"it is {incoming.size / 2**20:.0f} MB, over the {replies.LIMIT // 2**20} MB roundup reads, "
                         "so it was not read")


def _apply(site: Site, outcome: Outcome) -> Outcome:
    """Record what the outcome says; an answer that finds words already there is set aside instead."""
    post, cid = outcome.post, outcome.contributor_id
    if outcome.kind is Kind.ANSWER:
        if not _fill(site, post, cid, outcome.text):
            return Outcome(Kind.ASIDE, f"a second answer from {cid} in {post.slug}: {post.folder}/quotes/{cid}.md "
                                       "has their words already and was not changed")
        record_event(site, post, cid, "answered")
    elif outcome.kind in DECISION:
        answer(site, post, cid, DECISION[outcome.kind], via="mail", reason=outcome.text or None, once=True)
    elif outcome.kind is Kind.COMMENT:
        record_comment(site, post, cid, outcome.text)
    return outcome


DECISION = {Kind.APPROVAL: "approved", Kind.CHANGE: "declined", Kind.OUT: "out"}
"""What each outcome that decides records, `via: mail`."""


def _secret(site: Site) -> bytes | None:
    """The token secret, read without ever making one (a new secret would make every code sent so far forged)."""
    return tokens.secret_for(site.config.root, create=False)


def _fill(site: Site, post, cid: str, text: str) -> bool:
    """Write their answer as the body of quotes/<id>.md, keeping its front matter (theirs never becomes one);
    False when the file has other words in it already (the same words mean an earlier run was cut short: done)."""
    path = site.config.root / post.folder / "quotes" / f"{cid}.md"
    raw = path.read_text(encoding="utf-8-sig") if path.exists() else ""
    end = _FENCE.search(raw, raw.find("\n") + 1) if _FENCE.match(raw) else None
    front = raw[:raw.index("\n", end.end()) + 1] if end and "\n" in raw[end.end():] else raw if end else ""
    body = raw[len(front):].strip()
    if body:
        return body == text.strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    front = front if front.endswith("\n") or not front else front + "\n"
    if not front and _FENCE.match(text.strip()):
        front = "---\n---\n"  # their words only: a `---` block they wrote must not become the quote's front matter
    remove_temporaries(path)  # a run killed mid-write left its temporary file (the whole run holds the lock)
    atomic_write(path, f"{front}{text.strip()}\n".encode("utf-8"))
    return True


def _handled(path: Path) -> set[str]:
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return {line.split("\t", 1)[0] for line in lines if line and not line.startswith("# ")}  # keys hold no space


def _remember(path: Path, key: str, outcome: Outcome, now: dt.datetime) -> None:
    """Append one line and flush it to disk: a run cut short reads everything after it again."""
    if not path.exists():
        atomic_write(path, HANDLED_HEADER.encode("utf-8"))
    where = f"{outcome.post.slug if outcome.post else '-'}\t{outcome.contributor_id or '-'}"
    entry = f"{_safe(key)}\t{now:%Y-%m-%dT%H:%M:%SZ}\t{outcome.kind.value}\t{where}\n".encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND)
    try:
        if os.pread(fd, 1, max(0, os.fstat(fd).st_size - 1)) not in (b"\n", b""):
            os.write(fd, b"\n")  # a line cut short by a crash stays on its own
        os.write(fd, entry)
        os.fsync(fd)
    finally:
        os.close(fd)


def _safe(text: str) -> str:
    return re.sub(r"[\x00-\x20\x7f]", "", text)[:500]


def line(outcome: Outcome, reply: replies.Reply) -> str:
    """The one output line for a message: what it is, then whose and why."""
    sender = reply.sender or "an unknown sender"
    subject = reply.subject[:80] + ("…" if len(reply.subject) > 80 else "")
    return f"  {outcome.kind.value:<15} {outcome.why} (from {sender}, “{subject}”)"


def closing(tally: Tally, dry_run: bool) -> str:
    k = tally.kinds
    read = sum(k.values())
    text = (f"Read {read} new message{'s' * (read != 1)}: {k[Kind.ANSWER]} answered, {k[Kind.APPROVAL]} approved, "
            f"{k[Kind.CHANGE]} asked for changes, {k[Kind.OUT]} not taking part, {k[Kind.COMMENT]} "
            f"comment{'s' * (k[Kind.COMMENT] != 1)}, {k[Kind.ASIDE]} set aside for you to read")
    text += f"; {tally.before} read before." if tally.before else "."
    return text + (" Dry run: nothing was written." if dry_run else "")


def require_source(source: Source) -> None:
    """Exactly one source is named."""
    if sum((source.maildir is not None, source.mbox is not None, source.imap)) != 1:
        raise UsageError("usage: roundup inbox (--maildir DIR | --mbox FILE | --imap) [--dry-run]: name one place "
                         "to read replies from (--imap uses the `inbox:` settings in site.yml)")
