"""Signed codes: one short word, HMAC-SHA256 over its kind, contributor, post, digest and expiry day."""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from roundup.errors import Problem, RoundupError
from roundup.fsutil import STATE_DIR, atomic_write, state_dir
from roundup.model import Post

PREFIX = "ru2"


class Kind(enum.Enum):
    """What a code says, by its first three letters: each kind is signed apart, so one never passes for another."""

    APPROVE = PREFIX
    """The Approve button's code: "I approve my words as previewed"."""
    CHANGES = "rc2"
    """The Ask-for-changes button's marker: "I want something changed"."""
    OUT = "ro2"
    """The Count-me-out button's marker (invitations and reminders): "I am not taking part"."""


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
    kind: Kind = Kind.APPROVE
    """What the code says; only an APPROVE code approves."""

    def matches(self, digest: str) -> bool:
        """The token was made for the voice with this digest."""
        return hmac.compare_digest(self.fingerprint, fingerprint(digest))


def fingerprint(digest: str) -> str:
    return digest.removeprefix("sha256:")[:FINGERPRINT * 2]


def secret_for(site_root: Path, create: bool = True) -> bytes | None:
    """ROUNDUP_SECRET, or the site's secret in .roundup/secret (kept out of version control). A site that never
    wrote a code gets a new one on first use (an empty .roundup/secret asks for one too); with `create` false,
    None then, and nothing is made (no code can be genuine). Once codes were written, a missing secret is an
    error saying how to get it back, whatever `create` says: a new one would make every code sent so far forged."""
    env = os.environ.get("ROUNDUP_SECRET")
    if env:
        return env.encode()
    path = site_root / STATE_DIR / "secret"
    kept = path.read_bytes().strip() if path.is_file() else None
    if kept:
        return kept
    if kept is None:
        _require_no_codes(site_root)
    if not create:
        return None
    atomic_write(state_dir(site_root) / "secret", secrets.token_hex(32).encode(), mode=0o600)
    return path.read_bytes().strip()


CODES_IN = ("previewed_at", "invited_at", "reminded_at")
"""The approvals.yml keys of the messages that carry codes signed with the secret (every one of them)."""


def _require_no_codes(site_root: Path) -> None:
    """An error when some approvals.yml records a message carrying codes: the secret is lost, not new."""
    key = re.compile(rf"^[ \t]+({'|'.join(CODES_IN)}):[ \t]*['\"]?(\d{{4}}-\d\d-\d\d)", re.MULTILINE)
    found = sorted((m[2], path.relative_to(site_root).as_posix())
                   for path in (site_root / "posts").glob("*/approvals.yml")
                   for m in key.finditer(path.read_text(encoding="utf-8", errors="replace")))
    if found:
        day, where = found[-1]
        raise RoundupError([Problem(f"{STATE_DIR}/secret", None, (
            f"is missing, but messages carrying codes signed with it were written (previews, invitations or "
            f"reminders; the last on {day}, in {where}): those codes work only with it. Restore {STATE_DIR}/secret "
            f"from a backup, or set ROUNDUP_SECRET to it; to start over with a new secret (every code sent so far "
            f"stops working), run `mkdir -p {STATE_DIR} && touch {STATE_DIR}/secret` and run this command again"))])


def expiry_for(post: Post, now: dt.datetime) -> dt.datetime:
    """The end of the deadline day (UTC), or of the day 30 days from now when the post has no deadline."""
    day = post.deadline or (now + DEFAULT_LIFETIME).date()
    return dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc)


NO_WORDS = "0" * FINGERPRINT * 2
"""The fingerprint of a Count-me-out code sent before there are words to approve (an invitation)."""


def make(secret: bytes, claims: Claims) -> str:
    day = (claims.expires.date() - EPOCH).days
    if not 0 <= day < 1 << 16:
        raise ValueError(f"a token cannot expire on {claims.expires:%Y-%m-%d}")
    body = (_ref(secret, claims.contributor_id, claims.slug) + day.to_bytes(DAY, "big")
            + bytes.fromhex(claims.fingerprint))
    prefix = claims.kind.value
    return prefix + _b32(body + _sign(secret, prefix, claims.contributor_id, claims.slug, body))


def verify(secret: bytes, token: str, now: dt.datetime, voices: Iterable[tuple[str, str]]) -> Claims:
    """The claims of a genuine, unexpired token for one of `voices` ((contributor id, slug) pairs);
    RoundupError otherwise."""
    forged = RoundupError("this token is not valid: it was altered, mistyped, or not made by this site "
                          "(copy the whole token, ru2 and the 44 letters and digits after it)")
    if token.strip().startswith(V1):
        return _verify_v1(secret, token.strip(), now, forged)
    text = token.strip().lower()
    kind = _KINDS.get(text[:len(PREFIX)])
    if len(text) != LENGTH or kind is None or not _ALPHABET.issuperset(text[len(PREFIX):]):
        raise forged
    data = _unb32(text[len(PREFIX):])
    if data is None:
        raise forged
    ref, signed, mac = data[:REF], data[:-MAC], data[-MAC:]
    for cid, slug in voices:
        if hmac.compare_digest(_ref(secret, cid, slug), ref) and \
                hmac.compare_digest(_sign(secret, kind.value, cid, slug, signed), mac):
            break
    else:
        raise forged
    day = EPOCH + dt.timedelta(days=int.from_bytes(data[REF:REF + DAY], "big"))
    claims = Claims(cid, slug, data[REF + DAY:-MAC].hex(), dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc),
                    kind)
    return _unexpired(claims, now)


_KINDS = {kind.value: kind for kind in Kind}


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
_START = re.compile("|".join(kind.value for kind in Kind))
_OWN_WORD = frozenset(" \t\r\n>([{\"'“‘«:;,*")
"""What may stand right before a code someone wrote: a code glued to anything else (`%20ru2…`, `=ru2…` in a
mailto: link) is part of a link, not words."""


def find(text: str) -> list[str]:
    """Every code in `text` (of any kind) standing as a word of its own, as mail leaves it: wrapped across
    lines (even with "> " before the rest), in any case; each once, in order. Never one inside a link."""
    found: dict[str, None] = {m.group(0): None for m in _V1_TOKEN.finditer(text) if _own(text, m.start())}
    lower = text.lower()
    for match in _START.finditer(lower):
        if not _own(lower, match.start()):
            continue
        chars, at, gapped = [], match.end(), False
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
        if len(chars) == _BODY and not after.isalnum():
            found.setdefault(match.group(0) + "".join(chars))
    return list(found)


def _own(text: str, at: int) -> bool:
    return at == 0 or text[at - 1] in _OWN_WORD


def _ref(secret: bytes, cid: str, slug: str) -> bytes:
    """Which voice a token is for, without naming it (the token stays short)."""
    return hmac.new(secret, f"ref\0{slug}\0{cid}".encode(), hashlib.sha256).digest()[:REF]


def _sign(secret: bytes, prefix: str, cid: str, slug: str, body: bytes) -> bytes:
    return hmac.new(secret, f"{prefix}\0{cid}\0{slug}\0".encode() + body, hashlib.sha256).digest()[:MAC]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes | None:
    """Strict base32: only the one canonical spelling of the bytes is accepted."""
    try:
        data = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except ValueError:
        return None
    return data if _b32(data) == text and len(data) == REF + DAY + FINGERPRINT + MAC else None
