"""The gate over a whole site, in process: `assess_site` with and without the build cache, its reuse of
known voice digests (`_Digests`) and of earlier statuses (the `serve` memo), and `assess_post`. Whatever
the cache reuses, the statuses must be exactly those of a fresh read. Fast: real small sites, no CLI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from roundup import approvals, consent, digest, gate
from roundup.build import build
from roundup.cache import Cache
from roundup.digest import key_of
from roundup.errors import Problems, RoundupError
from roundup.gate import Inclusion, VoiceState
from roundup.validate import load_site

SLUGS = ("a-approved", "b-stale", "c-declined", "d-pending", "e-draft", "f-cancelled", "g-live")
REREAD = {"b-stale", "g-live"}
"""A voice changed since it was answered: the post's approved copies are read again, never memoised."""
MEMOISED = set(SLUGS) - REREAD
FAKE = "sha256:" + "f" * 64


@pytest.fixture
def root(site) -> Path:
    """One post of every kind (conftest's Site only writes the files; answers are recorded in process)."""
    site.add_post("a-approved", ["ann", "bob"])
    site.add_post("b-stale", ["ann"])
    site.add_post("c-declined", ["bob"])
    site.add_post("d-pending", ["ann"])
    site.add_post("e-draft", ["ann"], status="draft")
    site.add_post("f-cancelled", ["bob"], status="cancelled")
    site.add_post("g-live", ["ann", "bob"])
    s = load_site(site.root)
    p = {post.slug: post for post in s.posts}
    for cid in ("ann", "bob"):  # the last answer of each post writes its published.yml
        consent.answer(s, p["a-approved"], cid, "approved")
        consent.answer(s, p["g-live"], cid, "approved")
    approvals.record(s, p["b-stale"], "ann", "approved")
    approvals.record(s, p["c-declined"], "bob", "declined", reason="not now")
    site.quote("b-stale", "ann", "Edited words.\n")
    site.quote("g-live", "bob", "Edited words.\n")
    return s.config.root


def lean(status: gate.PostStatus) -> gate.PostStatus:
    """A status as the cache's approvals give it: the approved copies left unread in the file."""
    voices = tuple(dataclasses.replace(v, record=approvals.without_copies({"": v.record})[""]) if v.record else v
                   for v in status.voices)
    return dataclasses.replace(status, voices=voices)


def fresh(root: Path, problems: Problems | None = None, **options) -> tuple[gate.PostStatus, ...]:
    """The statuses of a site read from nothing (no cache)."""
    return gate.assess_site(load_site(root), problems if problems is not None else Problems(), **options)


def assess(site, problems: Problems, cache: Cache | None = None, **options) -> tuple[gate.PostStatus, ...]:
    """`assess_site` given the cache's parts, as a build gives them."""
    return gate.assess_site(site, problems, entries=cache.folders.entries if cache else None,
                            known=cache.assessed if cache else None, **options)


def load(root: Path, cache: Cache | None) -> tuple:
    """`load_site` given the cache's part, as a build gives it."""
    return load_site(root, folders=cache.folders if cache else None)


def cached(root: Path, cache: Cache) -> tuple:
    s = load(root, cache)
    return s, assess(s, Problems(), cache)


def replace_in(path: Path, old: str, new: str) -> int:
    """Change a file by hand; the line (from 1) of the change."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def test_the_cache_gives_exactly_the_statuses_of_a_fresh_read(root):
    problems = Problems()
    bare = fresh(root, problems)
    day = bare[0].voices[0].record.at.date().isoformat()
    got = {st.post.slug: (st.inclusion, st.live is not None, st.down,
                          [(v.contributor_id, v.name, v.state, v.reason) for v in st.voices]) for st in bare}
    new = [("ann", "Ann", VoiceState.PENDING, "never previewed")]
    assert got == {
        "a-approved": (Inclusion.PUBLISHED, True, None, [("ann", "Ann", VoiceState.APPROVED, f"approved on {day}"),
                                                           ("bob", "Bob", VoiceState.APPROVED, f"approved on {day}")]),
        "b-stale": (Inclusion.WITHHELD, False, None,
                    [("ann", "Ann", VoiceState.STALE, f"quote edited since approval on {day}")]),
        "c-declined": (Inclusion.WITHHELD, False, None,
                       [("bob", "Bob", VoiceState.DECLINED, f"declined on {day}: not now")]),
        "d-pending": (Inclusion.WITHHELD, False, None, new),
        "e-draft": (Inclusion.DRAFT, False, None, new),
        "f-cancelled": (Inclusion.CANCELLED, False, None, [("bob", "Bob", VoiceState.PENDING, "never previewed")]),
        "g-live": (Inclusion.LIVE, True, None, [("ann", "Ann", VoiceState.APPROVED, f"approved on {day}"),
                                                ("bob", "Bob", VoiceState.STALE, f"quote edited since approval on {day}")]),
    }
    assert problems.items == []
    cache = Cache()
    _, with_cache = cached(root, cache)
    assert with_cache == tuple(st if st.post.slug in REREAD else lean(st) for st in bare)
    assert lean(bare[0]) != bare[0]  # the copies were read without the cache, and left unread with it
    assert all(st.live is cache.folders.entries[st.post.slug].live for st in with_cache)  # as read with the post
    s = load(root, cache)
    assert gate.assess_site(s, Problems(), entries=cache.folders.entries) == with_cache  # no digests kept: none reused


def test_assess_post_reads_its_own_approvals_and_live_version(root):
    s = load_site(root)
    statuses = tuple(gate.assess_post(s, post) for post in s.posts)
    assert statuses == fresh(root)
    assert statuses[-1].live is not None and statuses[-1].live.source == "posts/g-live/published.yml"


def test_malformed_files_are_reported_by_assess_site_and_raised_by_assess_post(root):
    s = load_site(root)
    broken = root / "posts/d-pending/approvals.yml"
    broken.write_text("ann: [unclosed\n", encoding="utf-8")
    published = root / "posts/g-live/published.yml"
    forged = published.read_text(encoding="utf-8").splitlines().index("- id: bob") + 1  # the voice's mapping
    replace_in(published, "body: These are the words of bob.", "body: Forged.")
    problems = Problems()
    statuses = gate.assess_site(s, problems)
    assert [(p.path, p.line) for p in problems.items] == [("posts/d-pending/approvals.yml", 2),
                                                          ("posts/g-live/published.yml", forged)]
    assert "the voice of bob is not what they approved" in problems.items[1].message
    assert statuses[-1].inclusion is Inclusion.WITHHELD and statuses[-1].live is None
    for slug, where in (("d-pending", "posts/d-pending/approvals.yml:2"), ("g-live", "posts/g-live/published.yml")):
        with pytest.raises(RoundupError, match=where):
            gate.assess_post(s, s.post(slug))


def test_copies_reads_every_approved_copy_and_reports_a_malformed_one(root):
    line = replace_in(root / "posts/a-approved/approvals.yml", "      name: Bob\n", "      name: Bob: Builder\n")
    cache = Cache()
    s = load(root, cache)
    for use in (None, cache, cache):  # the memo a build without copies leaves does not hide the copy
        problems, memo = Problems(), dict(cache.assessed.statuses)
        assert assess(s, problems, use, copies=True) == fresh(root)
        assert [(p.path, p.line) for p in problems.items] == [("posts/a-approved/approvals.yml", line)]
        assert "a `: ` inside a value starts a mapping" in problems.items[0].message
        assert cache.assessed.statuses == memo  # nothing is memoised with copies (the memo is empty the first time)
        quiet = Problems()
        assess(s, quiet, use)
        assert quiet.items == []  # without copies, as in a build, the copy is not read


def test_the_memo_returns_the_same_statuses_until_something_changes(root):
    cache = Cache()
    s, first = cached(root, cache)
    assert set(cache.assessed.statuses) == set(MEMOISED)
    again = assess(s, Problems(), cache)
    assert again == first
    assert [a is b for a, b in zip(first, again)] == [slug in MEMOISED for slug in SLUGS]

    def reused(site=s) -> list[bool]:
        return [a is b for a, b in zip(first, assess(site, Problems(), cache))]

    entry = cache.folders.entries["c-declined"]  # the same post, its approvals read again
    cache.folders.entries["c-declined"] = dataclasses.replace(entry, records=dict(entry.records))
    assert reused() == [slug in MEMOISED - {"c-declined"} for slug in SLUGS]
    other = dataclasses.replace(s, posts=tuple(dataclasses.replace(p) if p.slug == "d-pending" else p
                                               for p in s.posts))  # equal, but not the same post
    assert reused(other) == [slug in MEMOISED - {"c-declined", "d-pending"} for slug in SLUGS]

    (root / "contributors/bob.yml").write_text("name: Bobby\n", encoding="utf-8")
    renamed = load(root, cache)
    assert renamed.posts[0] is s.posts[0]  # the posts are unchanged, Bob's profile is not
    statuses = assess(renamed, Problems(), cache)
    assert [a is b for a, b in zip(first, statuses)] == [slug == "e-draft" for slug in SLUGS]  # d-pending: `other`
    bob = statuses[0].voices[1]
    assert (bob.name, bob.state, bob.reason[:33]) == ("Bobby", VoiceState.STALE, "profile edited since approval on ")
    assert statuses == fresh(root) != first


def test_progress_counts_every_post_in_order(root):
    for use in (None, Cache()):
        calls = []
        s = load(root, use)
        assess(s, Problems(), use, progress=lambda *call: calls.append(call))
        assert calls == [("checking approvals", n, len(SLUGS)) for n in range(1, len(SLUGS) + 1)]


def test_known_digests_are_reused_and_only_this_runs_kept(root):
    build(root)  # what a build leaves
    cache = Cache.load(root)
    cache.load_posts()
    s = load(root, cache)
    profiles = {cid: c.profile for cid, c in s.contributors.items()}

    def key(slug: str, cid: str) -> tuple[str, str, str]:
        return (key_of(cache.folders.entries[slug].signature), cid,
                digest.digest_of({"profile": digest.profile_snapshot(profiles[cid])}))

    now = {key(p.slug, q.contributor_id): digest.voice_digest(p, q, profiles[q.contributor_id])
           for p in s.posts for q in p.quotes}
    assert cache.assessed.digests == now  # what the last run kept
    cache.assessed.digests[key("a-approved", "ann")] = FAKE  # believed, as a known digest is
    cache.assessed.digests[("an old post", "ann", "an old profile")] = FAKE
    statuses = assess(s, Problems(), cache)
    ann = statuses[0].voices[0]
    day = ann.record.at.date().isoformat()
    assert (ann.digest, ann.state, ann.reason) == (FAKE, VoiceState.STALE, f"content edited since approval on {day}")
    assert cache.assessed.digests == {**now, key("a-approved", "ann"): FAKE}

    bare = load_site(root)
    digests = gate._Digests(bare, None, None)
    assert [v.digest for st in fresh(root) for v in st.voices] == \
           [digests(p, q, profiles[q.contributor_id]) for p in bare.posts for q in p.quotes] == list(now.values())
