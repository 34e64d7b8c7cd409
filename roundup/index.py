"""The compact index of the site in .roundup/cache/index.sqlite: one row a post with what `status` shows of
it, and the key of the inputs the row was made from. Only ever a shortcut: a damaged, foreign or older
store is deleted and made again from the files, which stay the only source of truth."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from roundup import __version__
from roundup.fsutil import state_dir

NAME = "index.sqlite"
FORMAT = f"2 {__version__}"
"""A store written by another format or roundup is made again, never trusted."""
SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE posts (slug TEXT PRIMARY KEY, key TEXT NOT NULL, date TEXT NOT NULL, deadline TEXT,
                    inclusion TEXT NOT NULL, voices TEXT NOT NULL, published TEXT NOT NULL, lines TEXT NOT NULL);
"""
COLUMNS = "slug, key, date, deadline, inclusion, voices, published, lines"


@dataclass(frozen=True, slots=True)
class Row:
    """What the index keeps of one post."""

    slug: str
    key: str
    """The digest of everything the row was made from (see `status._Keys`)."""
    date: str
    """The post's date (ISO), to keep the posts in the site's order without reading them."""
    deadline: str | None
    """The post's deadline (ISO): once it has passed, the row is made again."""
    inclusion: str
    """What a build does with the post (an `Inclusion` name)."""
    voices: tuple[str, ...]
    """Every voice's contributor id, answered or not: their profiles are part of the key."""
    published: tuple[str, ...]
    """The pages a build of the site as it is publishes for this post: its own, its voices', its tags'."""
    lines: tuple[str, ...]
    """The post's part of the status table."""


class Index:
    """The store, opened (and made again when it cannot be trusted) for one command."""

    def __init__(self, root: Path):
        try:
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

    def replace(self, rows: list[Row], keep: set[str]) -> None:
        """Store `rows` and drop the rows of posts not in `keep`, in one transaction (or not at all: when the
        store cannot be written, the next command reads those posts again)."""
        try:
            self._replace(rows, keep)
        except sqlite3.Error:
            pass

    def _replace(self, rows: list[Row], keep: set[str]) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            gone = [(slug,) for (slug,) in self.db.execute("SELECT slug FROM posts") if slug not in keep]
            self.db.executemany("DELETE FROM posts WHERE slug = ?", gone)
            self.db.executemany(f"INSERT OR REPLACE INTO posts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [(r.slug, r.key, r.date, r.deadline, r.inclusion, json.dumps(r.voices),
                                  json.dumps(r.published), json.dumps(r.lines)) for r in rows])

    def close(self) -> None:
        self.db.close()
