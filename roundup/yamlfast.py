"""A fast reader for the plain subset of YAML that roundup's files use; anything else is left to PyYAML.

Reading YAML through PyYAML costs about 0.3 ms per kilobyte, which made approvals files (a copy of every
approved voice) the largest cost of a build. Roundup's own files, and nearly all that people write, use
block mappings and sequences, one-line flow lists and mappings, plain and single-quoted scalars. This
reader handles exactly those and *declines* (returns None) at the first sign of anything else — tabs,
anchors, tags, comments after values, block scalars, escapes, duplicate keys, odd indentation — so the
caller falls back to the full loader, which also reports errors with their lines. Where it does answer,
its result equals the full loader's, values and line numbers alike (a differential test holds it to that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_REFUSED_CHARS = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
"""Tabs, control characters, YAML 1.1 line breaks (NEL, LS, PS) and byte-order marks: left to PyYAML."""
_INDICATOR_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_KEY = re.compile(r"([^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#]*?) *:(?: +|$)")
_FLOW_PAIR = re.compile(r" *([^\s,\[\]{}#&*!|>'\"%@`?:-][^,\[\]{}#:]*?) *: +"
                        r"(?:'((?:[^']|'')*)'|\"([^\"]*)\"|([^\s,\[\]{}#&*!|>'\"%@`?:-][^,\[\]{}#]*?)) *(,|\Z)")
_FLOW_ITEM = re.compile(r" *(?:'((?:[^']|'')*)'|\"([^\"]*)\"|([^\s,\[\]{}#&*!|>'\"%@`?:-][^,\[\]{}#]*?)) *(,|\Z)")


MAX_DEPTH = 20
"""Deeper nesting is declined, and left to the full loader and its limits."""


class Decline(Exception):
    """The text is outside the subset: let the full loader read it."""


@dataclass(frozen=True, slots=True)
class Deferred:
    """A nested block kept as text, read only when someone needs it (see `read`'s `defer`)."""

    text: str
    """The block's lines, its common indentation removed."""
    first_line: int
    """The line of the file where the block starts."""


def read(text: str, first_line: int, mapping: Callable[[], Any], defer: str | None = None) -> Any:
    """The mapping in `text` as the full loader would give it (mappings made by `mapping()`, carrying
    `.line` and `.lines`), or None when this reader declines. With `defer`, a block under that key in a
    top-level entry is not read but kept as a Deferred: approvals.yml keeps a long copy of each approved
    voice there that a build needs only when the voice has changed since."""
    if "\\" in text or not (text.replace("\n", "").isprintable() if text.isascii()
                             else _REFUSED_CHARS.search(text) is None):
        return None
    try:
        return _Reader(text.split("\n"), first_line, mapping, defer).document()
    except (Decline, ValueError, TypeError, OverflowError, yaml.YAMLError):
        return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Reader:
    def __init__(self, lines: list[str], first_line: int, mapping: Callable[[], Any], defer: str | None):
        self.lines, self.first_line, self.i = lines, first_line, 0
        self.mapping, self.defer, self.depth = mapping, defer, 0
        self.indents = [len(line) - len(line.lstrip(" ")) for line in lines]
        """Each line's indentation; a line that is blank or a comment has -1."""
        for n, line in enumerate(lines):
            if self.indents[n] == len(line) or line[self.indents[n]] == "#":
                self.indents[n] = -1

    def document(self) -> Any:
        self._skip_blank()
        if self.i == len(self.lines):
            return self.mapping()
        line = self.lines[self.i]
        if _indent(line) != 0 or line.startswith(("---", "...", "- ", "%")) or line == "-":
            raise Decline
        result = self._mapping(0, top=True)
        self._skip_blank()
        if self.i != len(self.lines):
            raise Decline
        return result

    def _skip_blank(self) -> None:
        """Past blank lines and whole-line comments."""
        while self.i < len(self.lines) and self.indents[self.i] < 0:
            self.i += 1

    def _block(self, indent: int) -> Any:
        """The mapping or sequence whose first line (the current one) is at `indent`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Decline
        line = self.lines[self.i]
        try:
            if line[indent:indent + 2] == "- " or line[indent:] == "-":
                return self._sequence(indent)
            return self._mapping(indent)
        finally:
            self.depth -= 1

    def _mapping(self, indent: int, top: bool = False, entry: bool = False) -> Any:
        result = self.mapping()
        result.line = self.i + self.first_line
        while True:
            self._skip_blank()
            if self.i == len(self.lines) or self.indents[self.i] < indent:
                return result
            line = self.lines[self.i]
            match = _KEY.match(line, indent)
            if self.indents[self.i] != indent or match is None:
                raise Decline
            key = _plain(match.group(1))
            if not isinstance(key, str) or key in result:
                raise Decline
            result.lines[key] = self.i + self.first_line
            rest = line[match.end():]
            self.i += 1
            if entry and key == self.defer and not rest:
                result[key] = self._deferred(indent)
            else:
                result[key] = self._value(rest, indent, allow_indentless=True, entry=top)

    def _deferred(self, indent: int) -> Deferred | None:
        """The block under a deferred key: every following line indented deeper than `indent`."""
        self._skip_blank()
        start = self.i
        while self.i < len(self.lines) and (self.indents[self.i] < 0 or self.indents[self.i] > indent):
            self.i += 1
        while self.i > start and self.indents[self.i - 1] < 0:
            self.i -= 1
        if self.i == start:
            return None
        margin = self.indents[start]
        block = []
        for line in self.lines[start:self.i]:
            if line[:margin].strip():
                raise Decline  # less indented than the block's first line: not a block of its own
            block.append(line[margin:])
        return Deferred("\n".join(block) + "\n", start + self.first_line)

    def _sequence(self, indent: int) -> list[Any]:
        result = []
        while True:
            self._skip_blank()
            if self.i == len(self.lines) or self.indents[self.i] < indent:
                return result
            line = self.lines[self.i]
            if self.indents[self.i] != indent or not (line[indent:indent + 2] == "- " or line[indent:] == "-"):
                if self.indents[self.i] == indent:
                    return result  # an indentless sequence ends at its parent's next key
                raise Decline
            content = line[indent + 1:].lstrip(" ")
            column = len(line) - len(content)
            if content and (content.startswith(("- ", "-")) and (content == "-" or content[1] == " ")
                            or _KEY.match(content)):
                self.lines[self.i] = " " * column + content  # a nested block starting on the dash's line
                self.indents[self.i] = column
                result.append(self._block(column))
            else:
                self.i += 1
                result.append(self._value(content, indent, allow_indentless=False))

    def _value(self, rest: str, indent: int, allow_indentless: bool, entry: bool = False) -> Any:
        """The value after `key:` or `- ` on a line at `indent` (the line itself is consumed)."""
        if not rest.strip():
            self._skip_blank()
            if self.i < len(self.lines):
                line = self.lines[self.i]
                deeper = self.indents[self.i]
                if deeper > indent:
                    if entry and line[deeper:deeper + 2] != "- " and line[deeper:] != "-":
                        return self._mapping(deeper, entry=True)
                    return self._block(deeper)
                if allow_indentless and deeper == indent and (line[indent:indent + 2] == "- " or line[indent:] == "-"):
                    return self._sequence(indent)
            return None
        first = rest[0]
        if first == "'":
            return self._quoted(rest, indent)
        if first == '"':  # one line, no escapes (a backslash anywhere already declined the text)
            end = rest.find('"', 1)
            if end < 0 or rest[end + 1:].strip():
                raise Decline
            return rest[1:end]
        if first == "[" and rest.rstrip().endswith("]"):
            return _flow_items(rest.rstrip()[1:-1])
        if first == "{" and rest.rstrip().endswith("}"):
            return self._flow_mapping(rest.rstrip()[1:-1])
        if first in _INDICATOR_START:
            raise Decline
        return _plain(self._folded_plain(rest, indent))

    def _folded_plain(self, rest: str, indent: int) -> str:
        """A plain scalar, with its continuation lines folded as YAML does."""
        parts = [_plain_text(rest)]
        breaks = 0
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if not line.strip():
                breaks, self.i = breaks + 1, self.i + 1
                continue
            if _indent(line) <= indent:
                break
            stripped = line.strip()
            if stripped[0] in _INDICATOR_START or stripped.startswith(("---", "...")):
                raise Decline
            parts.append("\n" * breaks if breaks else " ")
            parts.append(_plain_text(stripped))
            breaks, self.i = 0, self.i + 1
        self.i -= breaks  # trailing blank lines belong to no one
        return "".join(parts)

    def _quoted(self, rest: str, indent: int) -> str:
        """A single-quoted scalar from `rest` onwards, over as many lines as it takes."""
        text, pieces = rest[1:], []
        while True:
            end = _closing_quote(text)
            if end is not None:
                pieces.append(text[:end])
                if text[end + 1:].strip():
                    raise Decline
                break
            pieces.append(text)
            if self.i == len(self.lines):
                raise Decline
            text = self.lines[self.i]
            if text.strip() and _indent(text) <= indent:
                raise Decline
            self.i += 1
        return _fold_quoted(pieces).replace("''", "'")

    def _flow_mapping(self, inner: str) -> Any:
        """A one-line `{key: value, ...}` of plain keys and plain or single-quoted values."""
        result = self.mapping()
        result.line = self.i - 1 + self.first_line
        at = 0
        while inner.strip() and at < len(inner):
            match = _FLOW_PAIR.match(inner, at)
            if match is None or (match.group(5) == "," and match.end() == len(inner)):
                raise Decline
            key = _plain(match.group(1))
            if not isinstance(key, str) or key in result:
                raise Decline
            result[key] = _flow_scalar(*match.group(2, 3, 4))
            result.lines[key] = result.line
            at = match.end()
        return result


def _closing_quote(text: str) -> int | None:
    """Where the closing quote of a single-quoted scalar is in `text` ('' is an escaped quote)."""
    at = 0
    while (at := text.find("'", at)) >= 0:
        if text[at + 1:at + 2] == "'":
            at += 2
            continue
        return at
    return None


def _fold_quoted(pieces: list[str]) -> str:
    """YAML line folding: one line break becomes a space, each further empty line a newline."""
    if len(pieces) == 1:
        return pieces[0]
    out = [pieces[0].rstrip(" ")]
    breaks = 0
    for index, piece in enumerate(pieces[1:], 1):
        last = index == len(pieces) - 1
        stripped = piece.lstrip(" ") if last else piece.strip(" ")
        if not stripped and not last:
            breaks += 1
            continue
        out.append("\n" * breaks if breaks else " ")
        out.append(stripped)
        breaks = 0
    if breaks:
        out.append("\n" * breaks)
    return "".join(out)


def _flow_items(inner: str) -> list[Any]:
    """The items of a one-line flow sequence: plain or single-quoted scalars."""
    if not inner.strip():
        return []
    items, at = [], 0
    while at < len(inner):
        match = _FLOW_ITEM.match(inner, at)
        if match is None or (match.group(4) == "," and match.end() == len(inner)):
            raise Decline
        items.append(_flow_scalar(*match.group(1, 2, 3)))
        at = match.end()
    return items


def _flow_scalar(quoted: str | None, double: str | None, plain: str | None) -> Any:
    if quoted is not None:
        return quoted.replace("''", "'")
    if double is not None:
        return double
    if ": " in plain or plain.endswith(":"):
        raise Decline
    return _plain(plain)


def _plain_text(text: str) -> str:
    """One line of a plain scalar, refusing what would end it early or make it something else."""
    text = text.rstrip(" ")
    if ": " in text or " #" in text or text.endswith(":"):
        raise Decline
    return text


@lru_cache(maxsize=4096)
def _plain(text: str) -> Any:
    """A plain scalar resolved and constructed exactly as PyYAML's safe loader does."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR:
        return text
    return _CONSTRUCTOR.construct_object(yaml.ScalarNode(tag, text))
