"""The modules that decide what a reply means, in process: `codes`, `signals`, `sentmail`, `quoting`, `replies`,
`triage`, `inbox` and `live`, tested so that any change to their logic fails a test (the mutation run in the README's
development section measures that). Fast: small sites built in process, real messages parsed, a real Maildir and a
real IMAP server; no CLI."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import locale
import mailbox
import re
import shutil
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from conftest import Site
from roundup import approvals, codes, consent, inbox, live, replies, sentmail, signals, tokens, triage
from roundup.cache import read_site
from roundup.digest import digest_of, post_snapshot
from roundup.errors import Problems, RoundupError, UsageError
from roundup.gate import Held, Inclusion, VoiceState, assess_post, held_reasons, post_reasons
from roundup.mailer import Outgoing
from roundup.model import Avatar, Contributor, Live, LiveVoice, Post, Profile, Quote
from roundup.triage import Kind

SOON = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=10)
NOW = dt.datetime.now(dt.timezone.utc)
SECRET = b"k" * 64
EDITOR = "ed@example.com"
ZOE, KIM, ANA = "zoe@example.net", "kim@example.org", "ana@example.org"
SENT = ("Dear Zoe Quill,\n\nPlease read your words in “Alpha Roundup” as they will appear, and tell me if they are "
        "right.\n\nWhen you are happy with them, press the Approve button below.\n\nThank you,\nEd Itor\n")
"""What roundup wrote to zoe about alpha (kept in .roundup/sent/zoe/): her replies quote it."""
PREVIEW_ID = "<p-zoe-alpha@roundup.test>"
INVITE_ID = "<i-kim-alpha@roundup.test>"
TOOLS_ID = "<p-zoe-tools@roundup.test>"
GONE_ID = "<p-zoe-gone@roundup.test>"
ANA_ID = "<p-ana-tools@roundup.test>"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """A site as the inbox meets it: `alpha` previewed to zoe (her words "Showing up.") and kim invited (no words
    yet); `tools` live with zoe's and ana's approval, then zoe's words edited and previewed again, ana reminded,
    and kim added to its voices; `gone` cancelled after a preview to zoe. Each message roundup wrote is recorded
    by its Message-ID; what it wrote to zoe about alpha is kept (with her approval code)."""
    s = Site(tmp_path_factory.mktemp("intent") / "site")
    s.config(editor={"name": "Ed Itor", "email": "Ed@Example.com"})
    s.contributor("zoe", "Zoe Quill", email="Zoe@Example.net")
    s.contributor("kim", "Kim Sato", email=KIM)
    s.contributor("ana", "Ana Lima", email=ANA)
    s.contributor("lee", "Lee Park")  # no address: never the sender of anything
    s.add_post("alpha", {"zoe": "Showing up.\n"}, title="Alpha Roundup", deadline=SOON, voices=["zoe", "kim"])
    s.quote("alpha", "kim", "", prompt="What keeps a partnership alive?")
    s.add_post("tools", {"zoe": "Zoe's approved words.\n", "ana": "Ana's words.\n"}, title="Tools", deadline=SOON)
    s.add_post("gone", {"zoe": "Gone words.\n"}, title="Gone", status="cancelled")
    s.write(".roundup/secret", SECRET.decode())
    site = read_site(s.root)
    for cid in ("zoe", "ana"):
        consent.answer(site, site.post("tools"), cid, "approved")
    s.quote("tools", "zoe", "Zoe's edited words.\n")
    s.post("tools", title="Tools", deadline=SOON, voices=["zoe", "ana", "kim"])  # kim joins, with no quote file
    site = read_site(s.root)
    for slug, cid, message_id in (("alpha", "zoe", PREVIEW_ID), ("tools", "zoe", TOOLS_ID), ("gone", "zoe", GONE_ID)):
        voice = next(v for v in assess_post(site, site.post(slug)).voices if v.contributor_id == cid)
        approvals.record_event(site, site.post(slug), cid, "previewed", message_id, previewed_digest=voice.digest)
    approvals.record_event(site, site.post("alpha"), "kim", "invited", INVITE_ID)
    approvals.record_event(site, site.post("tools"), "ana", "reminded", ANA_ID)
    s.write(".roundup/sent/zoe/alpha.txt", f"{SENT}\nApproval code: {code(s.root, tokens.Kind.APPROVE)}\n")
    return s.root


def mail(words: str, sender: str = ZOE, name: str = "Zoe Quill", subject: str = "Re: Alpha Roundup",
         thread: str | None = PREVIEW_ID, message_id: str = "<reply@mail.example>", **headers: str) -> bytes:
    """A reply as a mail client sends it: their words, In-Reply-To the message roundup wrote (`thread`)."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = EDITOR
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    if thread:
        msg["In-Reply-To"] = thread
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(words)
    return bytes(msg)


def code(root: Path, kind: tokens.Kind, cid: str = "zoe", slug: str = "alpha", digest: str | None = None) -> str:
    """A genuine code of `kind` for the voice as it is now (or for `digest`)."""
    site = read_site(root)
    if digest is None:
        digest = next(v.digest for v in assess_post(site, site.post(slug)).voices if v.contributor_id == cid)
    return tokens.make(SECRET, tokens.Claims(cid, slug, tokens.fingerprint(digest) if digest else tokens.NO_WORDS,
                                             dt.datetime.combine(SOON, dt.time(23, 59, 59), dt.timezone.utc), kind))


def classify(root: Path, raw: bytes, secret: bytes | None = SECRET) -> triage.Outcome:
    site = read_site(root)
    return triage.classify(site, triage.Index(site, secret), replies.parse(raw), NOW)


@pytest.fixture
def ascii_locale():
    """The process's locale says ASCII (LC_CTYPE "C"), as a server's may: files roundup wrote are read as UTF-8
    all the same."""
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


# ---- triage: exactly one outcome per message, and its line ------------------------------------------------------

APPROVE, CHANGES, OUT = tokens.Kind.APPROVE, tokens.Kind.CHANGES, tokens.Kind.OUT
CASES = {  # name: (the message, given the site's root) -> (kind, the line's words, post, contributor, their text);
    # "{approve}" in the words stands for zoe's approval code for alpha
    "approval-code-in-their-words": (
        lambda r: mail(f"Fine by me.\n{code(r, APPROVE)}"),
        (Kind.APPROVAL, "zoe approved their voice in alpha (approval code)", "alpha", "zoe", "")),
    "approve-button-empty-body": (
        lambda r: mail("", subject=f"Approve: Alpha Roundup {code(r, APPROVE)}", thread=None),
        (Kind.APPROVAL, "zoe approved their voice in alpha (approval code)", "alpha", "zoe", "")),
    "the-same-code-in-subject-and-body": (
        lambda r: mail(code(r, APPROVE), subject=f"Approve: Alpha Roundup {code(r, APPROVE)}", thread=None),
        (Kind.APPROVAL, "zoe approved their voice in alpha (approval code)", "alpha", "zoe", "")),
    "re-subject-carries-the-code": (
        lambda r: mail("Thanks again!", subject=f"Re: Re: Approve: Alpha Roundup {code(r, APPROVE)}"),
        (Kind.COMMENT, "from zoe in alpha, kept as their comment (it reads like a yes but carries no approval code: "
                       "if you are sure, run roundup approve zoe alpha)", "alpha", "zoe", "Thanks again!")),
    "ask-for-changes-button": (
        lambda r: mail(f"Please cut the last sentence.\n\nWhat I would like changed:\n\n\nReference: "
                       f"{code(r, CHANGES)}\n", subject=f"Changes to my words {code(r, CHANGES)}", thread=None),
        (Kind.CHANGE, "zoe asked for changes to their voice in alpha (Ask-for-changes button)", "alpha", "zoe",
         "Please cut the last sentence.")),
    "ask-for-changes-on-a-live-post": (
        lambda r: mail(f"No.\n{code(r, CHANGES, slug='tools')}", thread=TOOLS_ID),
        (Kind.CHANGE, "zoe asked for changes to their voice in tools (Ask-for-changes button); the published version "
                      "stays online: to take it down, run roundup decline zoe tools", "tools", "zoe", "No.")),
    "approval-on-a-live-post": (
        lambda r: mail(f"Yes.\n{code(r, APPROVE, slug='tools')}", thread=TOOLS_ID),
        (Kind.APPROVAL, "zoe approved their voice in tools (approval code)", "tools", "zoe", "")),
    "count-me-out-from-an-invitation": (
        lambda r: mail(f"Sorry.\n\nI can't take part in “Alpha Roundup” after all.\n\nReference: "
                       f"{code(r, OUT, 'kim', digest='')}", KIM, "Kim Sato", thread=None),
        (Kind.OUT, "kim is not taking part in alpha (Count-me-out button)", "alpha", "kim", "Sorry.")),
    "count-me-out-of-a-live-post-they-joined-later": (
        lambda r: mail(f"x {code(r, OUT, 'kim', 'tools', digest='')}", KIM, "Kim Sato", thread=None),
        (Kind.OUT, "kim is not taking part in tools (Count-me-out button)", "tools", "kim", "x")),
    "count-me-out-of-a-live-post-they-are-in": (
        lambda r: mail(f"x {code(r, OUT, slug='tools')}", thread=None),
        (Kind.OUT, "zoe is not taking part in tools (Count-me-out button); the published version stays online: to "
                   "take it down, run roundup decline zoe tools", "tools", "zoe", "x")),
    "approval-with-a-withdrawal": (
        lambda r: mail(f"I withdraw, do NOT publish.\n{code(r, APPROVE)}"),
        (Kind.ASIDE, "ASKS TO WITHDRAW: it carries zoe's approval code for alpha, but their words read like a "
                     "withdrawal; nothing was recorded: read it, then roundup approve zoe alpha or roundup decline "
                     "zoe alpha", "alpha", "zoe", "")),
    "approval-of-an-earlier-version": (
        lambda r: mail(f"x {code(r, APPROVE, digest='sha256:' + '0' * 64)}"),
        (Kind.COMMENT, "from zoe in alpha: its code was made to approve an earlier version of their voice; read it; "
                       "the newer preview sent on {previewed} shows their voice as it is now, so nothing needs "
                       "sending", "alpha", "zoe", "x")),
    "changes-to-an-earlier-version-with-a-withdrawal": (
        lambda r: mail(f"Do not publish.\n{code(r, CHANGES, digest='sha256:' + '0' * 64)}"),
        (Kind.COMMENT, "ASKS TO WITHDRAW: from zoe in alpha: its code was made to ask for changes to an earlier "
                       "version of their voice; read it; the newer preview sent on {previewed} shows their voice as "
                       "it is now, so nothing needs sending; nothing was taken down: if they mean it, run roundup "
                       "decline zoe alpha", "alpha", "zoe", "Do not publish.")),
    "two-codes": (
        lambda r: mail(f"{code(r, APPROVE)} {code(r, CHANGES)}"),
        (Kind.ASIDE, "it carries 2 different codes", None, None, "")),
    "forged-code": (
        lambda r: mail(code(r, APPROVE)[:-2] + "aa"),
        (Kind.ASIDE, "its code cannot decide anything: this token is not valid: it was altered, mistyped, or not made "
                     "by this site (copy the whole token, ru2 and the 44 letters and digits after it)",
         None, None, "")),
    "forged-code-with-a-withdrawal": (
        lambda r: mail("Please remove my quote. " + code(r, APPROVE)[:-2] + "aa"),
        (Kind.ASIDE, "ASKS TO WITHDRAW: its code cannot decide anything: this token is not valid: it was altered, "
                     "mistyped, or not made by this site (copy the whole token, ru2 and the 44 letters and digits "
                     "after it); nothing was taken down: if they mean it, run roundup decline", None, None, "")),
    "code-for-another-post-than-the-thread": (
        lambda r: mail(f"x {code(r, APPROVE, slug='tools')}"),
        (Kind.ASIDE, "its code is zoe's for tools, but it replies to the message to zoe about alpha", None, None, "")),
    "code-for-another-voice-than-the-thread": (
        lambda r: mail(f"x {code(r, APPROVE, slug='tools')}", thread=ANA_ID),
        (Kind.ASIDE, "its code is zoe's for tools, but it replies to the message to ana about tools", None, None, "")),
    "code-for-a-cancelled-post": (
        lambda r: mail(f"x {code(r, APPROVE, slug='gone')}", thread=GONE_ID),
        (Kind.ASIDE, "gone is cancelled, so zoe's approve code was not recorded", "gone", "zoe", "")),
    "changes-code-for-a-cancelled-post": (
        lambda r: mail(f"x {code(r, CHANGES, slug='gone')}", thread=None),
        (Kind.ASIDE, "gone is cancelled, so zoe's changes code was not recorded", "gone", "zoe", "")),
    "approval-code-from-another-address": (
        lambda r: mail(f"x {code(r, APPROVE)}", ANA, "Ana Lima", thread=None),
        (Kind.ASIDE, "it carries zoe's code for alpha but comes from ana@example.org, not the address in "
                     "contributors/zoe.yml: if it is theirs, run roundup approve --token {approve}",
         "alpha", "zoe", "")),
    "changes-code-from-no-address": (
        lambda r: mail(f"x {code(r, CHANGES)}", "undisclosed-recipients:;", "", thread=None),
        (Kind.ASIDE, "it carries zoe's code for alpha but comes from an unknown address, not the address in "
                     "contributors/zoe.yml: if it is theirs, run roundup decline zoe alpha", "alpha", "zoe", "")),
    "count-me-out-code-from-another-address": (
        lambda r: mail(f"x {code(r, OUT, 'kim', digest='')}", ANA, "Ana Lima", thread=None),
        (Kind.ASIDE, "it carries kim's code for alpha but comes from ana@example.org, not the address in "
                     "contributors/kim.yml: if it is theirs, run roundup decline kim alpha --not-taking-part",
         "alpha", "kim", "")),
    "the-code-only-in-text-roundup-wrote": (
        lambda r: mail(f"Please change the second sentence.\n\n{SENT}\nApproval code: {code(r, APPROVE)}\n"),
        (Kind.COMMENT, "from zoe in alpha, kept as their comment (to record it as their request for changes, run "
                       "roundup decline zoe alpha --reason-from-comment)", "alpha", "zoe",
         "Please change the second sentence.")),
    "the-code-inside-a-link": (
        lambda r: mail(f"Looks good. mailto:ed@example.com?subject=Approve%20{code(r, APPROVE)}"),
        (Kind.COMMENT, "from zoe in alpha, kept as their comment (it reads like a yes but carries no approval code: "
                       "if you are sure, run roundup approve zoe alpha)", "alpha", "zoe",
         "Looks good. mailto:ed@example.com?subject=Approve%20{approve}")),
    "a-code-with-no-secret": (
        lambda r: mail(f"x {code(r, APPROVE)}"),
        (Kind.ASIDE, "its code cannot decide anything: this site has no token secret, so no code can be genuine",
         None, None, "")),
    "editors-own-copy": (
        lambda r: mail(f"x {code(r, APPROVE)}", EDITOR, "Ed Itor"),
        (Kind.ASIDE, "from your own address (ed@example.com): a copy of your own mail is never anyone's answer",
         None, None, "")),
    "roundups-own-message-id": (
        lambda r: mail(f"x {code(r, APPROVE)}", message_id=PREVIEW_ID),
        (Kind.ASIDE, "a copy of a message roundup wrote (the same Message-ID), not anyone's reply", None, None, "")),
    "automatic-reply-with-a-code": (
        lambda r: mail(f"I withdraw {code(r, APPROVE)}", Auto_Submitted="auto-replied"),
        (Kind.ASIDE, "an automatic reply (Auto-Submitted: auto-replied)", None, None, "")),
    "only-the-quoted-original": (
        lambda r: mail("> Dear Zoe Quill,\n> Please read your words."),
        (Kind.ASIDE, "no new text in it, only the quoted original", None, None, "")),
    "bare-from-of-a-contributor": (
        lambda r: mail("Yes, I approve.", thread=None),
        (Kind.ASIDE, "from zoe's address, but not a reply to any message roundup wrote and with no code in their "
                     "words: a From: line alone proves nothing, so nothing was recorded", None, None, "")),
    "bare-from-asking-to-withdraw": (
        lambda r: mail("I withdraw.", thread=None),
        (Kind.ASIDE, "ASKS TO WITHDRAW: from zoe's address, but not a reply to any message roundup wrote and with no "
                     "code in their words: a From: line alone proves nothing, so nothing was recorded; nothing was "
                     "taken down: if they mean it, run roundup decline", None, None, "")),
    "stranger": (
        lambda r: mail("Hello.", "x@elsewhere.example", "X", thread=None),
        (Kind.ASIDE, "not a reply to any message roundup wrote, and x@elsewhere.example is no contributor's address",
         None, None, "")),
    "no-sender-at-all": (
        lambda r: mail("Hello.", "undisclosed-recipients:;", "", thread=None),
        (Kind.ASIDE, "not a reply to any message roundup wrote, and the sender is no contributor's address",
         None, None, "")),
    "reply-in-their-thread-from-another-address": (
        lambda r: mail("Please change it.", ANA, "Ana Lima"),
        (Kind.ASIDE, "a reply about zoe in alpha, but from ana@example.org, not the address in contributors/zoe.yml",
         None, None, "")),
    "reply-in-their-thread-from-no-address": (
        lambda r: mail("Please change it.", "undisclosed-recipients:;", ""),
        (Kind.ASIDE, "a reply about zoe in alpha, but from an unknown address, not the address in "
                     "contributors/zoe.yml", None, None, "")),
    "reply-about-a-cancelled-post": (
        lambda r: mail("Please change it.", thread=GONE_ID),
        (Kind.ASIDE, "from zoe in gone, but the post is cancelled", None, None, "")),
    "nothing-but-roundups-own-words": (
        lambda r: mail(SENT),
        (Kind.ASIDE, "from zoe in alpha, with no words of their own in it", None, None, "")),
    "a-comment-signed-with-their-name": (
        lambda r: mail("Please change the second sentence.\n\nZoe", references=f"<elsewhere@mail.example> {PREVIEW_ID}",
                       thread=None),
        (Kind.COMMENT, "from zoe in alpha, kept as their comment (to record it as their request for changes, run "
                       "roundup decline zoe alpha --reason-from-comment)", "alpha", "zoe",
         "Please change the second sentence.")),
    "a-comment-asking-to-withdraw": (
        lambda r: mail("I withdraw, do not publish."),
        (Kind.COMMENT, "ASKS TO WITHDRAW: from zoe in alpha, kept as their comment (to record it as their request "
                       "for changes, run roundup decline zoe alpha --reason-from-comment); nothing was taken down: if "
                       "they mean it, run roundup decline zoe alpha", "alpha", "zoe", "I withdraw, do not publish.")),
    "an-answer": (
        lambda r: mail("Trust, mostly.\n\nAnd a calendar.", KIM, "Kim Sato", thread=INVITE_ID),
        (Kind.ANSWER, "kim answered for alpha", "alpha", "kim", "Trust, mostly.\n\nAnd a calendar.")),
    "a-refusal": (
        lambda r: mail("Sorry, I can't take part after all.", KIM, "Kim Sato", thread=INVITE_ID),
        (Kind.ASIDE, "from kim in alpha: it reads like they can't take part, so it was not made their quote; if so, "
                     "run roundup decline kim alpha --not-taking-part", None, None, "")),
    "an-answer-of-20000-bytes": (
        lambda r: mail("é" * 10_000, KIM, "Kim Sato", thread=INVITE_ID),
        (Kind.ANSWER, "kim answered for alpha", "alpha", "kim", "é" * 10_000)),
    "an-answer-of-20001-bytes": (
        lambda r: mail("é" * 10_000 + "s", KIM, "Kim Sato", thread=INVITE_ID),
        (Kind.ASIDE, "an answer from kim in alpha of 20 kB, over the 20 kB a voice holds: read it, and paste what "
                     "belongs into posts/alpha/quotes/kim.md yourself", None, None, "")),
}


@pytest.mark.parametrize("case", CASES)
def test_each_message_gets_exactly_one_outcome_and_its_line(world: Path, case: str):
    """The outcome, the words of its line, and whose voice it is about: consent moves only on a genuine code
    of the contributor's in their own words, from their own address; everything else says what to run."""
    build, (kind, why, slug, cid, text) = CASES[case]
    outcome = classify(world, build(world), secret=None if case == "a-code-with-no-secret" else SECRET)
    approve = code(world, APPROVE)
    previewed = str(entry(world, "alpha", "zoe")["previewed_at"])[:10]  # the day the fixture ran, not today
    assert (outcome.kind, outcome.why) == (kind, why.replace("{approve}", approve).replace("{previewed}", previewed))
    assert (outcome.post.slug if outcome.post else None, outcome.contributor_id, outcome.text) == \
        (slug, cid, text.replace("{approve}", approve))



def test_more_codes_than_anyone_writes_are_not_each_checked(world: Path):
    """Three codes are each read (the one only in roundup's own text does not count); over three, none is."""
    pasted = f"\n\n{SENT}\nApproval code: {code(world, APPROVE)}\n"  # roundup's text, pasted back with its code
    mine = f"{code(world, CHANGES)} {code(world, OUT)}"
    assert classify(world, mail(mine + pasted)).why == "it carries 2 different codes"
    assert classify(world, mail(f"{mine} {code(world, APPROVE, slug='tools')}" + pasted)).why == \
        "it carries 4 different codes"


def answered(root: Path, words: str) -> None:
    """kim's answer is in her quote file, as `roundup inbox` left it."""
    Site(root).quote("alpha", "kim", words, prompt="What keeps a partnership alive?")
    site = read_site(root)
    approvals.record_event(site, site.post("alpha"), "kim", "answered")


def test_the_same_answer_again_finishes_a_run_cut_short_and_another_is_set_aside(root: Path):
    answered(root, "Trust, mostly.\n")
    again = classify(root, mail("Trust, mostly.", KIM, "Kim Sato", "Re: An invitation", INVITE_ID))
    assert (again.kind, again.why, again.post.slug, again.contributor_id, again.text) == \
        (Kind.ANSWER, "kim answered for alpha", "alpha", "kim", "Trust, mostly.")
    other = classify(root, mail("Patience, too.", KIM, "Kim Sato", "Re: An invitation", INVITE_ID))
    assert (other.kind, other.why) == (Kind.ASIDE, "a second answer from kim in alpha: posts/alpha/quotes/kim.md has "
                                                   "their words already and was not changed")


def test_a_voice_that_left_after_answering_and_whose_words_were_removed_gets_no_answer_back(root: Path):
    """kim answered by mail, then left, and the editor emptied her quote file: whatever she writes now (even the
    four letters the mutation run puts in place of "no words") is a comment, never her quote again."""
    answered(root, "Trust.\n")
    site = read_site(root)
    approvals.record(site, site.post("alpha"), "kim", "out")
    Site(root).quote("alpha", "kim", "", prompt="What keeps a partnership alive?")
    outcome = classify(root, mail("XXXX", KIM, "Kim Sato", "Re: An invitation", INVITE_ID))
    assert (outcome.kind, outcome.contributor_id) == (Kind.COMMENT, "kim")


def test_a_voice_that_left_and_writes_again_is_a_comment(root: Path):
    site = read_site(root)
    approvals.record_event(site, site.post("tools"), "kim", "invited", "<i-kim-tools@x>")
    approvals.record(site, site.post("tools"), "kim", "out", via="mail", reason="Busy.")
    outcome = classify(root, mail("Maybe next time.", KIM, "Kim Sato", "Re: Tools", "<i-kim-tools@x>"))
    assert (outcome.kind, outcome.post.slug, outcome.contributor_id) == (Kind.COMMENT, "tools", "kim")


def test_each_problem_that_stops_a_code_is_named(root: Path):
    """approvals.yml broken by hand while the inbox runs: the code decides nothing, the line names each problem."""
    run = inbox.run(root, maildir(root, mail("Hello?", "x@elsewhere.example", "", "Hi", None, "<m1@x>"),
                                  mail(f"Fine. {code(root, APPROVE)}", message_id="<m2@x>")))
    next(run)
    path = root / "posts/alpha/approvals.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "kim:\n  invited_at", "kim:\n  approved_at: yesterday\n  digest: nope\n  invited_at"), encoding="utf-8")
    assert next(run).startswith(
        "  needs reading   its code cannot decide anything: posts/alpha/approvals.yml:9: `approved_at` must be a "
        "timestamp like 2026-03-01T09:30:00Z; posts/alpha/approvals.yml:10: `digest` must be a digest written by "
        "roundup, sha256: and 64 hex digits (got 'nope') (from zoe@example.net")


NOBODY = "undisclosed-recipients:;"
"""A From: with no address in it: the message has no sender."""


def without_address(root: Path) -> None:
    """lee (no `email` in contributors/lee.yml) is a voice of alpha, previewed by a message roundup wrote."""
    s = Site(root)
    s.quote("alpha", "lee", "Lee's words.\n")
    s.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe", "kim", "lee"])
    site = read_site(root)
    digest = next(v.digest for v in assess_post(site, site.post("alpha")).voices if v.contributor_id == "lee")
    approvals.record_event(site, site.post("alpha"), "lee", "previewed", "<p-lee@x>", previewed_digest=digest)


def test_a_reply_with_no_sender_is_never_from_a_contributor_without_an_address(root: Path):
    without_address(root)
    assert classify(root, mail("Please change it.", NOBODY, "", thread="<p-lee@x>")).kind is Kind.ASIDE


def test_a_code_with_no_sender_is_never_from_a_contributor_without_an_address(root: Path):
    without_address(root)
    assert classify(root, mail(f"Fine. {code(root, APPROVE, 'lee')}", NOBODY, "", thread=None)).kind is Kind.ASIDE

# ---- signals: what words read like (for the line only) -----------------------------------------------------------

@pytest.mark.parametrize("text, yes", [
    ("Thank you so much!", True), ("ＯＫ", True), ("Looks\n   great", True),
    ("Yes, " + "a" * 114, True), ("Yes, " + "a" * 115, False),  # a yes is short: under 120 characters
    ("Many thanks, " + "a" * 46, True), ("Many thanks, " + "a" * 47, False),  # thanks alone: under 60
    ("Please change the second sentence.", False)])
def test_a_yes_is_short_and_says_only_yes_or_thanks(text: str, yes: bool):
    assert signals.reads_as_yes(text) is yes


def test_a_typographic_apostrophe_reads_as_a_plain_one():
    """Mail programs turn "can't" into "can’t": a refusal or a withdrawal reads the same either way."""
    assert signals.reads_as_refusal("I can’t take part after all.")
    assert signals.reads_as_withdrawal("Please don’t publish it.")


def test_a_buttons_code_and_lines_are_not_their_words():
    """The code however a client wrapped or cased it, and the lines the button wrote (in any case, with or
    without their colon): what is left is exactly their own lines, in order."""
    lines = ("What I would like changed:", "I approve my words in “Alpha” as the preview shows them.", "Reference")
    text = ("Please cut the last sentence.\nwhat i would like CHANGED\n  What I would like changed ：\n"
            "Reference: RC2ABC\n> DEF\nI approve my words in “Alpha” as the preview shows them.\nThe rest stays.\n")
    assert signals.without_button_lines(text, "rc2abcdef", lines) == "Please cut the last sentence.\nThe rest stays."
    assert signals.without_button_lines("Keep: rc2abcdef here", "rc2abcdef", ()) == "Keep:  here"


# ---- codes: made for a message's buttons, read back against the site ---------------------------------------------

EXPIRES = dt.datetime.combine(SOON, dt.time(23, 59, 59), dt.timezone.utc)


def test_codes_are_made_only_for_the_buttons_asked_for_each_signed_for_that_voice(world: Path):
    site = read_site(world)
    digest = "sha256:" + "ab" * 32
    made = codes.codes_for(site, "alpha", "zoe", digest, EXPIRES, approve=True, changes=True)
    assert made.out is None
    for kind, value in ((APPROVE, made.approve), (CHANGES, made.changes)):
        assert tokens.verify(SECRET, value, NOW, [("zoe", "alpha")]) == \
            tokens.Claims("zoe", "alpha", "ab" * 8, EXPIRES, kind)
    invitation = codes.codes_for(site, "alpha", "kim", "", EXPIRES, out=True)
    assert (invitation.approve, invitation.changes) == (None, None)
    assert tokens.verify(SECRET, invitation.out, NOW, [("kim", "alpha")]) == \
        tokens.Claims("kim", "alpha", tokens.NO_WORDS, EXPIRES, OUT)
    assert codes.codes_for(site, "alpha", "zoe", digest, EXPIRES) == codes.Codes()


def test_a_code_is_read_against_the_voice_as_it_stands_now(world: Path):
    site = read_site(world)
    value = code(world, APPROVE)
    checked = codes.read(site, value, NOW, SECRET)
    assert (checked.code, checked.claims.contributor_id, checked.claims.slug) == (value, "zoe", "alpha")
    assert checked.status == assess_post(site, site.post("alpha"))
    assert checked.voice.contributor_id == "zoe" and checked.current
    assert not codes.read(site, code(world, APPROVE, digest="sha256:" + "0" * 64), NOW, SECRET).current
    out = codes.read(site, code(world, OUT, "kim", digest=""), NOW, SECRET)
    assert out.voice.state is VoiceState.UNANSWERED and not out.current
    with pytest.raises(RoundupError, match="this token is not valid"):
        codes.read(site, value, NOW, b"another secret")


def test_a_code_from_an_earlier_preview_names_the_newer_one_only_when_it_was_sent_for_their_voice_now(
        world: Path, tmp_path: Path):
    """A code made for words the contributor has since been sent a new preview of says so (nothing needs
    sending); when that preview was only written, or their voice changed again since, the way out is a new
    preview."""
    root = tmp_path / "site"
    shutil.copytree(world, root)
    old = code(root, APPROVE, digest="sha256:" + "0" * 64)
    site = read_site(root)
    checked = codes.read(site, old, NOW, SECRET)
    sent_on = checked.voice.record.previewed_at
    assert sent_on is not None and checked.newer_preview() == sent_on
    assert codes.read(site, code(root, APPROVE), NOW, SECRET).newer_preview() is None
    assert str(checked.stale_error()) == (
        f"this code is from an earlier preview of zoe's voice in alpha; the newer preview sent on {sent_on.date()} "
        "shows it as it is now, so this code cannot approve it; nothing was recorded — ask zoe to answer that "
        "preview (nothing needs sending)")
    with pytest.raises(RoundupError, match="the newer preview sent on"):
        consent.check_token(site, old, NOW)
    again = "the quote, their profile or the post's text) changed after this preview was sent, so this code " \
        "cannot approve it; nothing was recorded — send a new preview: roundup preview zoe --post alpha"
    voice = checked.voice
    approvals.record_event(site, site.post("alpha"), "zoe", "previewed", "<x.previewed@roundup.test>", unsent=True,
                           previewed_digest=voice.digest)  # written, not sent
    site = read_site(root)
    unsent = codes.read(site, old, NOW, SECRET)
    assert unsent.newer_preview() is None and str(unsent.stale_error()).endswith(again)
    approvals.record_event(site, site.post("alpha"), "zoe", "previewed", "<y@roundup.test>",
                           sent=("<x.previewed@roundup.test>",), previewed_digest=voice.digest)
    assert codes.read(read_site(root), old, NOW, SECRET).newer_preview() is not None  # sent after all
    Site(root).quote("alpha", "zoe", "Edited after the newer preview.\n")
    site = read_site(root)
    edited = codes.read(site, old, NOW, SECRET)
    assert edited.newer_preview() is None and str(edited.stale_error()).endswith(again)
    assert classify(root, mail(f"x {old}")).why == ("from zoe in alpha: its code was made to approve an earlier "
                                                   "version of their voice; read it, then roundup preview zoe --post "
                                                   "alpha")


def first_format(cid: str, slug: str) -> str:
    """A code of the first format (ru1.), which names its voice outright."""
    body = base64.urlsafe_b64encode(json.dumps({"c": cid, "s": slug, "d": "sha256:" + "0" * 64,
                                                "e": int(EXPIRES.timestamp())}).encode()).rstrip(b"=").decode()
    mac = hmac.new(SECRET, f"ru1.{body}".encode(), hashlib.sha256).digest()
    return f"ru1.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_a_first_format_code_for_a_voice_no_longer_there_says_so(world: Path):
    site = read_site(world)
    with pytest.raises(RoundupError) as error:
        codes.read(site, first_format("lee", "alpha"), NOW, SECRET)
    assert error.value.lines() == ["this code is lee's for alpha, but lee is no longer a voice in alpha (or the post "
                                   "is gone); nothing was recorded"]
    assert codes.read(site, first_format("kim", "alpha"), NOW, SECRET).voice.contributor_id == "kim"


# ---- sentmail: roundup's own words, kept and taken out of a reply ------------------------------------------------

def message(text: str, message_id: str, html: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = EDITOR, ZOE, "Alpha", message_id
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def test_each_message_written_is_kept_privately_once_as_its_plain_text(tmp_path: Path):
    first = message("Dear Zoe,\nyour words.\n", "<one@roundup.test>", "<p>Dear Zoe, your words.</p>")
    sentmail.keep(tmp_path, [Outgoing("zoe", first, tmp_path / "a.eml"),
                             Outgoing("zoe", message("Again.\n", "<two@roundup.test>"), tmp_path / "b.eml")])
    sentmail.keep(tmp_path, [Outgoing("zoe", first, tmp_path / "a.eml")])  # the same message again: the same file
    folder = tmp_path / ".roundup" / "sent" / "zoe"
    names = {hashlib.sha256(m.encode()).hexdigest()[:24] + ".txt": m
             for m in ("<one@roundup.test>", "<two@roundup.test>")}
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(sentmail.texts(tmp_path, tmp_path / "_previews", "zoe")) == ["Again.\n", "Dear Zoe,\nyour words.\n"]


def test_the_texts_are_the_kept_copies_then_the_messages_in_the_previews_folder(tmp_path: Path, ascii_locale):
    kept = tmp_path / ".roundup" / "sent" / "zoe"
    kept.mkdir(parents=True)
    (kept / "b.txt").write_bytes(b"second \xff kept\n")
    (kept / "a.txt").write_text("first kept: Grüße\n", encoding="utf-8")
    (kept / "c.eml").write_text("not a kept copy\n", encoding="utf-8")
    previews = tmp_path / "_previews"
    (previews / "zoe").mkdir(parents=True)
    (previews / "zoe" / "alpha.eml").write_bytes(bytes(message("In the previews folder.\n", "<p@x>", "<p>html</p>")))
    (previews / "zoe" / "html.eml").write_bytes(bytes(message("x", "<h@x>")).replace(b"text/plain", b"text/html"))
    (previews / "zoe" / "notes.txt").write_text("not a message\n", encoding="utf-8")
    single = message("A single part, marked as an attachment.\n", "<s@x>")
    single["Content-Disposition"] = "attachment; filename=words.txt"
    (previews / "zoe" / "single.eml").write_bytes(bytes(single))
    assert sentmail.texts(tmp_path, previews, "zoe") == ["first kept: Grüße\n", "second \ufffd kept\n",
                                                          "In the previews folder.\n", "",
                                                          "A single part, marked as an attachment.\n"]
    assert sentmail.texts(tmp_path, previews, "kim") == []
    assert not (previews / "kim").exists() and not (tmp_path / ".roundup" / "sent" / "kim").exists()


def test_a_message_whose_text_cannot_be_read_gives_no_text(tmp_path: Path):
    broken = bytes(message("Grüße", "<b@x>")).replace(b"charset=\"utf-8\"", b"charset=\"x-unknown\"")
    (tmp_path / "_previews" / "zoe").mkdir(parents=True)
    (tmp_path / "_previews" / "zoe" / "broken.eml").write_bytes(broken)
    assert b"x-unknown" in broken and sentmail.texts(tmp_path, tmp_path / "_previews", "zoe") == [""]


def test_words_fold_case_and_width_and_split_cjk_into_characters():
    assert sentmail.words("Ｈｅｌｌｏ, WORLD_wide 漢字 ok") == ["hello", "world", "wide", "漢", "字", "ok"]


EIGHT = "one two three four five six seven eight"


@pytest.mark.parametrize("reply, left", [
    ("a b one two\nthree four five six", ""),  # half of the first line's words are roundup's: the line is
    ("a b c one two\nthree four five six", "a b c one two"),  # less than half: theirs
    ("one two three four five\nok", "one two three four five\nok"),  # five words in a row prove nothing
    ("ONE two,\nthree — four five six", ""),  # whatever the case, punctuation and wrapping
    ("one two three\n\n>\n____\nfour five six\n\nmine", "\nmine"),  # empty lines between roundup's lines go too
    ("mine\nFrom: Ed\nSent: Monday\n\none two three four five six", "mine\n"),  # a header block above
    ("mine\n______\nFrom: Ed\nSent: Monday\none two three four five six", "mine"),  # and the rule above it
    ("mine\nOn Monday Ed wrote:\n\none two three four five six", "mine\n"),  # an attribution line
    ("mine\n______\none two three four five six", "mine"),  # a rule alone
    ("mine\nNote: this\none two three four five six", "mine\nNote: this"),  # one "Label: value" line is theirs
    ("mine\n" + "\n".join(f"L{i}: v" for i in range(9)) + "\none two three four five six", "mine\nL0: v"),
    ("one two three four five six\nmine\nOn Monday Ed wrote:\nthree four five six seven eight", "mine"),
    ("one two three four five six\nOn Monday Ed wrote:\nthree four five six seven eight", ""),
    ("\nmine\n\none two three\n\nfour five six", "\nmine\n"),  # only the empty lines between roundup's lines
    ("mine\nFrom: Ed\nSent: Monday\n\none two three\nfour five six", "mine\n"),  # above a passage of lines
    ("From: Ed\nSent: Monday\none two three four five six", ""),  # a header block on the first line
    ("______\n\nFrom: Ed\nSent: Monday\none two three four five six", ""),  # a rule on the first line
    ("On Monday Ed wrote:   \none two three four five six", ""),  # an attribution on the first line
    ("mine\n2026年12月7日 Ed Itor 写道：\none two three four five six", "mine"),  # a full-width colon
    ("mine\nmore\nOn Monday Ed wrote:\n\none two three four five six", "mine\nmore\n"),  # over empty lines
])
def test_roundups_own_words_leave_a_reply_with_what_a_client_wrote_above_them(reply: str, left: str):
    assert sentmail.Own([EIGHT]).strip(reply) == left


def test_a_passage_matches_only_runs_of_six_words_from_one_text():
    own = sentmail.Own(["one two three", "four five six seven"])
    assert own.strip("one two three four five six seven") == "one two three four five six seven"
    chinese = sentmail.Own(["我们的问题是什么让合作持久"])
    assert chinese.strip("你好\n我们的问题是\n什么让合作持久") == "你好"


# ---- inbox: every message read once, its outcome recorded ----------------------------------------------------

@pytest.fixture
def root(world: Path, tmp_path: Path) -> Path:
    """A copy of the world to write in."""
    shutil.copytree(world, tmp_path / "site", symlinks=True)
    return tmp_path / "site"


def dated(raw: bytes, minute: int) -> bytes:
    """The message sent at 10:`minute` (the Maildir is read in that order)."""
    return f"Date: Mon, 7 Dec 2026 10:{minute:02} +0000\n".encode() + raw


def maildir(root: Path, *messages: bytes) -> inbox.Source:
    box = mailbox.Maildir(root.parent / "Maildir", create=True)
    for minute, raw in enumerate(messages):
        box.add(dated(raw, minute))
    return inbox.Source(maildir=root.parent / "Maildir")


def entry(root: Path, slug: str, cid: str) -> dict:
    return (yaml.safe_load((root / "posts" / slug / "approvals.yml").read_text(encoding="utf-8")) or {}).get(cid) or {}


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def handled(root: Path) -> list[list[str]]:
    return [line.split("\t") for line in (root / inbox.HANDLED).read_text(encoding="utf-8").splitlines()
            if not line.startswith("#")]


def test_a_run_records_each_outcome_once_and_says_what_it_did(root: Path):
    messages = [
        mail("Trust, mostly.", KIM, "Kim Sato", "Re: An invitation", INVITE_ID, "<m1@x>"),
        mail(f"Fine.\n{code(root, APPROVE)}", message_id="<m2@x>"),
        mail(f"Cut the end.\n{code(root, CHANGES, slug='tools')}", subject="Re: Tools", thread=TOOLS_ID,
             message_id="<m3@x>"),
        mail("Please fix my name.", ANA, "Ana Lima", "Re: Tools", ANA_ID, "<m4@x>"),
        mail(f"Sorry. {code(root, OUT, 'kim', 'tools', digest='')}", KIM, "Kim Sato", "Count me out", None, "<m5@x>"),
        mail("Hello?", "x@elsewhere.example", "", "Hi", None, "<m6@x>")]
    live_before = (root / "posts/tools/published.yml").read_bytes()
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    lines = list(inbox.run(root, maildir(root, *messages)))
    done = dt.datetime.now(dt.timezone.utc)
    assert lines == [
        "  answer          kim answered for alpha (from kim@example.org, “Re: An invitation”)",
        "  approval        zoe approved their voice in alpha (approval code) (from zoe@example.net, “Re: Alpha "
        "Roundup”)",
        "  change request  zoe asked for changes to their voice in tools (Ask-for-changes button); the published "
        "version stays online: to take it down, run roundup decline zoe tools (from zoe@example.net, “Re: Tools”)",
        "  comment         from ana in tools, kept as their comment (to record it as their request for changes, run "
        "roundup decline ana tools --reason-from-comment) (from ana@example.org, “Re: Tools”)",
        "  not taking part kim is not taking part in tools (Count-me-out button) (from kim@example.org, “Count me "
        "out”)",
        "  needs reading   not a reply to any message roundup wrote, and x@elsewhere.example is no contributor's "
        "address (from x@elsewhere.example, “Hi”)",
        "Read 6 new messages: 1 answered, 1 approved, 1 asked for changes, 1 not taking part, 1 comment, 1 set aside "
        "for you to read."]
    assert (root / "posts/alpha/quotes/kim.md").read_text(encoding="utf-8") == \
        "---\nprompt: What keeps a partnership alive?\n---\nTrust, mostly.\n"
    assert "answered_at" in entry(root, "alpha", "kim")
    zoe = entry(root, "alpha", "zoe")
    assert zoe["via"] == "mail" and "approved_at" in zoe and zoe["digest"] == code_digest(root, "alpha", "zoe")
    tools = entry(root, "tools", "zoe")
    assert (tools["via"], tools["reason"]) == ("mail", "Cut the end.") and "declined_at" in tools
    ana = entry(root, "tools", "ana")
    assert ana["comment"] == "Please fix my name." and "commented_at" in ana and "approved_at" in ana
    kim = entry(root, "tools", "kim")
    assert (kim["via"], kim["reason"]) == ("mail", "Sorry.") and "declined_at" not in kim
    assert (root / "posts/tools/published.yml").read_bytes() == live_before  # mail never takes it down
    site = read_site(root)
    assert assess_post(site, site.post("tools")).published_post is not None
    rows = handled(root)
    assert [row[:1] + row[2:] for row in rows] == [
        ["<m1@x>", "answer", "alpha", "kim"], ["<m2@x>", "approval", "alpha", "zoe"],
        ["<m3@x>", "change request", "tools", "zoe"], ["<m4@x>", "comment", "tools", "ana"],
        ["<m5@x>", "not taking part", "tools", "kim"], ["<m6@x>", "needs reading", "-", "-"]]
    assert all(row[1].endswith("Z") and len(row[1]) == 20 and
               started <= dt.datetime.fromisoformat(row[1].replace("Z", "+00:00")) <= done for row in rows)
    assert (root / inbox.HANDLED).read_text(encoding="utf-8").startswith(inbox.HANDLED_HEADER)
    before = files(root)
    assert list(inbox.run(root, inbox.Source(maildir=root.parent / "Maildir"))) == [
        "Read 0 new messages: 0 answered, 0 approved, 0 asked for changes, 0 not taking part, 0 comments, 0 set "
        "aside for you to read; 6 read before."]
    assert files(root) == before


def code_digest(root: Path, slug: str, cid: str) -> str:
    site = read_site(root)
    return next(v.digest for v in assess_post(site, site.post(slug)).voices if v.contributor_id == cid)


def test_a_dry_run_writes_nothing_and_says_what_a_run_would_do(root: Path):
    source = maildir(root, mail(f"Fine.\n{code(root, APPROVE)}", message_id="<m1@x>"),
                     mail("Trust.", KIM, "Kim Sato", "Re: An invitation", INVITE_ID, "<m2@x>"))
    before = files(root)
    assert list(inbox.run(root, source, dry_run=True)) == [
        "  approval        zoe approved their voice in alpha (approval code) (from zoe@example.net, “Re: Alpha "
        "Roundup”)",
        "  answer          kim answered for alpha (from kim@example.org, “Re: An invitation”)",
        "Read 2 new messages: 1 answered, 1 approved, 0 asked for changes, 0 not taking part, 0 comments, 0 set aside "
        "for you to read. Dry run: nothing was written."]
    assert files(root) == before


def test_a_site_with_no_secret_gets_none_from_the_inbox(tmp_path: Path):
    """A new secret would make every code sent so far forged: the inbox never makes one, dry run or not."""
    s = Site(tmp_path / "site")
    s.config()
    s.contributor("zoe", "Zoe Quill", email=ZOE)
    s.add_post("alpha", {"zoe": "Words.\n"})
    source = maildir(s.root, mail("Hello.", thread=None, message_id="<m1@x>"))
    for dry_run in (True, False):
        assert list(inbox.run(s.root, source, dry_run=dry_run))[-1].startswith("Read 1 new message: ")
        assert not (s.root / ".roundup" / "secret").exists()


def test_a_message_seen_twice_in_one_run_is_read_once(root: Path):
    twice = mail("Please change it.", message_id="<same@x>")
    lines = list(inbox.run(root, maildir(root, twice, twice)))
    assert len(lines) == 2 and lines[-1] == (
        "Read 1 new message: 0 answered, 0 approved, 0 asked for changes, 0 not taking part, 1 comment, 0 set aside "
        "for you to read; 1 read before.")
    assert [row[0] for row in handled(root)] == ["<same@x>"]


def test_each_message_meets_the_site_as_the_messages_before_it_left_it(root: Path):
    """kim answers, then writes that they can't take part: the second is no refusal of a voice without words
    (never their quote), it is a second message from a voice that has words now."""
    lines = list(inbox.run(root, maildir(
        root, mail("Trust.", KIM, "Kim Sato", "Re: An invitation", INVITE_ID, "<m1@x>"),
        mail("I can't take part after all.", KIM, "Kim Sato", "Re: An invitation", INVITE_ID, "<m2@x>"))))
    assert lines[1] == ("  needs reading   a second answer from kim in alpha: posts/alpha/quotes/kim.md has their "
                        "words already and was not changed (from kim@example.org, “Re: An invitation”)")
    assert (root / "posts/alpha/quotes/kim.md").read_text(encoding="utf-8").endswith("---\nTrust.\n")


def test_words_the_editor_pasted_in_while_the_inbox_ran_are_never_overwritten(root: Path):
    run = inbox.run(root, maildir(root, mail("Hello?", "x@elsewhere.example", "", "Hi", None, "<m1@x>"),
                                  mail("Trust.", KIM, "Kim Sato", "Re: An invitation", INVITE_ID, "<m2@x>")))
    assert next(run).startswith("  needs reading ")
    (root / "posts/alpha/quotes/kim.md").write_text("---\nprompt: Q\n---\nPasted by hand.\n", encoding="utf-8")
    assert next(run) == ("  needs reading   a second answer from kim in alpha: posts/alpha/quotes/kim.md has their "
                         "words already and was not changed (from kim@example.org, “Re: An invitation”)")
    assert next(run).endswith("0 answered, 0 approved, 0 asked for changes, 0 not taking part, 0 comments, 2 set "
                              "aside for you to read.")
    assert (root / "posts/alpha/quotes/kim.md").read_text(encoding="utf-8") == "---\nprompt: Q\n---\nPasted by hand.\n"
    assert "answered_at" not in entry(root, "alpha", "kim")


@pytest.mark.parametrize("before, answer, after", [
    (None, "Trust.", "Trust.\n"),  # no quote file yet: one with their words only
    (None, "---\nprompt: Mine\n---\nTrust.", "---\n---\n---\nprompt: Mine\n---\nTrust.\n"),  # never front matter
    ("\ufeff---\nprompt: Q\n---\n", "Trust.", "---\nprompt: Q\n---\nTrust.\n"),
    ("---\r\nprompt: Q\r\n---\r\n\n", "Trust.", "---\nprompt: Q\n---\nTrust.\n"),
    ("---\nprompt: Q\n---", "---\nTrust.", "---\nprompt: Q\n---\n---\nTrust.\n"),  # the fence ends the file
    ("", "  Trust.  ", "Trust.\n"),
    ("\n", "Trust.", "Trust.\n"),  # an empty line is no front matter
    ("---\n---\n", "Trust.", "---\n---\nTrust.\n"),  # an empty front matter stays
])
def test_an_answer_becomes_the_body_of_the_quote_file_only(root: Path, before: str | None, answer: str, after: str):
    path = root / "posts/tools/quotes/kim.md"
    if before is not None:
        path.write_text(before, encoding="utf-8", newline="")
    path.parent.joinpath(".kim.md.x1y2.tmp").write_bytes(b"left by a run killed mid-write")
    approvals.record_event(read_site(root), read_site(root).post("tools"), "kim", "invited", "<i-kim-tools@x>")
    lines = list(inbox.run(root, maildir(root, mail(answer, KIM, "Kim Sato", "Re: Tools", "<i-kim-tools@x>",
                                                    "<m2@x>"))))
    assert lines[0] == "  answer          kim answered for tools (from kim@example.org, “Re: Tools”)"
    assert path.read_text(encoding="utf-8") == after
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_a_message_over_the_limit_is_set_aside_unread(root: Path):
    big = mail("x" * (replies.LIMIT + 2**20), subject="Re: Alpha", message_id="<big@x>")
    assert list(inbox.run(root, maildir(root, big)))[0] == (
        "  needs reading   it is 11 MB, over the 10 MB roundup reads, so it was not read (from zoe@example.net, "
        "“Re: Alpha”)")
    assert [row[0] for row in handled(root)] == ["<big@x>"]


def test_an_mbox_is_read_like_a_maildir(root: Path):
    box = mailbox.mbox(root.parent / "replies.mbox")
    box.add(mail("Please change it.", message_id="<m1@x>"))
    box.close()
    assert list(inbox.run(root, inbox.Source(mbox=root.parent / "replies.mbox")))[0].startswith("  comment ")
    assert entry(root, "alpha", "zoe")["comment"] == "Please change it."


@pytest.mark.parametrize("source, ok", [
    (inbox.Source(), False), (inbox.Source(maildir=Path("m")), True), (inbox.Source(mbox=Path("m")), True),
    (inbox.Source(imap=True), True), (inbox.Source(Path("m"), Path("b")), False),
    (inbox.Source(Path("m"), imap=True), False), (inbox.Source(mbox=Path("b"), imap=True), False)])
def test_exactly_one_source_is_named(source: inbox.Source, ok: bool):
    if ok:
        assert inbox.require_source(source) is None
    else:
        with pytest.raises(UsageError) as error:
            inbox.require_source(source)
        assert str(error.value) == ("usage: roundup inbox (--maildir DIR | --mbox FILE | --imap) [--dry-run]: name one "
                                    "place to read replies from (--imap uses the `inbox:` settings in site.yml)")


def test_the_handled_file_is_read_by_its_first_column_and_a_line_cut_short_stays_alone(root: Path):
    written = ("# <m1@x> a comment, not a message\n\n<m2@x>\n<m3@x>\t2026-12-01T10:00:00Z\tcomment\talpha\tzoe\n"
               "<m9@x>\t2026-12-0")  # a run killed mid-line
    (root / inbox.HANDLED).write_text(written, encoding="utf-8")
    lines = list(inbox.run(root, maildir(root, *(mail("Please change it.", message_id=f"<m{n}@x>")
                                                 for n in range(1, 5)))))
    assert len(lines) == 3 and lines[-1].endswith("2 comments, 0 set aside for you to read; 2 read before.")
    text = (root / inbox.HANDLED).read_text(encoding="utf-8")
    assert text.startswith(written + "\n")
    added = [line.split("\t") for line in text[len(written) + 1:].splitlines()]
    assert [row[:1] + row[2:] for row in added] == [["<m1@x>", "comment", "alpha", "zoe"],
                                                    ["<m4@x>", "comment", "alpha", "zoe"]]


def test_a_message_id_is_kept_to_500_characters(root: Path):
    key = "<" + "a" * 600 + "@x>"
    list(inbox.run(root, maildir(root, mail("Hello.", "x@elsewhere.example", "", "Hi", None, key))))
    assert [row[0] for row in handled(root)] == [key[:500]]


@pytest.mark.parametrize("subject, shown", [("S" * 80, "S" * 80), ("S" * 81, "S" * 80 + "…"), ("", "")])
def test_a_line_shows_the_sender_and_at_most_80_characters_of_the_subject(root: Path, subject: str, shown: str):
    raw = mail("Hello.", "undisclosed-recipients:;", "", subject, None, "<m1@x>")
    assert list(inbox.run(root, maildir(root, raw), dry_run=True))[0] == (
        "  needs reading   not a reply to any message roundup wrote, and the sender is no contributor's address "
        f"(from an unknown sender, “{shown}”)")


def test_imap_marks_as_seen_only_what_it_recorded(root: Path, dovecot, monkeypatch):
    """A decision recorded is marked seen; a comment and what needs reading stay unread, for the editor to read;
    a dry run marks nothing."""
    Site(root).config(editor={"name": "Ed Itor", "email": EDITOR}, inbox={
        "host": dovecot.host, "port": dovecot.port, "tls": False, "username": dovecot.user, "password_env": "IMAP_PW"})
    monkeypatch.setenv("IMAP_PW", dovecot.password)
    dovecot.append(mail(f"Fine. {code(root, APPROVE)}", message_id="<m1@x>"),
                   mail("Please change it.", message_id="<m2@x>"),
                   mail("Hello?", "x@elsewhere.example", "", "Hi", None, "<m3@x>"))
    kinds = ["  approval       ", "  comment        ", "  needs reading  "]
    assert [line[:17] for line in inbox.run(root, inbox.Source(imap=True), dry_run=True)][:3] == kinds
    assert dovecot.flags() == {"1": set(), "2": set(), "3": set()}
    assert [line[:17] for line in inbox.run(root, inbox.Source(imap=True))][:3] == kinds
    assert dovecot.flags() == {"1": {"\\Seen"}, "2": set(), "3": set()}


def test_the_handled_file_is_read_as_utf8_whatever_the_locale_and_whatever_it_holds(root: Path, ascii_locale):
    """A Message-ID with letters beyond ASCII is read once; a byte that is no UTF-8 (a hand edit) breaks nothing."""
    (root / inbox.HANDLED).write_bytes(b"# \xff written by hand\n")
    raw = mail("Please change it.", message_id="<gruesse@x>").replace(b"<gruesse@x>", "<grüße@x>".encode())
    source = maildir(root, raw)
    assert list(inbox.run(root, source))[0].startswith("  comment ")
    assert list(inbox.run(root, source))[-1].endswith("; 1 read before.")


def test_a_run_cut_short_after_recording_is_finished_by_the_next_without_recording_twice(root: Path):
    """The decision and the answer were recorded, then the run was killed before inbox-handled.txt said so: the
    next run reads the same messages and records nothing new (the approval keeps its time)."""
    approval = mail(f"Fine.\n{code(root, APPROVE)}", message_id="<m1@x>")
    answer = mail("Trust.\n---\nPatience.", KIM, "Kim Sato", "Re: Tools", "<i-kim-tools@x>", "<m2@x>")
    site = read_site(root)
    approvals.record_event(site, site.post("tools"), "kim", "invited", "<i-kim-tools@x>")
    source = maildir(root, approval, answer)
    assert [line[:17] for line in inbox.run(root, source)][:2] == ["  approval       ", "  answer         "]
    path = root / "posts/alpha/approvals.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(entry(root, "alpha", "zoe")["approved_at"],
                                                             "2026-01-02T03:04:05Z"), encoding="utf-8")
    before = {p: files(root)[p] for p in ("posts/alpha/approvals.yml", "posts/tools/quotes/kim.md")}
    (root / inbox.HANDLED).unlink()
    assert [line[:17] for line in inbox.run(root, source)][:2] == ["  approval       ", "  answer         "]
    assert {p: files(root)[p] for p in before} == before
    assert before["posts/tools/quotes/kim.md"] == b"Trust.\n---\nPatience.\n"


def test_an_empty_handled_file_gets_its_first_line_at_the_top(root: Path):
    (root / inbox.HANDLED).write_bytes(b"")
    list(inbox.run(root, maildir(root, mail("Please change it.", message_id="<m1@x>"))))
    assert (root / inbox.HANDLED).read_text(encoding="utf-8").startswith("<m1@x>\t")


def test_only_the_first_tab_separated_field_names_a_message(root: Path):
    """A Message-ID holds no space: a line written by hand with spaces names no message, and it is read again."""
    (root / inbox.HANDLED).write_text("<m1@x> 2026-12-01 comment\n<m2@x>\t2026-12-01T10:00:00Z\tcomment\n",
                                      encoding="utf-8")
    lines = list(inbox.run(root, maildir(root, *(mail("Please change it.", message_id=f"<m{n}@x>") for n in (1, 2)))))
    assert len(lines) == 2 and lines[-1].endswith("; 1 read before.")


def test_a_message_whose_message_id_starts_with_a_hash_is_read_once(root: Path):
    source = maildir(root, mail("Please change it.", message_id="#1@x"))
    list(inbox.run(root, source))
    assert list(inbox.run(root, source))[-1].endswith("; 1 read before.")


def test_a_one_byte_handled_file_gets_its_new_line_on_a_line_of_its_own(root: Path):
    (root / inbox.HANDLED).write_bytes(b"x")
    list(inbox.run(root, maildir(root, mail("Please change it.", message_id="<m1@x>"))))
    assert (root / inbox.HANDLED).read_text(encoding="utf-8").split("\n")[:2][0] == "x"
    assert (root / inbox.HANDLED).read_text(encoding="utf-8").split("\n")[1].startswith("<m1@x>\t")


# ---- replies: one message read ---------------------------------------------------------------------------------

def raw_message(body: bytes, content_type: str = "text/plain; charset=utf-8", encoding: str | None = None,
                head: str = "From: Ana <ana@example.org>\nMessage-ID: <r@x>\nSubject: Re: Alpha\n") -> bytes:
    cte = f"Content-Transfer-Encoding: {encoding}\n" if encoding else ""
    return f"{head}MIME-Version: 1.0\nContent-Type: {content_type}\n{cte}\n".encode() + body


@pytest.mark.parametrize("body, content_type, encoding, text", [
    ("Привет, мир.".encode("koi8-r"), "text/plain; charset=koi8-r", "8bit", "Привет, мир."),
    ("Γειά σας.".encode("iso-8859-7"), "text/plain; charset=ISO-8859-7", "8bit", "Γειά σας."),
    (b"TGluZSBvbmUuDQpMaW5lIHR3by4NCg==", "text/plain; charset=utf-8", "base64", "Line one.\nLine two."),  # CRLF
    (b"T25lLg1Ud28uDQ==", "text/plain; charset=utf-8", "base64", "One.\nTwo."),  # lone CRs, as old Macs wrote
    (b"Plain words.\n", "text/plain", None, "Plain words."),  # no charset: ASCII, else UTF-8
])
def test_the_text_is_read_in_its_declared_charset_with_plain_line_ends(body, content_type, encoding, text):
    assert replies.parse(raw_message(body, content_type, encoding)).new_text == text


def test_html_is_read_as_plain_text_with_its_characters_as_written():
    """Entities become the characters they name (not ASCII look-alikes), a no-break space a space, a table its
    cells' words."""
    body = b"<p>It&rsquo;s fine &mdash; &ldquo;mostly&rdquo;&nbsp;caf&eacute;.</p><table><tr><td>a</td><td>b</td></tr>"
    assert replies.parse(raw_message(body + b"</table>", "text/html; charset=utf-8")).new_text == \
        "It’s fine — “mostly” café.\n\nab"


def test_the_header_of_a_message_too_large_to_read_gives_its_sender_and_subject():
    head = b"From: Ana <Ana@Example.org>\nSubject: Re: Alpha\n\n"
    assert replies.head_key(head) == (f"<sha256:{hashlib.sha256(head).hexdigest()}@roundup>",
                                      "ana@example.org", "Re: Alpha")


@pytest.mark.parametrize("results, reason", [
    ("mx.example.com; dmarc=fail header.from=example.org", "DMARC failed for example.org"),
    ("mx.example.com; dkim=permerror header.d=example.org", "DKIM failed for example.org"),
    ("mx.example.com; dkim=fail header.i=@Example.org.", "DKIM failed for example.org"),
    ("mx.example.com; spf=pass; dmarc=fail", "DMARC failed for example.org"),  # names no domain: theirs
    ("mx.example.com; dkim=temperror header.d=example.org", None),
    ("mx.example.com; dkim=fail header.d=other.example; dmarc=pass header.from=example.org", None),
])
def test_a_receiving_server_that_says_the_senders_domain_failed_sets_the_message_aside(results: str, reason):
    found = replies.parse(raw_message(b"Looks good.\n", head="From: Ana <ana@example.org>\nMessage-ID: <r@x>\n"
                                                             f"Authentication-Results: {results}\n")).set_aside
    assert found == (None if reason is None else
                     f"its receiving server says {reason} (Authentication-Results): the sender may be forged")


def test_a_failure_for_a_message_with_no_sender_names_the_sender():
    found = replies.parse(raw_message(b"Looks good.\n", head="From: nobody\nMessage-ID: <r@x>\n"
                                                             "Authentication-Results: mx; dmarc=fail\n")).set_aside
    assert found == ("its receiving server says DMARC failed for the sender (Authentication-Results): the sender "
                     "may be forged")


# ---- quoting: their new words, and the quoted rest -------------------------------------------------------------

CODE = "ru2" + "a" * 44
"""A code's shape (47 letters), as mail clients wrap it."""


@pytest.mark.parametrize("body, name, new", [
    ("Answer.\r\nMore.\r\n", "", "Answer.\nMore."),
    ("Answer.\n* * *\nMore.", "", "Answer.\n* * *\nMore."),  # a "* * *" of their own is no separator
    ("Answer.\n* * *\nFrom: Ed\nSent: Monday\n\nold", "", "Answer."),  # but it is above a header block
    ("* * *\nFrom: Ed\nSent: Monday\n\nold", "", ""),  # on the first line
    ("Answer.\nmore\n\n* * *\n\nFrom: Ed\nSent: Monday\n\nold", "", "Answer.\nmore"),  # over empty lines
    ("Answer.\n\nFrom: Ed Itor\nSent: Monday\n\nold words", "", "Answer."),  # two lines make a header block
    ("Mine.\nVon: meinen Notizen\neins\nzwei\ndrei\nDatum: später", "", "Mine.\nVon: meinen Notizen\neins\nzwei\n"
     "drei\nDatum: später"),  # the second header line comes within three lines, or it is none
    ("Subject: my notes\nFrom: my memory, mostly.\nThat is all.", "", "Subject: my notes\nFrom: my memory, mostly.\n"
     "That is all."),  # a header line above "From:" does not make it one
    ("إجابتي.\n\n\u200fمن: Maren Holt <maren@example.com>\n\u200fتاريخ الإرسال: الخميس\n\nold", "",
     "إجابتي."),  # direction marks before each header label
    ("> Q?\nA.\n\n-----Original Message-----\nold", "", "A."),  # quoted lines first, then the original
    ("Intro.\nOn Mon, 7 Dec 2026, Ed <ed@x> wrote:\n> old question\nMy inline answer.\n> more", "",
     "Intro.\n\nMy inline answer."),  # an attribution above a quote: their answers between stay
    ("Answer.\n\nOn Mon, Ed wrote:\nold one\nold two\n> old three", "", "Answer."),  # unquoted below: cut
    ("Mine.\n\nOn Mon, Ed <ed@x> wrote: \u200f\n> old", "", "Mine."),  # a direction mark after the colon
    ("Mine.\n\nOn Mon, Ed <ed@x> wrote:\u200f\n> old", "", "Mine."),
    ("Mine.\n\n\u200eOn Mon, 7 Dec 2026, Ed Itor wrote:\n> old", "", "Mine."),  # and before it
    ("Mine.\n\nOn Mon, 7 Dec 2026 at 10:00, Ed Itor\nwrote:\n> old", "", "Mine."),  # wrapped over two lines
    ("Mine.\n\nOn Mon, 7 Dec 2026\nat 10:00,\nEd Itor\nwrote:\n> old", "",  # four lines are no attribution
     "Mine.\n\nOn Mon, 7 Dec 2026\nat 10:00,\nEd Itor\nwrote:"),
    ("Mine.\n\nOn Mon, 7 Dec 2026, Ed Itor\n\nwrote:\n> old", "", "Mine.\n\nOn Mon, 7 Dec 2026, Ed Itor\n\nwrote:"),
    ("My list.\nOn Monday:\n- trust\n- time", "", "My list.\nOn Monday:\n- trust\n- time"),  # no "wrote"
    ("Top.\n____________________\n\nFrom: Ed\nSent: Mon\n\n> Q?\nA.", "", "Top.\n\nA."),  # inline, under a rule
    ("Top.\n____________________\nFrom: Ed\n\n> Q?\nA.", "", "Top.\n\nA."),
    (f"Approval code: {CODE[:20]}\n> {CODE[20:]}", "", f"Approval code: {CODE[:20]}\n> {CODE[20:]}"),  # wrapped
    (f"> old\nApproval code: {CODE[:20]}\n> {CODE[20:]}", "", f"Approval code: {CODE[:20]}\n> {CODE[20:]}"),
    (f"Mine.\n\n> Approval code: {CODE[:20]}\n> {CODE[20:]}", "", "Mine."),  # a code quoted whole is quoted
    ("Hi Sam,\nYes.", "", "Hi Sam,\nYes."),  # a greeting goes only with more than one line below it
    ("Hi Sam,\n\nAna", "Ana Lima", "Ana"),
    ("Answer.\nAna", "Ana Lima", "Answer.\nAna"),  # a name is a signature only after an empty line
    ("Answer.\n\n— Ana", "Ana Lima", "Answer."),
    ("Answer.\n\nXavi", "Xavi Roca", "Answer."),
    ("Answer.\n\nAna Lima", "Ana Lima", "Answer."),
    ("Answer.\n\nLima", "Ana Lima", "Answer.\n\nLima"),  # the family name alone is no signature
    ("Trust\ue000 and\ue001 time.", "", "Trust and time."),  # the characters that mask never survive
    ("Answer.\n\n\ue001__\nsig", "", "Answer."),  # and are taken out before anything reads the lines
    ("> Q?\nA.\n\nVon: Ed\nGesendet: Montag\n\nalt", "", "A."),  # a quoted line first, then a header block
    ("Intro.\nMore.\nAnd more.\nOn Mon, 7 Dec 2026, Ed <ed@x> wrote:\n> old question\nMy inline answer.\n> more", "",
     "Intro.\nMore.\nAnd more.\n\nMy inline answer."),  # however far down the attribution is
    ("Intro.\nOn Mon, 7 Dec 2026, Ed <ed@x> wrote:\nMy answer.\n> old", "", "Intro.\n\nMy answer."),
    ("Answer.\nXxxx", "Xxxx", "Answer.\nXxxx"),  # no empty line above: no signature, whatever the name
    ("On Monday I said hello.\nLater Ed wrote: fine, thanks.", "", "On Monday I said hello.\nLater Ed wrote: fine, "
     "thanks."),  # never glued into one line
    ("Answer.\nThanks\nI will send more tomorrow.", "", "Answer.\nThanks\nI will send more tomorrow."),
    ("Answer.\nThanks\nWill you send it?", "", "Answer.\nThanks\nWill you send it?"),
    ("Answer.\nThanks\nSee you!", "", "Answer.\nThanks\nSee you!"),
    ("Answer.\nBest,\nAna\nEditor\nFoo\nBar", "", "Answer."),  # a sign-off of four short lines
    ("Answer.\nBest,\nAna\nEditor\nFoo\nBar\nBaz", "", "Answer.\nBest,\nAna\nEditor\nFoo\nBar\nBaz"),
    ("Answer.\nBest,\n" + "a" * 60, "", "Answer."),
    ("Answer.\nBest,\n" + "a" * 61, "", "Answer.\nBest,\n" + "a" * 61),
    ("A.\nB.\nBest,\n\nAna\n\nEd\n\nFoo\nBar", "", "A.\nB.\nBest,\n\nAna\n\nEd\n\nFoo\nBar"),  # the last 7 lines
])
def test_the_new_words_are_what_stands_above_the_quoted_original(body: str, name: str, new: str):
    assert replies.split(body, name)[0] == new


@pytest.mark.parametrize("body, split", [
    ("FYI.\n\n---------- Forwarded message ---------\nFrom: x\n\nold",
     ("FYI.", "---------- Forwarded message ---------\nFrom: x\n\nold", True)),
    ("Top.\n\n-----Original Message-----\nFrom: Ed\nSent: Mon\n\n> Q?\n\n> R?",
     ("Top.", "-----Original Message-----\nFrom: Ed\nSent: Mon\n\n> Q?\n\n> R?", False)),
    ("Top.\n\n-----Original Message-----\nFrom: Ed\nSent: Mon\n\n> Q?\nA.\n> R?\nB.",
     ("Top.\n\nA.\n\nB.", "-----Original Message-----\nFrom: Ed\nSent: Mon\n> Q?\n> R?", False)),
])
def test_what_is_cut_and_whether_it_is_a_forward(body: str, split: tuple[str, str, bool]):
    assert replies.split(body, "") == split

def test_html_the_parser_cannot_read_is_set_aside_with_a_key_from_its_bytes():
    raw = b"From: Ana <ana@example.org>\nMessage-ID: <h@x>\nContent-Type: text/html\n\n<p>Hi</p><![bogus x"
    key = f"<sha256:{hashlib.sha256(raw).hexdigest()}@roundup>"
    assert replies.parse(raw) == replies.Reply(key, "", "", "", (), "", "", "malformed MIME: AssertionError", "")
    assert replies.parse("not bytes") == replies.Reply(f"<sha256:{hashlib.sha256(b'').hexdigest()}@roundup>", "", "",
                                                       "", (), "", "", "malformed MIME: AttributeError", "")


def test_a_message_with_no_readable_text_says_why():
    no_boundary = replies.parse(b"From: a@example.org\nContent-Type: multipart/mixed\n\nno boundary")
    assert no_boundary.set_aside == ("malformed MIME: MultipartInvariantViolationDefect, NoBoundaryInMultipartDefect; "
                                     "no text could be read")
    picture = replies.parse(b"From: a@example.org\nContent-Type: image/png\n\nxx")
    assert (picture.set_aside, picture.body) == ("no text in it", "")


def nested(depth: int) -> bytes:
    head = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth))
    return b"From: a@example.org\nMessage-ID: <d@x>\n" + head + b"Content-Type: text/plain\n\nDeep words.\n"


def test_text_is_read_down_to_30_parts_deep_and_no_deeper():
    assert replies.parse(nested(30)).new_text == "Deep words."
    assert replies.parse(nested(31)).set_aside == ("malformed MIME: CloseBoundaryNotFoundDefect, TooDeeplyNested; no "
                                                   "text could be read")


def test_a_forward_marker_makes_a_forward_whatever_the_subject():
    raw = raw_message(b"FYI.\n\n---------- Forwarded message ---------\nFrom: x\n\nold\n")
    assert replies.parse(raw).set_aside == "a forwarded message, not a reply"


@pytest.mark.parametrize("head, sender, name", [
    ('From: "Ana\r\n Lima" <ana@example.org>\r\n', "ana@example.org", "Ana Lima"),  # folded
    ("", "", ""), ("From: a@example.org\nFrom: b@example.org\n", "", ""),
    ("From: " + "N" * 250 + " <a@example.org>, b@example.org\n", "", "N" * 200),  # two mailboxes: no sender
])
def test_the_sender_is_one_mailbox_and_its_name(head: str, sender: str, name: str):
    reply = replies.parse(raw_message(b"Hi.\n", head=head + "Message-ID: <m@x>\n"))
    assert (reply.sender, reply.sender_name) == (sender, name)


@pytest.mark.parametrize("length", [1, 998, 999])
def test_a_message_id_is_kept_as_written_up_to_998_characters(length: int):
    value = "m" * length
    raw = raw_message(b"Hi.\n", head=f"From: a@example.org\nMessage-ID: {value}\n")
    assert (replies.parse(raw).key == value) is (length <= 998)


@pytest.mark.parametrize("head, reason", [
    ("From: Mail Delivery Subsystem <bounces@example.org>\n", "a delivery failure report (bounce)"),
    ("From: a@example.org\nContent-Type: multipart/mixed; report-type=delivery-status; boundary=x\n", None),
    ("From: a@example.org\nAuto-Submitted: auto-replied; " + "x" * 80 + "\n",
     "an automatic reply (Auto-Submitted: auto-replied; " + "x" * 46 + ")"),  # 60 characters of it
    ("From: a@example.org\nAuto-Submitted: no\nAuto-Submitted: auto-replied\n", None),  # the first one says
    ("From: a@example.org\nSubject: Automatic reply: " + "s" * 80 + "\n",
     "an out-of-office reply (subject: Automatic reply: " + "s" * 43 + ")"),
])
def test_mail_a_machine_sent_is_set_aside_with_its_evidence(head: str, reason: str | None):
    raw = f"{head}Message-ID: <a@x>\nMIME-Version: 1.0\n".encode()
    raw += (b"\n--x\nContent-Type: text/plain\n\nMy words.\n--x--\n" if "boundary=x" in head else
            b"Content-Type: text/plain\n\nMy words.\n")
    assert replies.parse(raw).set_aside == reason


@pytest.mark.parametrize("charset, body, text", [
    (label, b"\x93Hi\x94 \x80", "“Hi” €") for label in ("iso-8859-1", "latin-1", "latin1")] + [
    ("iso-8859-1", b"caf\xc3\xa9", "cafÃ©"),  # the declared charset is believed, even of UTF-8 bytes
    ("ascii", "Grüße".encode(), "Grüße"), ("utf8", b"caf\xe9", "café"),  # not UTF-8 after all: windows-1252
    ("shift_jis", "はい".encode("shift_jis") + b"\xff", "はい\ufffd"),  # a byte the charset has not: replaced
])
def test_each_charset_label_reads_as_mail_programs_read_it(charset: str, body: bytes, text: str):
    assert replies.parse(raw_message(body + b"\n", f"text/plain; charset={charset}", "8bit")).new_text == text


# ---- live: published.yml, the version that stays online ----------------------------------------------------------

LIVE_INTRO = "The editor's introduction,\nover two lines.\n\n<!-- voices -->\n\nThe closing words.\n"


@pytest.fixture(scope="module")
def live_world(tmp_path_factory) -> Path:
    """`tools` (intro, closing, summary, tags; zoe with a prompt, links and a remote picture; ana plain), `plain`
    (no text of the editor's) and `filler` (title and intro "XXXX"), each approved by all its voices, so each has
    its published.yml."""
    s = Site(tmp_path_factory.mktemp("live") / "site")
    s.config()
    s.contributor("zoe", "Zoe Quill", email=ZOE, handle="@zoe", url="https://zoe.example/", bio="Writes *slowly*.",
                  links={"Blog": "https://blog.example/", "Site": "https://site.example/"},
                  avatar="https://img.example/zoe.png")
    s.contributor("ana", "Ana Lima", email=ANA)
    s.add_post("tools", {"zoe": "Zoe's words.\n", "ana": "Ana's words.\n"}, title="Tools", summary="Two voices.",
               tags=["tools", "craft"], body=LIVE_INTRO)
    s.quote("tools", "zoe", "Zoe's words.\n", prompt="What lasts?")
    s.add_post("plain", {"ana": "Plain words.\n"}, title="Plain", body="")
    s.add_post("filler", {"ana": "Filler words.\n"}, title="XXXX", body="XXXX\n")
    site = read_site(s.root)
    for slug, people in (("tools", ("zoe", "ana")), ("plain", ("ana",)), ("filler", ("ana",))):
        for cid in people:
            consent.answer(site, site.post(slug), cid, "approved")
    return s.root


@pytest.fixture
def live_root(live_world: Path, tmp_path: Path) -> Path:
    shutil.copytree(live_world, tmp_path / "site", symlinks=True)
    return tmp_path / "site"


def read_live(root: Path, edit=None, slug: str = "tools") -> tuple[object, list[str]]:
    """What live.read gives, and the problems it reports, after `edit` (text -> text) of published.yml."""
    post = read_site(root).post(slug)  # read before the edit: a damaged published.yml stops read_site
    if edit is not None:
        path = root / post.folder / live.NAME
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    problems = Problems()
    shown = live.read(root, post, problems)
    return shown, [str(p) for p in problems.items]


def test_the_live_version_reads_back_exactly_as_it_was_approved(live_root: Path):
    site = read_site(live_root)
    digests = {v.contributor_id: v.digest for v in assess_post(site, site.post("tools")).voices}
    zoe, ana = site.contributors["zoe"].profile, site.contributors["ana"].profile
    path = "posts/tools/published.yml"
    Site(live_root).post("tools", title="Tools", date=dt.date(2026, 4, 1), summary="Two voices.",
                         tags=["tools", "craft"], body=LIVE_INTRO, voices=["zoe", "ana"])  # moved: not approved
    shown, problems = read_live(live_root)
    assert problems == []
    assert shown == Live(
        Post("tools", "Tools", dt.date(2026, 3, 1), "Two voices.", ("tools", "craft"), "ready", None,
             "The editor's introduction,\nover two lines.", "The closing words.",
             (Quote("zoe", "What lasts?", "Zoe's words.", None, path), Quote("ana", None, "Ana's words.", None, path)),
             path),
        (LiveVoice("zoe", digests["zoe"], dataclasses.replace(zoe, avatar=None),
                   (zoe.avatar.source, zoe.avatar.sha256)),
         LiveVoice("ana", digests["ana"], ana, None)),
        dt.datetime.now(dt.timezone.utc).date(), path)


def test_a_live_version_with_no_text_of_the_editors_needs_no_intro_or_closing(live_root: Path):
    shown, problems = read_live(live_root, lambda text: text.replace("intro: ''\n", "").replace("outro: ''\n", ""),
                                "plain")
    assert problems == [] and (shown.post.intro, shown.post.outro) == ("", "")


def edited(text: str, case: str) -> str:
    """published.yml of `tools`, edited by hand as `case` says."""
    voices = text.index("voices:")
    return {
        "broken-yaml": text + "voices: [\n",
        "no-title": text.replace("title: Tools\n", ""),
        "no-date": re.sub(r"\ndate: \S+\n", "\n", text),
        "no-approved-on": re.sub(r"approved_on: \S+\n", "", text),
        "intro-a-list": text.replace("intro: |-\n  The editor's introduction,\n  over two lines.\n",
                                     "intro:\n- a list\n"),
        "no-voices": text[:voices] + "voices: []\n",
        "voices-a-number": text[:voices] + "voices: 3\n",
        "voice-as-text": text[:voices] + "voices:\n- just text\n",
        "voice-without-id": text.replace("- id: zoe\n  digest:", "- digest:"),
        "voice-without-digest": re.sub(r"(- id: zoe\n)  digest: \S+\n", r"\1", text),
        "quote-as-text": text.replace("  quote:\n    prompt: What lasts?\n    body: Zoe's words.\n",
                                      "  quote: Zoe's words.\n"),
        "no-profile": text[:text.rindex("  profile:")],
        "voice-as-text-then-one-without-id": text[:voices] + "voices:\n- just text\n- digest: x\n",
    }[case]


P = "posts/tools/published.yml"
HAND = "the voice of {} is not what they approved (it was edited by hand); " + live.FIX


@pytest.mark.parametrize("case, problems", [
    ("broken-yaml", [f"{P}:46: invalid YAML: while parsing a flow node did not find expected node content"]),
    ("no-title", [f"{P}:3: `title` is required", f"{P}:14: " + HAND.format("zoe"), f"{P}:31: " + HAND.format("ana")]),
    ("no-date", [f"{P}:3: `date` is required (YYYY-MM-DD)"]),
    ("no-approved-on", [f"{P}:3: `approved_on` is required (YYYY-MM-DD)"]),
    ("intro-a-list", [f"{P}:10: `intro` must be text, not a list; {live.FIX}", f"{P}:14: " + HAND.format("zoe"),
                      f"{P}:31: " + HAND.format("ana")]),
    ("no-voices", [f"{P}:14: `voices` must list the voices of the live version; {live.FIX}"]),
    ("voices-a-number", [f"{P}:14: `voices` must list the voices of the live version; {live.FIX}"]),
    ("voice-as-text", [f"{P}:14: `voices` must hold one mapping per voice; {live.FIX}"]),
    ("voice-without-id", [f"{P}:15: `id` is required", f"{P}:15: a voice needs id, digest, quote and profile; "
                          + live.FIX]),
    ("voice-without-digest", [f"{P}:15: `digest` is required", f"{P}:15: a voice needs id, digest, quote and "
                              "profile; " + live.FIX]),
    ("quote-as-text", [f"{P}:15: a voice needs id, digest, quote and profile; {live.FIX}"]),
    ("no-profile", [f"{P}:32: a voice needs id, digest, quote and profile; {live.FIX}"]),
    ("voice-as-text-then-one-without-id", [f"{P}:14: `voices` must hold one mapping per voice; {live.FIX}",
                                           f"{P}:16: `id` is required",
                                           f"{P}:16: a voice needs id, digest, quote and profile; {live.FIX}"]),
])
def test_a_damaged_live_version_is_reported_at_its_line_and_never_shown(live_root: Path, case: str, problems):
    assert read_live(live_root, lambda text: edited(text, case)) == (None, problems)


@pytest.mark.parametrize("edit, problem, voice_line", [
    (lambda text: text.replace("title: XXXX\n", ""), "`title` is required", 10),
    (lambda text: text.replace("intro: XXXX\n", "intro: []\n"), f"`intro` must be text, not a list; {live.FIX}", 11),
], ids=["no-title", "intro-a-list"])
def test_what_stands_in_for_a_missing_title_or_text_is_empty_never_any_words(live_root: Path, edit, problem: str,
                                                                            voice_line: int):
    """A post titled and introduced "XXXX" (the filler text of the mutation run): with the title or the text
    gone from published.yml, the voice is checked against an empty one, and so reported as edited by hand."""
    where = "posts/filler/published.yml"
    line = 3 if problem.startswith("`title`") else 8
    assert read_live(live_root, edit, "filler") == (None, [f"{where}:{line}: {problem}", f"{where}:{voice_line}: the "
                                                           f"voice of ana is not what they approved (it was edited by "
                                                           f"hand); {live.FIX}"])


def test_a_profile_copy_roundup_never_wrote_is_refused_even_with_a_matching_digest(live_root: Path):
    """A forger who also recomputes the digest: a profile copy without a name is still no approved profile."""
    snapshot = post_snapshot(read_site(live_root).post("tools"))

    def forge(text: str) -> str:
        data = yaml.safe_load(text)
        zoe = data["voices"][0]
        del zoe["profile"]["name"]
        zoe["digest"] = digest_of({"quote": zoe["quote"], "profile": zoe["profile"], "post": snapshot})
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    assert read_live(live_root, forge) == (None, [f"{P}:13: " + HAND.format("zoe")])


def test_a_new_version_everyone_approved_replaces_the_live_one_in_readable_blocks(live_root: Path):
    Site(live_root).quote("tools", "ana", "Ana's new words.\n")
    site = read_site(live_root)
    status = consent.answer(site, site.post("tools"), "ana", "approved")
    assert status.live is not None and status.live.post.quotes[1].body == "Ana's words."  # the one it replaced
    text = (live_root / P).read_text(encoding="utf-8")
    assert text.startswith(live.HEADER) and "body: Ana's new words.\n" in text
    assert "intro: |-\n  The editor's introduction,\n  over two lines.\n" in text
    assert read_live(live_root)[0].post.quotes[1].body == "Ana's new words."


def a_voice(avatar: tuple[str, str] | None) -> LiveVoice:
    return LiveVoice("zoe", "sha256:" + "0" * 64, Profile("Zoe", "@zoe", None, (), None, "Bio."), avatar)


def a_person(avatar: Avatar | None) -> Contributor:
    return Contributor("zoe", Profile("Zoe Now", None, None, (), avatar, "New bio."), ZOE, "contributors/zoe.yml")


def test_the_live_profile_shows_a_picture_only_while_it_is_the_approved_one():
    here = Avatar("avatars/zoe.png", Path("/site/contributors/avatars/zoe.png"), "a" * 64)
    remote = Avatar("https://img.example/zoe.png", None, "b" * 64)
    approved = Profile("Zoe", "@zoe", None, (), None, "Bio.")

    def shown(avatar, person):
        return live.profile_now(a_voice(avatar), person)
    assert shown(None, a_person(here)) == approved  # no picture was approved
    assert shown((here.source, here.sha256), a_person(here)) == dataclasses.replace(approved, avatar=here)
    assert shown((here.source, "c" * 64), a_person(here)) == approved  # the file changed: initials instead
    assert shown((here.source, here.sha256), None) == approved  # no profile now, and a local file
    assert shown((remote.source, remote.sha256), a_person(None)) == dataclasses.replace(approved, avatar=remote)
    assert shown((remote.source, remote.sha256), None) == dataclasses.replace(approved, avatar=remote)
    assert shown((remote.source, remote.sha256), a_person(here)) == dataclasses.replace(approved, avatar=remote)


# ---- the consent core's newer parts: the lost secret, records of messages and comments, held posts --------------

def two_posts(tmp_path: Path) -> Site:
    s = Site(tmp_path / "site")
    s.config()
    s.contributor("zoe", "Zoe Quill", email=ZOE)
    s.contributor("kim", "Kim Sato", email=KIM)
    s.add_post("alpha", ["zoe"])
    s.add_post("beta", ["kim"])
    return s


def test_a_lost_secret_is_an_error_naming_the_last_message_that_carried_codes(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("ROUNDUP_SECRET", raising=False)
    s = two_posts(tmp_path)
    s.write("posts/alpha/approvals.yml", b"# caf\xe9 (a byte that is no UTF-8, typed by hand)\nzoe:\n"
            b"  previewed_at: '2026-11-02T10:00:00Z'\n  invited_at: 2026-11-05T10:00:00Z\n")
    s.write("posts/beta/approvals.yml", 'kim:\n  reminded_at: "2026-11-09T10:00:00Z"\n')
    for create in (False, True):
        with pytest.raises(RoundupError) as error:
            tokens.secret_for(s.root, create=create)
        assert error.value.lines() == [
            ".roundup/secret: is missing, but messages carrying codes signed with it were written (previews, "
            "invitations or reminders; the last on 2026-11-09, in posts/beta/approvals.yml): those codes work only "
            "with it. Restore .roundup/secret from a backup, or set ROUNDUP_SECRET to it; to start over with a new "
            "secret (every code sent so far stops working), run `mkdir -p .roundup && touch .roundup/secret` and run "
            "this command again"]
    assert not (s.root / ".roundup").exists()
    s.write(".roundup/secret", "")  # the editor chose to start over
    secret = tokens.secret_for(s.root, create=False)
    assert secret is None
    secret = tokens.secret_for(s.root)
    assert re.fullmatch(rb"[0-9a-f]{64}", secret) and (s.root / ".roundup/secret").read_bytes().strip() == secret
    assert stat.S_IMODE((s.root / ".roundup/secret").stat().st_mode) == 0o600


def test_a_site_that_never_sent_a_code_gets_a_secret_only_when_one_is_made(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("ROUNDUP_SECRET", raising=False)
    s = two_posts(tmp_path)
    s.write("posts/alpha/approvals.yml", "zoe:\n  commented_at: '2026-11-02T10:00:00Z'\n  comment: Fine.\n")
    assert tokens.secret_for(s.root, create=False) is None and not (s.root / ".roundup").exists()
    assert len(tokens.secret_for(s.root)) == 64


def test_each_part_of_an_entry_is_read_and_a_bad_one_reported_at_its_line(tmp_path: Path):
    s = two_posts(tmp_path)
    s.add_post("gamma", ["zoe", "kim"])
    gamma = read_site(s.root).post("gamma")  # read first: a broken approvals.yml stops read_site

    def read(text: str) -> tuple[dict, list[str]]:
        s.write("posts/gamma/approvals.yml", text)
        problems = Problems()
        return approvals.read_records(s.root, gamma, problems), [str(p) for p in problems.items]
    records, problems = read(
        "zoe:\n  previewed_at: '2026-11-02T10:00:00Z'\n  commented_at: '2026-11-03T11:00:00Z'\n  comment: Please fix "
        "the name.\n  mail:\n  - <1.previewed@x>\n  - <2.reminded@x>\n  unsent:\n  - <2.reminded@x>\n"
        "kim:\n  declined_at: '2026-11-04T10:00:00Z'\n  reason: No.\n")
    assert problems == ["posts/gamma/approvals.yml:11: `digest` is required"]  # a decline names what it declined
    zoe = records["zoe"]
    assert (zoe.comment, zoe.commented_at, zoe.mail, zoe.unsent) == (
        "Please fix the name.", dt.datetime(2026, 11, 3, 11, 0, tzinfo=dt.timezone.utc),
        ("<1.previewed@x>", "<2.reminded@x>"), ("<2.reminded@x>",))
    assert read("zoe:\n  commented_at: yesterday\n") == (
        {}, ["posts/gamma/approvals.yml:2: `commented_at` must be a timestamp like 2026-03-01T09:30:00Z"])


def test_recording_an_answer_gives_the_digest_it_recorded(tmp_path: Path):
    s = two_posts(tmp_path)
    s.quote("beta", "zoe", "")
    s.post("beta", voices=["kim", "zoe"])
    site = read_site(s.root)
    beta = site.post("beta")
    kim = next(v.digest for v in assess_post(site, beta).voices if v.contributor_id == "kim")
    assert approvals.record(site, beta, "kim", "approved") == kim
    assert approvals.record(site, beta, "zoe", "out") is None  # not taking part, with no words to approve


def unsent_of(root: Path) -> dict:
    entry_ = yaml.safe_load((root / "posts/alpha/approvals.yml").read_text(encoding="utf-8"))["zoe"]
    return {key: entry_[key] for key in ("mail", "unsent") if key in entry_}


def test_messages_written_and_not_sent_are_kept_until_sent_or_written_again(tmp_path: Path):
    s = two_posts(tmp_path)
    site = read_site(s.root)
    alpha = site.post("alpha")

    def event(name: str, message_id: str | None = None, **more) -> dict:
        approvals.record_event(site, alpha, "zoe", name, message_id, **more)
        return unsent_of(s.root)
    assert event("invited", "<1.invited@x>", unsent=True) == {"mail": ["<1.invited@x>"], "unsent": ["<1.invited@x>"]}
    assert event("reminded", "<2.reminded@x>", unsent=True)["unsent"] == ["<1.invited@x>", "<2.reminded@x>"]
    assert event("invited", "<3.invited@x>", unsent=True)["unsent"] == ["<2.reminded@x>", "<3.invited@x>"]
    assert event("invited", sent=("<3.invited@x>",))["unsent"] == ["<2.reminded@x>"]  # delivered
    assert event("reminded", "<4.reminded@x>") == {"mail": ["<1.invited@x>", "<2.reminded@x>", "<3.invited@x>",
                                                            "<4.reminded@x>"]}  # a new reminder, sent
    s.write("posts/alpha/approvals.yml", "zoe:\n  unsent:\n  - 7\n  - <5.previewed@x>\n")
    assert event("answered") == {"unsent": ["<5.previewed@x>"]}  # what is not a Message-ID goes


# ---- gate: why a post is held, and who left ----------------------------------------------------------------------

def test_why_a_post_is_held_back_apart_from_its_voices():
    past, today = dt.date(2020, 1, 1), dt.date.today()
    assert post_reasons(True, False, past, True) == ("the post's status is draft", "the post has no voices yet",
                                                     "the deadline 2020-01-01 has passed")
    assert post_reasons(False, True, today, True) == post_reasons(False, True, past, False) == \
        post_reasons(False, True, None, True) == ()
    assert held_reasons(False, True, past, True) == ("the deadline {date} has passed",)


def test_a_held_post_is_kept_small_with_what_its_summary_says(tmp_path: Path):
    s = two_posts(tmp_path)
    s.contributor("ana", "Ana Lima", email=ANA)
    s.add_post("tools", ["zoe", "ana"], deadline=dt.date(2030, 1, 1))
    site = read_site(s.root)
    for cid in ("zoe", "ana"):
        consent.answer(site, site.post("tools"), cid, "approved")
    s.quote("tools", "zoe", "Edited.\n")
    site = read_site(s.root)
    status = assess_post(site, site.post("tools"))
    day = dt.datetime.now(dt.timezone.utc).date().isoformat()
    why = f"quote edited since approval on {day}"
    assert Held.of(status) == Held("tools", "posts/tools/post.md", Inclusion.LIVE, False, 2, dt.date(2030, 1, 1),
                                   (("zoe", "stale", why),), None,
                                   f"the version approved on {day} stays online; the new version is waiting for zoe "
                                   f"({why})")
    s.quote("beta", "zoe", "")
    s.post("beta", status="draft", voices=["kim", "zoe"])
    site = read_site(s.root)
    approvals.record(site, site.post("beta"), "zoe", "out")
    status = assess_post(site, site.post("beta"))
    assert status.voices[1].digest == ""  # no words: nothing to name
    held = Held.of(status)
    out = f"not taking part since {day}; take them out of `voices` in post.md to publish without them"
    assert held == Held("beta", "posts/beta/post.md", Inclusion.DRAFT, True, 2, None,
                        (("kim", "pending", "never previewed"), ("zoe", "not taking part", out)), None, None)


def test_a_voice_that_leaves_a_live_post_by_the_editors_command_takes_it_down(tmp_path: Path):
    s = two_posts(tmp_path)
    s.contributor("ana", "Ana Lima", email=ANA)
    s.add_post("tools", ["zoe", "ana"])
    site = read_site(s.root)
    for cid in ("zoe", "ana"):
        consent.answer(site, site.post("tools"), cid, "approved")
    day = dt.datetime.now(dt.timezone.utc).date().isoformat()
    approvals.record(site, site.post("tools"), "ana", "declined", reason="No.")
    status = assess_post(site, site.post("tools"))
    assert (status.inclusion, status.down) == (Inclusion.WITHHELD, f"ana declined on {day}, withdrawing their approval")
    assert Held.of(status).down == status.down and Held.of(status).live_summary is None
    approvals.record(site, site.post("tools"), "ana", "out", reason="Busy.")
    status = assess_post(site, site.post("tools"))
    assert (status.inclusion, status.down) == (Inclusion.WITHHELD, f"ana left on {day}, withdrawing their approval")
    ana = status.voices[1]
    assert (ana.name, ana.state, ana.reason) == (
        "Ana Lima", VoiceState.OUT, f"not taking part since {day}: Busy.; take them out of `voices` in post.md to "
                                    "publish without them")
    assert ana.digest == ana.record.digest and ana.digest.startswith("sha256:")  # the words they have
    approvals.record(site, site.post("tools"), "ana", "out", via="mail")
    assert assess_post(site, site.post("tools")).inclusion is Inclusion.LIVE  # mail never takes it down
