"""Making the view objects of one build (see `viewtypes`) from the model and the gate, each piece of Markdown
once; and a preview's version of a post."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from roundup.avatars import initials, picture
from roundup.digest import key_of
from roundup.fields import slugify
from roundup.gate import Inclusion, PostStatus, VoiceState, VoiceStatus, held_reasons
from roundup.i18n import N_, Translator
from roundup.live import profile_now
from roundup.model import Contributor, Post, Profile, Quote, Site
from roundup.theme import words_of
from roundup.viewtypes import (AppearanceView, AvatarView, Card, ContributorView, LinkView, PendingView, PostView,
                               SiteView, TagRef, TagView, VoiceView, tag_path)

WAITING = {VoiceState.UNANSWERED: N_("not answered yet"), VoiceState.STALE: N_("edited since they approved"),
           VoiceState.DECLINED: N_("asked for changes"), VoiceState.OUT: N_("not taking part")}
"""What a draft's banner says of each voice still waiting, by state (`roundup status` says more)."""


class Lazy(Sequence):
    """The post views of some cards, each made (or read back) when first asked for: `|length` reads none."""

    __slots__ = ("cards", "views")

    def __init__(self, cards: tuple[Card, ...], views: Views):
        self.cards, self.views = cards, views

    def __len__(self) -> int:
        return len(self.cards)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.views.of(self.cards[index])
        return self.views.view(self.cards[index].slug)


class Appearances(Sequence):
    """A contributor's appearances, each made when a template first asks for it (`|length` makes none)."""

    __slots__ = ("voices",)

    def __init__(self, voices: tuple[tuple[Card, str, str | None], ...]):
        self.voices = voices
        """(card, anchor, prompt) of each voice of theirs in a shown post, newest first."""

    def __len__(self) -> int:
        return len(self.voices)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(_appearance(*voice) for voice in self.voices[index])
        return _appearance(*self.voices[index])

    def slugs(self) -> tuple[str, ...]:
        """The posts they appear in, newest first."""
        return tuple(dict.fromkeys(card.slug for card, _, _ in self.voices))

    def all_withheld(self) -> bool:
        return all(card.withheld for card, _, _ in self.voices)


def _appearance(card: Card, anchor: str, prompt: str | None) -> AppearanceView:
    return AppearanceView(card.title, card.path, card.date_iso, card.date_display, anchor, prompt, card.withheld)


def post_key(status: PostStatus) -> str:
    """The digest of everything a post's page (and its card in lists) shows: each voice's digest stands for its
    quote and profile and the post's own text; the quotes' languages, which no approval covers, are added."""
    p = status.post
    return key_of(p.slug, p.title, p.date, p.summary, p.tags, p.status, p.intro, p.outro, status.inclusion,
                  [(v.contributor_id, v.digest, v.state, v.reason) for v in status.voices], status.live,
                  [(q.contributor_id, q.lang) for q in p.quotes if q.lang])


@dataclass(frozen=True, slots=True)
class Made:
    """What `Views` made of a post's status, remembered by slug (see `Views.__init__`'s `memo`)."""

    status: PostStatus
    settings: tuple
    """The settings the view was made under: another base URL, engine, editor or --drafts makes it again."""
    view: PostView
    card: Card


class Views:
    """Builds view objects for one build, rendering each piece of Markdown once. A post comes as its status
    (read and assessed in this build) or as the card an earlier build kept, its view read back when needed."""

    def __init__(self, site: Site, statuses: tuple[PostStatus, ...], drafts: bool, memo: dict | None = None,
                 kept: Mapping[str, Card] | None = None, stored: Callable[[list[str]], dict] | None = None):
        """`memo`: by slug, what an earlier build in this process `Made` of each post
        (`serve`), reused for the very same post status under the same settings; renewed here. `kept`: by slug,
        the cards of shown posts not assessed in this build, whose views `stored` reads back by slug."""
        self.site, self.memo = site, memo if memo is not None else {}
        self.base, self.engine = site.config.base_url, site.config.markdown
        shown = {Inclusion.PUBLISHED, Inclusion.LIVE} | ({Inclusion.WITHHELD, Inclusion.DRAFT} if drafts else set())
        self.statuses = tuple(s for s in statuses if s.inclusion in shown)
        self.drafts, self.stored = drafts, stored
        self.words = words_of(site.config.language, site.config.root)
        """The site's language: its pages' own words, dates and numbers."""
        self.site_view = SiteView(site.config.title, self.base, site.config.language.tag,
                                  site.config.editor.name, self.words.direction)
        self._avatars: dict[str, AvatarView] = {}
        self._people: dict[str, dict] = {}
        self._views: dict[str, PostView] = {}
        cards = [self.card(s) for s in self.statuses] + list((kept or {}).values())
        cards.sort(key=lambda c: c.slug)
        cards.sort(key=lambda c: c.date_iso, reverse=True)
        self.posts = tuple(cards)
        """The cards of the shown posts, newest first."""

    def card(self, status: PostStatus) -> Card:
        """The card of a post assessed in this build (its view made too)."""
        settings = (self.base, self.engine, self.site.config.editor.name, self.drafts, self.site.config.language)
        known = self.memo.get(status.post.slug)
        if known is not None and known.status is status and known.settings == settings:
            self._views[status.post.slug] = known.view
            return known.card
        view = self.post(status)
        card = Card(view.slug, post_key(status), view.title, view.date_iso, view.date_display, view.updated_iso,
                    view.path, view.abs_url, view.tags, view.withheld,
                    tuple((v.id, v.anchor, v.prompt) for v in view.voices), self._shown_profiles(status))
        self._views[view.slug] = view
        self.memo[status.post.slug] = Made(status, settings, view, card)
        return card

    def view(self, slug: str) -> PostView:
        """The view of a shown post: made in this build, or read back (see `kept`)."""
        if slug not in self._views:
            self._views.update(self.stored([slug]))
        return self._views[slug]

    def of(self, cards: tuple[Card, ...]) -> tuple[PostView, ...]:
        """The views of these cards, those not made in this build read back together."""
        missing = [c.slug for c in cards if c.slug not in self._views]
        if missing:
            self._views.update(self.stored(missing))
        return tuple(self._views[c.slug] for c in cards)

    def shows_live(self, status: PostStatus) -> bool:
        """The post is shown in its last fully approved version (a drafts build shows the new one)."""
        return status.inclusion is Inclusion.LIVE and not self.drafts

    def profiles(self, status: PostStatus) -> dict[str, Profile]:
        """Contributor id → the profile each voice of the post is shown with: as approved for a live version."""
        if self.shows_live(status):
            return {v.contributor_id: profile_now(v, self.site.contributors.get(v.contributor_id))
                    for v in status.live.voices}
        return {q.contributor_id: self.site.contributors[q.contributor_id].profile for q in status.post.quotes}

    def _shown_profiles(self, status: PostStatus) -> tuple[tuple[str, Profile | None], ...]:
        """(id, profile) of each person the post shows: None for today's profile."""
        return tuple((cid, None if self.site.contributors.get(cid) is not None
                      and profile is self.site.contributors[cid].profile else profile)
                     for cid, profile in self.profiles(status).items())

    def post(self, status: PostStatus) -> PostView:
        """The view of a post assessed in this build."""
        post = status.live.post if self.shows_live(status) else status.post
        withheld = status.inclusion is not Inclusion.PUBLISHED and not self.shows_live(status)
        pending = ()
        if withheld:
            pending = self._pending(status)
        profiles = self.profiles(status)
        langs = {q.contributor_id: q.lang for q in status.post.quotes}  # a live version's too: no approval covers it
        return PostView(
            slug=post.slug, title=post.title, summary=post.summary, date_iso=post.date.isoformat(),
            date_display=self.words.date(post.date), updated_iso=f"{post.date.isoformat()}T00:00:00Z",
            tags=tuple(TagRef(t, tag_path(t)) for t in post.tags), path=f"posts/{post.slug}/",
            abs_url=f"{self.base}posts/{post.slug}/", intro_md=post.intro,
            outro_md=post.outro,
            voices=tuple(self.voice(post, q, profiles[q.contributor_id], langs.get(q.contributor_id))
                         for q in post.quotes),
            withheld=withheld, pending=pending, engine=self.engine,
        )

    def _pending(self, status: PostStatus) -> tuple[PendingView, ...]:
        """Who and what a withheld post waits for, in the site's language: the editor, then each voice."""
        t, post = self.words, status.post
        held = [t.gettext(r).format(date=t.date(post.deadline) if post.deadline else "")
                for r in held_reasons(post.status == "draft", bool(status.voices), post.deadline, bool(status.pending))]
        if status.inclusion is Inclusion.LIVE:
            held.append(t.gettext("the version approved on {date} stays online until then")
                        .format(date=t.date(status.live.approved_on)))
        return (tuple(PendingView(self.site.config.editor.name, reason) for reason in held)
                + tuple(PendingView(v.name, t.gettext(waiting(v)), v.record.reason if v.record else None)
                        for v in status.pending))

    def voice(self, post: Post, quote: Quote, profile: Profile, lang: str | None) -> VoiceView:
        cid = quote.contributor_id
        return VoiceView(**self._person(cid, profile), prompt=quote.prompt, body_md=quote.body,
                         share_url=f"{self.base}posts/{post.slug}/#voice-{cid}", lang=lang)

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
                shown.src, avatar_alt(self.words, name, shown.placeholder),
                webp=tuple(r for r in shown.renditions if r.format == "webp"),
                fallback=tuple(r for r in shown.renditions if r.format != "webp"),
                share_url=share, placeholder=shown.placeholder)
        return self._avatars[key]


    def contributors(self) -> tuple[ContributorView, ...]:
        """Everyone who appears in a shown post, sorted by name, with their appearances."""
        appearances: dict[str, list[tuple[Card, str, str | None]]] = {}
        for card in self.posts:
            for cid, anchor, prompt in card.voices:
                appearances.setdefault(cid, []).append((card, anchor, prompt))
        shown = self.shown_people()
        people = [self.contributor(shown[cid], Appearances(tuple(a))) for cid, a in appearances.items()]
        return tuple(sorted(people, key=lambda c: (c.name.casefold(), c.id)))

    def shown_people(self) -> dict[str, Contributor]:
        """Contributor id → the person as their own page shows them: with today's profile where a shown post
        has it, else as they approved it for the newest live version they are in (never an unapproved edit)."""
        shown: dict[str, Contributor] = {}
        for card in self.posts:  # newest first
            for cid, profile in card.people:
                if cid not in shown or profile is None:
                    shown[cid] = self._person_in(cid, profile)
        return shown

    def pictured(self) -> list[Contributor]:
        """Every person as pictured anywhere in the shown posts and contributor pages, once a picture."""
        seen: dict[object, Contributor] = {}
        for card in self.posts:
            for cid, profile in card.people:
                key = cid if profile is None else (cid, profile)
                if key not in seen:
                    seen[key] = self._person_in(cid, profile)
        return list(seen.values())

    def _person_in(self, cid: str, profile: Profile | None) -> Contributor:
        return self.site.contributors[cid] if profile is None else self.person(cid, profile)

    def contributor(self, person: Contributor, appearances: Sequence[AppearanceView]) -> ContributorView:
        p = person.profile
        return ContributorView(
            id=person.id, name=p.name, handle=p.handle, url=p.url,
            links=tuple(LinkView(link.label, link.href) for link in p.links), avatar=self.avatar(person),
            initials=initials(p.name), bio_md=p.bio, path=f"contributors/{person.id}/",
            abs_url=f"{self.base}contributors/{person.id}/", appearances=appearances, engine=self.engine,
        )

    def tags(self) -> tuple[TagView, ...]:
        by_slug: dict[str, tuple[str, list[Card]]] = {}
        for card in self.posts:
            for tag in card.tags:
                by_slug.setdefault(tag.path, (tag.name, []))[1].append(card)
        return tuple(TagView(name, slugify(name), path, tuple(cards), Lazy(tuple(cards), self))
                     for path, (name, cards) in sorted(by_slug.items()))


def waiting(voice: VoiceStatus) -> str:
    """Why a voice holds its post back, in a few words to translate."""
    if voice.state is not VoiceState.PENDING:
        return WAITING[voice.state]
    record = voice.record
    if record is not None and record.decision == "declined":
        return N_("edited since they asked for changes")
    if record is not None and record.previewed_digest == voice.digest:
        return N_("previewed, not approved yet")
    return N_("never previewed")


def avatar_alt(words: Translator, name: str, placeholder: bool) -> str:
    """What a picture shows, for those who cannot see it: "Photo of …", or "Initials of …"."""
    return (words.gettext("Initials of {name}") if placeholder else words.gettext("Photo of {name}")).format(name=name)


def as_preview(view: PostView, contributor_id: str, inline: dict[str, AvatarView],
               published: frozenset[str], words: Translator) -> PostView:
    """The post as it will appear once published, one voice highlighted, each picture replaced by its
    inline version in `inline` (by contributor id), so the file is self-contained and fetches nothing;
    links only to the `published` pages (see `status.Indexed.published`). A voice without an inline picture is one
    whose words are not to be shown yet: it keeps its name only."""
    voices = tuple(replace(v, highlighted=v.id == contributor_id, avatar=inline[v.id],
                           contributor_path=v.contributor_path if v.contributor_path in published else None)
                   if v.id in inline else _awaiting(v, words) for v in view.voices)
    tags = tuple(t if t.path in published else replace(t, path=None) for t in view.tags)
    return replace(view, voices=voices, tags=tags, withheld=False, pending=())


def _awaiting(voice: VoiceView, words: Translator) -> VoiceView:
    """A voice by name only: nothing else of it (words, picture, handle, links) reaches the page."""
    return replace(voice, awaiting=True, handle=None, url=None, links=(), bio_md="", prompt=None, body_md="",
                   avatar=AvatarView("", avatar_alt(words, voice.name, True), placeholder=True), share_url="")
