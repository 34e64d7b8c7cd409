"""The engine that decides which output files are current: each file declares once what it is made from
(its `Sources`), the engine turns those into a key from the build's `Inputs`, and a file made from the same
key is kept from the published output or from the previous build in memory instead of being made again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from roundup.digest import key_of
from roundup.write import Ledger, Output

SITE = ("title", "base_url", "language", "editor")
"""The settings every page shows (in its head, header and footer): declared by every page."""


@dataclass(frozen=True, slots=True)
class Sources:
    """What one output file is made from, declared beside the call that makes it, and nowhere else."""

    template: str
    """The theme template that makes it; it stands for every template that one extends, includes or imports."""
    posts: tuple[str, ...] = ()
    """Slugs of the posts it shows: each one's text, voices, quotes, the profiles shown and the approvals."""
    contributors: tuple[str, ...] = ()
    """Ids of the contributors whose public profile it shows (their private fields are never an input)."""
    settings: tuple[str, ...] = SITE
    """The site.yml settings it shows (see `Inputs.settings`)."""
    values: tuple = ()
    """Its own parameters, such as a list's page number and page count or a tag's name."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """The digest of every input a build can declare, by kind and name: the one table keys are made from."""

    build: str
    """What every file depends on: roundup's version and --drafts."""
    templates: Mapping[str, str]
    """Template name → digest of its source and of every template it uses (see `theme.template_digests`)."""
    posts: Mapping[str, str]
    """Slug → digest of everything the post's page shows."""
    contributors: Mapping[str, str]
    """Id → digest of the public profile in contributors/<id>.yml (and of its picture's bytes)."""
    settings: Mapping[str, object]
    """Setting name → its value in site.yml, defaults applied."""


@dataclass(slots=True)
class Engine:
    """Decides, for each output file, whether the one already made from its sources can be kept."""

    inputs: Inputs
    ledger: Ledger | None = None
    """The published output's files and the keys they were made from (None: nothing is published)."""
    previous: Output | None = None
    """The previous build in memory (`serve`)."""
    output: Path | None = None
    """The published output folder the ledger describes."""

    def key(self, sources: Sources) -> str:
        """The digest of everything `sources` declares, looked up in the inputs."""
        i = self.inputs
        return key_of(i.build, i.templates[sources.template], [i.posts[slug] for slug in sources.posts],
                      [i.contributors.get(cid) for cid in sources.contributors],
                      [(name, i.settings[name]) for name in sources.settings], sources.values)

    def current(self, path: str, sources: Sources, out: Output) -> str | None:
        """Put the file at `path` into `out` as already made, and return None, when the published output or the
        previous build holds it made from the very same sources; otherwise the key to make it with."""
        key = self.key(sources)
        if self.ledger is not None and self.ledger.reusable(path, key, self.output):
            out.keep(path, key, origin=sources.template)
            return None
        old = self.previous.files.get(path) if self.previous is not None else None
        if old is not None and old.key == key and out.carry(path, self.previous):
            return None
        return key
