"""The fast YAML reader against PyYAML: wherever it answers, values and line numbers are the full loader's;
it declines everything outside its subset; deferred blocks read back to the full loader's values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from roundup import yamlfast
from roundup.approvals import dump
from roundup.load import LineDict, _LineLoader, _may_hide_a_bomb, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def full(text: str, first_line: int = 1):
    """PyYAML's answer through roundup's line-keeping loader: a LineDict, or the error it raises."""
    loader = _LineLoader(text)
    loader.first_line = first_line
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        return exc
    finally:
        loader.dispose()
    return LineDict() if data is None else data


def fast(text: str, first_line: int = 1, defer: str | None = None):
    return yamlfast.read(text, first_line, LineDict, defer)


def canon(value):
    """Values with their types and every mapping's lines, for an exact comparison."""
    if isinstance(value, LineDict):
        return ("map", value.line, tuple((canon(k), value.lines.get(k), canon(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(canon(v) for v in value))
    return (type(value).__name__, value)


def agrees(text: str, first_line: int = 1) -> bool:
    """The fast reader declined, or said exactly what the full loader says (and the full loader accepted)."""
    answer = fast(text, first_line)
    if answer is None:
        return True
    expected = full(text, first_line)
    assert not isinstance(expected, Exception), f"fast reader accepted what PyYAML refuses: {expected}"
    assert canon(answer) == canon(expected)
    return True


def yaml_texts() -> list[tuple[str, str, int]]:
    """Every YAML text of the example site and the tests' fixtures: (name, text, first line)."""
    found = []
    for path in sorted(ROOT.glob("**/*")):
        if ".venv" in path.parts or "node_modules" in path.parts or not path.is_file():
            continue
        if path.suffix in (".yml", ".yaml"):
            found.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"), 1))
        elif path.suffix == ".md" and path.read_text(encoding="utf-8").startswith("---\n"):
            text = path.read_text(encoding="utf-8")
            end = text.find("\n---", 3)
            if end > 0:
                found.append((str(path.relative_to(ROOT)), text[4:end + 1], 2))
    return found


def test_every_file_of_the_project_reads_the_same():
    texts = yaml_texts()
    assert len(texts) > 20
    answered = sum(fast(text, first) is not None for _, text, first in texts)
    for name, text, first in texts:
        assert agrees(text, first), name
    assert answered >= len(texts) * 0.7, f"only {answered} of {len(texts)} read fast"


scalar = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
    st.text(" \n'\":#-?[]{},&*!|>%@`abc", max_size=40),
    st.sampled_from(["yes", "no", "on", "null", "~", "true", "1.5", "0x1F", "2026-01-31", "12:30", "-", "- a",
                     "#", "a #b", "a: b", "'", "''", " lead", "trail ", "a\n\nb", "\n", "", "---", "..."]),
    st.integers(-10**6, 10**6), st.booleans(), st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
)
key = st.one_of(st.from_regex(r"\A[a-z][a-z0-9-]{0,12}\Z"), st.text(min_size=1, max_size=12))
data = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(key, inner, max_size=4)), max_leaves=20)


@MANY
@given(st.dictionaries(key, data, max_size=6))
def test_what_roundup_writes_reads_the_same(value):
    """approvals.yml is written by `dump`: whatever it holds reads back identically, fast or not."""
    text = dump(value)
    assert agrees(text)


@MANY
@given(st.dictionaries(key, data, max_size=6), st.booleans(), st.integers(20, 120))
def test_other_writers_styles_read_the_same(value, flow, width):
    text = yaml.safe_dump(value, default_flow_style=flow, width=width, allow_unicode=True, sort_keys=False)
    assert agrees(text)


LINE = st.builds(lambda indent, parts: " " * indent + "".join(parts), st.integers(0, 6),
                 st.lists(st.sampled_from(["a", "b c", "key", ": ", ":", "- ", "-", "'", "''", "[", "]", "{", "}",
                                           ", ", "#", " #", "x: y", "'q r'", "1", "null", "é", "2026-02-30",
                                           "  ", "&a", "*a", "!t", "|", ">", "?", "\\", "\"", "\t"]), max_size=6))


@MANY
@given(st.lists(LINE, min_size=1, max_size=10), st.integers(1, 3))
@example(["a: 'x", "  y'"], 1)
@example(["a:", "- b", "c: d"], 1)
@example(["a: b", "  c", "", "  d"], 2)
@example(["a:", "  - - b", "    - c", "  - d: e", "    f: g"], 1)
def test_any_text_is_read_the_same_or_declined(lines, first_line):
    assert agrees("\n".join(lines) + "\n", first_line)


def test_deferred_copies_read_back_to_the_full_loaders_values():
    entries = {"ann": {"digest": "sha256:1", "via": "cli",
                       "content": {"quote": {"prompt": "Why?", "body": "It's *long*\n\n# not a heading here" * 3},
                                   "profile": {"links": [["Blog", "https://a.example/"]], "avatar": None}}},
               "bo": {"digest": "sha256:2", "content": {"quote": {"body": "x: y"}}}}
    text = dump(entries)
    answer = fast(text, defer="content")
    expected = full(text)
    for cid in entries:
        deferred = answer[cid]["content"]
        assert isinstance(deferred, yamlfast.Deferred)
        copy = parse_yaml(deferred.text, "approvals.yml", deferred.first_line)
        assert canon(copy) == canon(expected[cid]["content"])
        assert {k: v for k, v in answer[cid].items() if k != "content"} == \
               {k: v for k, v in expected[cid].items() if k != "content"}


@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  x\n", "a: \"x\\ny\"\n",
                                  "a: 1\na: 2\n", "a:\tb\n", "a: b # note\n", "? a\n: b\n", "- a\n",
                                  "a:\n" + "".join("  " * n + f"k{n}:\n" for n in range(1, 30)) + "  " * 30 + "x: 1\n"])
def test_outside_the_subset_is_declined(text):
    assert fast(text) is None


def test_limits_still_apply_through_the_full_loader():
    deep = "a: " + "[" * 60 + "]" * 60 + "\n"
    assert fast(deep) is None and _may_hide_a_bomb(deep)
    problem = parse_yaml(deep, "x.yml")
    assert "nested more than" in problem.message
