"""Reading and validating posts/<slug>/post.md and the quotes beside it."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from roundup import live, parallel
from roundup.approvals import Record, read_records, without_copies
from roundup.errors import Problem, Problems
from roundup.i18n import LANGUAGE_TAG
from roundup.fields import ID_RE, Fields, slugify
from roundup.load import Document, LineDict, load_markdown_file, rel
from roundup.model import STATUSES, Contributor, Live, Post, Quote
from roundup.progress import SILENT, Progress

POST_FIELDS = ("title", "date", "summary", "tags", "voices", "status", "deadline", "prompt")
QUOTE_FIELDS = ("prompt", "note", "remind_note", "lang")
VOICES_MARKER = re.compile(r"^[ \t]*<!--[ \t]*voices[ \t]*-->[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class PostEntry:
    """One post folder as it was read: enough to skip reading it again while its files are unchanged."""

    signature: tuple
    """(name, inode, size, mtime) of every file and folder the post was read from."""
    known: tuple[bool, ...]
    """For each voice listed, whether contributors/<id>.yml existed (a post's problems depend on it)."""
    post: Post | None
    """None when the folder had problems."""
    records: dict[str, Record]
    problems: tuple[Problem, ...]
    live: Live | None = None
    """The post's last fully approved version (published.yml), if it has one."""



@dataclass(slots=True)
class Folders:
    """The post folders as last read: kept between builds by the build cache, reused by `load_posts`
    while a folder's files are unchanged, and renewed by it."""

    entries: dict[str, PostEntry] = field(default_factory=dict)
    """By slug."""
    scanned: dict[str, tuple] = field(default_factory=dict)
    """The `post_signature` of folders already looked at in this run (by the cache's fingerprint or the
    watcher of `serve`), used once instead of looking again."""


def load_posts(root: Path, contributors: dict[str, Contributor], problems: Problems,
               progress: Progress = SILENT, folders: Folders | None = None, workers: int = 1,
               only: frozenset[str] | None = None) -> tuple[Post, ...]:
    """Every posts/<slug>/ (with `only`, those of these slugs), newest first. A post whose files are unchanged
    since `folders` were read is taken from them; the rest are read, on `workers` processes when there are many."""
    folder = root / "posts"
    if not folder.is_dir():
        return ()
    folders = folders if folders is not None else Folders()
    stale: list[tuple[Path, tuple]] = []
    entries: dict[str, PostEntry] = {}
    for path in post_folders(root, problems, only):
        sig = folders.scanned.pop(path.name, None) or post_signature(str(path))
        cached = folders.entries.get(path.name)
        if cached and cached.signature == sig and all(_has_profile(root, contributors, cid) == known
                                                      for cid, known in cached.known):
            entries[path.name] = cached
        else:
            stale.append((path, sig))
    for path, entry in zip((p for p, _ in stale), _read_all(root, contributors, stale, progress, workers)):
        entries[path.name] = entry
    if only is None:
        folders.entries = entries
    else:  # the other posts' entries stay as they were read
        folders.entries.update(entries)
    posts = []
    for entry in entries.values():
        problems.items.extend(entry.problems)
        if entry.post:
            posts.append(entry.post)
    posts.sort(key=lambda p: p.slug)
    posts.sort(key=lambda p: p.date, reverse=True)
    return tuple(posts)


def post_folders(root: Path, problems: Problems, only: frozenset[str] | None = None) -> list[Path]:
    """Every posts/<slug>/ folder (with `only`, those of these slugs), by name; a folder whose name is no
    slug is a problem."""
    if only is not None:
        return [root / "posts" / slug for slug in sorted(only)
                if ID_RE.match(slug) and (root / "posts" / slug).is_dir()]
    return [root / "posts" / slug for slug in post_slugs(root, problems)]


def post_slugs(root: Path, problems: Problems, listed: Iterable[str] | None = None) -> list[str]:
    """The name of every posts/<slug>/ folder (of those `listed`, when the folder was just listed), sorted;
    a folder whose name is no slug is a problem."""
    if listed is None:
        listed = []
        if (root / "posts").is_dir():
            with os.scandir(root / "posts") as entries:
                listed = [entry.name for entry in entries if entry.is_dir()]
    found = []
    for name in sorted(listed):
        if name.startswith("."):
            continue
        if not ID_RE.match(name):
            problems.add(f"posts/{name}", None, f"{name!r} is not a valid post slug "
                                                "(lowercase letters, digits and single hyphens, e.g. tools-we-keep)")
            continue
        found.append(name)
    return found


def _has_profile(root: Path, contributors: dict[str, Contributor], cid: str) -> bool:
    return cid in contributors or (root / "contributors" / f"{cid}.yml").is_file()


def _read_all(root: Path, contributors: dict[str, Contributor], stale: list[tuple[Path, tuple]],
              progress: Progress, workers: int) -> list[PostEntry]:
    done = []
    for entry in parallel.run(lambda item: read_entry(root, item[0], item[1], contributors), stale, workers):
        done.append(entry)
        progress("reading posts", len(done), len(stale))
    return done


def read_entry(root: Path, folder: Path, sig: tuple, contributors: dict[str, Contributor]) -> PostEntry:
    """One post folder read and validated, with its approvals, as `Folders` keep it."""
    problems = Problems()
    asked: dict[str, bool] = {}
    post = _post(root, folder, _Asked(root, contributors, asked), problems)
    records = read_records(root, post, problems) if post else {}
    shown = live.read(root, post, problems) if post else None
    return PostEntry(sig, tuple(asked.items()), post if not problems else None, without_copies(records),
                     tuple(problems.items), shown)


class _Asked(dict):
    """The contributors, remembering which ids a post asked about and whether they have a profile file
    (the post's problems depend on the answers)."""

    def __init__(self, root: Path, contributors: dict[str, Contributor], asked: dict[str, bool]):
        super().__init__(contributors)
        self.root, self.asked = root, asked

    def __contains__(self, cid: object) -> bool:
        found = super().__contains__(cid) or (self.root / "contributors" / f"{cid}.yml").is_file()
        self.asked.setdefault(str(cid), found)
        return found


def _post(root: Path, folder: Path, contributors: dict[str, Contributor], problems: Problems) -> Post | None:
    source = folder / "post.md"
    if not source.is_file():
        problems.add(rel(root, folder), None, "has no post.md (create it with `roundup new post "
                                              f"{folder.name}` or remove the folder)")
        return None
    doc = load_markdown_file(root, source)
    if isinstance(doc, Problem):
        problems.items.append(doc)
        _quotes(root, folder, Fields(doc.path, LineDict(), problems), contributors, problems)
        return None
    before = len(problems.items)
    f = Fields(doc.path, doc.meta, problems)
    f.only(POST_FIELDS)
    title = f.text("title", required=True)
    date = f.date("date", required=True)
    tags = _tags(f)
    intro, outro = _split_body(doc, problems)
    quotes = _quotes(root, folder, f, contributors, problems)
    post = Post(
        slug=folder.name, title=title or "", date=date, summary=f.text("summary"), tags=tags,
        status=f.choice("status", STATUSES, "ready"), deadline=f.date("deadline"),
        intro=intro, outro=outro, quotes=tuple(q for q in quotes if q.body), source=doc.path,
        prompt=f.text("prompt"), unanswered=tuple(q for q in quotes if not q.body),
    )
    return post if len(problems.items) == before else None


def _tags(f: Fields) -> tuple[str, ...]:
    tags: list[str] = []
    for tag, line in f.text_list("tags") or ():
        if not slugify(tag):
            f.problems.add(f.path, line, f"tag {tag!r} has no letters or digits to make a page name from")
        elif tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _split_body(doc: Document, problems: Problems) -> tuple[str, str]:
    markers = list(VOICES_MARKER.finditer(doc.body))
    for extra in markers[1:]:
        line = doc.body_line + doc.body.count("\n", 0, extra.start())
        problems.add(doc.path, line, "a second `<!-- voices -->` line; a post has one place for its voices")
    if not markers:
        return doc.body.strip(), ""
    return doc.body[:markers[0].start()].strip(), doc.body[markers[0].end():].strip()


def _quotes(root: Path, folder: Path, f: Fields, contributors: dict[str, Contributor],
            problems: Problems) -> tuple[Quote, ...]:
    """The post's quotes in voice order, checking every voice against its files; a voice listed without a
    quote file yet is not answered yet (a Quote with an empty body)."""
    found = _quote_files(root, folder, problems)
    listed = f.text_list("voices")
    order = [cid for cid, _ in listed] if listed is not None else sorted(found)
    quotes = []
    seen: set[str] = set()
    for cid in order:
        line = f.line("voices")
        quote_name = f"{rel(root, folder)}/quotes/{cid}.md"
        if not ID_RE.match(cid):
            problems.add(f.path, line, f"voice {cid!r} is not a valid contributor id")
            continue
        if cid in seen:
            problems.add(f.path, line, f"voice {cid!r} is listed twice")
            continue
        seen.add(cid)
        if cid not in found:
            quotes.append(Quote(cid, None, "", None, quote_name))
        elif found[cid] is not None:
            quotes.append(found[cid])
        if not _has_profile(root, contributors, cid):
            where = (quote_name, None) if cid in found else (f.path, line)
            problems.add(*where, _no_profile(root, cid, cid in found, listed is not None))
    if listed is not None:
        for cid in sorted(set(found) - seen):
            problems.add(f"{rel(root, folder)}/quotes/{cid}.md", None,
                         f"is not listed in `voices` of {f.path}: add {cid!r} there, or move the file out of quotes/")
    return tuple(quotes)


def _no_profile(root: Path, cid: str, has_file: bool, listed: bool) -> str:
    """Why a voice without a profile is a problem, naming the profiles it may have meant (`priya` for
    `priya-nair`) and what to change for each."""
    create = f"create contributors/{cid}.yml"
    ids = sorted(path.stem for path in (root / "contributors").glob("*.yml") if ID_RE.match(path.stem))
    meant = [other for other in ids if cid in other.split("-")][:3] or difflib.get_close_matches(cid, ids, n=1)
    if not meant:
        return f"contributor {cid!r} has no profile: {create}"
    one, named = (meant[0], repr(meant[0])) if len(meant) == 1 else ("<id>", "that id")
    fix = [f"rename this file to {one}.md"] * has_file + [f"write {named} in `voices`"] * listed
    return (f"contributor {cid!r} has no profile: did you mean {' or '.join(map(repr, meant))}? If so, "
            f"{' and '.join(fix)}; otherwise {create}")


def _quote_files(root: Path, folder: Path, problems: Problems) -> dict[str, Quote | None]:
    """Every quotes/<id>.md; None marks a file that exists but is broken (already reported)."""
    found: dict[str, Quote | None] = {}
    quotes_dir = folder / "quotes"
    if not quotes_dir.is_dir():
        return found
    for path in sorted(quotes_dir.iterdir()):
        name = rel(root, path)
        if path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix != ".md":
            problems.add(name, None, "quotes are Markdown files named <contributor-id>.md")
            continue
        if not ID_RE.match(path.stem):
            problems.add(name, None, f"{path.stem!r} is not a valid contributor id")
            continue
        found[path.stem] = _quote(root, path, problems)
    return found


def _quote(root: Path, path: Path, problems: Problems) -> Quote | None:
    doc = load_markdown_file(root, path)
    if isinstance(doc, Problem):
        problems.items.append(doc)
        return None
    before = len(problems.items)
    f = Fields(doc.path, doc.meta, problems)
    f.only(QUOTE_FIELDS)
    body = doc.body.strip()  # empty: not answered yet
    lang = f.text("lang")
    if lang is not None and not LANGUAGE_TAG.match(lang):
        f.error("lang", f"is not a language tag (got {lang[:40]!r}): write one like en, fr, pt-BR or zh-Hans")
    lang = lang.replace("_", "-") if lang else None
    quote = Quote(path.stem, f.text("prompt"), body, f.text("note"), doc.path, lang, f.text("remind_note"))
    return quote if len(problems.items) == before else None


def signature(folder: str) -> tuple:
    """Who each entry of `folder` is and when it last changed (name, is a folder, inode, size, mtime,
    ctime), by name; a changed signature means read the folder again."""
    result = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                st = entry.stat()
                result.append((entry.name, entry.is_dir(), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            except OSError:
                result.append((entry.name, None))
    result.sort()
    return tuple(result)


def post_signature(folder: str) -> tuple:
    """Every file a post is read from, and the listing of its folders."""
    found = signature(folder)
    if any(name == "quotes" and is_dir for name, is_dir, *_ in found):
        found += signature(os.path.join(folder, "quotes"))
    return found
