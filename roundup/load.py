"""Reading source files: YAML with line numbers, Markdown with front matter, all errors located."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from roundup import slips, yamlfast
from roundup.errors import Problem

MAX_FILE_BYTES = 2_000_000
"""Inputs are short texts; anything larger is a mistake (or an attack) and is refused unread."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict):
    """A mapping read from YAML that remembers the line of each key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[Any, int] = {}
        self.line: int | None = None

    def line_of(self, key: Any) -> int | None:
        return self.lines.get(key, self.line)


class _LineLoader(_Loader):  # type: ignore[misc, valid-type]
    """A safe YAML loader whose mappings are LineDicts (aliases are refused before it runs, by `_screen`)."""

    first_line = 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        result = LineDict()
        result.line = node.start_mark.line + self.first_line
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be plain text", key_node.start_mark)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            result[key] = self.construct_object(value_node, deep=True)
            result.lines[key] = key_node.start_mark.line + self.first_line
        return result

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date like 2026-02-30
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not valid here ({exc})", node.start_mark) from None


MAX_DEPTH = 50
MAX_VALUES = 50_000
"""Real roundup files nest a few levels and hold hundreds of values. Beyond these limits a file is refused
before anything is built: libyaml's composer recurses in C (a crash, not an error), its scanner slows with
every open level, and each value costs time and memory (2 MB of `{}, ` would take 8 s and 450 MB)."""
TOO_DEEP = f"lists and mappings are nested more than {MAX_DEPTH} levels deep"


def _may_hide_a_bomb(text: str) -> bool:
    """Cheap signs that a text could hold an alias, deep nesting or too many values; most files show none,
    and skipping the event-by-event screen for them keeps reading a large site fast. A file's depth is at
    most 1 + twice its deepest indentation + its `[`, `{` and `? ` + the most `- ` on one line: with each
    below a third of the limit, the file is within it."""
    return (("&" in text and "*" in text) or len(text) > 2 * MAX_VALUES
            or text.count("[") + text.count("{") + text.count("? ") >= MAX_DEPTH // 3
            or _DASHES.search(text) is not None or _DEEP_INDENT.search(text) is not None)


_DASHES = re.compile(r"(?:-[ \t]+){%d,}" % (MAX_DEPTH // 3))
_DEEP_INDENT = re.compile(r"^[ \t]{%d,}" % (MAX_DEPTH // 3), re.MULTILINE)


def _screen(text: str) -> None:
    """Refuse aliases (a bomb), deep nesting and too many values, at the first event showing one of them."""
    events = _Loader(text)
    depth = values = 0
    try:
        while events.check_event():
            event = events.get_event()
            depth += isinstance(event, yaml.CollectionStartEvent) - isinstance(event, yaml.CollectionEndEvent)
            values += isinstance(event, yaml.NodeEvent)
            if isinstance(event, yaml.AliasEvent):
                problem = "YAML aliases (*name) are not allowed in roundup files"
            elif depth > MAX_DEPTH:
                problem = TOO_DEEP
            elif values > MAX_VALUES:
                problem = f"more than {MAX_VALUES} values in one file; roundup files are short"
            else:
                continue
            raise yaml.composer.ComposerError(None, None, problem, event.start_mark)
    finally:
        events.dispose()


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)


@dataclass(slots=True)
class Document:
    """A source file split into its YAML data and Markdown body."""

    path: str
    """Relative to the site, forward slashes."""
    meta: LineDict = field(default_factory=LineDict)
    """Front matter (or the whole YAML file); empty when there is none."""
    body: str = ""
    """Markdown after the front matter."""
    body_line: int = 1
    """Line number in the file where `body` starts."""


def rel(root: Path, path: Path) -> str:
    """`path` relative to the site root, with forward slashes."""
    text, top = str(path), str(root)
    if text.startswith(top) and text[len(top):len(top) + 1] == os.sep:
        return text[len(top) + 1:].replace(os.sep, "/")
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_text(root: Path, path: Path) -> str | Problem:
    """The file's text, or a Problem saying why it cannot be read."""
    name = rel(root, path)
    try:
        if not _inside(root, _real_path(str(path))):
            link = "a symbolic link" if path.is_symlink() else "in a linked folder"
            return Problem(name, None, f"is {link} leading outside the site; refusing to read it")
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > MAX_FILE_BYTES:
                return Problem(name, None, f"is larger than {MAX_FILE_BYTES // 1_000_000} MB; roundup files are short texts")
            data = handle.read()
    except OSError as exc:
        return Problem(name, None, f"cannot be read: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(name, line, f"is not valid UTF-8 (byte {exc.start}); save it as UTF-8")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _real_path(path: str) -> str:
    """Where `path` really is, links followed; a folder's answer is remembered (posts have many files)."""
    if os.path.islink(path):
        return os.path.realpath(path)
    folder, name = os.path.split(path)
    return os.path.join(real_folder(folder), name)


@lru_cache(maxsize=256)
def real_folder(folder: str) -> str:
    """os.path.realpath of a folder, remembered; `load_site` forgets them all when it starts."""
    return os.path.realpath(folder)


def _inside(root: Path, path: str) -> bool:
    top = real_folder(str(root))
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def parse_yaml(text: str, path: str, first_line: int = 1, defer: str | None = None) -> LineDict | Problem:
    """Parse YAML text that must hold a mapping; `first_line` offsets reported lines. The common subset is
    read by `yamlfast` (with `defer`, see there); anything else, and every error, by PyYAML. A text that
    fails is explained by `slips` where it can be: every slip in it, at line and column."""
    if len(text) <= 2 * MAX_VALUES:  # so within MAX_VALUES; the fast reader keeps within MAX_DEPTH itself
        fast = yamlfast.read(text, first_line, LineDict, defer)
        if fast is not None:
            return fast
    try:
        data = _read(text, first_line)
    except yaml.MarkedYAMLError as exc:
        return _yaml_problem(text, path, first_line, exc)
    except (yaml.YAMLError, RecursionError) as exc:
        return Problem(path, first_line, f"invalid YAML: {str(exc) or type(exc).__name__}")
    if data is None:
        return LineDict()
    if not isinstance(data, LineDict):
        return _slips(text, path, first_line, data) or Problem(
            path, first_line, f"must be a mapping of `key: value` lines, not {describe(data)}")
    return data


def _read(text: str, first_line: int = 1) -> Any:
    """What the full loader reads from `text`, screened first when it might hide a bomb; raises YAMLError."""
    loader = _LineLoader(text)
    loader.first_line = first_line
    try:
        if _may_hide_a_bomb(text):
            _screen(text)
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_problem(text: str, path: str, first_line: int, exc: yaml.MarkedYAMLError) -> Problem:
    """PyYAML's error, explained where it is a slip `slips` knows."""
    mark = exc.problem_mark or exc.context_mark
    line = first_line + mark.line if mark else first_line
    if "maximum nesting depth" in str(exc.problem):  # newer libyaml stops at 1,000 levels itself
        return Problem(path, line, f"invalid YAML: {TOO_DEEP}")
    message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    return _slips(text, path, first_line, exc) or Problem(path, line, f"invalid YAML: {message}")


def _slips(text: str, path: str, first_line: int, failure: Any) -> Problem | None:
    """Every slip `slips` finds behind `failure` (an error, or what the text held instead of a mapping):
    the first as the Problem, the others carried with it."""
    if not isinstance(failure, (yaml.MarkedYAMLError, str)):
        return None
    found = [Problem(path, first_line + s.line, s.message, s.column) for s in slips.find(text, failure, _read)]
    return replace(found[0], more=tuple(found[1:])) if found else None


def describe(value: Any) -> str:
    """A reader's name for the type of a YAML value, for error messages."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "empty"
    return f"a {type(value).__name__}"


_PARSED: dict[tuple[Path, Path, str], tuple[tuple[int, int, int], Document | Problem]] = {}
"""Parsed whole-YAML files (site.yml, profiles) by identity (inode, size, mtime in ns): every `serve` rebuild
reads them all, and re-parses only what changed. Post files are not kept here: a post folder read is kept
whole by the build cache (`posts.Folders`), and keeping 100,000 parsed files cost every worker its memory."""


def _memoised(kind: str, parse):
    """Wrap a file parser so an unchanged file is never parsed twice in one process (results are read-only)."""
    def load(root: Path, path: Path) -> Document | Problem:
        try:
            st = path.stat()
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            return parse(root, path)
        key = (root, path, kind)
        hit = _PARSED.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
        result = parse(root, path)
        _PARSED[key] = (stamp, result)
        return result
    load.__doc__ = parse.__doc__
    return load


def _load_yaml_file(root: Path, path: Path, defer: str | None = None) -> Document | Problem:
    """A whole-YAML file (site.yml, a profile, approvals.yml)."""
    text = read_text(root, path)
    if isinstance(text, Problem):
        return text
    name = rel(root, path)
    data = parse_yaml(text, name, defer=defer)
    if isinstance(data, Problem):
        return data
    return Document(name, data)


_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


def _load_markdown_file(root: Path, path: Path) -> Document | Problem:
    """A Markdown file with optional YAML front matter between `---` lines."""
    text = read_text(root, path)
    if isinstance(text, Problem):
        return text
    name = rel(root, path)
    if not text.startswith("---") or not _FENCE.match(text):
        return Document(name, LineDict(), text, 1)
    first_nl = text.find("\n")
    closing = _FENCE.search(text, first_nl + 1) if first_nl >= 0 else None
    if closing is None:
        return Problem(name, 1, "front matter starts with `---` but has no closing `---` line")
    meta = parse_yaml(text[first_nl + 1:closing.start()], name, first_line=2)
    if isinstance(meta, Problem):
        return meta
    after = closing.end() + 1 if closing.end() < len(text) else closing.end()
    body_line = text.count("\n", 0, after) + 1
    return Document(name, meta, text[after:], body_line)


load_yaml_file = _memoised("yaml", _load_yaml_file)


def load_approvals_file(root: Path, path: Path) -> Document | Problem:
    """approvals.yml, each entry's `content` copy kept unread (a `yamlfast.Deferred`) where the file allows."""
    return _load_yaml_file(root, path, defer="content")


load_markdown_file = _load_markdown_file
