"""The consent core in process: digest, tokens, gate and approvals, tested so that any change to their
logic fails a test (the mutation run in the README's development section measures that). Fast: no CLI."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hmac
import re
from pathlib import Path

import pytest
import yaml

from roundup import approvals, diff, digest, gate, live, threads, tokens
from roundup.approvals import Record
from roundup.errors import Problems, RoundupError
from roundup.gate import Inclusion, VoiceState
from roundup.model import (Avatar, Contributor, Editor, Link, Live, LiveVoice, MailConfig, Post, Profile, Quote,
                           Site, SiteConfig)

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
SECRET = b"s3cret"


def profile(name: str = "Zoë Quill", **changes) -> Profile:
    fields = dict(name=name, handle="@zoe", url="https://zoe.example/", links=(Link("Blog", "https://b.example/"),),
                  avatar=Avatar("avatars/zoe.png", None, "ab" * 32), bio="Writes *slowly*.")
    fields.update(changes)
    return Profile(**fields)


def quote(cid: str = "zoe", body: str = "My words.", prompt: str | None = "What lasts?") -> Quote:
    return Quote(cid, prompt, body, "a private note", f"posts/alpha/quotes/{cid}.md")


def post(*quotes: Quote, status: str = "ready", title: str = "Alpha", intro: str = "Intro.", outro: str = "Outro.",
         deadline: dt.date | None = None, summary: str | None = None, tags: tuple[str, ...] = (),
         date: dt.date = dt.date(2026, 3, 1)) -> Post:
    return Post("alpha", title, date, summary, tags, status, deadline, intro, outro,
                quotes or (quote(),), "posts/alpha/post.md")


def site(root: Path, *people: str) -> Site:
    config = SiteConfig(root, "Site", "https://example.org/", Editor("Ed", "ed@example.org"), "default",
                        root / "_site", root / "_previews", "en", MailConfig())
    contributors = {cid: Contributor(cid, profile(cid.title()), None, f"contributors/{cid}.yml")
                    for cid in people or ("zoe",)}
    return Site(config, contributors, ())


def record(cid: str, decision: str | None, digest_value: str | None, at: dt.datetime = NOW, **more) -> Record:
    return Record(cid, decision, digest_value, at if decision else None, "cli", more.pop("reason", None),
                  more.pop("content", None), **more)


# ---- digest ---------------------------------------------------------------------------------------

def test_digest_is_pinned():
    """Changing the digest's fields, key order, encoding or version would make every shipped approval
    stale: the digest of a fixed voice is pinned here, and so is the one DIGEST_VERSION 1 gave it (before the
    post's summary and tags were covered), which approvals and published.yml files of that time hold."""
    value = digest.voice_digest(post(), quote(), profile())
    assert value == "sha256:630fb249fa3295fb7a4a285dbb8c56ea5f7bc92d18ffe81c5e770bc9d7e30441"
    assert digest.DIGEST_VERSION == 2
    old = digest.digest_v1(digest.snapshot(post(), quote(), profile()))
    assert old == "sha256:d157caa9ea40ed14441b1d47b8fe68a3f5f43a907053ec8bee3e55c9826ecf0d"
    tagged = digest.snapshot(post(summary="All endorse it.", tags=("sponsored",)), quote(), profile())
    assert digest.digest_v1(tagged) == old and digest.digest_of(tagged) != value


def test_digest_covers_every_approved_part_and_not_the_note():
    base = digest.voice_digest(post(), quote(), profile())
    variants = [
        digest.voice_digest(post(title="Beta"), quote(), profile()),
        digest.voice_digest(post(intro="Intro!"), quote(), profile()),
        digest.voice_digest(post(outro="Outro!"), quote(), profile()),
        digest.voice_digest(post(summary="All endorse it."), quote(), profile()),
        digest.voice_digest(post(summary=""), quote(), profile()),
        digest.voice_digest(post(tags=("sponsored",)), quote(), profile()),
        digest.voice_digest(post(tags=("a", "b")), quote(), profile()),
        digest.voice_digest(post(tags=("b", "a")), quote(), profile()),
        digest.voice_digest(post(), quote(body="My word."), profile()),
        digest.voice_digest(post(), quote(prompt="What endures?"), profile()),
        digest.voice_digest(post(), quote(prompt=None), profile()),
        *(digest.voice_digest(post(), quote(), profile(**{k: v})) for k, v in (
            ("name", "Zoe Quill"), ("handle", "@zoe2"), ("handle", None), ("url", "https://zoe.example/x"),
            ("links", ()), ("links", (Link("Blog", "https://b.example/2"),)),
            ("links", (Link("Web", "https://b.example/"),)), ("avatar", None),
            ("avatar", Avatar("avatars/zoe2.png", None, "ab" * 32)),
            ("avatar", Avatar("avatars/zoe.png", None, "cd" * 32)), ("bio", "Writes.")))]
    assert base not in variants and len(set(variants)) == len(variants)
    noted = Quote("zoe", "What lasts?", "My words.", "another note", "x.md")
    assert digest.voice_digest(post(), noted, profile()) == base
    assert digest.voice_digest(post(date=dt.date(2026, 4, 1)), quote(), profile()) == base  # moving it says nothing


def test_moving_text_between_intro_and_outro_changes_the_digest():
    a = digest.voice_digest(post(intro="One. Two.", outro=""), quote(), profile())
    b = digest.voice_digest(post(intro="One.", outro=" Two."), quote(), profile())
    c = digest.voice_digest(post(intro="One. Two", outro="."), quote(), profile())
    assert len({a, b, c}) == 3


def test_links_order_is_part_of_the_digest():
    two = (Link("A", "https://a.example/"), Link("B", "https://b.example/"))
    assert digest.voice_digest(post(), quote(), profile(links=two)) != \
        digest.voice_digest(post(), quote(), profile(links=two[::-1]))


def test_changed_parts_names_each_part():
    old = digest.snapshot(post(), quote(), profile())
    assert digest.changed_parts(old, old) == []
    assert digest.changed_parts(None, old) == []
    assert digest.changed_parts(old, digest.snapshot(post(), quote(body="x"), profile())) == ["quote"]
    assert digest.changed_parts(old, digest.snapshot(post(), quote(), profile(bio="x"))) == ["profile"]
    assert digest.changed_parts(old, digest.snapshot(post(title="x"), quote(), profile())) == ["post title"]
    assert digest.changed_parts(old, digest.snapshot(post(intro="x"), quote(), profile())) == ["editor's text"]
    assert digest.changed_parts(old, digest.snapshot(post(summary="x"), quote(), profile())) == ["post summary"]
    assert digest.changed_parts(old, digest.snapshot(post(tags=("x",)), quote(), profile())) == ["post tags"]
    everything = digest.snapshot(post(title="x", outro="y", summary="s", tags=("t",)), quote(prompt="z"),
                                 profile(name="n"))
    assert digest.changed_parts(old, everything) == \
        ["quote", "profile", "post title", "post summary", "post tags", "editor's text"]
    assert digest.changed_parts({"quote": old["quote"], "profile": old["profile"], "post": "?"},
                                old) == ["post title", "editor's text"]
    before = {**old, "post": {key: old["post"][key] for key in ("title", "text_sha256")}}  # a copy of version 1
    assert digest.changed_parts(before, everything) == ["quote", "profile", "post title", "editor's text"]
    assert digest.changed_parts(before, digest.snapshot(post(summary="s", tags=("t",)), quote(), profile())) == []


# ---- tokens ---------------------------------------------------------------------------------------

VOICES = (("sam", "alpha"), ("zoe", "alpha"), ("zoe", "beta"))
END_OF_DAY = dt.time(23, 59, 59)


def claims(expires: dt.datetime = NOW + dt.timedelta(days=1), cid: str = "zoe", slug: str = "alpha") -> tokens.Claims:
    return tokens.Claims(cid, slug, "0123456789abcdef", expires)


def day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, dt.timezone.utc)


def test_token_is_one_short_word_and_round_trips():
    token = tokens.make(SECRET, claims())
    assert re.fullmatch(r"ru2[a-z2-7]{44}", token) and tokens.LENGTH == len(token) == 47
    assert tokens.verify(SECRET, token, NOW, VOICES) == claims(day_end(dt.date(2026, 3, 11)))
    assert tokens.verify(SECRET, f"  {token.upper()}\n", NOW, VOICES).contributor_id == "zoe"
    beta = tokens.make(SECRET, claims(slug="beta"))
    assert beta != token and tokens.verify(SECRET, beta, NOW, VOICES).slug == "beta"
    assert tokens.verify(SECRET, tokens.make(SECRET, claims(cid="sam")), NOW, VOICES).contributor_id == "sam"


def flip(token: str, at: int) -> str:
    return token[:at] + ("a" if token[at] != "a" else "b") + token[at + 1:]


def test_altered_foreign_and_unknown_tokens_are_refused():
    token = tokens.make(SECRET, claims())
    bad = [token + "a", token[:-1], "ru1" + token[3:], "ru2" + "!" * 44, "", "ru2", token.replace("ru2", "ru3"),
           *(flip(token, at) for at in range(3, 47))]
    for text in bad:
        with pytest.raises(RoundupError, match="not valid"):
            tokens.verify(SECRET, text, NOW, VOICES)
    with pytest.raises(RoundupError, match="not valid"):
        tokens.verify(b"another", token, NOW, VOICES)
    with pytest.raises(RoundupError, match="not valid"):  # a voice this site does not have
        tokens.verify(SECRET, token, NOW, (("sam", "alpha"), ("zoe", "beta")))
    with pytest.raises(ValueError):
        tokens.make(SECRET, claims(dt.datetime(2019, 12, 31, tzinfo=dt.timezone.utc)))


def test_token_expires_after_the_last_second_of_its_day_not_before():
    token = tokens.make(SECRET, claims(dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.timezone.utc)))
    last = day_end(dt.date(2026, 3, 11))
    assert tokens.verify(SECRET, token, last, VOICES).slug == "alpha"
    with pytest.raises(RoundupError) as error:
        tokens.verify(SECRET, token, last + dt.timedelta(seconds=1), VOICES)
    assert str(error.value) == ("this token expired on 2026-03-11 23:59 UTC; send zoe a new preview: "
                                "roundup preview zoe --post alpha")


def test_expiry_is_the_end_of_the_deadline_day_or_of_the_thirtieth_day():
    assert tokens.expiry_for(post(deadline=dt.date(2026, 3, 20)), NOW) == day_end(dt.date(2026, 3, 20))
    assert tokens.expiry_for(post(), NOW) == day_end(dt.date(2026, 4, 9))
    assert tokens.DEFAULT_LIFETIME == dt.timedelta(days=30)


def test_non_canonical_base32_is_refused():
    token = tokens.make(SECRET, claims())
    body = token[3:]
    decode = lambda t: base64.b32decode(t.upper() + "=" * (-len(t) % 8))  # noqa: E731
    twins = [body[:-1] + c for c in "abcdefghijklmnopqrstuvwxyz234567" if c != body[-1]
             and decode(body[:-1] + c) == decode(body)]
    assert len(twins) == 15  # 27 bytes in 44 characters leave four unused bits
    for spelling in twins:
        with pytest.raises(RoundupError, match="not valid"):
            tokens.verify(SECRET, "ru2" + spelling, NOW, VOICES)
    assert tokens._unb32(body[:-8]) is None and tokens._unb32(body) is not None


def test_signature_is_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(tokens.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    tokens.verify(SECRET, tokens.make(SECRET, claims()), NOW, VOICES)
    assert [len(a) for a, _ in calls] == [5, 5, 12]  # sam's reference, zoe's, then the signature
    assert claims().matches("sha256:0123456789abcdef" + "f" * 48) and calls[-1] == ("0123456789abcdef",) * 2


def test_token_claims_match_only_the_digest_they_were_made_for():
    assert tokens.fingerprint("sha256:" + "ab" * 32) == "ab" * 8
    assert claims().matches("sha256:0123456789abcdef" + "0" * 48)
    assert not claims().matches("sha256:0123456789abcdee" + "0" * 48)


def test_tokens_are_found_as_mail_leaves_them():
    token = tokens.make(SECRET, claims())
    other = tokens.make(SECRET, claims(cid="sam"))
    assert tokens.find(f"Approve: Alpha {token}") == [token]
    assert tokens.find(f"code:\n{token[:30]}\n{token[30:]}\nthanks") == [token]
    assert tokens.find(f"> {token[:20]}\r\n> {token[20:]}") == [token]
    assert tokens.find(f"{token[:10]} {token[10:]}") == [token]
    assert tokens.find(f"roundup approve --token {token.upper()}.") == [token]
    assert tokens.find(f"subject=Approve%3A%20Alpha%20{token}&body=x") == []  # inside a link: not their words
    assert tokens.find(f"{token} and {other} and {token}") == [token, other]
    assert tokens.find(token + "x") == [] and tokens.find(token[:-1]) == [] and tokens.find("ru2 hello") == []
    assert tokens.find(f"{token[:20]}\n\n{token[20:]}") == []  # a paragraph apart is two different things


def test_secret_from_environment_or_generated_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUNDUP_SECRET", "from-env")
    assert tokens.secret_for(tmp_path) == b"from-env"
    monkeypatch.delenv("ROUNDUP_SECRET")
    first = tokens.secret_for(tmp_path)
    assert len(first) == 64 and tokens.secret_for(tmp_path) == first
    assert (tmp_path / ".roundup" / "secret").stat().st_mode & 0o777 == 0o600


# ---- gate -----------------------------------------------------------------------------------------

def voice_of(s: Site, p: Post, rec: Record | None, live: Live | None = None) -> gate.VoiceStatus:
    return gate.assess(s, p, {rec.contributor_id: rec} if rec else {}, live=live).voices[0]


def test_voice_states_compare_the_whole_digest(tmp_path):
    s, p = site(tmp_path), post()
    now = digest.voice_digest(p, quote(), s.contributors["zoe"].profile)
    assert voice_of(s, p, None).state is VoiceState.PENDING
    assert voice_of(s, p, None).reason == "never previewed"
    assert voice_of(s, p, record("zoe", "approved", now)).state is VoiceState.APPROVED
    assert voice_of(s, p, record("zoe", "approved", now)).reason == "approved on 2026-03-10"
    for almost in (now[:-1] + ("0" if now[-1] != "0" else "1"), now[:40], now + "0", now.upper()):
        assert voice_of(s, p, record("zoe", "approved", almost)).state is VoiceState.STALE, almost
    assert len(now) == len("sha256:") + 64


def test_stale_and_declined_reasons(tmp_path):
    s, p = site(tmp_path), post()
    profile_now = s.contributors["zoe"].profile
    now = digest.voice_digest(p, quote(), profile_now)
    old = digest.snapshot(p, quote(body="Old words."), profile_now)
    stale = voice_of(s, p, record("zoe", "approved", digest.digest_of(old), content=old))
    assert (stale.state, stale.reason) == (VoiceState.STALE, "quote edited since approval on 2026-03-10")
    declined = voice_of(s, p, record("zoe", "declined", now, reason="shorter"))
    assert (declined.state, declined.reason) == (VoiceState.DECLINED, "declined on 2026-03-10: shorter")
    assert voice_of(s, p, record("zoe", "declined", now)).reason == "declined on 2026-03-10"
    edited = voice_of(s, p, record("zoe", "declined", digest.digest_of(old), content=old))
    assert (edited.state, edited.reason) == \
        (VoiceState.PENDING, "quote edited since they declined on 2026-03-10; send a new preview")
    unknown = voice_of(s, p, record("zoe", "approved", "sha256:" + "1" * 64))
    assert unknown.reason == "content edited since approval on 2026-03-10"


def test_preview_notes(tmp_path):
    s, p = site(tmp_path), post()
    now = digest.voice_digest(p, quote(), s.contributors["zoe"].profile)
    seen = record("zoe", None, None, previewed_at=NOW, previewed_digest=now)
    assert voice_of(s, p, seen).reason == "previewed on 2026-03-10, no answer yet"
    old = record("zoe", None, None, previewed_at=NOW, previewed_digest="sha256:" + "2" * 64)
    assert voice_of(s, p, old).reason == "never previewed"
    content = digest.snapshot(p, quote(body="Old."), s.contributors["zoe"].profile)
    stale = voice_of(s, p, record("zoe", "approved", digest.digest_of(content), content=content,
                                  previewed_at=NOW, previewed_digest=now))
    assert stale.reason == "quote edited since approval on 2026-03-10; previewed on 2026-03-10, no answer yet"


def test_inclusion(tmp_path):
    s = site(tmp_path, "zoe", "sam")
    p = post(quote("zoe"), quote("sam"))
    ok = {cid: record(cid, "approved", digest.voice_digest(p, quote(cid), s.contributors[cid].profile))
          for cid in ("zoe", "sam")}
    assert gate.assess(s, p, ok).inclusion is Inclusion.PUBLISHED
    assert gate.assess(s, p, {"zoe": ok["zoe"]}).inclusion is Inclusion.WITHHELD
    assert gate.assess(s, post(quote("zoe"), quote("sam"), status="draft"), ok).inclusion is Inclusion.DRAFT
    assert gate.assess(s, post(quote("zoe"), quote("sam"), status="cancelled"), ok).inclusion is Inclusion.CANCELLED
    empty = Post("alpha", "A", dt.date(2026, 3, 1), None, (), "ready", None, "", "", (), "p.md")
    assert gate.assess(s, empty, {}).inclusion is Inclusion.WITHHELD
    status = gate.assess(s, p, {"zoe": ok["zoe"]})
    assert [v.contributor_id for v in status.pending] == ["sam"]
    assert gate.PostStatus(empty, (), Inclusion.WITHHELD).post_reasons == ("the post has no voices yet",)
    draft = post(status="draft")
    assert gate.PostStatus(draft, (), Inclusion.DRAFT).post_reasons == \
        ("the post's status is draft", "the post has no voices yet")


def live_of(p: Post) -> Live:
    return Live(p, (LiveVoice("zoe", "sha256:" + "3" * 64, profile(), None),), dt.date(2026, 3, 2), "x.yml")


def test_live_version_is_shown_until_a_decline_or_cancel(tmp_path):
    s, p = site(tmp_path), post()
    live = live_of(p)
    waiting = gate.assess(s, p, {}, live=live)
    assert (waiting.inclusion, waiting.down) == (Inclusion.LIVE, None)
    assert waiting.live_summary == ("the version approved on 2026-03-02 stays online; the new version is waiting "
                                    "for zoe (never previewed)")
    declined = gate.assess(s, p, {"zoe": record("zoe", "declined", "sha256:" + "4" * 64)}, live=live)
    assert declined.inclusion is Inclusion.WITHHELD
    assert declined.down == "zoe declined on 2026-03-10, withdrawing their approval"
    other = gate.assess(s, p, {"sam": record("sam", "declined", "sha256:" + "4" * 64)}, live=live)
    assert other.inclusion is Inclusion.LIVE
    cancelled = gate.assess(s, post(status="cancelled"), {}, live=live)
    assert (cancelled.inclusion, cancelled.down) == (Inclusion.CANCELLED, "the post is cancelled")
    assert gate.assess(s, post(status="cancelled"), {}).down is None
    assert gate.assess(s, post(status="draft"), {}, live=live).inclusion is Inclusion.DRAFT
    approved = record("zoe", "approved", digest.voice_digest(p, quote(), s.contributors["zoe"].profile))
    assert gate.assess(s, p, {"zoe": approved}, live=live).inclusion is Inclusion.PUBLISHED


def version_1(content: dict) -> dict:
    """An approved copy as roundup wrote it before the post's summary and tags were covered."""
    return {**content, "post": {key: content["post"][key] for key in ("title", "text_sha256")}}


def test_an_approval_given_before_summary_and_tags_were_covered_stands_only_where_readers_see_them_alike(tmp_path):
    s, p = site(tmp_path), post(summary="Five people on tools.", tags=("tools",))
    now = digest.snapshot(p, quote(), s.contributors["zoe"].profile)
    old = record("zoe", "approved", digest.digest_v1(now), content=version_1(now))
    alike = live_of(p)
    assert (voice_of(s, p, old, alike).state, voice_of(s, p, old, alike).reason) == \
        (VoiceState.APPROVED, "approved on 2026-03-10")
    assert gate.assess(s, p, {"zoe": old}, live=alike).inclusion is Inclusion.PUBLISHED
    migrated = "summary and tags are now part of what contributors approve: send a new preview"
    for shown in (None, live_of(post(summary="All endorse EvilCorp.", tags=("tools",))),
                  live_of(post(summary="Five people on tools.", tags=("tools", "sponsored"))),
                  live_of(post(summary=None, tags=("tools",))), live_of(post(summary="Five people on tools."))):
        stale = voice_of(s, p, old, shown)
        assert (stale.state, stale.reason) == (VoiceState.STALE, migrated), shown
    assert gate.assess(s, p, {"zoe": old}).inclusion is Inclusion.WITHHELD
    previewed = dataclasses.replace(old, previewed_at=NOW, previewed_digest=digest.digest_of(now))
    assert voice_of(s, p, previewed).reason == ("summary and tags are now part of what contributors approve; "
                                                "previewed on 2026-03-10, no answer yet")
    no = record("zoe", "declined", digest.digest_v1(now), reason="Not like this.", content=version_1(now))
    assert (voice_of(s, p, no).state, voice_of(s, p, no).reason) == \
        (VoiceState.DECLINED, "declined on 2026-03-10: Not like this.")
    words = digest.snapshot(p, quote(body="Old words."), s.contributors["zoe"].profile)
    edited = voice_of(s, p, record("zoe", "approved", digest.digest_v1(words), content=version_1(words)), alike)
    assert (edited.state, edited.reason) == (VoiceState.STALE, "quote edited since approval on 2026-03-10")
    current = record("zoe", "approved", digest.digest_of(now))
    assert voice_of(s, p, current).state is VoiceState.APPROVED  # a new approval needs no live version


def test_what_changed_lists_summary_and_tags_only_where_the_approved_copy_holds_them():
    old = digest.snapshot(post(summary="Five people.", tags=("tools",)), quote(), profile())
    new = digest.snapshot(post(summary="All endorse it.", tags=("tools", "sponsored")), quote(), profile())
    changed = diff.changes(old, new)
    assert [c.label for c in changed] == ["Summary", "Tags"]
    assert changed[1].segments == (diff.Segment("same", "tools"), diff.Segment("ins", "\nsponsored"))
    assert diff.changes(version_1(old), new) == ()  # a copy of version 1 cannot tell what they were


def test_a_build_keeps_what_it_publishes_as_the_live_version_once(tmp_path):
    write_post(tmp_path)
    s = site(tmp_path, "zoe", "sam")
    p = post(quote("zoe"), quote("sam"), summary="Two people.", tags=("tools",))
    ok = {cid: record(cid, "approved", digest.voice_digest(p, quote(cid), s.contributors[cid].profile),
                      at=NOW - dt.timedelta(days=n)) for n, cid in enumerate(("sam", "zoe"))}
    assert not live.keep(s, gate.assess(s, p, {"zoe": ok["zoe"]}))  # withheld: nothing to keep
    published = gate.assess(s, p, ok)
    assert live.to_keep(published) and live.keep(s, published)
    problems = Problems()
    shown = live.read(tmp_path, p, problems)
    assert problems.items == [] and shown.approved_on == dt.date(2026, 3, 10)  # the day of the last approval
    assert (shown.post.summary, shown.post.tags, [v.digest for v in shown.voices]) == \
        ("Two people.", ("tools",), [ok["zoe"].digest, ok["sam"].digest])
    again = gate.assess(s, p, ok, live=shown)
    assert not live.to_keep(again) and not live.keep(s, again)
    written = (tmp_path / "posts/alpha/published.yml").read_bytes()
    newer = post(quote("zoe"), quote("sam"), summary="Two people.", tags=("tools",), date=dt.date(2026, 3, 5))
    assert live.to_keep(gate.assess(s, newer, ok, live=shown))  # the date is not approved, but it is shown
    assert not live.keep(s, gate.assess(s, newer, ok))  # read without the live version another command wrote
    assert (tmp_path / "posts/alpha/published.yml").read_bytes() == written
    assert live.to_keep(gate.assess(s, p, {}, live=shown)) is False  # live, not published as it is


def test_a_published_version_of_digest_version_1_still_loads_and_a_hand_edit_is_refused(tmp_path):
    write_post(tmp_path)
    s = site(tmp_path)
    p = post(summary="Five people on tools.", tags=("tools",))
    profiles = {"zoe": s.contributors["zoe"].profile}
    old = digest.digest_v1(digest.snapshot(p, quote(), profiles["zoe"]))
    assert live.remember(tmp_path, p, profiles, {"zoe": old}, dt.date(2026, 3, 2), None)
    problems = Problems()
    shown = live.read(tmp_path, p, problems)
    assert problems.items == [] and [v.digest for v in shown.voices] == [old]
    path = tmp_path / "posts/alpha/published.yml"
    assert live.remember(tmp_path, p, profiles, {"zoe": digest.voice_digest(p, quote(), profiles["zoe"])},
                         dt.date(2026, 3, 2), shown)
    path.write_text(path.read_text(encoding="utf-8").replace("Five people on tools.", "All endorse EvilCorp."),
                    encoding="utf-8")
    refused = Problems()
    assert live.read(tmp_path, p, refused) is None
    assert ["is not what they approved" in x.message for x in refused.items] == [True]


# ---- approvals ------------------------------------------------------------------------------------

def write_post(root: Path) -> None:
    (root / "posts" / "alpha").mkdir(parents=True, exist_ok=True)


def entries(root: Path) -> dict:
    return yaml.safe_load((root / "posts/alpha/approvals.yml").read_text(encoding="utf-8"))


def test_record_keeps_every_other_entry_and_previews_keep_the_answer(tmp_path):
    write_post(tmp_path)
    s = site(tmp_path, "zoe", "sam")
    p = post(quote("zoe"), quote("sam"))
    approvals.record(s, p, "zoe", "approved")
    approvals.record(s, p, "sam", "declined", reason="Please shorten it.")
    approvals.record_preview(s, p, "zoe", "sha256:" + "5" * 64)
    data = entries(tmp_path)
    assert set(data) == {"zoe", "sam"}
    assert data["zoe"]["digest"] == digest.voice_digest(p, quote("zoe"), s.contributors["zoe"].profile)
    assert "approved_at" in data["zoe"] and data["zoe"]["via"] == "cli"
    assert data["zoe"]["previewed_digest"] == "sha256:" + "5" * 64 and "previewed_at" in data["zoe"]
    assert data["zoe"]["content"] == digest.snapshot(p, quote("zoe"), s.contributors["zoe"].profile)
    assert data["sam"]["reason"] == "Please shorten it." and "declined_at" in data["sam"]
    approvals.record(s, p, "zoe", "approved", via="token")
    data = entries(tmp_path)
    assert data["zoe"]["via"] == "token" and data["zoe"]["previewed_digest"] == "sha256:" + "5" * 64
    assert data["sam"]["reason"] == "Please shorten it."
    records = approvals.read_records(tmp_path, p, Problems())
    assert records["zoe"].decision == "approved" and records["sam"].decision == "declined"
    assert records["zoe"].previewed_at is not None and records["zoe"].via == "token"


def test_each_message_sent_continues_their_thread_and_an_answer_keeps_it(tmp_path):
    write_post(tmp_path)
    s, p = site(tmp_path, "zoe", "sam"), post(quote("zoe"), quote("sam"))
    approvals.record_sent(s, p, "zoe", "<1.invited@example.org>", "An\ninvitation", "A note.")
    approvals.record_sent(s, p, "zoe", "<2.previewed@example.org>", "Please review", "A note.")
    approvals.record_sent(s, p, "zoe", "<3.reminded@example.org>", "Re: An invitation")
    approvals.record_sent(s, p, "zoe", "<4 x@example.org>", "Re: An invitation", "Never said.")  # unreadable: left out
    approvals.record_sent(s, p, "zoe", "<5@example.org>", "Re: An invitation", "Another note.")
    approvals.record(s, p, "zoe", "approved")
    ids = ["<1.invited@example.org>", "<2.previewed@example.org>", "<3.reminded@example.org>", "<5@example.org>"]
    notes = [threads.note_digest("A note."), threads.note_digest("Another note.")]
    data = entries(tmp_path)
    assert set(data) == {"zoe"} and data["zoe"]["thread"] == ids and data["zoe"]["notes_sent"] == notes
    assert data["zoe"]["thread_subject"] == "An invitation" and "approved_at" in data["zoe"]
    assert approvals.read_records(tmp_path, p, Problems())["zoe"].thread == threads.Thread(
        tuple(ids), "An invitation", tuple(notes))
    data["zoe"]["thread_subject"] = ""  # lost: the next message's subject becomes it
    (tmp_path / "posts/alpha/approvals.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    approvals.record_sent(s, p, "zoe", "<6@example.org>", "Re: An invitation")
    assert entries(tmp_path)["zoe"]["thread_subject"] == "Re: An invitation"
    approvals.record(s, p, "sam", "approved")  # an entry with no thread (as older roundups wrote them) has none
    assert approvals.read_records(tmp_path, p, Problems())["sam"].thread == threads.Thread()


def test_record_refuses_a_voice_not_in_the_post(tmp_path):
    write_post(tmp_path)
    with pytest.raises(RoundupError, match="'sam' is not a voice in this post"):
        approvals.record(site(tmp_path, "zoe", "sam"), post(), "sam", "approved")
    assert not (tmp_path / "posts/alpha/approvals.yml").exists()


BROKEN = "zoe:\n  digest: [unclosed\n"


def test_an_unreadable_approvals_file_is_never_overwritten(tmp_path):
    write_post(tmp_path)
    path = tmp_path / "posts/alpha/approvals.yml"
    path.write_text(BROKEN, encoding="utf-8")
    for write in (lambda: approvals.record(site(tmp_path), post(), "zoe", "approved"),
                  lambda: approvals.record_preview(site(tmp_path), post(), "zoe", "sha256:" + "5" * 64)):
        with pytest.raises(RoundupError) as error:
            write()
        assert re.search(r"posts/alpha/approvals\.yml:\d+", "\n".join(error.value.lines()))
        assert path.read_text(encoding="utf-8") == BROKEN


@pytest.mark.parametrize("entry, words", [
    ({"approved_at": "2026-03-01T10:00:00Z"}, "`digest` is required"),
    ({"approved_at": "2026-03-01T10:00:00Z", "digest": "sha256:abc"}, "`digest` must be"),
    ({"approved_at": "2026-03-01T10:00:00Z", "digest": "md5:" + "0" * 64}, "`digest` must be"),
    ({"approved_at": "yesterday", "digest": "sha256:" + "0" * 64}, "must be a timestamp"),
    ({"previewed_at": "2026-03-01T10:00:00Z", "previewed_digest": "x"}, "`previewed_digest` must be"),
    ({"thread": ["<1@example.org>", "<2@example.org>\r\nBcc: x@example.org"]}, "`thread` must hold only Message-IDs"),
    ({"thread": "<1@example.org> <2@example.org>"}, "`thread` must hold only Message-IDs"),
    ({"thread_subject": "Hello\nBcc: evil@example.org"}, "`thread_subject` must be one line"),
    ({"notes_sent": ["sha256:" + "0" * 64, "sha256:abc"]}, "`notes_sent` must hold only digests"),
    ("approved", "must be a mapping"),
])
def test_a_malformed_entry_is_reported_never_used(tmp_path, entry, words):
    write_post(tmp_path)
    (tmp_path / "posts/alpha/approvals.yml").write_text(yaml.safe_dump({"zoe": entry}), encoding="utf-8")
    problems = Problems()
    assert approvals.read_records(tmp_path, post(), problems) == {}
    assert any(words in p.message for p in problems.items), problems.items
    assert all(p.path == "posts/alpha/approvals.yml" and p.line for p in problems.items)


def test_a_thread_of_one_written_by_hand_as_a_single_value_grows_as_a_list(tmp_path):
    """`thread: <1@x>` (not a list) reads as a thread of one; the next message sent makes it a list of two, never
    a list of its characters."""
    write_post(tmp_path)
    s, p = site(tmp_path, "zoe"), post(quote("zoe"))
    note = threads.note_digest("A note.")
    (tmp_path / "posts/alpha/approvals.yml").write_text(yaml.safe_dump({"zoe": {
        "thread": "<1.invited@example.org>", "thread_subject": "An invitation", "notes_sent": note}}),
        encoding="utf-8")
    approvals.record_sent(s, p, "zoe", "<2.previewed@example.org>", "Re: An invitation", "Another note.")
    assert approvals.read_records(tmp_path, p, Problems())["zoe"].thread == threads.Thread(
        ("<1.invited@example.org>", "<2.previewed@example.org>"), "An invitation",
        (note, threads.note_digest("Another note.")))


def test_a_header_value_never_holds_a_line_break_of_any_kind():
    """C0 and C1 controls (NEL, U+0085, ends a line for str.splitlines) and the Unicode separators become spaces."""
    assert threads.one_line(" Tools\r\nBcc: x@y\x85we\x0bkeep\u2028now\x9f ") == "Tools Bcc: x@y we keep now"


def test_a_hand_edited_thread_is_reported_whole_with_the_first_80_characters_of_the_bad_value(tmp_path):
    """What each problem says, word for word, and how much of the value it shows (a header injection can be long)."""
    write_post(tmp_path)
    bad_id, bad_note = "<" + "x" * 100 + "\r\nBcc: y@example.org>", "sha256:" + "z" * 100
    (tmp_path / "posts/alpha/approvals.yml").write_text(yaml.safe_dump({"zoe": {
        "thread": ["<1@example.org>", bad_id], "thread_subject": "Hello\nBcc: evil@example.org",
        "notes_sent": [bad_note]}}), encoding="utf-8")
    problems = Problems()
    assert approvals.read_records(tmp_path, post(), problems) == {}
    assert [p.message for p in problems.items] == [
        f"`thread` must hold only Message-IDs written by roundup, like <1.2.invited@example.org> (got "
        f"{bad_id[:80]!r}): remove that line, or the whole `thread`",
        "`thread_subject` must be one line (it is the subject every later message continues): join its lines, or "
        "remove it",
        f"`notes_sent` must hold only digests written by roundup, sha256: and 64 hex digits (got {bad_note[:80]!r})"]


def test_timestamps_and_defaults_are_read_as_written(tmp_path):
    write_post(tmp_path)
    text = yaml.safe_dump({"zoe": {"approved_at": "2026-03-01T10:00:00", "digest": "sha256:" + "0" * 64},
                           "sam": {"declined_at": "2026-03-02T10:00:00+02:00", "digest": "sha256:" + "1" * 64,
                                   "via": "token", "reason": "  Shorter.  "}})
    (tmp_path / "posts/alpha/approvals.yml").write_text(text, encoding="utf-8")
    records = approvals.read_records(tmp_path, post(quote("zoe"), quote("sam")), Problems())
    assert records["zoe"].at == dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone.utc)
    assert records["zoe"].via == "cli" and records["zoe"].reason is None
    assert records["sam"].at == dt.datetime(2026, 3, 2, 8, tzinfo=dt.timezone.utc)
    assert records["sam"].via == "token" and records["sam"].reason == "Shorter."
    assert records["sam"].source == "posts/alpha/approvals.yml"


def test_copies_are_kept_out_of_the_cache_and_asked_for_when_a_voice_changed():
    copy = {"quote": {"body": "x"}}
    approved = record("zoe", "approved", "sha256:" + "0" * 64, content=copy)
    from roundup.yamlfast import Deferred
    deferred = record("zoe", "approved", "sha256:" + "0" * 64, content=Deferred("quote: {body: x}", 3))
    kept = approvals.without_copies({"zoe": approved, "sam": deferred})
    assert kept["zoe"].content == copy and kept["sam"].content is None
    light = {"zoe": record("zoe", "approved", "sha256:" + "0" * 64)}
    assert approvals.needs_copies(light, {"zoe": "sha256:" + "1" * 64})
    assert not approvals.needs_copies(light, {"zoe": "sha256:" + "0" * 64})
    assert not approvals.needs_copies(light, {"sam": "sha256:" + "1" * 64})
    assert not approvals.needs_copies({"zoe": approved}, {"zoe": "sha256:" + "1" * 64})
    assert not approvals.needs_copies({"zoe": record("zoe", None, None)}, {"zoe": "sha256:" + "1" * 64})
    assert approvals.approved_copy(approved) == copy and approvals.approved_copy(None) is None


def test_dump_round_trips_and_escapes_what_unicode_cannot_carry():
    data = {"zoe": {"content": {"quote": {"body": "Zoë\u0085 «quoted»\nline two"}}, "k\u0085": 1}}
    text = approvals.dump(data)
    assert text.startswith(approvals.HEADER) and yaml.safe_load(text) == data
    assert approvals.dump({"a": "é"}).endswith("a: é\n")
    block = approvals.dump({"a": "one\ntwo"}, header="", blocks=True)
    assert block == "a: |-\n  one\n  two\n" and yaml.safe_load(block) == {"a": "one\ntwo"}


# ---- every detail the record of consent depends on (each kills mutants the tests above let live) ----

PINNED_V1 = ("ru1.eyJjIjoiem9lIiwiZCI6InNoYTI1NjowMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"
             "MDAwMDAwMDAwMDAwMDAwIiwiZSI6MTc3MzIzMDQwMCwicyI6ImFscGhhIn0.EBGByAgzth_GuNknPLMocdzG51ssBf-ubUjyBZFc23g")
PINNED_TOKEN = "ru2rk6svo7wbdkqci2fm6e2xtppstnjfqe5iuihzxdznwvq"


def test_token_format_is_pinned():
    """Tokens already sent must keep working: layout, encoding and signature are fixed."""
    fixed = claims(day_end(dt.date(2026, 3, 11)))
    assert tokens.make(SECRET, fixed) == PINNED_TOKEN
    assert tokens.verify(SECRET, PINNED_TOKEN, NOW, VOICES) == fixed
    old = tokens.verify(SECRET, PINNED_V1, NOW, ())  # the first, longer tokens are still accepted
    assert old == tokens.Claims("zoe", "alpha", "0" * 16, dt.datetime(2026, 3, 11, 12, tzinfo=dt.timezone.utc))
    assert tokens.find(f"roundup approve --token {PINNED_V1}\n") == [PINNED_V1]
    for bad in (PINNED_V1 + "x", PINNED_V1.replace("EBGB", "EBGC"), "ru1.x.y", "ru1..", PINNED_V1 + "="):
        with pytest.raises(RoundupError, match="not valid"):
            tokens.verify(SECRET, bad, NOW, ())


def test_token_messages_say_what_to_do():
    with pytest.raises(RoundupError) as error:
        tokens.verify(SECRET, "ru2x", NOW, VOICES)
    assert str(error.value) == ("this token is not valid: it was altered, mistyped, or not made by this site "
                                "(copy the whole token, ru2 and the 44 letters and digits after it)")
    with pytest.raises(RoundupError) as error:
        tokens.verify(SECRET, PINNED_V1, dt.datetime(2026, 3, 12, tzinfo=dt.timezone.utc), ())
    assert str(error.value) == ("this token expired on 2026-03-11 12:00 UTC; send zoe a new preview: "
                                "roundup preview zoe --post alpha")


def expected(s: Site, p: Post, records: dict, inclusion: Inclusion, live=None, down=None) -> gate.PostStatus:
    voices = tuple(gate._voice(s, p, q, records.get(q.contributor_id),
                               digest.voice_digest(p, q, s.contributors[q.contributor_id].profile)) for q in p.quotes)
    return gate.PostStatus(p, voices, inclusion, live, down)


def test_assess_returns_the_whole_status(tmp_path):
    s = site(tmp_path, "zoe", "sam")
    p = post(quote("zoe"), quote("sam"))
    ok = {cid: record(cid, "approved", digest.voice_digest(p, quote(cid), s.contributors[cid].profile))
          for cid in ("zoe", "sam")}
    live = live_of(p)
    declined = {"zoe": record("zoe", "declined", "sha256:" + "4" * 64), "sam": ok["sam"]}
    cases = [(p, ok, None, Inclusion.PUBLISHED, None), (p, ok, live, Inclusion.PUBLISHED, None),
             (p, {}, None, Inclusion.WITHHELD, None), (p, {}, live, Inclusion.LIVE, None),
             (p, declined, live, Inclusion.WITHHELD, "zoe declined on 2026-03-10, withdrawing their approval"),
             (post(quote("zoe"), quote("sam"), status="draft"), ok, live, Inclusion.DRAFT, None),
             (post(quote("zoe"), quote("sam"), status="cancelled"), ok, live, Inclusion.CANCELLED,
              "the post is cancelled"),
             (post(quote("zoe"), quote("sam"), status="cancelled"), ok, None, Inclusion.CANCELLED, None)]
    for the_post, records, shown, inclusion, down in cases:
        assert gate.assess(s, the_post, records, live=shown) == expected(s, the_post, records, inclusion, shown, down)
    status = gate.assess(s, p, ok)
    assert status.voices[1] == gate.VoiceStatus("sam", "Sam", VoiceState.APPROVED, "approved on 2026-03-10",
                                                ok["sam"].digest, ok["sam"])


def test_two_declines_and_two_changed_parts_are_listed_in_words(tmp_path):
    s = site(tmp_path, "zoe", "sam")
    p = post(quote("zoe"), quote("sam"))
    live = Live(p, (LiveVoice("zoe", "sha256:" + "3" * 64, profile(), None),
                    LiveVoice("sam", "sha256:" + "3" * 64, profile(), None)), dt.date(2026, 3, 2), "x.yml")
    no = {cid: record(cid, "declined", "sha256:" + "4" * 64) for cid in ("zoe", "sam")}
    assert gate.assess(s, p, no, live=live).down == \
        "zoe declined on 2026-03-10; sam declined on 2026-03-10, withdrawing their approval"
    old = digest.snapshot(p, quote("zoe", body="Old."), profile("Old Name"))
    stale = voice_of(s, p, record("zoe", "approved", digest.digest_of(old), content=old))
    assert stale.reason == "quote and profile edited since approval on 2026-03-10"


def test_an_approved_copy_is_read_when_asked_and_a_broken_one_reported(tmp_path):
    write_post(tmp_path)
    good = {"zoe": {"digest": "sha256:" + "0" * 64, "approved_at": "2026-03-01T10:00:00Z", "via": "token",
                    "previewed_at": "2026-03-02T10:00:00Z", "previewed_digest": "sha256:" + "1" * 64,
                    "content": {"quote": {"body": "Words."}}},
            "sam": {"digest": "sha256:" + "0" * 64, "approved_at": "2026-03-01T10:00:00Z",
                    "content": {"quote": {"body": "[broken"}}},
            "kim": {"digest": "sha256:" + "0" * 64, "approved_at": "2026-03-01T10:00:00Z", "content": "not a copy"}}
    text = yaml.safe_dump(good, sort_keys=False).replace("body: '[broken'", "body: [broken")
    (tmp_path / "posts/alpha/approvals.yml").write_text(text, encoding="utf-8")
    p = post(quote("zoe"), quote("sam"), quote("kim"))
    problems = Problems()
    records = approvals.read_records(tmp_path, p, problems)
    assert problems.items == [] and set(records) == {"zoe", "sam", "kim"}
    zoe = records["zoe"]
    assert (zoe.contributor_id, zoe.decision, zoe.digest, zoe.via, zoe.reason, zoe.previewed_digest, zoe.source) == \
        ("zoe", "approved", "sha256:" + "0" * 64, "token", None, "sha256:" + "1" * 64, "posts/alpha/approvals.yml")
    assert zoe.at == dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone.utc)
    assert zoe.previewed_at == dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone.utc)
    assert approvals.approved_copy(zoe) == {"quote": {"body": "Words."}}
    assert records["kim"].content is None
    assert approvals.approved_copy(records["sam"]) is None
    reported = Problems()
    assert approvals.approved_copy(records["sam"], reported) is None
    line = text.splitlines().index("      body: [broken") + 2  # YAML finds the unclosed [ on the next line
    assert [(x.path, x.line) for x in reported.items] == [("posts/alpha/approvals.yml", line)]
    checked = Problems()
    approvals.read_records(tmp_path, p, checked, copies=True)
    assert [(x.path, x.line) for x in checked.items] == [("posts/alpha/approvals.yml", line)]


def test_problems_in_the_file_are_located(tmp_path):
    write_post(tmp_path)
    path = tmp_path / "posts/alpha/approvals.yml"
    path.write_text("zoe:\n  approved_at: 2026-03-01T10:00:00Z\n  digest: sha256:" + "0" * 64 + "\nsam: approved\n"
                    "kim:\n  approved_at: soon\n  digest: " + "x" * 100 + "\n", encoding="utf-8")
    problems = Problems()
    assert set(approvals.read_records(tmp_path, post(), problems)) == {"zoe"}
    assert sorted((x.line, x.message) for x in problems.items) == [
        (4, "entry 'sam' must be a mapping with digest and approved_at"),
        (6, "`approved_at` must be a timestamp like 2026-03-01T09:30:00Z"),
        (7, "`digest` must be a digest written by roundup, sha256: and 64 hex digits (got " + repr("x" * 80) + ")")]
    path.write_text("zoe: [unclosed\n", encoding="utf-8")
    broken = Problems()
    assert approvals.read_records(tmp_path, post(), broken) == {}
    assert [x.path for x in broken.items] == ["posts/alpha/approvals.yml"] and broken.items[0].line


def test_a_voice_not_in_the_post_is_named_with_the_voices_there(tmp_path):
    s = site(tmp_path, "zoe", "sam")
    for the_post, voices in ((post(quote("zoe"), quote("kim")), "zoe, kim"),
                             (Post("alpha", "A", dt.date(2026, 3, 1), None, (), "ready", None, "", "", (), "p.md"),
                              "none")):
        with pytest.raises(RoundupError) as error:
            approvals.current_content(s, the_post, "sam")
        assert [(x.path, x.message) for x in error.value.problems] == \
            [(the_post.source, f"'sam' is not a voice in this post (voices: {voices})")]


def test_recorded_times_are_utc_seconds(tmp_path):
    write_post(tmp_path)
    approvals.record(site(tmp_path), post(), "zoe", "approved")
    written = (tmp_path / "posts/alpha/approvals.yml").read_text(encoding="utf-8")
    assert re.search(r"^  approved_at: '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'$", written, re.MULTILINE), written


def test_dump_keeps_order_width_and_falls_back_to_escapes(monkeypatch):
    data = {"zeta": "one\ntwo", "alpha": ("word " * 30).strip()}
    assert approvals.dump(data, header="") == (
        "zeta: 'one\n\n  two'\nalpha: word word word word word word word word word word word word word word word "
        "word word word word\n  word word word word word word word word word word word\n")
    real = yaml.load
    monkeypatch.setattr(approvals.yaml, "load",
                        lambda text, Loader: {} if any(ord(c) > 127 for c in text) else real(text, Loader=Loader))
    assert approvals.dump({"a": "é"}, header="") == 'a: "\\xE9"\n'
    monkeypatch.setattr(approvals.yaml, "load", lambda text, Loader: {})
    with pytest.raises(RoundupError) as error:
        approvals.dump({"a": 1})
    assert str(error.value) == ("internal error: a record of consent could not be written faithfully; "
                                "nothing was changed")


# ---- the round trip by mail: events, unanswered voices, token bounds ------------------------------------

def test_round_trip_events_and_the_latest_message_ids_are_recorded_and_read_back(tmp_path, monkeypatch):
    write_post(tmp_path)
    s, p = site(tmp_path, "zoe", "sam"), post(quote("zoe"), quote("sam"))
    day = iter(range(1, 100))
    monkeypatch.setattr(approvals, "_now", lambda: f"2026-03-{min(next(day), 28):02d}T10:00:00Z")

    def at(d: int) -> dt.datetime:
        return dt.datetime(2026, 3, d, 10, tzinfo=dt.timezone.utc)

    approvals.record_event(s, p, "zoe", "invited", "<i@x>")
    approvals.record_event(s, p, "zoe", "answered")  # no message: the list stays as it was
    assert approvals.read_records(tmp_path, p, Problems())["zoe"].mail == ("<i@x>",)
    approvals.record_preview(s, p, "zoe", "sha256:" + "5" * 64, "<p@x>")
    approvals.record_event(s, p, "zoe", "reminded", "<r@x>")
    zoe = approvals.read_records(tmp_path, p, Problems())["zoe"]
    assert (zoe.invited_at, zoe.answered_at, zoe.previewed_at, zoe.reminded_at) == (at(1), at(2), at(3), at(4))
    assert zoe.mail == ("<i@x>", "<p@x>", "<r@x>") and zoe.previewed_digest == "sha256:" + "5" * 64
    assert zoe.contacted_at == at(4) and zoe.decision is None and "sam" not in entries(tmp_path)
    for n in range(approvals.MAIL_KEPT):
        approvals.record_event(s, p, "zoe", "reminded", f"<{n}@x>")
    kept = approvals.read_records(tmp_path, p, Problems())["zoe"].mail
    assert kept == tuple(f"<{n}@x>" for n in range(approvals.MAIL_KEPT))  # the latest MAIL_KEPT only


def test_a_voice_without_words_is_unanswered_and_says_whether_it_was_asked(tmp_path):
    s = site(tmp_path, "zoe", "sam", "kofi")
    p = dataclasses.replace(post(quote("zoe")), unanswered=(quote("sam", body=""), quote("kofi", body="")))
    invited = record("sam", None, None, invited_at=dt.datetime(2026, 3, 5, 9, tzinfo=dt.timezone.utc))
    status = gate.assess(s, p, {"sam": invited})
    assert status.voices[1:] == (
        gate.VoiceStatus("sam", "Sam", VoiceState.UNANSWERED, "invited on 2026-03-05, no answer yet", "", invited),
        gate.VoiceStatus("kofi", "Kofi", VoiceState.UNANSWERED, "not invited yet", "", None))
    assert status.inclusion is Inclusion.WITHHELD


def test_a_token_expires_on_a_day_that_two_bytes_can_hold():
    first, last = tokens.EPOCH, tokens.EPOCH + dt.timedelta(days=(1 << 16) - 1)
    for day in (first, last):
        made = claims(day_end(day))
        assert tokens.verify(SECRET, tokens.make(SECRET, made), day_end(first), VOICES) == made
    for day in (first - dt.timedelta(days=1), last + dt.timedelta(days=1)):
        with pytest.raises(ValueError, match=f"a token cannot expire on {day.isoformat()}"):
            tokens.make(SECRET, claims(day_end(day)))


def test_a_token_split_right_after_its_prefix_or_ending_a_sentence_is_found():
    token = tokens.make(SECRET, claims())
    assert tokens.find(f"{token[:3]}\n{token[3:]}") == [token]
    assert tokens.find(f"My code is {token}.") == [token] and tokens.find(token) == [token]
