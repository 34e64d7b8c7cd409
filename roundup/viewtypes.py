"""The view objects templates receive: frozen, already safe, public only (made by `views`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote as urlquote

from markupsafe import Markup

from roundup.avatars import Rendition
from roundup.fields import slugify
from roundup.markdown import DEFAULT_ENGINE, render
from roundup.model import Profile


@dataclass(frozen=True, slots=True)
class SiteView:
    title: str
    base_url: str
    language: str
    """BCP 47: the `lang` of every page."""
    editor_name: str
    direction: str = "ltr"
    """"rtl" for a language written right to left: the `dir` of every page."""


@dataclass(frozen=True, slots=True)
class LinkView:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class AvatarView:
    src: str
    """Site-relative output path, an absolute https URL, or (in a preview) a data: URI."""
    alt: str
    """Names the person: "Photo of …", or "Initials of …" for a generated placeholder."""
    webp: tuple[Rendition, ...] = ()
    """WebP candidates for a `srcset` (empty for remote photos, placeholders and previews)."""
    fallback: tuple[Rendition, ...] = ()
    """JPEG or PNG candidates for a `srcset`, same sizes as `webp`."""
    share_url: str | None = None
    """Absolute URL of a raster picture for sharing cards and JSON-LD; None for placeholders."""
    placeholder: bool = False
    """True for the generated picture of someone's initials."""


@dataclass(frozen=True, slots=True)
class PendingView:
    name: str
    reason: str
    words: str | None = None
    """What they asked for when they asked for changes, in their words (a draft's banner quotes it)."""


@dataclass(frozen=True, slots=True)
class TagRef:
    name: str
    path: str | None
    """None in a preview when the tag's page is not published yet."""


@dataclass(frozen=True, slots=True)
class VoiceView:
    id: str
    anchor: str
    name: str
    handle: str | None
    url: str | None
    links: tuple[LinkView, ...]
    avatar: AvatarView
    initials: str
    bio_md: str
    prompt: str | None
    body_md: str
    contributor_path: str | None
    """None in a preview when their page is not published yet (they appear in no published post)."""
    share_url: str
    highlighted: bool = False
    awaiting: bool = False
    """In a preview: another voice not approved yet, shown by name only (every other text field is empty)."""
    engine: str = DEFAULT_ENGINE
    """The Markdown engine of the site (see `markdown.ENGINES`)."""
    lang: str | None = None
    """The language of their words, when the quote names one (`lang:`): the voice's `lang` attribute."""

    @property
    def bio_html(self) -> Markup:
        """Rendered when a template asks: list pages show faces, not words."""
        return render(self.bio_md, 3, self.engine)

    @property
    def body_html(self) -> Markup:
        return render(self.body_md, 3, self.engine)


@dataclass(frozen=True, slots=True)
class PostView:
    slug: str
    title: str
    summary: str | None
    date_iso: str
    date_display: str
    updated_iso: str
    """RFC 3339 timestamp for feeds."""
    tags: tuple[TagRef, ...]
    path: str
    abs_url: str
    intro_md: str
    outro_md: str
    voices: tuple[VoiceView, ...]
    withheld: bool
    pending: tuple[PendingView, ...]
    engine: str = DEFAULT_ENGINE

    @property
    def intro_html(self) -> Markup:
        return render(self.intro_md, 2, self.engine)

    @property
    def outro_html(self) -> Markup:
        return render(self.outro_md, 2, self.engine)


@dataclass(frozen=True, slots=True)
class AppearanceView:
    post_title: str
    post_path: str
    date_iso: str
    date_display: str
    anchor: str
    prompt: str | None
    withheld: bool


@dataclass(frozen=True, slots=True)
class ContributorView:
    id: str
    name: str
    handle: str | None
    url: str | None
    links: tuple[LinkView, ...]
    avatar: AvatarView
    initials: str
    bio_md: str
    path: str
    abs_url: str
    appearances: Sequence[AppearanceView]
    """Newest first (see `Appearances`)."""
    engine: str = DEFAULT_ENGINE

    @property
    def bio_html(self) -> Markup:
        return render(self.bio_md, 2, self.engine)


@dataclass(frozen=True, slots=True)
class PagerView:
    """One page of a list of posts (the home page, a tag's page)."""

    number: int
    """1 for the first page."""
    count: int
    """How many pages the list has (at least 1)."""
    path: str
    """Site-relative folder of this page: "" or "page/2/" for the home page, "tags/x/page/2/" for a tag."""
    newer: str | None
    """The page before this one (newer posts), or None on the first."""
    older: str | None
    """The page after this one (older posts), or None on the last."""
    posts: tuple
    """The posts on this page, newest first: their cards where pages are planned, their views in templates."""


def paginate(posts: tuple, per_page: int, path: str) -> tuple[PagerView, ...]:
    """`posts` split into pages of `per_page`, the first at `path`, the others at `path` + page/N/."""
    chunks = [posts[start:start + per_page] for start in range(0, len(posts), per_page)] or [()]
    where = [path if n == 1 else f"{path}page/{n}/" for n in range(1, len(chunks) + 1)]
    return tuple(PagerView(n, len(chunks), where[n - 1], where[n - 2] if n > 1 else None,
                           where[n] if n < len(chunks) else None, chunk)
                 for n, chunk in enumerate(chunks, 1))


@dataclass(frozen=True, slots=True)
class TagView:
    name: str
    slug: str
    path: str
    cards: tuple[Card, ...]
    """Every post tagged, newest first."""
    posts: Sequence[PostView]
    """Their views, each made when a template first asks for it (`|length` makes none)."""


@dataclass(frozen=True, slots=True)
class Card:
    """A shown post as everything but its own page needs it (lists and tags, contributors' pages, the feed,
    the sitemap, the pictures): no words, so that a build keeps one for every post (see `rows`)."""

    slug: str
    key: str
    """The digest of everything the post's page and its card in a list show (see `post_key`)."""
    title: str
    date_iso: str
    date_display: str
    updated_iso: str
    path: str
    abs_url: str
    tags: tuple[TagRef, ...]
    withheld: bool
    voices: tuple[tuple[str, str, str | None], ...]
    """(contributor id, anchor, prompt) of each voice shown."""
    people: tuple[tuple[str, Profile | None], ...]
    """(contributor id, profile) of each person shown: None for today's profile, else the one approved for
    the live version shown."""


def tag_path(tag: str) -> str:
    return f"tags/{urlquote(slugify(tag))}/"
