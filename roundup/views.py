"""View objects for templates: already-safe, public-only, built from the model and the gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import quote as urlquote

from markupsafe import Markup

from roundup.avatars import Rendition, initials, picture
from roundup.fields import slugify
from roundup.gate import Inclusion, PostStatus
from roundup.markdown import DEFAULT_ENGINE, render
from roundup.live import profile_now
from roundup.model import Contributor, Post, Profile, Quote, Site

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


@dataclass(frozen=True, slots=True)
class SiteView:
    title: str
    base_url: str
    language: str
    editor_name: str


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
    appearances: tuple[AppearanceView, ...]
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
    posts: tuple[PostView, ...]
    """The posts on this page, newest first."""


def paginate(posts: tuple[PostView, ...], per_page: int, path: str) -> tuple[PagerView, ...]:
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
    posts: tuple[PostView, ...]


def display_date(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


class Views:
    """Builds view objects for one build, rendering each piece of Markdown once."""

    def __init__(self, site: Site, statuses: tuple[PostStatus, ...], drafts: bool, memo: dict | None = None):
        """`memo`: by slug, the post views (status, settings, view, appearances) made by an earlier build in
        this process (`serve`), reused for the very same post status under the same settings; renewed here."""
        self.site, self.memo = site, memo if memo is not None else {}
        self.base, self.engine = site.config.base_url, site.config.markdown
        shown = {Inclusion.PUBLISHED, Inclusion.LIVE} | ({Inclusion.WITHHELD, Inclusion.DRAFT} if drafts else set())
        self.statuses = tuple(s for s in statuses if s.inclusion in shown)
        self.drafts = drafts
        self.site_view = SiteView(site.config.title, self.base, site.config.language,
                                  site.config.editor.name)
        self._avatars: dict[str, AvatarView] = {}
        self._people: dict[str, dict] = {}
        self.posts = tuple(self.post(s) for s in self.statuses)

    def post(self, status: PostStatus) -> PostView:
        settings = (self.base, self.engine, self.site.config.editor.name, self.drafts)
        known = self.memo.get(status.post.slug)
        if known is not None and known[0] is status and known[1] == settings:
            return known[2]
        view = self._post(status)
        self.memo[status.post.slug] = (status, settings, view, None)
        return view

    def shows_live(self, status: PostStatus) -> bool:
        """The post is shown in its last fully approved version (a drafts build shows the new one)."""
        return status.inclusion is Inclusion.LIVE and not self.drafts

    def profiles(self, status: PostStatus) -> dict[str, Profile]:
        """Contributor id → the profile each voice of the post is shown with: as approved for a live version."""
        if self.shows_live(status):
            return {v.contributor_id: profile_now(v, self.site.contributors.get(v.contributor_id))
                    for v in status.live.voices}
        return {q.contributor_id: self.site.contributors[q.contributor_id].profile for q in status.post.quotes}

    def _post(self, status: PostStatus) -> PostView:
        post = status.live.post if self.shows_live(status) else status.post
        withheld = status.inclusion is not Inclusion.PUBLISHED and not self.shows_live(status)
        pending = ()
        if withheld:
            editor = self.site.config.editor.name
            reasons = status.post_reasons + ((f"the version approved on {display_date(status.live.approved_on)} "
                                              "stays online until then",) if status.inclusion is Inclusion.LIVE else ())
            pending = (tuple(PendingView(editor, reason) for reason in reasons)
                       + tuple(PendingView(v.name, v.reason) for v in status.pending))
        profiles = self.profiles(status)
        return PostView(
            slug=post.slug, title=post.title, summary=post.summary, date_iso=post.date.isoformat(),
            date_display=display_date(post.date), updated_iso=f"{post.date.isoformat()}T00:00:00Z",
            tags=tuple(TagRef(t, tag_path(t)) for t in post.tags), path=f"posts/{post.slug}/",
            abs_url=f"{self.base}posts/{post.slug}/", intro_md=post.intro,
            outro_md=post.outro, voices=tuple(self.voice(post, q, profiles[q.contributor_id]) for q in post.quotes),
            withheld=withheld, pending=pending, engine=self.engine,
        )

    def voice(self, post: Post, quote: Quote, profile: Profile) -> VoiceView:
        cid = quote.contributor_id
        return VoiceView(**self._person(cid, profile), prompt=quote.prompt, body_md=quote.body,
                         share_url=f"{self.base}posts/{post.slug}/#voice-{cid}")

    def person(self, cid: str, profile: Profile) -> Contributor:
        """The contributor as shown with `profile` (today's, or the one they approved for a live version)."""
        current = self.site.contributors.get(cid)
        if current is not None and current.profile is profile:
            return current
        return Contributor(cid, profile, None, current.source if current else f"contributors/{cid}.yml")

    def _person(self, cid: str, profile: Profile) -> dict:
        """The parts of a voice that come from the profile, made once a contributor (posts reuse people)."""
        current = self.site.contributors.get(cid)
        key = cid if current is not None and profile is current.profile else (cid, profile)
        if key not in self._people:
            person = self.person(cid, profile)
            p = person.profile
            self._people[key] = dict(
                id=cid, anchor=f"voice-{cid}", name=p.name, handle=p.handle, url=p.url,
                links=tuple(LinkView(link.label, link.href) for link in p.links), avatar=self.avatar(person),
                initials=initials(p.name), bio_md=p.bio, contributor_path=f"contributors/{cid}/",
                engine=self.engine)
        return self._people[key]

    def avatar(self, person: Contributor) -> AvatarView:
        """The photo's renditions, the remote photo, or a placeholder with the initials."""
        key = person.id if person is self.site.contributors.get(person.id) else (person.id, person.profile)
        if key not in self._avatars:
            shown = picture(person)
            name = person.profile.name
            share = shown.share and (shown.share if "://" in shown.share else self.base + shown.share)
            self._avatars[key] = AvatarView(
                shown.src, avatar_alt(name, shown.placeholder),
                webp=tuple(r for r in shown.renditions if r.format == "webp"),
                fallback=tuple(r for r in shown.renditions if r.format != "webp"),
                share_url=share, placeholder=shown.placeholder)
        return self._avatars[key]


    def contributors(self) -> tuple[ContributorView, ...]:
        """Everyone who appears in a shown post, sorted by name, with their appearances."""
        appearances: dict[str, list[AppearanceView]] = {}
        for view in self.posts:
            for voice_id, appearance in self._appearances(view):
                appearances.setdefault(voice_id, []).append(appearance)
        shown = self.shown_people()
        people = [self.contributor(shown[cid], tuple(a)) for cid, a in appearances.items()]
        return tuple(sorted(people, key=lambda c: (c.name.casefold(), c.id)))

    def _appearances(self, view: PostView) -> tuple[tuple[str, AppearanceView], ...]:
        """Each voice's appearance in a post, remembered with the view in `memo` (`serve`)."""
        known = self.memo.get(view.slug)
        if known is not None and known[2] is view and known[3] is not None:
            return known[3]
        made = tuple((voice.id, AppearanceView(view.title, view.path, view.date_iso, view.date_display, voice.anchor,
                                               voice.prompt, view.withheld)) for voice in view.voices)
        if known is not None and known[2] is view:
            self.memo[view.slug] = (*known[:3], made)
        return made

    def shown_people(self) -> dict[str, Contributor]:
        """Contributor id → the person as their own page shows them: with today's profile where a shown post
        has it, else as they approved it for the newest live version they are in (never an unapproved edit)."""
        shown: dict[str, Contributor] = {}
        for status in self.statuses:  # newest first
            for cid, person in self._people_in(status):
                if cid not in shown or person is self.site.contributors.get(cid):
                    shown[cid] = person
        return shown

    def pictured(self) -> list[Contributor]:
        """Every person as pictured anywhere in the shown posts and contributor pages, once a picture."""
        seen: dict[object, Contributor] = {}
        for status in self.statuses:
            for cid, person in self._people_in(status):
                seen.setdefault(cid if person is self.site.contributors.get(cid) else (cid, person.profile), person)
        return list(seen.values())

    def _people_in(self, status: PostStatus):
        """(id, person as shown) of each voice of a shown post."""
        if self.shows_live(status):
            return ((cid, self.person(cid, profile)) for cid, profile in self.profiles(status).items())
        return ((q.contributor_id, self.site.contributors[q.contributor_id]) for q in status.post.quotes)

    def contributor(self, person: Contributor, appearances: tuple[AppearanceView, ...]) -> ContributorView:
        p = person.profile
        return ContributorView(
            id=person.id, name=p.name, handle=p.handle, url=p.url,
            links=tuple(LinkView(link.label, link.href) for link in p.links), avatar=self.avatar(person),
            initials=initials(p.name), bio_md=p.bio, path=f"contributors/{person.id}/",
            abs_url=f"{self.base}contributors/{person.id}/", appearances=appearances, engine=self.engine,
        )

    def tags(self) -> tuple[TagView, ...]:
        by_slug: dict[str, tuple[str, list[PostView]]] = {}
        for view in self.posts:
            for tag in view.tags:
                by_slug.setdefault(tag.path, (tag.name, []))[1].append(view)
        return tuple(TagView(name, slugify(name), path, tuple(posts))
                     for path, (name, posts) in sorted(by_slug.items()))


def avatar_alt(name: str, placeholder: bool) -> str:
    return f"Initials of {name}" if placeholder else f"Photo of {name}"


def as_preview(view: PostView, contributor_id: str, inline: dict[str, AvatarView],
               published: frozenset[str]) -> PostView:
    """The post as it will appear once published, one voice highlighted, each picture replaced by its
    inline version in `inline` (by contributor id), so the file is self-contained and fetches nothing;
    links only to the `published` pages (see `status.Indexed.published`). A voice without an inline picture is one
    whose words are not to be shown yet: it keeps its name only."""
    voices = tuple(replace(v, highlighted=v.id == contributor_id, avatar=inline[v.id],
                           contributor_path=v.contributor_path if v.contributor_path in published else None)
                   if v.id in inline else _awaiting(v) for v in view.voices)
    tags = tuple(t if t.path in published else replace(t, path=None) for t in view.tags)
    return replace(view, voices=voices, tags=tags, withheld=False, pending=())


def _awaiting(voice: VoiceView) -> VoiceView:
    """A voice by name only: nothing else of it (words, picture, handle, links) reaches the page."""
    return replace(voice, awaiting=True, handle=None, url=None, links=(), bio_md="", prompt=None, body_md="",
                   avatar=AvatarView("", f"Initials of {voice.name}", placeholder=True), share_url="")


def tag_path(tag: str) -> str:
    return f"tags/{urlquote(slugify(tag))}/"
