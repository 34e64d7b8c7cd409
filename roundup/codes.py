"""Signed codes against the site: made for the buttons of one message, and read back from a reply or the command line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roundup import tokens
from roundup.errors import RoundupError
from roundup.gate import PostStatus, VoiceState, VoiceStatus, assess_post
from roundup.model import Site
from roundup.unsent import waiting


@dataclass(frozen=True, slots=True)
class Codes:
    """The signed codes one message's buttons carry (`tokens`); a button whose code is None is left out."""

    approve: str | None = None
    """The approval code (previews, and reminders of a preview)."""
    changes: str | None = None
    """The Ask-for-changes marker."""
    out: str | None = None
    """The Count-me-out marker (invitations and reminders)."""


def codes_for(site: Site, slug: str, contributor_id: str, digest: str, expires: dt.datetime, approve: bool = False,
              changes: bool = False, out: bool = False) -> Codes:
    """The codes of the kinds asked for, for their voice as it is now (`digest`; "" before they have words)."""
    secret = tokens.secret_for(site.config.root)
    mark = tokens.fingerprint(digest) if digest else tokens.NO_WORDS

    def code(kind: tokens.Kind, wanted: bool) -> str | None:
        return tokens.make(secret, tokens.Claims(contributor_id, slug, mark, expires, kind)) if wanted else None

    return Codes(code(tokens.Kind.APPROVE, approve), code(tokens.Kind.CHANGES, changes), code(tokens.Kind.OUT, out))


@dataclass(frozen=True, slots=True)
class Checked:
    """A genuine, unexpired code, and the voice it speaks for as that voice stands now."""

    code: str
    claims: tokens.Claims
    status: PostStatus
    voice: VoiceStatus

    @property
    def current(self) -> bool:
        """It was made for their words exactly as they are now."""
        return self.voice.state is not VoiceState.UNANSWERED and bool(self.voice.digest) and \
            self.claims.matches(self.voice.digest)

    def newer_preview(self) -> dt.datetime | None:
        """When a preview of their voice as it is now was sent, after the one this code came from (None when
        there is none: the code is current, or their voice changed since that preview, or it was not sent)."""
        record = self.voice.record
        if self.current or record is None or record.previewed_digest != self.voice.digest or \
                waiting(record.unsent, "previewed"):
            return None
        return record.previewed_at

    def stale_error(self) -> RoundupError:
        cid, slug = self.claims.contributor_id, self.claims.slug
        newer = self.newer_preview()
        if newer is not None:
            return RoundupError(f"this code is from an earlier preview of {cid}'s voice in {slug}; the newer preview "
                                f"sent on {newer.date().isoformat()} shows it as it is now, so this code cannot approve "
                                f"it; nothing was recorded — ask {cid} to answer that preview (nothing needs sending)")
        return RoundupError(f"{cid}'s voice in {slug} (the quote, their profile or the post's text) changed after this "
                            "preview was sent, so this code cannot approve it; nothing was recorded — send a new "
                            f"preview: roundup preview {cid} --post {slug}")


def read(site: Site, code: str, now: dt.datetime, secret: bytes) -> Checked:
    """What a code says of the site now; RoundupError when it is forged, expired, or for a voice no longer there."""
    voices = [(q.contributor_id, p.slug) for p in site.posts for q in (*p.quotes, *p.unanswered)]
    claims = tokens.verify(secret, code, now, voices)
    cid, slug = claims.contributor_id, claims.slug
    if (cid, slug) not in voices:  # an old ru1. code names its voice outright
        raise RoundupError(f"this code is {cid}'s for {slug}, but {cid} is no longer a voice in {slug} (or the post "
                           "is gone); nothing was recorded")
    status = assess_post(site, site.post(slug))
    voice = next(v for v in status.voices if v.contributor_id == cid)
    return Checked(code, claims, status, voice)
