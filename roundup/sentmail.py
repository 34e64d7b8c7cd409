"""What roundup wrote to each contributor, kept so that the inbox can take its own words out of a reply,
however the reply quoted them: behind "> ", under a header block in any language, or pasted inline."""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from email.message import EmailMessage
from pathlib import Path

from roundup.fsutil import STATE_DIR, atomic_write, state_dir
from roundup.mailer import Outgoing

RUN = 6
"""Words in a row that make a passage roundup's own: long enough that a person's sentence does not match by
chance, short enough to catch a wrapped or partly quoted line."""
MOST = 0.5
"""A line is roundup's when at least this share of its words lie in such runs."""
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")
"""A word for matching: a run of letters and digits, or one CJK character (those scripts use no spaces)."""
_HEAD_LINE = re.compile(r"^[\s>*]*[^\s:：][^:：]{0,40}[:：]")
_RULE = re.compile(r"^[\s>]*([_\-=*~]\s*){3,}$")


def keep(site_root: Path, outgoing: Iterable[Outgoing]) -> None:
    """Remember the text of each message written (one private file per message, under .roundup/sent/<id>/)."""
    for item in outgoing:
        folder = state_dir(site_root, "sent", item.contributor_id)
        os.chmod(folder, 0o700)
        name = hashlib.sha256(str(item.message["Message-ID"]).encode()).hexdigest()[:24]
        atomic_write(folder / f"{name}.txt", _text_of(item.message).encode("utf-8"), mode=0o600)


def texts(site_root: Path, previews: Path, contributor_id: str) -> list[str]:
    """Every text roundup wrote to them that is still on disk: the kept copies, and the messages in the
    previews folder (written before copies were kept, or kept nowhere else). Reads only; creates nothing."""
    found = []
    kept = site_root / STATE_DIR / "sent" / contributor_id
    for path in sorted(kept.glob("*.txt")) if kept.is_dir() else ():
        found.append(path.read_text(encoding="utf-8", errors="replace"))
    folder = previews / contributor_id
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else ():
        with path.open("rb") as handle:
            found.append(_text_of(email.message_from_binary_file(handle, policy=email.policy.default)))
    return found


def _text_of(message: EmailMessage) -> str:
    """The message's plain-text part (the one a reply quotes), or "" when it has none."""
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    try:
        return part.get_content() if part is not None and part.get_content_type() == "text/plain" else ""
    except (LookupError, UnicodeError, AttributeError):
        return ""


def words(text: str) -> list[str]:
    """The words of a text as matching sees them: case and compatibility forms folded, punctuation gone."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


class Own:
    """Roundup's own words to one person, as runs of `RUN` words, to take out of their reply."""

    def __init__(self, sent: Iterable[str]):
        self.runs: set[int] = set()
        for text in sent:
            seq = words(text)
            self.runs.update(hash(tuple(seq[i:i + RUN])) for i in range(len(seq) - RUN + 1))

    def strip(self, text: str) -> str:
        """`text` without the lines that are roundup's own words, nor the header block or attribution line
        that a client put right above them; the person's own lines stay as they were."""
        lines = text.split("\n")
        mine = self._covered(lines)
        drop = {i for i, share in enumerate(mine) if share is not None and share >= MOST}
        drop |= _between(lines, drop) | _heads(lines, drop)
        return "\n".join(line for i, line in enumerate(lines) if i not in drop)

    def _covered(self, lines: list[str]) -> list[float | None]:
        """For each line, the share of its words inside one of roundup's runs (None: a line with no words)."""
        where: list[int] = []
        seq: list[str] = []
        for number, line in enumerate(lines):
            found = words(line)
            seq += found
            where += [number] * len(found)
        covered = [False] * len(seq)
        for i in range(len(seq) - RUN + 1):
            if hash(tuple(seq[i:i + RUN])) in self.runs:
                covered[i:i + RUN] = [True] * RUN
        total, hit = [0] * len(lines), [0] * len(lines)
        for number, yes in zip(where, covered):
            total[number] += 1
            hit[number] += yes
        return [hit[n] / total[n] if total[n] else None for n in range(len(lines))]


def _between(lines: list[str], drop: set[int]) -> set[int]:
    """Lines with no words ("", ">", "____") lying between two dropped lines."""
    out, last = set(), None
    for i, line in enumerate(lines):
        if i in drop:
            if last is not None:
                out.update(j for j in range(last + 1, i) if not words(lines[j]))
            last = i
        elif words(line):
            last = None
    return out


def _heads(lines: list[str], drop: set[int]) -> set[int]:
    """Above each dropped passage: what a client writes before what it quotes, in any language: a header
    block of two to eight "Label: value" lines (with a rule above it), or one attribution line ending in a colon."""
    out: set[int] = set()
    for start in (i for i in sorted(drop) if i - 1 not in drop):
        i = top = _up(lines, start - 1)
        block = []
        while i >= 0 and len(block) < 8 and (_HEAD_LINE.match(lines[i]) or _RULE.match(lines[i])):
            block.append(i)
            i -= 1
        if len(block) >= 2:
            out.update(block)
            above = _up(lines, i)
            if above >= 0 and _RULE.match(lines[above]):
                out.add(above)
        elif top >= 0 and (lines[top].rstrip().endswith((":", "：")) or _RULE.match(lines[top])):
            out.add(top)
    return out


def _up(lines: list[str], i: int) -> int:
    """The nearest line at or above `i` with something on it (-1 when there is none)."""
    while i >= 0 and not lines[i].strip():
        i -= 1
    return i
