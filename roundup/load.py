"""Reading source files: YAML with line numbers, Markdown with front matter, all errors located."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
    """A safe YAML loader whose mappings are LineDicts and which refuses aliases."""

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
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _AliasFound()
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date like 2026-02-30
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not valid here ({exc})", node.start_mark) from None


class _AliasFound(Exception):
    """Raised on the first alias; the slower pure-Python pass then finds its line."""


class _AliasLocator(yaml.SafeLoader):
    """Composes YAML in Python only to report where the first alias is."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in roundup files", self.peek_event().start_mark)
        return super().compose_node(parent, index)


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
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_text(root: Path, path: Path) -> str | Problem:
    """The file's text, or a Problem saying why it cannot be read."""
    name = rel(root, path)
    try:
        if path.is_symlink() and not _inside(root, path.resolve()):
            return Problem(name, None, "is a symbolic link to a file outside the site; refusing to read it")
        if path.stat().st_size > MAX_FILE_BYTES:
            return Problem(name, None, f"is larger than {MAX_FILE_BYTES // 1_000_000} MB; roundup files are short texts")
        data = path.read_bytes()
    except OSError as exc:
        return Problem(name, None, f"cannot be read: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(name, line, f"is not valid UTF-8 (byte {exc.start}); save it as UTF-8")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _inside(root: Path, path: Path) -> bool:
    try:
        path.relative_to(root.resolve())
        return True
    except ValueError:
        return False


def parse_yaml(text: str, path: str, first_line: int = 1) -> LineDict | Problem:
    """Parse YAML text that must hold a mapping; `first_line` offsets reported lines."""
    loader = _LineLoader(text)
    loader.first_line = first_line
    try:
        try:
            data = loader.get_single_data()
        except _AliasFound:
            yaml.compose(text, Loader=_AliasLocator)
            raise yaml.YAMLError("YAML aliases (*name) are not allowed in roundup files") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else first_line
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return Problem(path, line, f"invalid YAML: {message}")
    except (yaml.YAMLError, RecursionError) as exc:
        return Problem(path, first_line, f"invalid YAML: {str(exc) or type(exc).__name__}")
    finally:
        loader.dispose()
    if data is None:
        return LineDict()
    if not isinstance(data, LineDict):
        return Problem(path, first_line, f"must be a mapping of `key: value` lines, not {describe(data)}")
    return data


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
"""Parsed files by identity (inode, size, mtime in ns): a long-running `serve` re-parses only what changed."""


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


def _load_yaml_file(root: Path, path: Path) -> Document | Problem:
    """A whole-YAML file (site.yml, a profile, approvals.yml)."""
    text = read_text(root, path)
    if isinstance(text, Problem):
        return text
    name = rel(root, path)
    data = parse_yaml(text, name)
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
load_markdown_file = _memoised("markdown", _load_markdown_file)
