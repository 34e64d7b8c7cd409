"""replies.parse on the corpus of real client shapes (exact new text, set-aside reason, sender, key, thread),
and on hostile bytes: it never raises, header injection is neutralised, keys are stable."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import random
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "mail"))

import corpus  # noqa: E402
from corpus import CASES, Case, fill, render  # noqa: E402

from roundup import replies  # noqa: E402

OTHER = {"editor": "ed@site.example", "sender": "zoe.q@example.net", "name": "Zoe Quill",
         "msgid": "<roundup.99.zoe@site.example>", "token": "ru2" + "7" * 20 + "zyxwvutsrqponmlkjihgfedcba"[:24],
         "title": "A quite different title"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file.removesuffix(".eml"))
@pytest.mark.parametrize("given_values", [{}, OTHER], ids=["defaults", "other-values"])
def test_corpus_case_parses_exactly(case: Case, given_values: dict[str, str]):
    reply = replies.parse(render(case, **given_values))
    assert reply.new_text == fill(case.new_text, **given_values)
    assert reply.sender == fill(case.sender, **given_values)
    assert reply.key == case.key
    assert reply.thread == tuple(fill(t, **given_values) for t in case.thread)
    if case.set_aside is None:
        assert reply.set_aside is None
    else:
        assert reply.set_aside is not None and case.set_aside in reply.set_aside


@pytest.mark.parametrize("case", [c for c in CASES if c.quoted_has_token], ids=lambda c: c.file)
def test_a_quoted_token_stays_in_the_quoted_text(case: Case):
    reply = replies.parse(render(case))
    token = corpus.DEFAULTS["token"]
    flat = "".join(line.lstrip("> ") for line in reply.quoted_text.splitlines())
    assert token in flat
    if case.outcome != corpus.APPROVAL:
        assert token not in "".join(reply.new_text.split())


def test_the_corpus_covers_every_client_shape_and_outcome():
    shapes = " ".join(c.shape for c in CASES).lower()
    for client in ("gmail", "outlook", "apple mail", "thunderbird"):
        of_client = " ".join(c.shape.lower() for c in CASES if c.shape.lower().startswith(client))
        for shape in ("top-posted", "inline", "html only", "quoted-printable", "base64", "iso-8859-1", "utf-8"):
            assert shape in of_client, (client, shape)
    for shape in ("fwd", "out-of-office", "x-autoreply", "precedence", "delivery failure", "approve button",
                  "wrapped", "continuation", "roundup approve --token", "soft break"):
        assert shape in shapes, shape
    assert {c.outcome for c in CASES} == {"answer", "approval", "comment", "set-aside"}
    assert {c.voice for c in CASES} == {"unanswered", "previewed"}
    assert len({c.key for c in CASES}) == len(CASES)


def test_the_qp_split_case_really_splits_the_token():
    raw = render("apple_approve_qp_split.eml")
    token = corpus.DEFAULTS["token"].encode()
    split = re.findall(rb"your message: (ru2[a-z2-7]*)=\n([a-z2-7]+)", raw)
    assert split and all(b"".join(halves) == token for halves in split)


def test_render_is_byte_for_byte_the_template_when_the_values_are_the_placeholders():
    same = {k: "{{%s}}" % k for k in (*corpus.DEFAULTS, "first", "token_head", "token_tail")}
    for case in CASES:
        assert render(case, **same) == (corpus.HERE / case.file).read_bytes(), case.file


# -- header facts ------------------------------------------------------------------------------------


def message(headers: str, body: str = "Hello there.\n") -> bytes:
    return (headers.strip("\n") + "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" + body).encode()


def test_from_display_name_with_encoded_crlf_cannot_inject_headers():
    raw = message("From: =?utf-8?q?Ana=0D=0ABcc=3A_evil=40attacker.example=0A=1B=5B31m?= <Ana.Lima@Example.org>\n"
                  "Subject: =?utf-8?b?" + "UmU6IHRpdGxlDQpCY2M6IGV2aWxAYXR0YWNrZXIuZXhhbXBsZQ==" + "?=\n"
                  "Message-ID: <a@b>")
    reply = replies.parse(raw)
    assert reply.sender == "ana.lima@example.org"
    assert reply.sender_name == "Ana Bcc: evil@attacker.example [31m"
    assert reply.subject == "Re: title Bcc: evil@attacker.example"
    for text in (reply.sender_name, reply.subject, reply.key, *reply.thread):
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text)


def test_raw_control_characters_and_bidi_overrides_in_headers_are_removed():
    raw = message("From: \"Ana\x07 \u202eLima\" <ana@example.org>\nSubject: a\x00b\tc\u2028d\nMessage-ID: <x\x01y@z>")
    reply = replies.parse(raw)
    assert (reply.sender_name, reply.subject, reply.key) == ("Ana Lima", "a b c d", "<xy@z>")


def test_long_header_values_are_cut():
    raw = message(f"From: {'N' * 1000} <a@example.org>\nSubject: {'S ' * 1000}\nMessage-ID: <a@b>")
    reply = replies.parse(raw)
    assert len(reply.sender_name) == 200 and len(reply.subject) <= 300


@pytest.mark.parametrize("from_header", ["From: not an address\n", "From: a@example.org, b@example.org\n",
                                         "From: a@example.org\nFrom: b@example.org\n"],
                         ids=["no-address", "two-addresses", "two-headers"])
def test_no_single_from_address_means_no_sender(from_header: str):
    reply = replies.parse(message(from_header + "Subject: hi\nMessage-ID: <m@x>"))
    assert reply.sender == ""


def test_missing_message_id_gets_a_stable_key_from_the_bytes():
    raw = message("From: a@example.org\nSubject: hi")
    expected = f"<sha256:{hashlib.sha256(raw).hexdigest()}@roundup>"
    assert replies.parse(raw).key == replies.parse(raw).key == expected
    assert replies.parse(raw + b"x").key != expected
    assert replies.head_key(raw.split(b"\n\n")[0] + b"\n\n")[0].startswith("<sha256:")


def test_message_id_keeps_brackets_and_loses_whitespace():
    raw = message("From: a@example.org\nMessage-ID:\n <CAJx 7fQ@mail.gmail.com>\nIn-Reply-To: <p@x> <q@x>\n"
                  "References: <r@x>\n <p@x> junk <no closing\nSubject: s")
    reply = replies.parse(raw)
    assert reply.key == "<CAJx7fQ@mail.gmail.com>"
    assert reply.thread == ("<p@x>", "<q@x>", "<r@x>")


def test_head_key_reads_only_the_header():
    head = b"Message-ID: <big@x>\nFrom: Ana <ANA@Example.org>\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\n"
    assert replies.head_key(head) == ("<big@x>", "ana@example.org", "Grüße")
    assert replies.head_key(head[:30]) == ("<big@x>", "", "")


def test_eight_bit_garbage_in_an_unknown_charset_is_read_without_raising():
    raw = (b"From: a@example.org\nMessage-ID: <g@x>\nSubject: caf\xe9 \xff\xfe\n"
           b"Content-Type: text/plain; charset=x-garbage-8bit\nContent-Transfer-Encoding: 8bit\n\n"
           b"Caf\xe9 au lait \x81\x8d\x00 ok\n")
    reply = replies.parse(raw)
    assert reply.new_text == "Café au lait \ufffd\ufffd ok"
    assert reply.subject == "café ÿþ" and reply.set_aside is None


def test_utf8_under_a_us_ascii_label_is_read_as_utf8():
    raw = b"From: a@example.org\nMessage-ID: <u@x>\nContent-Type: text/plain; charset=us-ascii\n\n" + \
        "Grüße aus Köln\n".encode()
    assert replies.parse(raw).new_text == "Grüße aus Köln"


# -- body rules not shown by the corpus --------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    pytest.param("Ma réponse.\n\nLe 10 févr. 2026 à 10:00, Sam Rivera <s@x> a écrit :\n> ancien", "Ma réponse.",
                 id="attribution-fr"),
    pytest.param("Mi respuesta.\n\nEl mar, 10 feb 2026 a las 10:00, Sam (<s@x>) escribió:\n> viejo", "Mi respuesta.",
                 id="attribution-es"),
    pytest.param("Mijn antwoord.\n\nOp di 10 feb 2026 om 10:00 schreef Sam <s@x>:\n> oud", "Mijn antwoord.",
                 id="attribution-nl"),
    pytest.param("Answer.\n\nOn Tue, Sam wrote:\nold text, not quoted", "Answer.", id="attribution-unquoted-rest"),
    pytest.param("Answer.\nSent from my iPhone", "Answer.", id="iphone-no-blank-line"),
    pytest.param("Answer.\n\nVon meinem iPhone gesendet", "Answer.", id="iphone-de"),
    pytest.param("Answer.\n\n--\nAna", "Answer.", id="dashes-without-space"),
    pytest.param("Answer.\nBest regards,\nAna Lima\nHead of Things | Example Org", "Answer.", id="closing-block"),
    pytest.param("Dear Sam,\nAnswer line one.\nLine two.", "Answer line one.\nLine two.", id="greeting"),
    pytest.param("Hi Sam, I love it.\n\nAnswer.", None, id="greeting-with-words-kept"),
    pytest.param("Answer.\n\nBest,\nAna\n\nP.S. One more thing I forgot to say.", None, id="closing-then-ps-kept"),
    pytest.param("Answer.\n\nEnd", None, id="last-word-not-a-name-kept"),
    pytest.param("Thanks", None, id="only-thanks-kept"),
    pytest.param("-- \nsignature only", "", id="signature-only"),
    pytest.param("> only\n> quoted", "", id="quoted-only"),
])
def test_body_rules(body: str, expected: str | None):
    new, _quoted, _forwarded = replies.split(body, "Ana Lima")
    assert new == (body if expected is None else expected)


@pytest.mark.parametrize("new, rest", [
    pytest.param("My answer.", "-----Original Message-----\nFrom: x\n\nold text", id="original"),
    pytest.param("Meine Antwort.", "-----Ursprüngliche Nachricht-----\nVon: x\n\nalt", id="original-de"),
    pytest.param("Answer.", "________________________________\nold text without a header", id="underscores"),
])
def test_what_is_cut_off_is_the_quoted_text(new: str, rest: str):
    """email-reply-parser would also hide these (as a signature), but the rest must reach quoted_text."""
    assert replies.split(new + "\n\n" + rest, "Ana Lima") == (new, rest, False)


NOTE = "Karim, your signs in Amman are why I asked you."
"""The editor's private note, quoted back in each reply below: it must never be taken for the person's words."""


@pytest.mark.parametrize("new, rest", [
    pytest.param("我的回答。", f"2026年12月3日周四 10:00，Maren Holt <maren@example.com> 写道：\n> 您好：\n> {NOTE}",
                 id="gmail-zh"),
    pytest.param("私の答えです。", f"2026年12月3日(木) 10:00 Maren Holt <maren@example.com>:\n> {NOTE}", id="gmail-ja"),
    pytest.param("إجابتي.", f"\u200fفي الخميس، 3 ديسمبر 2026 في 10:00 ص كتب Maren Holt \u200e<maren@example.com>\u200f:\n> {NOTE}",
                 id="gmail-ar"),
    pytest.param("我的回答。", f"发件人: Maren Holt <maren@example.com>\n发送时间: 2026年12月3日 10:00\n收件人: karim@example.org\n"
                 f"主题: 邀请\n\n{NOTE}", id="outlook-zh"),
    pytest.param("私の答えです。", f"差出人: Maren Holt <maren@example.com>\n送信日時: 2026年12月3日 10:00\n件名: ご依頼\n\n{NOTE}",
                 id="outlook-ja"),
    pytest.param("إجابتي.", f"من: Maren Holt <maren@example.com>\nتاريخ الإرسال: الخميس 3 ديسمبر 2026\nالموضوع: دعوة\n\n{NOTE}",
                 id="outlook-ar"),
])
def test_replies_in_every_shipped_language_keep_the_quoted_invitation_out(new: str, rest: str):
    """roundup writes in Chinese, Japanese and Arabic: the replies their mail programs write are cut too."""
    text, quoted, _ = replies.split(f"{new}\n\n{rest}", "Karim")
    assert text == new and NOTE in quoted


@pytest.mark.parametrize("body, expected", [
    pytest.param("您好，\n我的回答。\n第二行。\n\n谢谢\n小林", "我的回答。\n第二行。", id="zh-greeting-closing"),
    pytest.param("私の答えです。\n二行目です。\n\nよろしくお願いします。\n林", "私の答えです。\n二行目です。", id="ja-closing"),
    pytest.param("مرحبًا،\nإجابتي.\nسطر ثانٍ.\n\nمع التحية،\nكريم", "إجابتي.\nسطر ثانٍ.", id="ar-greeting-closing"),
])
def test_greetings_and_closings_in_other_scripts(body: str, expected: str):
    assert replies.split(body, "Karim")[0] == expected


def test_outlook_header_block_in_the_persons_own_text_needs_a_second_header_line():
    new, _, _ = replies.split("From: my experience, paper wins.\n\nThat's all.", "")
    assert new == "From: my experience, paper wins.\n\nThat's all."


def test_html_blockquotes_are_quoted_and_markup_leaves_no_markdown_noise_but_bold_and_italics():
    raw = (b"From: a@example.org\nMessage-ID: <h@x>\nContent-Type: text/html; charset=utf-8\n\n"
           b"<p>1. <b>Bold</b> and <i>it</i> - <a href='https://x.example/'>a link</a> "
           b"<img src='cid:1' alt='pic'> 2+2 *star* [x]</p><ul><li>item</li></ul>"
           b"<blockquote>old <b>words</b></blockquote>")
    reply = replies.parse(raw)
    assert reply.new_text == "1. **Bold** and *it* - a link 2+2 *star* [x]\n\n  * item"
    assert reply.quoted_text == "> old **words**"


@pytest.mark.parametrize("html, text", [
    ("<p><b>Hello</b>, world</p>", "**Hello**, world"),
    ("<p>un<strong>believ</strong>able <em>and</em> <i>so</i></p>", "un**believ**able *and* *so*"),
    ("<p>a <b> spaced </b>b</p>", "a  **spaced** b"),
    ("<p><i><b>both</b></i> <b><i>ways</i></b></p>", "***both*** ***ways***"),
    ("<p><b></b>empty<b> </b>tags <b>**</b> <i>.</i></p>", "empty tags ** ."),
    ("<b><p>one</p><p>two</p></b>", "one\n\ntwo"),
    ("<p><b>a <b>b</b> c</b></p>", "a **b** c"),
    ("<pre><b>code</b></pre>", "code"),
    ("<p>\ue000not\ue001 \ue002marks\ue003</p>", "not marks"),
    ("<p>&lt;b&gt;text&lt;/b&gt; <b>&lt;i&gt;</b></p>", "<b>text</b> **<i>**"),
])
def test_bold_and_italics_of_html_become_markdown_emphasis_and_nothing_else(html: str, text: str):
    raw = f"From: a@example.org\nMessage-ID: <e@x>\nContent-Type: text/html; charset=utf-8\n\n{html}".encode()
    assert replies.parse(raw).new_text == text


def test_attachments_and_attached_messages_are_not_the_persons_text():
    raw = (b"From: a@example.org\nMessage-ID: <m@x>\nContent-Type: multipart/mixed; boundary=B\n\n"
           b"--B\nContent-Type: message/rfc822\n\nFrom: x@y\n\nforwarded words\n"
           b"--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nfile words\n"
           b"--B\nContent-Type: text/plain\n\nmy words\n--B--\n")
    assert replies.parse(raw).new_text == "my words"


def test_a_message_with_no_text_is_set_aside():
    raw = (b"From: a@example.org\nMessage-ID: <n@x>\nContent-Type: image/png\n"
           b"Content-Transfer-Encoding: base64\n\nAA==\n")
    assert replies.parse(raw).set_aside == "no text in it"
    only_quoted = message("From: a@example.org\nMessage-ID: <q@x>", "> old words\n")
    assert "only the quoted original" in replies.parse(only_quoted).set_aside


def test_many_ons_do_not_make_parsing_slow():
    """email-reply-parser alone takes over 20 s on this 5 kB body (its "On … wrote:" regex backtracks)."""
    raw = message("From: a@x.org\nMessage-ID: <s@x>", "On a\n" * 1000 + "wrote\n")
    start = time.perf_counter()
    replies.parse(raw)
    assert time.perf_counter() - start < 2


# -- robustness --------------------------------------------------------------------------------------


def check(reply: replies.Reply) -> None:
    assert isinstance(reply, replies.Reply)
    assert reply.key.startswith("<") or reply.key
    for text in (reply.sender_name, reply.subject):
        assert "\n" not in text and "\r" not in text
    assert len(reply.sender_name) <= 200 and len(reply.subject) <= 300
    assert "\r" not in reply.new_text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(data: bytes):
    check(replies.parse(data))
    replies.head_key(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CASES), st.randoms(use_true_random=False), st.integers(1, 40))
def test_mutated_corpus_bytes_never_raise(case: Case, rnd: random.Random, edits: int):
    data = bytearray(render(case))
    for _ in range(edits):
        if not data:
            break
        at = rnd.randrange(len(data))
        op = rnd.randrange(4)
        if op == 0:
            data[at] = rnd.randrange(256)
        elif op == 1:
            del data[at:at + rnd.randrange(1, 200)]
        elif op == 2:
            data[at:at] = rnd.choice([b"\r", b"\n", b"\x00", b"=?utf-8?q?=0D=0A?=", b"--", b"\n\n", b"=\n", b">",
                                      b"Content-Type: multipart/mixed; boundary=x\n", b"\xff\xfe", b"=?"])
        else:
            data[at:at] = data[rnd.randrange(len(data)):][:rnd.randrange(1, 300)]
    check(replies.parse(bytes(data)))
    replies.head_key(bytes(data[:65536]))


def test_deeply_nested_multiparts_do_not_raise():
    depth = 3000
    head = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth))
    raw = b"From: a@example.org\nMessage-ID: <d@x>\n" + head + b"Content-Type: text/plain\n\nhi\n"
    check(replies.parse(raw))


ALTERNATIVES = [c for c in CASES if b"multipart/alternative" in render(c)[:3000] and c.set_aside != "malformed MIME"]


@pytest.mark.parametrize("case", ALTERNATIVES,
                         ids=lambda c: c.file.removesuffix(".eml"))
def test_the_html_alternative_alone_gives_the_same_new_text(case: Case):
    message = email.message_from_bytes(render(case), policy=email.policy.compat32)
    (html,) = [p for p in message.walk() if p.get_content_type() == "text/html"]
    head = "".join(f"{k}: {v}\n" for k, v in message.items() if not k.lower().startswith("content-"))
    assert replies.parse(head.encode() + html.as_bytes()).new_text == fill(case.new_text)


@pytest.mark.parametrize("headers, reason", [
    ("Auto-Submitted: auto-replied", "an automatic reply (Auto-Submitted: auto-replied)"),
    ("Auto-Submitted: no", None),
    ("X-Autorespond: 1", "an automatic reply (X-Autorespond: 1)"),
    ("Precedence: bulk", "an automatic reply (Precedence: bulk)"),
    ("Precedence: junk", "an automatic reply (Precedence: junk)"),
    ("Precedence: list", None),
    ("Return-Path: <>", "an automatic reply (Return-Path: <>)"),
    ("Subject: Auto: Tools", "an out-of-office reply (subject: Auto: Tools)"),
    ("Subject: Automatic reply: Tools\nX-Autoreply: yes", "an out-of-office reply (X-Autoreply: yes)"),
    ("Subject: Re: Out of office hours", None),
    ("Content-Type: multipart/report; report-type=delivery-status; boundary=x", "a delivery failure report (bounce)"),
], ids=["auto-submitted", "auto-submitted-no", "x-autorespond", "bulk", "junk", "list", "null-return-path",
        "subject-auto", "subject-automatic-reply", "subject-mentions-office", "dsn"])
def test_automatic_mail_is_set_aside_with_its_evidence(headers: str, reason: str | None):
    raw = ("From: Ana <ana@example.org>\nMessage-ID: <a@x>\n" + headers + "\nMIME-Version: 1.0\n"
           + ("" if "Content-Type" in headers else "Content-Type: text/plain\n") + "\nMy words.\n").encode()
    assert replies.parse(raw).set_aside == reason


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.org", "postmaster@example.org"])
def test_mail_from_the_mail_system_is_a_bounce(sender: str):
    raw = message(f"From: {sender}\nMessage-ID: <b@x>\nSubject: Undeliverable")
    assert replies.parse(raw).set_aside == "a delivery failure report (bounce)"


def test_format_flowed_with_delsp_is_joined():
    raw = (b"From: a@example.org\nMessage-ID: <f@x>\nContent-Type: text/plain; charset=utf-8; format=flowed; "
           b"delsp=yes\n\nOne long para \ngraph here.\n\n> quoted  \n> on.\nEnd \n \n-- \nsig\n")
    reply = replies.parse(raw)
    assert (reply.new_text, reply.quoted_text) == ("One long paragraph here.\n\nEnd", "> quoted on.")
