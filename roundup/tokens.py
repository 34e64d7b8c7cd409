"""Signed approval tokens: one short word, HMAC-SHA256 over contributor, post, digest and expiry day."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from roundup.errors import RoundupError
from roundup.fsutil import atomic_write, state_dir
from roundup.model import Post

PREFIX = "ru2"
DEFAULT_LIFETIME = dt.timedelta(days=30)
EPOCH = dt.date(2020, 1, 1)
"""Expiry is kept as a day count from here (two bytes: good until 2199)."""
REF, DAY, FINGERPRINT, MAC = 5, 2, 8, 12
"""Byte lengths: a reference to the voice, the expiry day, the start of the digest, the signature."""
LENGTH = len(PREFIX) + -(-(REF + DAY + FINGERPRINT + MAC) * 8 // 5)
"""47: one word of [a-z2-7] that mail clients neither wrap nor break."""
_BODY = LENGTH - len(PREFIX)
_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")


@dataclass(frozen=True, slots=True)
class Claims:
    """What a valid token says."""

    contributor_id: str
    slug: str
    fingerprint: str
    """The first 16 hex digits of the digest of the voice the token approves (`fingerprint(digest)`)."""
    expires: dt.datetime

    def matches(self, digest: str) -> bool:
        """The token was made for the voice with this digest."""
        return hmac.compare_digest(self.fingerprint, fingerprint(digest))


def fingerprint(digest: str) -> str:
    return digest.removeprefix("sha256:")[:FINGERPRINT * 2]


def secret_for(site_root: Path) -> bytes:
    """ROUNDUP_SECRET, or the site's generated secret (made on first use, kept out of version control)."""
    env = os.environ.get("ROUNDUP_SECRET")
    if env:
        return env.encode()
    path = state_dir(site_root) / "secret"
    if not path.exists():
        atomic_write(path, secrets.token_hex(32).encode(), mode=0o600)
    return path.read_bytes().strip()


def expiry_for(post: Post, now: dt.datetime) -> dt.datetime:
    """The end of the deadline day (UTC), or of the day 30 days from now when the post has no deadline."""
    day = post.deadline or (now + DEFAULT_LIFETIME).date()
    return dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc)


def make(secret: bytes, claims: Claims) -> str:
    day = (claims.expires.date() - EPOCH).days
    if not 0 <= day < 1 << 16:
        raise ValueError(f"a token cannot expire on {claims.expires:%Y-%m-%d}")
    body = (_ref(secret, claims.contributor_id, claims.slug) + day.to_bytes(DAY, "big")
            + bytes.fromhex(claims.fingerprint))
    return PREFIX + _b32(body + _sign(secret, claims.contributor_id, claims.slug, body))


def verify(secret: bytes, token: str, now: dt.datetime, voices: Iterable[tuple[str, str]]) -> Claims:
    """The claims of a genuine, unexpired token for one of `voices` ((contributor id, slug) pairs);
    RoundupError otherwise."""
    forged = RoundupError("this token is not valid: it was altered, mistyped, or not made by this site "
                          "(copy the whole token, ru2 and the 44 letters and digits after it)")
    if token.strip().startswith(V1):
        return _verify_v1(secret, token.strip(), now, forged)
    text = token.strip().lower()
    if len(text) != LENGTH or not text.startswith(PREFIX) or not _ALPHABET.issuperset(text[len(PREFIX):]):
        raise forged
    data = _unb32(text[len(PREFIX):])
    if data is None:
        raise forged
    ref, signed, mac = data[:REF], data[:-MAC], data[-MAC:]
    for cid, slug in voices:
        if hmac.compare_digest(_ref(secret, cid, slug), ref) and hmac.compare_digest(_sign(secret, cid, slug, signed), mac):
            break
    else:
        raise forged
    day = EPOCH + dt.timedelta(days=int.from_bytes(data[REF:REF + DAY], "big"))
    claims = Claims(cid, slug, data[REF + DAY:-MAC].hex(), dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc))
    return _unexpired(claims, now)


def _unexpired(claims: Claims, now: dt.datetime) -> Claims:
    if now > claims.expires:
        cid, slug = claims.contributor_id, claims.slug
        raise RoundupError(f"this token expired on {claims.expires:%Y-%m-%d %H:%M} UTC; "
                           f"send {cid} a new preview: roundup preview {cid} --post {slug}")
    return claims


V1 = "ru1."
"""The first, longer tokens (JSON claims and a full signature): still accepted, no longer made."""


def _verify_v1(secret: bytes, token: str, now: dt.datetime, forged: RoundupError) -> Claims:
    parts = token.split(".")
    if len(parts) != 3:
        raise forged
    try:
        signature, body = _unb64(parts[2]), parts[1]
        if not hmac.compare_digest(signature, hmac.new(secret, f"ru1.{body}".encode(), hashlib.sha256).digest()):
            raise forged
        data = json.loads(_unb64(body))
        claims = Claims(str(data["c"]), str(data["s"]), fingerprint(str(data["d"])),
                        dt.datetime.fromtimestamp(int(data["e"]), dt.timezone.utc))
    except (ValueError, KeyError, TypeError):
        raise forged from None
    return _unexpired(claims, now)


def _unb64(text: str) -> bytes:
    """Strict base64url: only the one canonical spelling of the bytes is accepted."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if not text or base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:
        raise ValueError  # the caller turns it into its one message about a token that is not valid
    return data


_V1_TOKEN = re.compile(r"ru1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
_SPLIT = re.compile(r"[ \t]*(?:\r?\n[ \t>]*)?")


def find(text: str) -> list[str]:
    """Every token in `text`, as mail leaves it: wrapped across lines (even with "> " before the rest),
    in any case; each once, in order."""
    found: list[str] = [m for m in dict.fromkeys(_V1_TOKEN.findall(text))]
    lower = text.lower()
    start = lower.find(PREFIX)
    while start != -1:
        chars, at, gapped = [], start + len(PREFIX), False
        while len(chars) < _BODY and at < len(lower):
            if lower[at] in _ALPHABET:
                chars.append(lower[at])
                at, gapped = at + 1, False
                continue
            gap = _SPLIT.match(lower, at)
            if gapped or gap is None or gap.end() == at:  # one break at a time: a blank line ends it
                break
            at, gapped = gap.end(), True
        after = lower[at] if at < len(lower) else " "
        token = PREFIX + "".join(chars)
        if len(chars) == _BODY and not after.isalnum() and token not in found:
            found.append(token)
        start = lower.find(PREFIX, start + 1)
    return found


def _ref(secret: bytes, cid: str, slug: str) -> bytes:
    """Which voice a token is for, without naming it (the token stays short)."""
    return hmac.new(secret, f"ref\0{slug}\0{cid}".encode(), hashlib.sha256).digest()[:REF]


def _sign(secret: bytes, cid: str, slug: str, body: bytes) -> bytes:
    return hmac.new(secret, f"{PREFIX}\0{cid}\0{slug}\0".encode() + body, hashlib.sha256).digest()[:MAC]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes | None:
    """Strict base32: only the one canonical spelling of the bytes is accepted."""
    try:
        data = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except ValueError:
        return None
    return data if _b32(data) == text and len(data) == REF + DAY + FINGERPRINT + MAC else None
