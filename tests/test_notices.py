"""`roundup cancel` marks a post cancelled (touching nothing else) and tells every contributor;
`roundup thank` goes out only for a published post, each message with that person's own link."""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from conftest import BASE_URL, Mailbox, Site, plain_text

POST_MD = ("---\n"
           "# the editor's own comment, kept as written\n"
           "title:   Alpha Roundup\n"
           "date: 2026-03-01\n"
           "voices: [zoe, sam, lee]\n"
           "{status}"
           "tags:\n  - friends   # inline comment\n"
           "---\n"
           "The editor's   introduction, *as written*.\n\n<!-- voices -->\n\nstatus: ready (not front matter)\n")


@pytest.fixture
def roundup(site: Site) -> Site:
    """alpha: zoe (@zoe), sam (@samreed), lee (no handle, no e-mail); beta: zoe alone."""
    site.contributor("zoe", name="Zoë Quill", handle="@zoe", email="zoe@example.org")
    site.contributor("sam", name="Sam Reed", handle="@samreed", email="sam@example.org")
    site.contributor("lee", name="Lee Park")
    for cid in ("zoe", "sam", "lee"):
        site.quote("alpha", cid, f"Words of {cid}.\n")
    site.write("posts/alpha/post.md", POST_MD.format(status="status: ready\n"))
    site.add_post("beta", ["zoe"], title="Beta Roundup")
    return site


def message(site: Site, cid: str, name: str) -> email.message.EmailMessage:
    data = (site.root / f"_previews/{cid}/{name}").read_bytes()
    return email.message_from_bytes(data, policy=email.policy.default)


def trace_free(site: Site, *markers: str) -> list[str]:
    return [f"{m} in {rel}" for rel, data in site.output_files().items() for m in markers if m.encode() in data]


@pytest.mark.parametrize("before, after", [
    (POST_MD.format(status="status: ready\n"), POST_MD.format(status="status: cancelled\n")),
    (POST_MD.format(status=""), POST_MD.format(status="").replace("\n---\n", "\nstatus: cancelled\n---\n", 1)),
    (POST_MD.format(status="status: ready\n").replace("\n", "\r\n"),
     POST_MD.format(status="status: cancelled\n").replace("\n", "\r\n")),
    ("\ufeff" + POST_MD.format(status="status: ready\n"), "\ufeff" + POST_MD.format(status="status: cancelled\n")),
], ids=["status-line", "no-status-line", "crlf-line-endings", "utf8-bom"])
def test_cancel_sets_status_and_leaves_every_other_byte(roundup: Site, before: str, after: str):
    path = roundup.write("posts/alpha/post.md", before)
    roundup.ok("check")
    result = roundup.run("cancel", "alpha")
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == after.encode("utf-8")
    assert "cancelled" in roundup.ok("status").stdout.split("alpha", 1)[1].splitlines()[0]


def test_cancel_writes_a_personal_notice_for_every_contributor(roundup: Site):
    result = roundup.ok("cancel", "alpha")
    assert "Marked alpha as cancelled" in result.stdout
    texts = {}
    for cid, name in (("zoe", "Zoë Quill"), ("sam", "Sam Reed"), ("lee", "Lee Park")):
        notice = message(roundup, cid, "alpha.cancelled.eml")
        text = plain_text(notice)
        assert text.startswith(f"Dear {name},")
        assert "“Alpha Roundup” will not run" in text
        assert "Your words will not be published" in text
        assert "Alpha Roundup" in notice["Subject"]
        assert notice["From"].addresses[0].addr_spec == "ed@example.com"
        texts[cid] = text
    assert len(set(texts.values())) == 3
    assert not (roundup.root / "_previews/zoe/beta.cancelled.eml").exists()


def test_cancelled_post_leaves_no_trace_even_after_it_was_published(roundup: Site):
    site = roundup
    site.approve_all("alpha")
    site.approve_all("beta")
    site.build()
    assert (site.out / "posts/alpha/index.html").is_file()
    for page in ("index.html", "feed.xml", "sitemap.xml"):
        assert "posts/alpha/" in site.page(page), page
    site.ok("cancel", "alpha")
    site.build()
    assert not (site.out / "posts/alpha").exists()
    assert not (site.out / "contributors/sam").exists()
    assert (site.out / "posts/beta/index.html").is_file()
    assert trace_free(site, "posts/alpha", "Alpha Roundup", "Words of sam", "Sam Reed", "Lee Park") == []
    site.build("--drafts")  # cancelled goes nowhere, not even into a drafts build
    assert not (site.out / "posts/alpha").exists()
    assert trace_free(site, "Alpha Roundup", "Words of sam") == []


def test_cancel_send_delivers_one_notice_per_contributor(roundup: Site, smtp_server: Mailbox):
    roundup.config(mail={"host": "127.0.0.1", "port": smtp_server.port})
    roundup.contributor("lee", name="Lee Park", email="lee@example.org")
    result = roundup.ok("cancel", "alpha", "--send")
    assert "Sent 3 of 3 messages." in result.stdout
    assert sorted(r["rcpt_tos"][0] for r in smtp_server.received) == \
        ["lee@example.org", "sam@example.org", "zoe@example.org"]
    (sam,) = smtp_server.to("sam@example.org")
    assert plain_text(sam).startswith("Dear Sam Reed,")
    assert "will not be published" in plain_text(sam)


def test_thank_refuses_a_withheld_post_naming_who_is_pending(roundup: Site):
    roundup.approve("zoe", "alpha")
    result = roundup.run("thank", "alpha")
    assert result.returncode == 1
    assert "posts/alpha/post.md" in result.stderr
    assert "not published" in result.stderr
    assert re.search(r"\bsam\b", result.stderr) and re.search(r"\blee\b", result.stderr)
    assert not re.search(r"\bzoe\b", result.stderr)
    assert not list(roundup.root.glob("_previews/*/alpha.thanks.eml"))


def test_thank_gives_each_contributor_their_own_link_company_and_share_line(roundup: Site):
    site = roundup
    site.approve_all("alpha")
    site.build()
    site.ok("thank", "alpha")
    people = {"zoe": ("Zoë Quill", "@zoe"), "sam": ("Sam Reed", "@samreed"), "lee": ("Lee Park", "Lee Park")}
    texts = {}
    for cid, (name, _) in people.items():
        text = plain_text(message(site, cid, "alpha.thanks.eml"))
        link = f"{BASE_URL}posts/alpha/#voice-{cid}"
        assert text.startswith(f"Dear {name},")
        assert link in text
        assert set(re.findall(r"#voice-([a-z0-9-]+)", text)) == {cid}
        for other, (other_name, _) in people.items():
            if other != cid:
                assert other_name in text
        share = [line.strip() for line in text.splitlines() if line.startswith("    ")]
        assert len(share) == 1 and share[0].startswith("I joined ") and share[0].endswith(link), share
        assert f'id="voice-{cid}"' in site.page("posts/alpha/index.html")
        texts[cid] = text
    assert len(set(texts.values())) == 3


def test_thank_send_delivers_one_message_per_contributor(roundup: Site, smtp_server: Mailbox):
    site = roundup
    site.config(mail={"host": "127.0.0.1", "port": smtp_server.port})
    site.contributor("lee", name="Lee Park", email="lee@example.org")
    site.approve_all("alpha")
    result = site.ok("thank", "alpha", "--send")
    assert "Sent 3 of 3 messages." in result.stdout
    for cid in ("zoe", "sam", "lee"):
        (received,) = smtp_server.to(f"{cid}@example.org")
        assert f"{BASE_URL}posts/alpha/#voice-{cid}" in plain_text(received)
        assert "published" in received["Subject"]
