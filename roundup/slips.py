"""What went wrong in YAML a person wrote, in plain words with the fix; asked only once a text failed to read."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

MAX_TEXT = 100_000
"""Slips are looked for in texts of at most this many characters (people write short files; a longer one
gets PyYAML's own message)."""
MAX_ROUNDS = 20
"""A slip with a sure fix is fixed and the text read again, to find the next slip: at most this often."""
RESERVED = "@`%*!"
"""Characters YAML does not allow at the start of a plain value."""

_LINE = re.compile(r"(?P<indent> *)(?P<dashes>(?:-(?: +|$))*)"
                   r"(?:(?P<key>'[^']*'|\"[^\"]*\"|[^\s'\"#\[\]{},&*!|>%@`][^#]*?)[ \t]*:(?:[ \t]+|$))?"
                   r"(?P<value>.*)")
"""A block line: its indentation, list dashes, `key:` and whatever follows."""
_NO_SPACE = re.compile(r"(?P<indent> *)(?P<key>[A-Za-z_][\w-]*):(?P<value>[^\s/:].*)")
"""`key:value`, the space after the colon forgotten."""
_FLOW_RESERVED = re.compile(r"(?<=[\[{,:])(?P<space> *)(?P<item>[%s][^,\]}]*?)(?= *[,\]}])" % re.escape(RESERVED))
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*")


@dataclass(frozen=True, slots=True)
class Slip:
    """One slip: where, what to do, and the line as it was surely meant."""

    line: int
    """0-based index of the line in the text read."""
    column: int
    """1-based."""
    message: str
    fixed: str | None = None
    """The line with the slip fixed, when the fix is sure; the text is then read again for further slips."""


def find(text: str, failure: yaml.MarkedYAMLError | str, read: Callable[[str], Any]) -> list[Slip]:
    """The slips in `text`, starting from the first `failure` (PyYAML's error, or the text that the whole
    YAML turned out to be); after each slip with a sure fix, `read` (which raises like PyYAML) reads the
    fixed text again for the next. [] when the first failure is not a slip this module knows."""
    if len(text) > MAX_TEXT:
        return []
    lines = text.split("\n")
    found: list[Slip] = []
    while len(found) < MAX_ROUNDS:
        slip = explain(lines, failure)
        if slip is None or any(s.line == slip.line for s in found):
            break
        found.append(slip)
        if slip.fixed is None:
            break
        lines[slip.line] = slip.fixed
        failure = _failure(read, "\n".join(lines))
        if failure is None:
            break
    return found


def _failure(read: Callable[[str], Any], text: str) -> yaml.MarkedYAMLError | str | None:
    try:
        data = read(text)
    except yaml.MarkedYAMLError as exc:
        return exc
    except (yaml.YAMLError, RecursionError):
        return None
    return data if isinstance(data, str) else None


def explain(lines: list[str], failure: yaml.MarkedYAMLError | str) -> Slip | None:
    """The slip behind `failure` in `lines`, looked for on the line PyYAML stopped at and the lines
    before it; None when it is none of the slips known here."""
    if isinstance(failure, str):  # `key:value` lines read as one long text
        return next((slip for i in range(len(lines)) if (slip := _no_space(lines, i))), None)
    mark = failure.problem_mark or failure.context_mark
    if mark is None or not _explicable(failure):
        return None
    at = min(mark.line, len(lines) - 1)
    context = min(failure.context_mark.line, at) if failure.context_mark else at
    before = next((i for i in range(at - 1, -1, -1) if _is_content(lines[i])), at)
    block = _block_text(lines, at)
    for index in dict.fromkeys((at, context, before)):
        if not _is_content(lines[index]) or (index != at and index in block):
            continue
        for check in (_tab, _reserved, _no_space, _inner_colon):
            if slip := check(lines, index):
                return slip
    return _indentation(lines, at, block) if _is_content(lines[at]) else None


def _explicable(failure: yaml.MarkedYAMLError) -> bool:
    """Syntax errors, and the two meanings YAML gives to `*` and `!` at the start of a value."""
    problem = str(failure.problem)
    return (isinstance(failure, (yaml.scanner.ScannerError, yaml.parser.ParserError))
            or problem.startswith(("found undefined alias", "could not determine a constructor for the tag '!")))


def missing_space(text: str) -> str | None:
    """`key: value` when `text` starts like `key:value`, the space after the colon forgotten."""
    match = _NO_SPACE.match(text)
    return f"{match['key']}: {match['value'].split()[0]}" if match else None


def _tab(lines: list[str], i: int) -> Slip | None:
    line = lines[i]
    lead = line[:len(line) - len(line.lstrip(" \t"))]
    if "\t" not in lead:
        return None
    return Slip(i, lead.index("\t") + 1, "YAML indents with spaces, not tabs: replace the tab at the start "
                                         "of this line with spaces, as many as the lines beside it use")


def _reserved(lines: list[str], i: int) -> Slip | None:
    """A value starting with `@`, a backquote, `%`, `*` or `!`, alone or in a [flow, list]."""
    m = _LINE.fullmatch(lines[i])
    value, comment = _split_comment(m["value"])
    if value and value[0] in RESERVED:
        at, fixed = 0, _quoted(value)
    elif value and value[0] in "[{" and (item := _FLOW_RESERVED.search(value)):
        at, fixed = item.start("item"), _FLOW_RESERVED.sub(lambda f: f["space"] + _quoted(f["item"]), value)
    else:
        return None
    head = lines[i][:m.start("value")]
    char = "a backquote" if value[at] == "`" else f"`{value[at]}`"
    return Slip(i, m.start("value") + at + 1, f"invalid YAML: a value starting with {char} must be in quotes; "
                                              f"quote it: {_shown(head.lstrip() + fixed)}", head + fixed + comment)


def _no_space(lines: list[str], i: int) -> Slip | None:
    m = _NO_SPACE.fullmatch(lines[i])
    if m is None:
        return None
    value, comment = _split_comment(m["value"])
    if not value:
        return None
    fixed = f"{m['key']}: {_quoted(value) if _needs_quotes(value) else value}"
    return Slip(i, m.end("key") + 1, f"invalid YAML: missing space after `:` in `{_shown(m['key'] + ':' + value)}`; "
                                     f"write {_shown(fixed)}", m["indent"] + fixed + comment)


def _inner_colon(lines: list[str], i: int) -> Slip | None:
    """`key: text: more`: the second `: ` would start a mapping inside the value."""
    m = _LINE.fullmatch(lines[i])
    value, comment = _split_comment(m["value"])
    if not (m["key"] or m["dashes"]) or not value or value[0] in "'\"[{|>":
        return None
    at = value.find(": ") if ": " in value else (len(value) - 1 if value.endswith(":") else -1)
    if at < 0:
        return None
    head = lines[i][:m.start("value")]
    fixed = head + _quoted(value)
    return Slip(i, m.start("value") + at + 1, "invalid YAML: a `: ` inside a value starts a mapping unless the "
                                              f"value is in quotes; quote it: {_shown(fixed.lstrip())}", fixed + comment)


def _indentation(lines: list[str], i: int, block: set[int]) -> Slip | None:
    """A line indented unlike the entries it belongs with: deeper than a `key: value` line above it,
    or at a depth no line above it has (`block`: the lines that are text inside `|` and `>` blocks)."""
    m = _LINE.fullmatch(lines[i])
    indent, content = len(m["indent"]), lines[i].lstrip(" ")
    above = _structure_above(lines, i, block)
    if not above:
        return None
    p = _LINE.fullmatch(lines[above[0]])
    p_content = _depths(p)[1]
    if indent > p_content and p["key"] and not _opens(p):
        message = (f"invalid YAML: {_label(m)} is indented more than {_label(p)} above it, which already has its "
                   "value; indent both by the same number of spaces (or, if this line goes on with that value, put "
                   "the whole value in quotes)")
        return Slip(i, indent + 1, message, " " * p_content + content)
    depths = {depth: a for a in reversed(above) for depth in _depths(_LINE.fullmatch(lines[a]))}
    deeper = [depth for depth in depths if depth > indent]
    if indent >= p_content or indent in depths or not deeper:
        return None
    depth = min(deeper)
    s = _LINE.fullmatch(lines[depths[depth]])
    message = (f"invalid YAML: {_label(m)} is indented {_spaces(indent)}, but {_label(s)} above it {depth}; "
               "indent the entries of one mapping or list by the same number of spaces")
    return Slip(i, indent + 1, message, " " * depth + content)


def _depths(m: re.Match) -> tuple[int, int]:
    """Where a line's entry starts, and where its content starts (after any `- `)."""
    return len(m["indent"]), len(m["indent"]) + len(m["dashes"])


def _structure_above(lines: list[str], i: int, block: set[int]) -> list[int]:
    """The line before line `i` (blank lines, comments and block text skipped), then each line above it
    that is less indented than the one before: the entries that line `i` may belong to."""
    found: list[int] = []
    for index in range(i - 1, -1, -1):
        if not _is_content(lines[index]) or index in block:
            continue
        if not found or _indent(lines[index]) < _indent(lines[found[-1]]):
            found.append(index)
            if _indent(lines[index]) == 0:
                break
    return found


def _block_text(lines: list[str], end: int) -> set[int]:
    """The lines up to `end` that are text inside a `|` or `>` block (indented under the line opening it)."""
    inside: set[int] = set()
    opened: int | None = None
    for index in range(end + 1):
        line = lines[index]
        if opened is not None and (not line.strip() or _indent(line) > opened):
            inside.add(index)
            continue
        m = _LINE.fullmatch(line)
        opened = _depths(m)[1] if _opens(m, block_only=True) else None
    return inside


def _opens(m: re.Match, block_only: bool = False) -> bool:
    """Whether the line's value comes on the lines below it (a block, or with `block_only` a `|`/`>` text)."""
    value = _split_comment(m["value"])[0].strip()
    if _BLOCK_SCALAR.fullmatch(value):
        return True
    return not block_only and not value and bool(m["key"] or m["dashes"])


def _label(m: re.Match) -> str:
    text = f"{m['dashes']}{m['key']}:" if m["key"] else m.group(0).strip()
    return f"`{_shown(text.strip(), 40)}`"


def _split_comment(value: str) -> tuple[str, str]:
    """A plain value and its trailing ` # comment` (kept as written)."""
    at = re.search(r"[ \t]#", value)
    if at is None or value.startswith(("'", '"')):
        return value.rstrip(), ""
    return value[:at.start()].rstrip(), value[at.start():]


def _needs_quotes(value: str) -> bool:
    return value[:1] != "" and value[0] in RESERVED or ": " in value or value.endswith(":")


def _quoted(value: str) -> str:
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _shown(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _spaces(count: int) -> str:
    return f"{count} space" if count == 1 else f"{count} spaces"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")
