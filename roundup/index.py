"""The compact index of the site in .roundup/cache/index.sqlite: one row a post with what `status` shows of
it, what a build keeps of it (see `rows`), and the key of the inputs the row was made from. Only ever a
shortcut: a damaged, foreign or older store is deleted and made again from the files, which stay the only
source of truth."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from roundup import __version__
from roundup.fsutil import STATE_DIR, state_dir

NAME = "index.sqlite"
FORMAT = f"6 {__version__}"
"""A store written by another format or roundup is made again, never trusted."""
SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE posts (slug TEXT PRIMARY KEY, key TEXT NOT NULL, date TEXT NOT NULL, deadline TEXT,
                    inclusion TEXT NOT NULL, voices TEXT NOT NULL, published TEXT NOT NULL, lines TEXT NOT NULL,
                    built BLOB, view BLOB, built_drafts BLOB, view_drafts BLOB, entry BLOB);
"""
BUILT = {False: ("built", "view"), True: ("built_drafts", "view_drafts")}
"""The columns of what a build (without, and with --drafts) keeps of the post: made under the row's key."""
COLUMNS = "slug, key, date, deadline, inclusion, voices, published, lines"


@dataclass(frozen=True, slots=True)
class Row:
    """What the index keeps of one post."""

    slug: str
    key: str
    """The digest of everything the row was made from (see `status.Keys`)."""
    date: str
    """The post's date (ISO), to keep the posts in the site's order without reading them."""
    deadline: str | None
    """The post's deadline (ISO): once it has passed, the row is made again."""
    inclusion: str
    """What a build does with the post (an `Inclusion` name)."""
    voices: tuple[str, ...]
    """Every voice's contributor id, answered or not, and those of its live version: their profiles are part
    of the key."""
    published: tuple[str, ...]
    """The pages a build of the site as it is publishes for this post: its own, its voices', its tags'."""
    lines: tuple[str, ...]
    """The post's part of the status table."""


def _either(drafts: bool, part: int) -> str:
    """The column of what a build of this kind kept, else of what the other kind kept of a published post:
    a build with --drafts and one without show a published post alike."""
    return f"COALESCE({BUILT[drafts][part]}, CASE WHEN inclusion = 'PUBLISHED' THEN {BUILT[not drafts][part]} END)"


class Index:
    """The store, opened (and made again when it cannot be trusted) for one command."""

    def __init__(self, root: Path, make: bool = True):
        """`make`: make the store when there is none (otherwise an empty index, for this command only: a command
        that only reads leaves no store behind, a build that fails none either)."""
        try:
            if not make and not (root / STATE_DIR / "cache" / NAME).is_file():
                raise FileNotFoundError(NAME)
            self.path = state_dir(root, "cache") / NAME
            try:
                self.db = self._open()
            except sqlite3.DatabaseError:
                self.path.unlink(missing_ok=True)
                self.db = self._open()
        except (OSError, sqlite3.Error):  # a site folder we may not write to: an index for this command only
            self.path = Path(":memory:")
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables == {"meta", "posts"} and db.execute("SELECT value FROM meta WHERE name = 'format'"
                                                         ).fetchone() == (FORMAT,):
                db.execute(f"SELECT {COLUMNS} FROM posts LIMIT 1").fetchall()
                return db
        except sqlite3.DatabaseError:
            db.close()
            raise
        db.close()
        if self.path != Path(":memory:"):
            self.path.unlink(missing_ok=True)  # foreign or older: made again
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.executescript(SCHEMA)
        db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        return db

    def rows(self) -> dict[str, Row]:
        """Every post's row, by slug."""
        return {slug: Row(slug, key, date, deadline, inclusion, tuple(json.loads(voices)), tuple(json.loads(published)),
                          tuple(json.loads(lines)))
                for slug, key, date, deadline, inclusion, voices, published, lines
                in self.db.execute(f"SELECT {COLUMNS} FROM posts")}

    def keys(self) -> dict[str, tuple[str, tuple[str, ...], str | None]]:
        """By slug, what a row's key is checked with: (key, voices, deadline)."""
        return {slug: (key, tuple(json.loads(voices)), deadline)
                for slug, key, voices, deadline in self.db.execute("SELECT slug, key, voices, deadline FROM posts")}

    def built(self, drafts: bool) -> dict[str, bytes]:
        """By slug, what a build kept of each post (see `rows`), where it has."""
        column = _either(drafts, 0)
        return dict(self.db.execute(f"SELECT slug, {column} FROM posts WHERE {column} IS NOT NULL"))

    def views(self, slugs: list[str], drafts: bool) -> dict[str, bytes]:
        """By slug, the post views a build kept of these posts."""
        return self._some(_either(drafts, 1), slugs)

    def entries(self, slugs: Iterable[str] | None = None) -> dict[str, bytes]:
        """By slug, each post folder (or each of these) as last read (see `cache.Cache.load_posts`), where kept."""
        if slugs is None:
            return dict(self.db.execute("SELECT slug, entry FROM posts WHERE entry IS NOT NULL"))
        return self._some("entry", list(slugs))

    def _some(self, column: str, slugs: list[str]) -> dict[str, bytes]:
        """By slug, `column` of these posts' rows where it is not null."""
        found: dict[str, bytes] = {}
        for start in range(0, len(slugs), 500):  # within SQLite's limit on parameters
            part = slugs[start:start + 500]
            found.update(self.db.execute(f"SELECT slug, {column} FROM posts WHERE slug IN "
                                         f"({', '.join('?' * len(part))}) AND {column} IS NOT NULL", part))
        return found

    def keep_entries(self, entries: dict[str, bytes]) -> None:
        """Keep these post folders as read, beside the posts' rows (a post without a row keeps none)."""
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("UPDATE posts SET entry = ? WHERE slug = ?",
                                    [(blob, slug) for slug, blob in entries.items()])
        except sqlite3.Error:
            pass

    def forget(self, drafts: bool) -> None:
        """Drop what builds kept of every post: the next build reads them all again."""
        built, view = BUILT[drafts]
        try:
            self.db.execute(f"UPDATE posts SET {built} = NULL, {view} = NULL")
        except sqlite3.Error:
            pass

    def replace(self, rows: list[Row], keep: set[str],
                built: Callable[[str], tuple[bytes, bytes | None]] | None = None, drafts: bool = False) -> None:
        """Store `rows` (with what a build made of each, `built(slug)`: see `built`) and drop the rows of posts not
        in `keep`, in one transaction (or not at all: when the store cannot be written, the next command reads
        those posts again). What a build of the other kind kept of a row stays while its key does."""
        try:
            self._replace(rows, keep, built or (lambda slug: (None, None)), drafts)
        except sqlite3.Error:
            pass

    def _replace(self, rows: list[Row], keep: set[str], built: Callable[[str], tuple[bytes | None, bytes | None]],
                 drafts: bool) -> None:
        mine, other = BUILT[drafts], BUILT[not drafts]
        kept = ", ".join(f"{c} = CASE WHEN posts.key = excluded.key THEN posts.{c} ELSE NULL END" for c in other)
        update = ", ".join(f"{c} = excluded.{c}" for c in (*COLUMNS.split(", ")[1:], *mine))
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            gone = [(slug,) for (slug,) in self.db.execute("SELECT slug FROM posts") if slug not in keep]
            self.db.executemany("DELETE FROM posts WHERE slug = ?", gone)
            self.db.executemany(f"INSERT INTO posts ({COLUMNS}, {', '.join(mine)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                                f"?, ?) ON CONFLICT(slug) DO UPDATE SET {update}, {kept}",
                                ((r.slug, r.key, r.date, r.deadline, r.inclusion, json.dumps(r.voices),
                                  json.dumps(r.published), json.dumps(r.lines), *built(r.slug)) for r in rows))

    def close(self) -> None:
        self.db.close()
