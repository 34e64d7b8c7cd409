"""posts/<slug>/approvals.yml: the record of consent, read strictly and rewritten atomically."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from roundup.digest import digest_of, snapshot
from roundup.errors import Problem, Problems, RoundupError
from roundup.fields import Fields
from roundup.fsutil import atomic_write, locked, remove_temporaries
from roundup.load import LineDict, load_approvals_file, load_yaml_file, parse_yaml
from roundup.threads import Thread, is_message_id, note_digest, one_line
from roundup.unsent import event_of
from roundup.yamlfast import Deferred
from roundup.model import Post, Site

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HEADER = ("# The record of consent for this post, written by roundup: keep it under version control.\n"
          "# Each entry is what a contributor approved (or declined), with a copy of that content.\n")


@dataclass(frozen=True, slots=True)
class Record:
    """One contributor's recorded answer for one post."""

    contributor_id: str
    decision: str | None
    """"approved", "declined", "out" (not taking part), or None when they were only sent a preview."""
    digest: str | None
    """The digest of the voice they answered about (None for "out" before they had words)."""
    at: dt.datetime | None
    via: str
    """How it was recorded: "cli" or "token"."""
    reason: str | None
    content: dict[str, Any] | Deferred | None
    """The copy of what they saw: quote, profile and post snapshots (read through `approved_copy`)."""
    previewed_at: dt.datetime | None = None
    """When a preview was last written for them."""
    previewed_digest: str | None = None
    """The digest of the voice in that preview."""
    source: str = ""
    """approvals.yml relative to the site."""
    invited_at: dt.datetime | None = None
    """When an invitation to answer was written for them (`roundup invite`)."""
    answered_at: dt.datetime | None = None
    """When their answer by mail filled the quote file (`roundup inbox`)."""
    reminded_at: dt.datetime | None = None
    """When the last reminder was written for them (`roundup remind`)."""
    mail: tuple[str, ...] = ()
    """The Message-IDs of the messages written to them about this post: a reply names one of them."""
    comment: str | None = None
    """Their last reply that was neither an answer nor a decision, in their words (`roundup inbox`)."""
    commented_at: dt.datetime | None = None
    """When that comment was read."""
    unsent: tuple[str, ...] = ()
    """The Message-IDs of the messages written to them without `--send` and not sent since (a later `--send`
    delivers them): a subset of `mail`."""
    thread: Thread = Thread()
    """What roundup sent them about this post (`--send`): the conversation each later message continues."""

    @property
    def contacted_at(self) -> dt.datetime | None:
        """When roundup last wrote to them about this post (invitation, preview or reminder)."""
        return max((t for t in (self.invited_at, self.previewed_at, self.reminded_at) if t), default=None)


def approved_copy(record: Record | None, problems: Problems | None = None) -> dict[str, Any] | None:
    """The copy of what they approved, read now if its reading was deferred; None when there is none or
    it cannot be read (reported to `problems` when given: `roundup check` reads every copy)."""
    if record is None or not isinstance(record.content, Deferred):
        return record.content if record else None
    data = parse_yaml(record.content.text, record.source, record.content.first_line)
    if isinstance(data, Problem):
        if problems is not None:
            problems.items.append(data)
        return None
    return data


def without_copies(records: dict[str, Record]) -> dict[str, Record]:
    """The records as the build cache keeps them: the long approved copies left in the file (a voice that
    changed has its post's approvals read again, see `needs_copies`)."""
    return {cid: replace(r, content=None) if isinstance(r.content, Deferred) else r for cid, r in records.items()}


def needs_copies(records: dict[str, Record], digests: dict[str, str]) -> bool:
    """Some voice (contributor id → digest now) differs from what was answered, and its copy was left out."""
    return any(r.decision is not None and r.digest != digests.get(cid) and r.content is None
               for cid, r in records.items() if cid in digests)


def path_of(site_root: Path, post: Post) -> Path:
    return site_root / post.folder / "approvals.yml"


def read_records(site_root: Path, post: Post, problems: Problems, copies: bool = False) -> dict[str, Record]:
    """The valid records of one post; every malformed entry is reported (with `copies`, every approved copy
    is read and checked too, which a build leaves until a copy is needed)."""
    path = path_of(site_root, post)
    if not path.exists():
        return {}
    doc = load_approvals_file(site_root, path)
    if isinstance(doc, Problem):
        problems.items.append(doc)
        return {}
    records = {}
    for cid, entry in doc.meta.items():
        record = _record(doc.path, doc.meta, cid, entry, problems)
        if record:
            records[cid] = record
            if copies:
                approved_copy(record, problems)
    return records


def _record(path: str, data: LineDict, cid: Any, entry: Any, problems: Problems) -> Record | None:
    if not isinstance(entry, LineDict):
        problems.add(path, data.line_of(cid), f"entry {cid!r} must be a mapping with digest and approved_at")
        return None
    before = len(problems.items)
    f = Fields(path, entry, problems)
    decision = next((d for d in DECISIONS if f"{d}_at" in entry), None)
    digest = _digest(f, "digest", required=decision in ("approved", "declined"))
    at = _timestamp(f, f"{decision}_at") if decision else None
    previewed_at, invited_at, answered_at, reminded_at, commented_at = (
        _timestamp(f, key) if key in entry else None
        for key in ("previewed_at", "invited_at", "answered_at", "reminded_at", "commented_at"))
    mail = tuple(m for m, _ in f.text_list("mail") or ())
    unsent = tuple(m for m, _ in f.text_list("unsent") or ())
    content = entry.get("content") if isinstance(entry.get("content"), (dict, Deferred)) else None
    if len(problems.items) > before:
        return None
    previewed_digest = _digest(f, "previewed_digest")
    thread = _thread(f)
    if len(problems.items) > before:
        return None
    return Record(str(cid), decision, digest, at, f.text("via") or "cli", f.text("reason"),
                  content, previewed_at, previewed_digest, path, invited_at, answered_at, reminded_at, mail,
                  f.text("comment"), commented_at, unsent=unsent, thread=thread)


def _thread(f: Fields) -> Thread:
    """`thread` (the Message-IDs sent, oldest first), `thread_subject` and `notes_sent`, as roundup writes them:
    a value edited by hand that could add a header is reported, never used."""
    sent = tuple(m for m, _ in f.text_list("thread") or ())
    wrong = next((m for m in sent if not is_message_id(m)), None)
    if wrong is not None:
        f.error("thread", f"must hold only Message-IDs written by roundup, like <1.2.invited@example.org> "
                          f"(got {wrong[:80]!r}): remove that line, or the whole `thread`")
    subject = f.text("thread_subject")
    if subject is not None and one_line(subject) != subject:
        f.error("thread_subject", "must be one line (it is the subject every later message continues): "
                                  "join its lines, or remove it")
    notes = tuple(n for n, _ in f.text_list("notes_sent") or ())
    wrong = next((n for n in notes if not DIGEST.fullmatch(n)), None)
    if wrong is not None:
        f.error("notes_sent", f"must hold only digests written by roundup, sha256: and 64 hex digits (got "
                              f"{wrong[:80]!r})")
    return Thread(sent, subject, notes)


DECISIONS = ("approved", "declined", "out")
"""What an answer can be: each is kept as `<decision>_at` in the entry."""
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _digest(f: Fields, key: str, required: bool = False) -> str | None:
    """A digest as roundup writes it; anything else is reported (a truncated one would never match)."""
    value = f.text(key, required=required)
    if value is not None and not DIGEST.fullmatch(value):
        f.error(key, f"must be a digest written by roundup, sha256: and 64 hex digits (got {value[:80]!r})")
        return None
    return value


def _timestamp(f: Fields, key: str) -> dt.datetime | None:
    value = f.data.get(key)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    f.error(key, "must be a timestamp like 2026-03-01T09:30:00Z")
    return None


def current_content(site: Site, post: Post, contributor_id: str) -> dict[str, Any]:
    """The snapshot of a voice as it is now; an error when they are not a voice of the post."""
    quote = next((q for q in post.quotes if q.contributor_id == contributor_id), None)
    if quote is None:
        voices = ", ".join(q.contributor_id for q in post.quotes) or "none"
        raise RoundupError([Problem(post.source, None, f"{contributor_id!r} is not a voice in this post "
                                                       f"(voices: {voices})")])
    return snapshot(post, quote, site.contributors[contributor_id].profile)


def record(site: Site, post: Post, contributor_id: str, decision: str, via: str = "cli",
           reason: str | None = None) -> str | None:
    """Record an answer for the voice as it is now; every other entry is kept as it was. Returns the digest
    (None when someone not taking part had no words yet)."""
    answered = decision != "out" or any(q.contributor_id == contributor_id for q in post.quotes)
    content = current_content(site, post, contributor_id) if answered else None
    answer: dict[str, Any] = {"digest": digest_of(content)} if content else {}
    answer.update({f"{decision}_at": _now(), "via": via})
    if reason:
        answer["reason"] = reason
    if content:
        answer["content"] = content

    def change(old: dict[str, Any]) -> dict[str, Any]:
        return {**answer, **{k: old[k] for k in KEPT if k in old}}

    _update(site.config.root, post, contributor_id, change)
    return answer.get("digest")


KEPT = ("previewed_at", "previewed_digest", "invited_at", "answered_at", "reminded_at", "mail", "comment",
        "commented_at", "unsent", "thread", "thread_subject", "notes_sent")
"""What an answer keeps of an entry: the history of the messages to them."""


def record_preview(site: Site, post: Post, contributor_id: str, digest: str, message_id: str | None = None) -> None:
    """Remember that a preview of this content was made for them; their answer is kept as it was."""
    record_event(site, post, contributor_id, "previewed", message_id, previewed_digest=digest)


def record_event(site: Site, post: Post, contributor_id: str, event: str, message_id: str | None = None,
                 unsent: bool = False, sent: tuple[str, ...] = (), **more: str) -> None:
    """Remember when something happened in their round trip ("invited", "previewed", "reminded",
    "answered"), and the Message-ID of the message it wrote, if any; the rest of the entry stays. With
    `unsent`, that message is written and not sent: it joins `unsent`, in place of an earlier unsent message
    for the same event (its file now holds this one). `sent`: Message-IDs delivered now, which leave it."""
    def change(old: dict[str, Any]) -> dict[str, Any]:
        mail = [m for m in old.get("mail") or () if isinstance(m, str)]
        waiting = [m for m in old.get("unsent") or () if isinstance(m, str) and m not in sent
                   and not (message_id and event_of(m) == event)]
        new = {k: v for k, v in old.items() if k != "unsent"}
        new.update({f"{event}_at": _now(), **more, **({"mail": [*mail, str(message_id)][-MAIL_KEPT:]} if message_id
                                                      else {})})
        waiting += [str(message_id)] if message_id and unsent else []
        return {**new, "unsent": waiting} if waiting else new
    _update(site.config.root, post, contributor_id, change)


def record_sent(site: Site, post: Post, contributor_id: str, message_id: str, subject: str,
                note: str | None = None) -> None:
    """Remember a message delivered to them about this post as the last of their conversation (the first
    one's `subject` is the thread's), with the digest of the private `note` it carried, if any."""
    def change(old: dict[str, Any]) -> dict[str, Any]:
        sent = _strings(old.get("thread"))
        first = {} if sent and old.get("thread_subject") else {"thread_subject": one_line(subject)}
        notes = _strings(old.get("notes_sent"))
        said = {"notes_sent": [*notes, note_digest(note)]} if note and note_digest(note) not in notes else {}
        return {**old, "thread": [*sent, message_id], **first, **said}
    if is_message_id(message_id):  # one roundup could not read back would only end the conversation
        _update(site.config.root, post, contributor_id, change)


def _strings(value: Any) -> list[str]:
    """A list of text as read back (`Fields.text_list` takes one value for a list of one), the rest left out."""
    return [value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]


def record_comment(site: Site, post: Post, contributor_id: str, text: str) -> None:
    """Keep their last comment (a reply that decides nothing) in their entry; their answer stays as it was."""
    def change(old: dict[str, Any]) -> dict[str, Any]:
        return {**old, "comment": text, "commented_at": _now()}
    _update(site.config.root, post, contributor_id, change)


MAIL_KEPT = 20
"""How many of the latest Message-IDs to them are kept for matching replies."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _update(site_root: Path, post: Post, contributor_id: str,
            change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Read-modify-write approvals.yml under a lock, changing one entry only."""
    path = path_of(site_root, post)
    with locked(path.parent):
        raw: dict[Any, Any] = {}
        if path.exists():
            doc = load_yaml_file(site_root, path)
            if isinstance(doc, Problem):
                raise RoundupError([doc])
            raw = _plain(doc.meta)
        old = raw.get(contributor_id)
        raw[contributor_id] = change(old if isinstance(old, dict) else {})
        remove_temporaries(path)  # a write killed earlier left its temporary file
        atomic_write(path, dump(raw).encode("utf-8"))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _BlockDumper(_Dumper):  # type: ignore[misc, valid-type]
    """Writes text of several lines as a `|` block, as it was typed (YAML falls back where it cannot)."""


_BlockDumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def dump(data: dict[Any, Any], header: str = HEADER, blocks: bool = False) -> str:
    """YAML that reads back to exactly `data`: readable Unicode when that round-trips, escapes otherwise;
    with `blocks`, text of several lines as `|` blocks."""
    for allow_unicode in (True, False):
        text = yaml.dump(data, Dumper=_BlockDumper if blocks else _Dumper, allow_unicode=allow_unicode,
                         sort_keys=False, width=100, default_flow_style=False)
        if yaml.load(text, Loader=_Loader) == data:
            return header + text
    raise RoundupError("internal error: a record of consent could not be written faithfully; nothing was changed")
