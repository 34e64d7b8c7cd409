"""Issue 12, points 2-4: a preview shares only approved words of the others; cancel behaves (once,
with its reason, saying "taken down" for a live post, named by every command); a decline reason is
quoted back in the next preview and message."""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from conftest import PNG, Mailbox, Site, assert_problem, plain_text

SAM_WORDS = "Sam's unapproved draft words."


@pytest.fixture
def roundup(site: Site) -> Site:
    """alpha: zoe and sam (photo, handle, link, bio), nobody has answered yet."""
    site.write("contributors/avatars/sam.png", PNG + b"sam-photo-bytes")
    site.contributor("zoe", name="Zoë Quill", email="zoe@example.org")
    site.contributor("sam", name="Sam Reed", handle="@samreed", email="sam@example.org", avatar="avatars/sam.png",
                     url="https://sam.example/", links={"Blog": "https://sam.example/blog/"},
                     bio="Sam's private-until-approved bio.")
    site.quote("alpha", "zoe", "Zoë's own words.\n", prompt="What lasts?")
    site.quote("alpha", "sam", SAM_WORDS + "\n", prompt="Sam's own question?")
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"])
    return site


def message(site: Site, cid: str, name: str) -> email.message.EmailMessage:
    return email.message_from_bytes((site.root / f"_previews/{cid}/{name}").read_bytes(),
                                    policy=email.policy.default)


def sam_section(html: str) -> str:
    return re.search(r'<section class="voice[^"]*" id="voice-sam".*?</section>', html, re.DOTALL).group(0)


SAM_PRIVATE = (SAM_WORDS, "@samreed", "sam.example", "private-until-approved", "Sam's own question")


# ---- 2. previews share only approved words --------------------------------------------------------

def test_preview_shows_an_unapproved_voice_by_name_only(roundup: Site):
    roundup.ok("preview", "zoe")
    html = roundup.read("_previews/zoe/alpha.html")
    raw = (roundup.root / "_previews/zoe/alpha.eml").read_bytes()
    for marker in SAM_PRIVATE:
        assert marker not in html, marker
    import base64
    assert base64.b64encode(PNG + b"sam-photo-bytes")[:40].decode() not in html  # not even the photo
    section = sam_section(html)
    assert "voice--awaiting" in section and "Sam Reed" in section and "Awaiting approval" in section
    assert "Zoë&#39;s own words." in html or "Zoë's own words." in html
    assert b"unapproved draft" not in raw


def test_preview_shows_an_approved_voice_in_full_and_a_stale_one_by_name(roundup: Site):
    roundup.approve("sam", "alpha")
    roundup.ok("preview", "zoe")
    assert SAM_WORDS in roundup.read("_previews/zoe/alpha.html").replace("&#39;", "'")
    roundup.quote("alpha", "sam", "Sam's edited words, not approved.\n", prompt="Sam's own question?")
    roundup.ok("preview", "zoe")
    html = roundup.read("_previews/zoe/alpha.html")
    assert "edited words" not in html and SAM_WORDS not in html.replace("&#39;", "'")
    assert "voice--awaiting" in sam_section(html)


def test_preview_others_all_shares_drafts(roundup: Site):
    roundup.config(preview_others="all")
    roundup.ok("preview", "zoe")
    html = roundup.read("_previews/zoe/alpha.html").replace("&#39;", "'").split("</head>", 1)[1]
    assert SAM_WORDS in html and "voice--awaiting" not in html


def test_preview_others_rejects_an_unknown_value(roundup: Site):
    roundup.config(preview_others="everyone")
    result = roundup.run("check")
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", 6, "preview_others", "approved, all")


# ---- 3. cancel behaves --------------------------------------------------------------------------

def test_cancel_twice_sends_nothing_again(roundup: Site, smtp_server: Mailbox):
    roundup.config(mail={"host": "127.0.0.1", "port": smtp_server.port})
    roundup.ok("cancel", "alpha", "--send")
    assert len(smtp_server.received) == 2
    notice = roundup.root / "_previews/zoe/alpha.cancelled.eml"
    stamp = notice.stat().st_mtime_ns
    result = roundup.ok("cancel", "alpha", "--send")
    assert "alpha is already cancelled" in result.stdout and "no notice was written or sent again" in result.stdout
    assert len(smtp_server.received) == 2
    assert notice.stat().st_mtime_ns == stamp


def test_cancel_reason_is_quoted_in_the_notice(roundup: Site):
    roundup.ok("cancel", "alpha", "--reason", "The magazine folded.\nSorry for the trouble.")
    text = plain_text(message(roundup, "sam", "alpha.cancelled.eml"))
    assert "> The magazine folded.\n> Sorry for the trouble." in text
    assert "will not run" in text
    html = message(roundup, "sam", "alpha.cancelled.eml").get_body(("html",)).get_content()
    assert "<blockquote><p>The magazine folded.<br>" in html


def test_cancelling_a_published_post_takes_it_down_and_says_so(roundup: Site):
    roundup.approve_all("alpha")
    roundup.build()
    assert (roundup.out / "posts/alpha/index.html").exists()
    roundup.ok("cancel", "alpha", "--reason", "<b>Legal</b> asked us to.")
    msg = message(roundup, "zoe", "alpha.cancelled.eml")
    text = plain_text(msg)
    assert "taken “Alpha Roundup” down" in text and "will not run" not in text
    assert "no longer published" in text and "> <b>Legal</b> asked us to." in text
    assert "taken down" in msg["Subject"]
    assert "&lt;b&gt;Legal&lt;/b&gt;" in msg.get_body(("html",)).get_content()
    result = roundup.build()
    assert not (roundup.out / "posts/alpha").exists()
    assert "cancelled  alpha: taken down: the post is cancelled" in result.stdout


def test_commands_name_a_cancelled_post_as_cancelled(roundup: Site):
    roundup.ok("cancel", "alpha")
    result = roundup.run("preview", "zoe", "--post", "alpha")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/alpha/post.md", None, "is cancelled", "no preview was written")
    result = roundup.ok("preview", "zoe")
    assert "No preview for alpha: it is cancelled" in result.stdout
    assert "every voice of zoe is approved" not in result.stdout
    for command in ("approve", "decline"):
        out = roundup.ok(command, "zoe", "alpha").stdout
        assert "alpha is cancelled" in out and "will not be published" in out, out
        assert "still withheld" not in out and "waiting for" not in out
    status = roundup.ok("status").stdout
    assert re.search(r"^alpha  \(\d{4}-\d\d-\d\d, cancelled, ", status, re.MULTILINE), status


# ---- 4. the decline reason is quoted back ---------------------------------------------------------

def test_decline_reason_heads_the_next_preview_and_message(roundup: Site):
    roundup.ok("preview", "zoe")
    reason = "Please cut the <script>alert(1)</script> second sentence."
    roundup.ok("decline", "zoe", "alpha", "--reason", reason)
    roundup.quote("alpha", "zoe", "Zoë's shorter words.\n", prompt="What lasts?")
    roundup.ok("preview", "zoe")
    html = roundup.read("_previews/zoe/alpha.html")
    banner = re.search(r'<aside class="preview-banner".*?</aside>', html, re.DOTALL).group(0)
    request = re.search(r'<div class="preview-request">.*?</div>', banner, re.DOTALL).group(0)
    assert "you asked for changes" in request
    assert "Please cut the &lt;script&gt;alert(1)&lt;/script&gt; second sentence." in request
    assert banner.index("preview-request") < banner.index("preview-changes")
    assert "<script>alert" not in html
    text = plain_text(message(roundup, "zoe", "alpha.eml"))
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "Dear Zoë Quill,"
    assert re.fullmatch(r"On \w+ \d+, \d{4} you asked for changes:", paragraphs[1])
    assert paragraphs[2] == "> " + reason
    assert paragraphs[3] == "Here is the new version, for you to look at again."
