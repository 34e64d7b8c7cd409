"""The digest of a voice: a hash over exactly what a contributor puts their name to."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from roundup.model import Post, Profile, Quote

DIGEST_VERSION = 2
"""2 covers the post's summary and tags; 1 did not (see `digest_v1`, for what was approved before)."""
V1_POST = ("title", "text_sha256")
"""The parts of the post that DIGEST_VERSION 1 covered."""


def quote_snapshot(quote: Quote) -> dict[str, Any]:
    """The approved parts of a quote (the private note is not among them)."""
    return {"prompt": quote.prompt, "body": quote.body}


def profile_snapshot(profile: Profile) -> dict[str, Any]:
    """The public profile fields, with the avatar's bytes represented by their hash."""
    return {
        "name": profile.name,
        "handle": profile.handle,
        "url": profile.url,
        "links": [[link.label, link.href] for link in profile.links],
        "avatar": profile.avatar.source if profile.avatar else None,
        "avatar_sha256": profile.avatar.sha256 if profile.avatar else None,
        "bio": profile.bio,
    }


def post_snapshot(post: Post) -> dict[str, Any]:
    """The editor's part the page shows around the voices: the title, summary and tags, and a hash of the text
    (not the date: moving it changes nothing anyone said)."""
    text = hashlib.sha256(f"{post.intro}\0{post.outro}".encode()).hexdigest()
    return {"title": post.title, "summary": post.summary, "tags": list(post.tags), "text_sha256": text}


def snapshot(post: Post, quote: Quote, profile: Profile) -> dict[str, Any]:
    """Everything the digest covers, as plain data (kept in approvals.yml as the approved copy)."""
    return {"quote": quote_snapshot(quote), "profile": profile_snapshot(profile), "post": post_snapshot(post)}


def digest_of(content: dict[str, Any]) -> str:
    """A stable hash of a snapshot."""
    return _hash({"v": DIGEST_VERSION, **content})


def digest_v1(content: dict[str, Any]) -> str:
    """The digest DIGEST_VERSION 1 gave a voice's snapshot, its post's summary and tags left out: what approvals
    and published.yml files written before they were covered hold."""
    return _hash({"v": 1, **content, "post": {key: content["post"][key] for key in V1_POST}})


def _hash(data: dict[str, Any]) -> str:
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()


def voice_digest(post: Post, quote: Quote, profile: Profile) -> str:
    return digest_of(snapshot(post, quote, profile))


def changed_parts(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Which parts differ between an approved snapshot and now, in words."""
    if not isinstance(old, dict):
        return []
    parts = []
    if old.get("quote") != new["quote"]:
        parts.append("quote")
    if old.get("profile") != new["profile"]:
        parts.append("profile")
    old_post = old.get("post") if isinstance(old.get("post"), dict) else {}
    if old_post.get("title") != new["post"]["title"]:
        parts.append("post title")
    for key in ("summary", "tags"):  # a copy made before they were covered holds neither: it cannot tell
        if key in old_post and old_post[key] != new["post"][key]:
            parts.append(f"post {key}")
    if old_post.get("text_sha256") != new["post"]["text_sha256"]:
        parts.append("editor's text")
    return parts


def key_of(*parts: object) -> str:
    """A digest of everything a page or post was made from."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()  # repr escapes what UTF-8 could not hold
