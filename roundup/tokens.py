"""Signed approval tokens: HMAC-SHA256 over contributor, post, digest and expiry, with the site's secret."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from roundup.errors import RoundupError
from roundup.fsutil import atomic_write, state_dir
from roundup.model import Post

PREFIX = "ru1"
DEFAULT_LIFETIME = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Claims:
    """What a valid token says."""

    contributor_id: str
    slug: str
    digest: str
    expires: dt.datetime


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
    """The end of the deadline day (UTC), or 30 days from now when the post has no deadline."""
    if post.deadline:
        return dt.datetime.combine(post.deadline, dt.time(23, 59, 59), dt.timezone.utc)
    return now + DEFAULT_LIFETIME


def make(secret: bytes, claims: Claims) -> str:
    payload = json.dumps({"c": claims.contributor_id, "s": claims.slug, "d": claims.digest,
                          "e": int(claims.expires.timestamp())}, separators=(",", ":"), sort_keys=True)
    body = _b64(payload.encode())
    return f"{PREFIX}.{body}.{_b64(_sign(secret, body))}"


def verify(secret: bytes, token: str, now: dt.datetime) -> Claims:
    """The claims of a genuine, unexpired token; RoundupError otherwise."""
    forged = RoundupError("this token is not valid: it was altered, mistyped, or not made by this site "
                          "(copy the whole `roundup approve --token` line from the preview)")
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise forged
    try:
        signature = _unb64(parts[2])
        if not hmac.compare_digest(signature, _sign(secret, parts[1])):
            raise forged
        data = json.loads(_unb64(parts[1]))
        claims = Claims(str(data["c"]), str(data["s"]), str(data["d"]),
                        dt.datetime.fromtimestamp(int(data["e"]), dt.timezone.utc))
    except (ValueError, KeyError, TypeError):
        raise forged from None
    if now > claims.expires:
        raise RoundupError(f"this token expired on {claims.expires:%Y-%m-%d %H:%M} UTC; "
                           f"send {claims.contributor_id} a new preview (roundup preview {claims.contributor_id})")
    return claims


def _sign(secret: bytes, body: str) -> bytes:
    return hmac.new(secret, f"{PREFIX}.{body}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict base64url: only the one canonical spelling of the bytes is accepted."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if not text or _b64(data) != text:
        raise ValueError  # verify turns it into its one message about a token that is not valid
    return data
