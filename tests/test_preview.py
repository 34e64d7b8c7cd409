"""`roundup preview <id>`: a private, self-contained page and a personal message for every post
where that contributor's answer is missing, stale or declined — and nothing for an approved voice."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import PNG, Site, plain_text

PRIVATE = {"zoe-email": "zoe.priv-mail-4k@example.org", "zoe-phone": "PRIV-PHONE-1717",
           "zoe-notes": "PRIV-NOTES-zq81", "zoe-custom": "PRIV-CUSTOM-pp02",
           "sam-email": "sam.priv-mail-9r@example.org", "sam-phone": "PRIV-PHONE-2828",
           "sam-notes": "PRIV-NOTES-sr55"}
ZOE_NOTE = "Zoë, your essay is why I asked you first. NOTE-ZOE-m1x4"
SAM_NOTE = "Sam, keep it short please. NOTE-SAM-w7c2"
ZOE_BODY = ("The *quick brown* fox keeps [partnerships](https://zoe.example/p) alive.\n\n"
            "- trust\n- `patience`\n\nÅngström says <script>alert(1)</script> hi.\n")
TOKEN_LINE = re.compile(r"(ru2[a-z2-7]{44})")


@pytest.fixture
def consent_site(site: Site) -> Site:
    """zoe is a voice in alpha (with sam, deadline), beta (alone) and gamma (approved)."""
    site.write("contributors/avatars/zoe.png", PNG)
    site.contributor("zoe", name="Zoë Quill", handle="@zoe", url="https://zoe.example/",
                     links={"Blog": "https://zoe.example/blog/"}, avatar="avatars/zoe.png",
                     bio="Writes *Slow Replies*.", email=PRIVATE["zoe-email"], phone=PRIVATE["zoe-phone"],
                     notes=PRIVATE["zoe-notes"], secret_plan=PRIVATE["zoe-custom"])
    site.contributor("sam", name="Sam Reed", email=PRIVATE["sam-email"], phone=PRIVATE["sam-phone"],
                     notes=PRIVATE["sam-notes"])
    site.quote("alpha", "zoe", ZOE_BODY, prompt="What makes it last?", note=ZOE_NOTE)
    site.quote("alpha", "sam", "Sam's plain words.\n", prompt="What makes it last?", note=SAM_NOTE)
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], deadline=dt.date(2099, 1, 31))
    site.quote("beta", "zoe", "Beta words.\n")
    site.post("beta", title="Beta Roundup", voices=["zoe"])
    site.quote("gamma", "zoe", "Gamma words.\n")
    site.post("gamma", title="Gamma Roundup", voices=["zoe"])
    site.approve("zoe", "gamma")
    return site


def previews(site: Site, cid: str) -> set[str]:
    folder = site.root / "_previews" / cid
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def eml(site: Site, cid: str, slug: str) -> email.message.EmailMessage:
    data = (site.root / f"_previews/{cid}/{slug}.eml").read_bytes()
    return email.message_from_bytes(data, policy=email.policy.default)


def all_text(message: email.message.EmailMessage) -> str:
    """Every decoded part of a message, attachments included."""
    parts = [str(message)]
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def body_of(html: str) -> str:
    """The page after </head> (the inlined stylesheet names the same classes)."""
    return html.split("</head>", 1)[1]


def voice_section(html: str, cid: str) -> str:
    match = re.search(rf'<section class="voice[^"]*" id="voice-{cid}".*?</section>', html, re.DOTALL)
    assert match, f"no voice section for {cid}"
    return match.group(0)


def quote_html(html: str, cid: str) -> str:
    """The prompt and the <blockquote> holding the quote body of one voice."""
    section = voice_section(html, cid)
    prompt = re.search(r'<p class="voice__prompt".*?</p>', section, re.DOTALL)
    quote = re.search(r'<blockquote class="voice__quote".*?</blockquote>', section, re.DOTALL)
    assert quote, section
    return (prompt.group(0) if prompt else "") + quote.group(0)


def utc_days() -> set[str]:
    now = dt.datetime.now(dt.timezone.utc)
    return {now.date().isoformat(), (now - dt.timedelta(minutes=5)).date().isoformat()}


def test_preview_writes_page_and_message_only_for_posts_awaiting_that_voice(consent_site: Site):
    site = consent_site
    result = site.ok("preview", "zoe")
    assert previews(site, "zoe") == {"alpha.html", "alpha.eml", "beta.html", "beta.eml"}
    assert "gamma" not in result.stdout
    assert str(Path("_previews/zoe/alpha.html")) in result.stdout
    assert previews(site, "sam") == set()


def test_declined_voice_is_previewed_again_but_approved_voice_is_not(consent_site: Site):
    site = consent_site
    site.ok("decline", "zoe", "alpha", "--reason", "shorter please")
    site.ok("preview", "zoe", "--post", "alpha")
    assert previews(site, "zoe") == {"alpha.html", "alpha.eml"}
    result = site.ok("preview", "zoe", "--post", "gamma")
    assert "Nothing to preview" in result.stdout
    assert previews(site, "zoe") == {"alpha.html", "alpha.eml"}


def test_post_option_limits_the_preview_to_that_post(consent_site: Site):
    site = consent_site
    site.ok("preview", "zoe", "--post", "beta")
    assert previews(site, "zoe") == {"beta.html", "beta.eml"}


@pytest.mark.parametrize("args, named", [
    (("preview", "nobody"), "contributors/nobody.yml"),
    (("preview", "zoe", "--post", "no-such-post"), "posts/no-such-post/post.md"),
    (("preview", "sam", "--post", "beta"), "posts/beta/post.md"),
], ids=["unknown-contributor", "unknown-post", "not-a-voice-there"])
def test_unknown_contributor_or_post_is_an_error_that_writes_nothing(consent_site: Site, args, named):
    result = consent_site.run(*args)
    assert result.returncode == 1, result.stderr
    assert named in result.stderr
    assert not (consent_site.root / "_previews").exists()


def test_preview_page_is_unindexed_private_and_says_how_to_approve(consent_site: Site):
    site = consent_site
    site.ok("preview", "zoe")
    html = site.read("_previews/zoe/alpha.html")
    assert re.search(r'<meta name="robots" content="noindex', html)
    assert 'class="preview-banner"' in html
    assert "Private preview for <bdi>Zoë Quill</bdi>" in html
    tokens = TOKEN_LINE.findall(html)
    assert tokens and set(tokens) == {tokens[0]}
    assert "roundup approve" not in html
    approve = re.search(r'<a class="answer-button" href="(mailto:[^"]+)">Approve</a>', html).group(1)
    parts = urlsplit(approve.replace("&amp;", "&"))
    assert parts.path == "ed@example.com"
    assert parse_qs(parts.query)["body"] == [f"I approve my words in “Alpha Roundup” as the preview shows them.\n\n"
                                             f"Approval code: {tokens[0]}\n"]
    assert parse_qs(parts.query)["subject"] == [f"Approve: Alpha Roundup {tokens[0]}"]
    changes = re.search(r'<a class="answer-button answer-button--changes" href="(mailto:[^"]+)">Ask for changes</a>',
                        html).group(1)
    parts = urlsplit(changes.replace("&amp;", "&"))
    assert parts.path == "ed@example.com" and "ru2" not in changes  # never an approval code: a signed marker
    marker = re.search(r"rc2[a-z2-7]{44}", parse_qs(parts.query)["subject"][0]).group(0)
    assert parse_qs(parts.query) == {"subject": [f"Changes to my words in “Alpha Roundup” {marker}"],
                                     "body": [f"What I would like changed:\n\n\n\nReference: {marker}\n"]}
    assert "Please approve, or ask for changes, by <strong>January 31, 2099</strong>" in html  # as CLDR writes it
    assert "answer by" not in html.lower()  # they have answered: the page, like the message, asks for approval
    assert "Could you approve it, or tell me what you'd like changed, by January 31, 2099?" in \
        plain_text(eml(site, "zoe", "alpha"))  # they have answered: it is their approval that is asked for
    beta = site.read("_previews/zoe/beta.html")
    assert "ask for changes, by" not in beta
    assert TOKEN_LINE.search(beta).group(1) != tokens[0]


def test_only_the_contributors_own_voice_is_highlighted(consent_site: Site):
    site = consent_site
    site.ok("preview", "zoe", "--post", "alpha")
    site.ok("preview", "sam", "--post", "alpha")
    for cid, other in (("zoe", "sam"), ("sam", "zoe")):
        html = body_of(site.read(f"_previews/{cid}/alpha.html"))
        assert html.count("voice--highlighted") == 1
        assert 'class="voice voice--highlighted"' in voice_section(html, cid)
        assert "voice--highlighted" not in voice_section(html, other)
        assert "Your voice" in voice_section(html, cid)


def test_preview_shows_each_quote_exactly_as_the_built_page_does(consent_site: Site):
    site = consent_site
    site.approve("sam", "alpha")  # another voice is shown in full once approved (see test_preview_others)
    site.ok("preview", "zoe", "--post", "alpha")
    site.build("--drafts")
    preview, built = site.read("_previews/zoe/alpha.html"), site.page("posts/alpha/index.html")
    for cid in ("zoe", "sam"):
        assert quote_html(preview, cid) == quote_html(built, cid)
    assert "<em>quick brown</em>" in quote_html(preview, "zoe")
    assert "&lt;script&gt;" in quote_html(preview, "zoe")


def test_stale_preview_shows_word_diff_and_message_says_what_changed(consent_site: Site):
    site = consent_site
    site.ok("preview", "zoe", "--post", "alpha")
    assert "preview-changes" not in body_of(site.read("_previews/zoe/alpha.html"))
    site.approve("zoe", "alpha")
    site.quote("alpha", "zoe", ZOE_BODY.replace("quick brown", "quick red"),
               prompt="What makes it last?", note=ZOE_NOTE)
    assert site.states("alpha")["zoe"] == "stale"
    site.ok("preview", "zoe", "--post", "alpha")
    html = site.read("_previews/zoe/alpha.html")
    changes = re.search(r'<div class="preview-changes">.*?</div>', html, re.DOTALL).group(0)
    assert "<dt>Your words</dt>" in changes
    # word by word over what they wrote (Markdown source): only the changed word is marked
    assert re.findall(r"<del>(.*?)</del>", changes) == ["brown*"]
    assert re.findall(r"<ins>(.*?)</ins>", changes) == ["red*"]
    assert "The *quick <del>" in changes
    text = plain_text(eml(site, "zoe", "alpha"))
    answered = re.search(r"^What changed since you answered on (\w+ \d+, \d{4}) \(the preview marks each change\):"
                         r"\n- Your words\n\n", text, re.M).group(1)  # a list: each label stands on its own line
    assert dt.datetime.strptime(answered, "%B %d, %Y").date().isoformat() in utc_days()


@pytest.mark.parametrize("edit, shown", [
    ("title", "Renamed"),
    ("intro", None),
], ids=["post-title", "editor-text"])
def test_stale_after_an_edit_of_the_post_preview_says_what_changed(consent_site: Site, edit: str, shown):
    """The digest covers the post's title and the editor's text: when only they changed, the new
    preview must still tell the contributor why they are asked again."""
    site = consent_site
    site.approve("zoe", "alpha")
    if edit == "title":
        site.post("alpha", title="Alpha Roundup Renamed", voices=["zoe", "sam"], deadline=dt.date(2099, 1, 31))
    else:
        site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], deadline=dt.date(2099, 1, 31),
                  body="A rewritten introduction.\n\n<!-- voices -->\n")
    assert site.states("alpha")["zoe"] == "stale"
    site.ok("preview", "zoe", "--post", "alpha")
    page = body_of(site.read("_previews/zoe/alpha.html"))
    changes = re.search(r'<div class="preview-changes">.*?</div>', page, re.DOTALL)
    assert changes, "a stale preview after an edit of the post shows no 'What changed' section"
    if shown:
        assert re.search(rf"<ins>[^<]*{shown}[^<]*</ins>", changes.group(0))
    assert "What changed since you answered on" in plain_text(eml(site, "zoe", "alpha"))


def test_status_shows_when_a_pending_voice_was_previewed(consent_site: Site):
    site = consent_site
    site.ok("preview", "zoe", "--post", "alpha")
    out = site.ok("status").stdout
    assert site.states("alpha") == {"zoe": "pending", "sam": "pending"}
    zoe_line = next(line for line in out.splitlines() if line.split()[:1] == ["zoe"] and "Zoë" in line)
    assert any(f"previewed on {day}" in zoe_line for day in utc_days()), zoe_line
    sam_line = next(line for line in out.splitlines() if line.split()[:1] == ["sam"])
    assert "never previewed" in sam_line and "previewed on" not in sam_line


def test_preview_holds_no_private_field_and_message_carries_only_own_note(consent_site: Site):
    site = consent_site
    site.ok("preview", "zoe", "--post", "alpha")
    site.ok("preview", "sam", "--post", "alpha")
    for cid in ("zoe", "sam"):
        html = site.read(f"_previews/{cid}/alpha.html").lower()
        leaks = [name for name, marker in PRIVATE.items() if marker.lower() in html]
        assert leaks == [], f"{cid}'s preview shows {leaks}"
        assert "note-zoe-m1x4" not in html and "note-sam-w7c2" not in html
    zoe_text, sam_text = plain_text(eml(site, "zoe", "alpha")), plain_text(eml(site, "sam", "alpha"))
    assert ZOE_NOTE in zoe_text and SAM_NOTE in sam_text
    assert "NOTE-SAM" not in all_text(eml(site, "zoe", "alpha"))
    assert "NOTE-ZOE" not in all_text(eml(site, "sam", "alpha"))
    assert zoe_text.startswith("Dear Zoë Quill,")
    token = TOKEN_LINE.search(site.read("_previews/zoe/alpha.html")).group(1)
    assert f"%20{token}&body=" in zoe_text and "roundup approve" not in zoe_text


def test_remote_avatar_is_not_fetched_by_the_preview_but_shown_as_initials(site: Site):
    site.config()
    site.contributor("zoe", name="Zoe Quill", email="zoe@example.org",
                     avatar="https://avatars.example.net/zoe.jpg")
    site.add_post("alpha", ["zoe"], title="Alpha Roundup")
    site.ok("build", "--drafts")
    assert "https://avatars.example.net/zoe.jpg" in site.page("posts/alpha/index.html")
    site.ok("preview", "zoe")
    html = site.read("_previews/zoe/alpha.html")
    assert "avatars.example.net" not in html
    src = re.search(r'<img class="avatar[^"]*" src="([^"]+)"[^>]*alt="Initials of Zoe Quill"', voice_section(html, "zoe"))
    assert src and src[1].startswith("data:image/svg+xml;base64,")
    assert b">ZQ</text>" in base64.b64decode(src[1].split(",", 1)[1])


def test_preview_without_send_is_written_not_sent_and_preview_send_sends_a_fresh_one(consent_site: Site, smtp_server):
    import yaml

    site = consent_site
    site.config(mail={"host": "127.0.0.1", "port": smtp_server.port})

    def zoe() -> dict:
        return yaml.safe_load(site.read("posts/alpha/approvals.yml"))["zoe"]

    def timeline() -> str:
        return re.search(r"^  zoe: (.*)$", site.ok("status", "--post", "alpha").stdout, re.M).group(1)

    dry = site.ok("preview", "zoe", "--post", "alpha")
    assert "Nothing was sent. Written, not sent: zoe: send them with --send, or send the files yourself." in dry.stdout
    first = eml(site, "zoe", "alpha")["Message-ID"]
    assert zoe()["unsent"] == [first] and zoe()["mail"] == [first]
    assert re.fullmatch(r"previewed \S+ \(written, not sent\)", timeline())
    site.ok("preview", "zoe", "--post", "alpha")  # written again: only the latest is waiting to be sent
    second = eml(site, "zoe", "alpha")["Message-ID"]
    assert zoe()["unsent"] == [second] and zoe()["mail"] == [first, second]
    sent = site.ok("preview", "zoe", "--post", "alpha", "--send")
    assert "Sent 1 of 1 message." in sent.stdout and "Written, not sent" not in sent.stdout
    (got,) = smtp_server.received
    fresh = eml(site, "zoe", "alpha")["Message-ID"]
    assert got["message"]["Message-ID"] == fresh and fresh not in (first, second)
    assert zoe()["mail"] == [first, second, fresh] and "unsent" not in zoe()
    assert re.fullmatch(r"previewed \S+", timeline())
