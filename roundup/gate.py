"""Deciding, per post and per voice, what may be published: approved, pending, stale or declined."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from roundup import live as live_version
from roundup.approvals import Record, approved_copy, needs_copies, read_records
from roundup.digest import changed_parts, digest_of, digest_v1, key_of, profile_snapshot, snapshot, voice_digest
from roundup.errors import Problems
from roundup.i18n import N_
from roundup.model import Live, Post, Profile, Quote, Site
from roundup.progress import SILENT, Progress

if TYPE_CHECKING:
    from roundup.posts import PostEntry


class VoiceState(enum.Enum):
    APPROVED = "approved"
    PENDING = "pending"
    STALE = "stale"
    DECLINED = "declined"
    UNANSWERED = "unanswered"
    """Listed in `voices`, with no words yet: `roundup invite` asks for them."""
    OUT = "not taking part"
    """They said they are not taking part (the Count-me-out button, or `roundup decline --not-taking-part`)."""


class Inclusion(enum.Enum):
    """Where a post goes: PUBLISHED in every build; LIVE in every build as its last fully approved version
    (with --drafts, as it is now); WITHHELD and DRAFT only with --drafts; CANCELLED nowhere."""

    PUBLISHED = "published"
    LIVE = "live"
    WITHHELD = "withheld"
    DRAFT = "draft"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class VoiceStatus:
    """One voice of one post, measured against its recorded approval."""

    contributor_id: str
    name: str
    state: VoiceState
    reason: str
    """Why, in words: "never previewed", "quote edited since approval on 2026-02-18", ..."""
    digest: str
    record: Record | None


@dataclass(frozen=True, slots=True)
class PostStatus:
    """A post, its voices' states, and where it goes."""

    post: Post
    voices: tuple[VoiceStatus, ...]
    inclusion: Inclusion
    live: Live | None = None
    """The post's last fully approved version, if it has one (shown while the inclusion is LIVE)."""
    down: str | None = None
    """Why a post with a fully approved version is not shown, in words ("the post is cancelled", "kofi
    declined on ...")."""

    @property
    def pending(self) -> tuple[VoiceStatus, ...]:
        return tuple(v for v in self.voices if v.state is not VoiceState.APPROVED)

    @property
    def published_post(self) -> Post | None:
        """The version a normal build publishes: the post as it is, its live version, or none."""
        if self.inclusion is Inclusion.PUBLISHED:
            return self.post
        return self.live.post if self.inclusion is Inclusion.LIVE and self.live else None

    @property
    def live_summary(self) -> str:
        """A LIVE post in words: "the version approved on 2026-03-02 stays online; the new version is waiting
        for zoe (quote edited since approval on 2026-03-02)"."""
        waiting = "; ".join(f"{v.contributor_id} ({v.reason})" for v in self.pending)
        approved = self.live.approved_on.isoformat() if self.live else "?"
        return f"the version approved on {approved} stays online; the new version is waiting for {waiting}"

    @property
    def post_reasons(self) -> tuple[str, ...]:
        """Why the post itself is held back, apart from its voices."""
        return post_reasons(self.post.status == "draft", bool(self.voices), self.post.deadline, bool(self.pending))


def post_reasons(draft: bool, voices: bool, deadline: dt.date | None, pending: bool) -> tuple[str, ...]:
    """Why a post is held back, apart from its voices: a draft, no voices, a deadline passed (as of today)."""
    return tuple(reason.format(date=deadline.isoformat() if deadline else "")
                 for reason in held_reasons(draft, voices, deadline, pending))


def held_reasons(draft: bool, voices: bool, deadline: dt.date | None, pending: bool) -> tuple[str, ...]:
    """`post_reasons` as messages to translate, the deadline as {date}."""
    reasons = []
    if draft:
        reasons.append(N_("the post's status is draft"))
    if not voices:
        reasons.append(N_("the post has no voices yet"))
    if deadline and pending and deadline < dt.date.today():
        reasons.append(N_("the deadline {date} has passed"))
    return tuple(reasons)


@dataclass(frozen=True, slots=True)
class Held:
    """A post the build did not publish as it is, as its summary and --strict tell it: small, so that the
    build cache keeps it for the next build where nothing changed (not the whole post and its voices)."""

    slug: str
    source: str
    inclusion: Inclusion
    draft: bool
    voices: int
    deadline: dt.date | None
    pending: tuple[tuple[str, str, str], ...]
    """(contributor id, state, reason) of each voice not approved."""
    down: str | None
    live_summary: str | None
    """For a live post: which version stays online, and who the new one waits for."""

    @classmethod
    def of(cls, status: PostStatus) -> Held:
        post = status.post
        return cls(post.slug, post.source, status.inclusion, post.status == "draft", len(status.voices),
                   post.deadline, tuple((v.contributor_id, v.state.value, v.reason) for v in status.pending),
                   status.down, status.live_summary if status.inclusion is Inclusion.LIVE else None)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the post itself is held back (as of today), apart from its voices."""
        return post_reasons(self.draft, bool(self.voices), self.deadline, bool(self.pending))


@dataclass(slots=True)
class Assessed:
    """What `assess_site` reuses from an earlier run and renews: kept by the build cache."""

    digests: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(key of the post's files, contributor id, profile digest) → the voice's digest."""
    statuses: dict[str, tuple] = field(default_factory=dict)
    """By slug: (post, records, profiles, status) of an earlier run in this process (`serve`), reused for
    the very same post and approvals and equal profiles (never saved)."""


def assess_site(site: Site, problems: Problems, progress: Progress = SILENT, copies: bool = False,
                entries: Mapping[str, PostEntry] | None = None,
                known: Assessed | None = None) -> tuple[PostStatus, ...]:
    """The status of every post; malformed approvals files are reported to `problems` (with `copies`,
    malformed approved copies too, which only matter once a voice changes). With the post folders'
    `entries` (as `load_posts` left them), each post's approvals were read with the post; with `known`,
    voice digests and statuses of an earlier run are reused."""
    statuses = []
    digests = _Digests(site, entries, known)
    memo = known.statuses if known is not None and entries is not None and not copies else {}
    for done, post in enumerate(site.posts, 1):
        entry = entries.get(post.slug) if entries else None
        profiles = tuple(site.contributors[q.contributor_id].profile for q in post.quotes)
        seen = memo.get(post.slug)
        if seen is not None and seen[0] is post and seen[1] is entry.records and seen[2] == profiles:
            statuses.append(seen[3])  # `serve`: the same post and approvals as last time, the same people
            continue
        shown = entry.live if entry is not None else live_version.read(site.config.root, post, problems)
        status = assess(site, post, entry.records, digests, shown) if entry is not None and not copies else None
        if status is None or needs_copies(entry.records, {v.contributor_id: v.digest for v in status.voices}):
            status = assess(site, post, read_records(site.config.root, post, problems, copies), digests, shown)
        elif known is not None:
            memo[post.slug] = (post, entry.records, profiles, status)
        statuses.append(status)
        progress("checking approvals", done, len(site.posts))
    return tuple(statuses)


class _Digests:
    """Voice digests, reused from `known` while the post's files and the profile are unchanged."""

    def __init__(self, site: Site, entries: Mapping[str, PostEntry] | None, known: Assessed | None):
        self.entries = entries if known is not None else None
        self.profiles = {cid: digest_of({"profile": profile_snapshot(c.profile)})
                         for cid, c in site.contributors.items()} if self.entries is not None else {}
        self.earlier = dict(known.digests) if known is not None else {}
        self.known = known
        self.posts: dict[tuple, str] = {}
        """A post's files' signature → its key (one digest a post, not one a voice)."""
        if known is not None:
            known.digests = {}

    def __call__(self, post: Post, quote: Quote, profile: Profile) -> str:
        entry = self.entries.get(post.slug) if self.entries is not None else None
        if entry is None:
            return voice_digest(post, quote, profile)
        if entry.signature not in self.posts:
            self.posts[entry.signature] = key_of(entry.signature)
        key = (self.posts[entry.signature], quote.contributor_id, self.profiles[quote.contributor_id])
        digest = self.earlier.get(key) or voice_digest(post, quote, profile)
        self.known.digests[key] = digest
        return digest


def assess_post(site: Site, post: Post) -> PostStatus:
    """The status of one post, reading only its own approvals.yml (problems in it are raised)."""
    problems = Problems()
    records = read_records(site.config.root, post, problems)
    shown = live_version.read(site.config.root, post, problems)
    problems.raise_if_any()
    return assess(site, post, records, live=shown)


def assess(site: Site, post: Post, records: dict[str, Record], digests=voice_digest,
           live: Live | None = None) -> PostStatus:
    voices = tuple(_out(site, quote, records[quote.contributor_id], digest) if _is_out(records, quote) else
                   _voice(site, post, quote, records.get(quote.contributor_id), digest, live) for quote, digest in
                   ((q, digests(post, q, site.contributors[q.contributor_id].profile)) for q in post.quotes))
    voices += tuple(_out(site, quote, records[quote.contributor_id]) if _is_out(records, quote) else
                    _unanswered(site, quote, records.get(quote.contributor_id)) for quote in post.unanswered)
    if post.status == "cancelled":
        return PostStatus(post, voices, Inclusion.CANCELLED, live, "the post is cancelled" if live else None)
    if post.status == "draft":
        return PostStatus(post, voices, Inclusion.DRAFT, live)
    if voices and all(v.state is VoiceState.APPROVED for v in voices):
        return PostStatus(post, voices, Inclusion.PUBLISHED, live)
    if live is None:
        return PostStatus(post, voices, Inclusion.WITHHELD)
    withdrawn = _withdrawn(live, records)
    if withdrawn:
        return PostStatus(post, voices, Inclusion.WITHHELD, live, withdrawn)
    return PostStatus(post, voices, Inclusion.LIVE, live)


def _withdrawn(live: Live, records: dict[str, Record]) -> str | None:
    """Who of the live version's voices has withdrawn since approving it, through the editor (`roundup decline`):
    their consent is withdrawn. Mail never takes a post down by itself (`via: mail`)."""
    declined = [records[v.contributor_id] for v in live.voices
                if v.contributor_id in records and records[v.contributor_id].decision in ("declined", "out")
                and records[v.contributor_id].via != "mail"]
    if not declined:
        return None
    return "; ".join(f"{r.contributor_id} {'declined' if r.decision == 'declined' else 'left'} on "
                     f"{r.at.date().isoformat()}" for r in declined) + ", withdrawing their approval"


def _is_out(records: dict[str, Record], quote: Quote) -> bool:
    record = records.get(quote.contributor_id)
    return record is not None and record.decision == "out"


def _out(site: Site, quote: Quote, record: Record, digest: str = "") -> VoiceStatus:
    """A voice whose contributor is not taking part: the post waits until the editor takes them out of `voices`."""
    why = f": {record.reason}" if record.reason else ""
    return VoiceStatus(quote.contributor_id, site.contributors[quote.contributor_id].profile.name, VoiceState.OUT,
                       f"not taking part since {record.at.date().isoformat()}{why}; take them out of `voices` "
                       "in post.md to publish without them", digest, record)


def _voice(site: Site, post: Post, quote, record: Record | None, digest: str, live: Live | None = None) -> VoiceStatus:
    """A voice measured against its record; an answer given before summary and tags were approved (its digest of
    DIGEST_VERSION 1) stands for the same words only where readers see them with the same summary and tags."""
    profile = site.contributors[quote.contributor_id].profile

    def status(state: VoiceState, reason: str) -> VoiceStatus:
        return VoiceStatus(quote.contributor_id, profile.name, state, reason, digest, record)

    preview = _preview_note(record, digest)
    if record is None or record.decision is None:
        return status(VoiceState.PENDING, preview or "never previewed")
    day = record.at.date().isoformat()
    now = None if record.digest == digest else snapshot(post, quote, profile)
    later = f"; {preview}" if preview else ""
    if now is None or record.digest == digest_v1(now):
        if record.decision == "declined":
            why = f": {record.reason}" if record.reason else ""
            return status(VoiceState.DECLINED, f"declined on {day}{why}")
        if now is None or _shown_alike(post, live):
            return status(VoiceState.APPROVED, f"approved on {day}")
        return status(VoiceState.STALE, f"{MIGRATED}{later or ': send a new preview'}")
    parts = changed_parts(approved_copy(record), now)
    what = " and ".join(parts) if parts else "content"
    if record.decision == "declined":
        return status(VoiceState.PENDING, f"{what} edited since they declined on {day}{later or '; send a new preview'}")
    return status(VoiceState.STALE, f"{what} edited since approval on {day}{later}")


MIGRATED = "summary and tags are now part of what contributors approve"
"""Why an approval of DIGEST_VERSION 1 no longer stands (see `_voice`)."""


def _shown_alike(post: Post, live: Live | None) -> bool:
    """The live version shows the post's summary and tags as they are now."""
    return live is not None and (live.post.summary, live.post.tags) == (post.summary, post.tags)


def _unanswered(site: Site, quote: Quote, record: Record | None) -> VoiceStatus:
    """A voice with no words yet, and whether they were asked."""
    person = site.contributors[quote.contributor_id].profile.name
    asked = record.invited_at if record else None
    reason = f"invited on {asked.date().isoformat()}, no answer yet" if asked else "not invited yet"
    return VoiceStatus(quote.contributor_id, person, VoiceState.UNANSWERED, reason, "", record)


def _preview_note(record: Record | None, digest: str) -> str | None:
    """"previewed on <date>" when a preview of the content as it is now was made."""
    if record is None or record.previewed_at is None or record.previewed_digest != digest:
        return None
    return f"previewed on {record.previewed_at.date().isoformat()}, no answer yet"
