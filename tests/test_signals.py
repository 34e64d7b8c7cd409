"""Consent only from clear signals, in-process: codes of three kinds, roundup's own words taken out of a reply,
and a property: no message approves unless the contributor's own approval code stands in their own words."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mailclients as mc
from conftest import Site
from roundup import replies, signals, tokens, triage
from roundup.cache import read_site
from roundup.quoting import split
from roundup.sentmail import Own

SOON = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=10)
NOW = dt.datetime.now(dt.timezone.utc)
ZOE = ("zoe@example.net", "Zoe Quill")
SECRET = b"s" * 32
EXPIRES = dt.datetime.combine(SOON, dt.time(23, 59, 59), dt.timezone.utc)


def make(kind: tokens.Kind, cid: str = "zoe", slug: str = "alpha") -> str:
    return tokens.make(SECRET, tokens.Claims(cid, slug, "ab" * 8, EXPIRES, kind))


# ---- codes ----------------------------------------------------------------------------------------------------

def test_each_kind_of_code_is_signed_apart_so_one_never_passes_for_another():
    voices = [("zoe", "alpha")]
    for kind in tokens.Kind:
        code = make(kind)
        assert code.startswith(kind.value) and tokens.verify(SECRET, code, NOW, voices).kind is kind
        for other in tokens.Kind:
            if other is not kind:  # the same letters under another kind's name are forged
                with pytest.raises(Exception, match="not valid"):
                    tokens.verify(SECRET, other.value + code[3:], NOW, voices)


def test_a_code_inside_a_link_is_never_found_and_one_standing_as_a_word_always_is():
    code = make(tokens.Kind.APPROVE)
    assert tokens.find(f"Approval code: {code}") == [code]
    assert tokens.find(f"(> {code[:20]}\n> {code[20:]})") == [code]
    for glued in (f"mailto:ed@example.com?subject=Approve%20{code}", f"body={code}", f"x/{code}", f"a.{code}",
                  f"https://example.com/?c={code}&x=1"):
        assert tokens.find(glued) == [], glued


def test_finding_codes_in_a_large_message_finds_every_one_once():
    many = [make(tokens.Kind.APPROVE, f"c{i}") for i in range(3000)]
    text = "\n".join(f"code {c} and {c}" for c in many)
    assert tokens.find(text) == many


# ---- roundup's own words ---------------------------------------------------------------------------------------

SENT = ("Dear Zoe Quill,\n\nI'm putting together “Alpha Roundup” for Test Roundups.\n\nThe question:\n\n"
        "> What keeps a partnership alive?\n\nWould you answer it? Just reply to this e-mail with your answer, a "
        "paragraph or two, in your own words.\n\nNote between us: your talk in Lisbon is why I am asking.\n\n"
        "Thank you,\nEd Itor\n")


@pytest.mark.parametrize("head", [
    "От: Ed Itor <ed@example.com>\nОтправлено: 7 декабря 2026 г. 10:00\nКому: Zoe Quill\nТема: Re: Alpha",
    "보낸 사람: Ed Itor <ed@example.com>\n보낸 날짜: 2026년 12월 7일\n받는 사람: Zoe Quill\n제목: Alpha",
    "Από: Ed Itor <ed@example.com>\nΣτάλθηκε: Δευτέρα, 7 Δεκεμβρίου 2026\nΠρος: Zoe Quill\nΘέμα: Alpha",
    "Le lun. 7 déc. 2026 à 10:00, Ed Itor <ed@example.com> a écrit :",
    ""])
def test_the_original_under_any_header_block_is_taken_out_and_their_words_stay(head: str):
    rewrapped = re.sub(r"(.{50}) ", "\\1\n", SENT.replace("> ", ""))  # a client that re-wraps and drops the quote
    reply = f"Trust, and showing up.\nEvery week.\n\n{'_' * 32}\n{head}\n\n{rewrapped}"
    assert Own([SENT]).strip(reply).strip() == "Trust, and showing up.\nEvery week."


def test_inline_answers_between_quoted_lines_are_kept():
    reply = "Would you answer it? Just reply to this e-mail with your answer, a paragraph or two,\n" \
            "Yes: trust.\n> in your own words.\n"
    assert Own([SENT]).strip(reply).strip() == "Yes: trust.\n> in your own words."  # split() takes the "> " line
    assert split(Own([SENT]).strip(reply))[0] == "Yes: trust."


@pytest.mark.parametrize("text,yes,withdraw,refuse", [
    ("Looks great, thank you so much!", True, False, False),
    ("C'est parfait, merci !", True, False, False),
    ("Please change the second sentence. Do not publish as is.", False, True, False),
    ("I withdraw, do NOT publish", False, True, False),
    ("Je ne pourrai finalement pas participer.", False, False, True),
    ("Trust is what partnerships can't live without.", False, False, False),
    ("Please **do not** publish it.", False, True, False),  # bold in an HTML reply, or asterisks in a plain one
    ("do _not_ publish", False, True, False),
    ("I *can't* take part after all.", False, False, True),
    ("**Looks great**, thank you!", True, False, False),
])
def test_what_words_read_like_is_told_for_the_line_only(text: str, yes: bool, withdraw: bool, refuse: bool):
    assert (signals.reads_as_yes(text), signals.reads_as_withdrawal(text), signals.reads_as_refusal(text)) == \
        (yes, withdraw, refuse)


def test_authentication_results_that_fail_for_the_senders_domain_set_the_message_aside():
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "Zoe <zoe@example.net>", "Re: hi"
    msg["Authentication-Results"] = "mx.example.com; dkim=pass header.d=other.example; dmarc=fail header.from=example.net"
    msg.set_content("Looks good.")
    assert "DMARC failed for example.net" in replies.parse(bytes(msg)).set_aside
    msg.replace_header("Authentication-Results", "mx.example.com; dkim=fail header.d=other.example; dmarc=pass")
    assert replies.parse(bytes(msg)).set_aside is None  # another domain's signature failing says nothing of theirs


# ---- the property ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def previewed(tmp_path_factory) -> tuple[Site, bytes, str]:
    """A site whose voice zoe was sent a preview: (site, the preview as sent, zoe's approval code)."""
    site = Site(tmp_path_factory.mktemp("signals") / "site")
    site.config()
    site.contributor("zoe", ZOE[1], email=ZOE[0])
    site.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe"], prompt="What keeps a partnership alive?")
    site.quote("alpha", "zoe", "Showing up.\n")
    site.ok("preview", "zoe")
    raw = (site.root / "_previews/zoe/alpha.eml").read_bytes()
    code = re.search(r"ru2[a-z2-7]{44}", re.sub(r"=\r?\n", "", raw.decode("ascii", "replace"))).group(0)
    return site, raw, code


def classify(site: Site, raw: bytes) -> triage.Outcome:
    loaded = read_site(site.root)
    return triage.classify(loaded, triage.Index(loaded, tokens.secret_for(site.root, create=False)),
                           replies.parse(raw), NOW)


STYLES = {"outlook-ru": lambda raw, words: mc.outlook(raw, *ZOE, words, lang="ru"),
          "outlook-ko": lambda raw, words: mc.outlook(raw, *ZOE, words, lang="ko"),
          "apple": lambda raw, words: mc.apple_mail(raw, *ZOE, words),
          "gmail": lambda raw, words: mc.gmail(raw, *ZOE, words),
          "inline": lambda raw, words: mc.inline_paste(raw, *ZOE, words),
          "flowed": lambda raw, words: mc.flowed(raw, *ZOE, words),
          "unthreaded": lambda raw, words: mc.new_message(*ZOE, "ed@example.com", "Alpha Roundup", words)}
WORDS = st.lists(st.sampled_from(list("abc xyz ru2 >:\n.%=?/") + ["approve", "yes", "Approval code: ", "ok "]),
                 max_size=40).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(style=st.sampled_from(sorted(STYLES)), words=WORDS,
       glue=st.sampled_from(["", "%20", "=", "subject=Approve%3A%20", "/", "x"]), with_code=st.booleans())
def test_no_message_approves_unless_their_own_code_stands_in_their_own_words(previewed, style, words, glue, with_code):
    """Any reply, quoting the preview any way, with any words of theirs, and the code only glued into a link (or
    not at all): never an approval. The one way in is the code standing as their own word."""
    site, raw, code = previewed
    text = words + (f" {glue}{code}" if with_code and glue else "")
    outcome = classify(site, STYLES[style](raw, text))
    own = with_code and not glue and style != "unthreaded"
    assert outcome.kind is not triage.Kind.APPROVAL or own, (style, text, outcome)


def test_the_property_can_fail_their_own_code_in_their_own_words_approves(previewed):
    site, raw, code = previewed
    for style in ("outlook-ru", "apple", "gmail", "inline"):
        assert classify(site, STYLES[style](raw, f"Fine by me.\nApproval code: {code}")).kind is triage.Kind.APPROVAL


def test_copies_and_subjects_carried_by_re_never_approve(previewed):
    site, raw, code = previewed
    assert classify(site, mc.bcc_copy(raw, "ed@example.com")).kind is triage.Kind.ASIDE
    assert classify(site, mc.all_mail_copy(raw)).kind is triage.Kind.ASIDE
    follow_up = mc.new_message(*ZOE, "ed@example.com", f"Re: Re: Approve: Alpha Roundup {code}", "I withdraw, do NOT "
                               "publish")
    outcome = classify(site, follow_up)
    assert outcome.kind is triage.Kind.ASIDE and outcome.why.startswith(triage.LOUD)
    thanks = mc.new_message(*ZOE, "ed@example.com", f"Re: Re: Approve: Alpha Roundup {code}", "Thanks again!")
    assert classify(site, thanks).kind is triage.Kind.ASIDE  # the code came back with "Re:", not from them
    as_editor = mc.new_message("ed@example.com", "Ed Itor", "ed@example.com", f"Approve: Alpha Roundup {code}", code)
    outcome = classify(site, as_editor)
    assert outcome.kind is triage.Kind.ASIDE and "from your own address (ed@example.com)" in outcome.why


def test_a_code_in_text_roundup_wrote_never_counts_even_standing_as_a_word(previewed):
    """An older roundup wrote the code as a plain word ("roundup approve --token …"): pasted back inline, with
    no quote marks at all, it is still roundup's text, not theirs."""
    site, raw, code = previewed
    older = EmailMessage()
    older["From"], older["To"], older["Subject"] = "Ed Itor <ed@example.com>", ZOE[0], "Please review your words"
    older["Message-ID"] = make_msgid(domain="example.com")
    older.set_content(f"Dear Zoe Quill,\n\nWhen you are happy with it, send me this line as it is:\n\n"
                      f"roundup approve --token {code}\n\nThank you,\nEd Itor\n")
    path = site.root / "_previews/zoe/alpha-older.eml"
    path.write_bytes(bytes(older))
    try:
        pasted = mc.inline_paste(raw, *ZOE, "Please change the second sentence.\n\n" + older.get_content())
        assert classify(site, pasted).kind is not triage.Kind.APPROVAL
    finally:
        path.unlink()


def test_an_old_code_for_a_voice_no_longer_in_the_post_gets_a_clear_line(previewed, tmp_path: Path):
    site, raw, code = previewed
    secret = tokens.secret_for(site.root, create=False)
    old = tokens.V1 + "x"  # the v1 form names its voice outright: one for a voice never in alpha
    import base64
    import hashlib
    import hmac
    import json
    body = base64.urlsafe_b64encode(json.dumps({"c": "gone", "s": "alpha", "d": "sha256:" + "0" * 64,
                                                "e": int(EXPIRES.timestamp())}).encode()).rstrip(b"=").decode()
    mac = hmac.new(secret, f"ru1.{body}".encode(), hashlib.sha256).digest()
    old = f"ru1.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ZOE[0], "ed@example.com", "approval"
    msg["Message-ID"] = make_msgid(domain="example.net")
    msg.set_content(f"Approved: {old}")
    outcome = classify(site, bytes(msg))
    assert outcome.kind is triage.Kind.ASIDE and "gone is no longer a voice in alpha" in outcome.why
