"""The validated site: small frozen dataclasses that the rest of roundup trusts without re-checking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from roundup.errors import RoundupError
from roundup.i18n import Language

STATUSES = ("ready", "draft", "cancelled")
PREVIEW_OTHERS = ("approved", "all")
"""What a contributor's preview shows of the other voices: only approved words, or every draft too."""


@dataclass(frozen=True, slots=True)
class Editor:
    """The person who runs the site and signs every message."""

    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class MailConfig:
    """How messages are delivered with `--send`."""

    host: str = "localhost"
    """The SMTP server's name; its certificate must be for this name when `tls` or `starttls` is set."""
    port: int = 25
    """25 by default, 465 with `tls`."""
    tls: bool = False
    """TLS from the first byte (SMTPS, port 465); the certificate is checked against the system's authorities."""
    starttls: bool = False
    """Plain connection upgraded with STARTTLS before anything else is said; never together with `tls`."""
    username: str | None = None
    """Log in as this user (the password is in `password_env`); None: no login."""
    password_env: str = "ROUNDUP_SMTP_PASSWORD"
    """The environment variable holding the password: it is never written in site.yml."""
    allow_plain_password: bool = False
    """Log in even over a connection that is neither `tls` nor `starttls` (the password travels in the clear)."""
    lines: tuple[tuple[str, int], ...] = ()
    """Where each setting is written in site.yml ("mail" for the mapping itself), for messages."""

    def line(self, *keys: str) -> int | None:
        """The line of the first of `keys` written in site.yml, else of `mail:` itself (None if absent)."""
        written = dict(self.lines)
        return next((written[k] for k in (*keys, "mail") if k in written), None)


@dataclass(frozen=True, slots=True)
class InboxConfig:
    """Where `roundup inbox --imap` reads the replies: an IMAP folder, read without deleting anything."""

    host: str
    username: str
    port: int = 993
    """993 by default with `tls`, 143 otherwise."""
    tls: bool = True
    """TLS from the first byte (IMAPS); the certificate is checked against the system's authorities."""
    starttls: bool = False
    """Plain connection upgraded with STARTTLS (port 143); never together with `tls`."""
    password_env: str = "ROUNDUP_IMAP_PASSWORD"
    """The environment variable holding the password: it is never written in site.yml."""
    folder: str = "INBOX"
    lines: tuple[tuple[str, int], ...] = ()
    """Where each setting is written in site.yml ("inbox" for the mapping itself), for messages."""

    def line(self, *keys: str) -> int | None:
        """The line of the first of `keys` written in site.yml, else of `inbox:` itself (None if absent)."""
        written = dict(self.lines)
        return next((written[k] for k in (*keys, "inbox") if k in written), None)


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Settings from site.yml, with defaults applied."""

    root: Path
    """The site folder (absolute)."""
    title: str
    base_url: str
    """Absolute http(s) URL, always ending with a slash."""
    editor: Editor
    theme: str
    output: Path
    """Absolute path of the build output folder."""
    previews: Path
    """Absolute path of the previews folder."""
    language: Language
    """The site's language: its pages, and every message to a contributor whose profile names none."""
    mail: MailConfig
    markdown: str = "markdown-it"
    """The Markdown engine (`markdown.ENGINES`): markdown-it, or the faster cmark-gfm."""
    paginate: int = 20
    """Posts on each page of the home page and of each tag's page."""
    preview_others: str = "approved"
    """In a preview, the other voices not yet approved show their name only ("approved"), or in full ("all")."""
    inbox: InboxConfig | None = None
    """The IMAP folder `roundup inbox --imap` reads; None when site.yml has no `inbox:`."""
    remind_every: int = 3
    """`roundup remind` writes to a voice at most once in this many days."""


@dataclass(frozen=True, slots=True)
class Link:
    """A credit link: a label and a checked http(s)/mailto URL."""

    label: str
    href: str


@dataclass(frozen=True, slots=True)
class Avatar:
    """A contributor's picture: a file under contributors/ or a remote https URL."""

    source: str
    """As written in the profile, e.g. "avatars/zoe.jpg" or "https://..."."""
    path: Path | None
    """Absolute path of the local file, or None for a remote URL."""
    sha256: str
    """Digest of the file's bytes (local) or of the URL (remote): part of what is approved."""
    alpha: bool = False
    """A local picture with transparency (its fallback rendition is PNG rather than JPEG)."""

    @property
    def is_remote(self) -> bool:
        return self.path is None


@dataclass(frozen=True, slots=True)
class Profile:
    """The public part of a contributor profile: all that may ever reach the built site."""

    name: str
    handle: str | None
    url: str | None
    links: tuple[Link, ...]
    avatar: Avatar | None
    bio: str
    short_name: str | None = None
    """The name they go by, to greet them with ("Priya", "Dr. Okafor"); None: their full `name`. Not shown on
    the site, so not part of what they approve."""

    @property
    def greeting_name(self) -> str:
        """The name to greet them with: the one they go by, else their full name (never a guessed first name)."""
        return self.short_name or self.name


@dataclass(frozen=True, slots=True)
class Contributor:
    """A contributor: public profile plus the one private field roundup uses (email)."""

    id: str
    profile: Profile
    email: str | None
    """Private: only used to address preview and notice messages."""
    source: str
    """Profile file relative to the site."""
    language: Language | None = None
    """Private: the language of their messages and preview frame (None: the site's)."""


@dataclass(frozen=True, slots=True)
class Quote:
    """One contributor's words for one post."""

    contributor_id: str
    prompt: str | None
    body: str
    note: str | None
    """Private: the editor's personal line, only ever shown in that contributor's message."""
    source: str
    lang: str | None = None
    """The language the words are written in (BCP 47), when not the site's: the voice's `lang` attribute."""
    remind_note: str | None = None
    """Private: the editor's personal line for their next reminder."""


@dataclass(frozen=True, slots=True)
class Post:
    """A roundup post: the editor's text and the ordered voices in it."""

    slug: str
    title: str
    date: dt.date
    summary: str | None
    tags: tuple[str, ...]
    status: str
    deadline: dt.date | None
    intro: str
    """Editor Markdown before the `<!-- voices -->` line (or the whole body without one)."""
    outro: str
    """Editor Markdown after the `<!-- voices -->` line."""
    quotes: tuple[Quote, ...]
    """The answered voices, in voice order."""
    source: str
    """post.md relative to the site."""
    prompt: str | None = None
    """The question every voice is asked (a quote's own `prompt` overrides it)."""
    unanswered: tuple[Quote, ...] = ()
    """Voices listed in `voices` whose quote file is missing or has no body yet (body ""; the prompt and
    note are read from the file when it exists), in voice order: the post is withheld until they answer."""

    @property
    def folder(self) -> str:
        return f"posts/{self.slug}"


@dataclass(frozen=True, slots=True)
class Site:
    """Everything roundup read and validated from a site folder."""

    config: SiteConfig
    contributors: dict[str, Contributor]
    posts: tuple[Post, ...]
    """Newest first; ties broken by slug."""

    def post(self, slug: str) -> Post:
        """The post with this slug; a RoundupError naming the missing file otherwise."""
        for post in self.posts:
            if post.slug == slug:
                return post
        known = ", ".join(p.slug for p in self.posts) or "none yet"
        raise RoundupError(f"posts/{slug}/post.md: no such post (posts: {known})")


@dataclass(frozen=True, slots=True)
class LiveVoice:
    """One voice of a post's live version, exactly as its contributor approved it."""

    contributor_id: str
    digest: str
    """The digest they approved (checked against the stored words when the file is read)."""
    profile: Profile
    """Their public profile as approved, without the picture (see `avatar`)."""
    avatar: tuple[str, str] | None
    """(source, sha256) of the approved picture; shown only while today's picture is that very one."""


@dataclass(frozen=True, slots=True)
class Live:
    """The last fully approved version of a post (posts/<slug>/published.yml): it stays online while a
    newer version waits for approval, until a contributor declines or the post is cancelled."""

    post: Post
    """The post as approved: its text and its voices (without private notes)."""
    voices: tuple[LiveVoice, ...]
    """In the post's voice order."""
    approved_on: dt.date
    """The day the last of its voices was approved."""
    source: str
    """published.yml relative to the site."""
