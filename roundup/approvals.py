"""posts/<slug>/approvals.yml: the record of consent, read strictly and rewritten atomically."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from roundup.digest import digest_of, snapshot
from roundup.errors import Problem, Problems, RoundupError
from roundup.fields import Fields
from roundup.fsutil import atomic_write, locked
from roundup.load import LineDict, load_yaml_file
from roundup.model import Post, Site

HEADER = ("# The record of consent for this post, written by roundup: keep it under version control.\n"
          "# Each entry is what a contributor approved (or declined), with a copy of that content.\n")


@dataclass(frozen=True, slots=True)
class Record:
    """One contributor's recorded answer for one post."""

    contributor_id: str
    decision: str
    """"approved" or "declined"."""
    digest: str
    """The digest of the voice they answered about."""
    at: dt.datetime
    via: str
    """How it was recorded: "cli" or "token"."""
    reason: str | None
    content: dict[str, Any] | None
    """The copy of what they saw: quote, profile and post snapshots."""


def path_of(site_root: Path, post: Post) -> Path:
    return site_root / post.folder / "approvals.yml"


def read_records(site_root: Path, post: Post, problems: Problems) -> dict[str, Record]:
    """The valid records of one post; every malformed entry is reported."""
    path = path_of(site_root, post)
    if not path.exists():
        return {}
    doc = load_yaml_file(site_root, path)
    if isinstance(doc, Problem):
        problems.items.append(doc)
        return {}
    records = {}
    for cid, entry in doc.meta.items():
        record = _record(doc.path, doc.meta, cid, entry, problems)
        if record:
            records[cid] = record
    return records


def _record(path: str, data: LineDict, cid: Any, entry: Any, problems: Problems) -> Record | None:
    if not isinstance(entry, LineDict):
        problems.add(path, data.line_of(cid), f"entry {cid!r} must be a mapping with digest and approved_at")
        return None
    before = len(problems.items)
    f = Fields(path, entry, problems)
    decision = "declined" if "declined_at" in entry else "approved"
    digest = f.text("digest", required=True)
    at = _timestamp(f, f"{decision}_at")
    via = f.text("via", default="cli")
    content = entry.get("content") if isinstance(entry.get("content"), dict) else None
    if len(problems.items) > before or digest is None or at is None:
        return None
    return Record(str(cid), decision, digest, at, via or "cli", f.text("reason"), content)


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


def record(site: Site, post: Post, contributor_id: str, decision: str, via: str = "cli",
           reason: str | None = None) -> Record:
    """Record an answer for the voice as it is now; every other entry is kept as it was."""
    quote = next((q for q in post.quotes if q.contributor_id == contributor_id), None)
    if quote is None:
        voices = ", ".join(q.contributor_id for q in post.quotes) or "none"
        raise RoundupError([Problem(post.source, None, f"{contributor_id!r} is not a voice in this post "
                                                       f"(voices: {voices})")])
    content = snapshot(post, quote, site.contributors[contributor_id].profile)
    digest = digest_of(content)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    entry: dict[str, Any] = {"digest": digest, f"{decision}_at": now.isoformat().replace("+00:00", "Z"),
                             "via": via}
    if reason:
        entry["reason"] = reason
    entry["content"] = content
    _update(site.config.root, post, contributor_id, entry)
    return Record(contributor_id, decision, digest, now, via, reason, content)


def _update(site_root: Path, post: Post, contributor_id: str, entry: dict[str, Any]) -> None:
    """Read-modify-write approvals.yml under a lock, replacing one entry only."""
    path = path_of(site_root, post)
    with locked(path.parent):
        raw: dict[Any, Any] = {}
        if path.exists():
            doc = load_yaml_file(site_root, path)
            if isinstance(doc, Problem):
                raise RoundupError([doc])
            raw = _plain(doc.meta)
        raw[contributor_id] = entry
        atomic_write(path, dump(raw).encode("utf-8"))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dump(data: dict[Any, Any]) -> str:
    """YAML that reads back to exactly `data`: readable Unicode when that round-trips, escapes otherwise."""
    for allow_unicode in (True, False):
        text = yaml.safe_dump(data, allow_unicode=allow_unicode, sort_keys=False, width=100,
                              default_flow_style=False)
        if yaml.safe_load(text) == data:
            return HEADER + text
    raise RoundupError("internal error: approvals could not be written faithfully; nothing was changed")
