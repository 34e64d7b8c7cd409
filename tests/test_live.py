"""A published post never goes dark because of an edit: its last fully approved version (published.yml)
stays online until everyone approves the new one; a decline, a cancel or a draft status takes it down."""

from __future__ import annotations

import pytest

import email
import email.policy
import os

from conftest import ANY, BASE_URL, Site, assert_problem, plain_text

NEW_WORDS = "Zoe's words, revised after publishing."


@pytest.fixture
def live(site: Site) -> Site:
    """Post `alpha` (zoe, sam) approved and built, then zoe's quote and bio edited: waiting for zoe."""
    site.contributor("zoe", name="Zoe Quill", bio="Writes *Slow Replies*.", email="zoe@example.org")
    site.contributor("sam", name="Sam Reed")
    site.add_post("alpha", {"zoe": "Zoe's approved words.\n", "sam": "Sam's approved words.\n"},
                  title="Alpha Roundup", tags=["friends"])
    site.approve_all("alpha")
    site.build()
    site.published_page = site.page("posts/alpha/index.html")
    site.quote("alpha", "zoe", NEW_WORDS + "\n")
    site.contributor("zoe", name="Zoe Quill", bio="Writes *Unapproved Bio*.", email="zoe@example.org")
    return site


def no_output_holds(site: Site, *markers: str) -> None:
    for rel, data in site.output_files().items():
        for marker in markers:
            assert marker.encode() not in data, f"{marker!r} reached {rel}"


def test_published_version_is_kept_under_version_control(live: Site):
    """Written by the approval that completed the post."""
    text = live.read("posts/alpha/published.yml")
    assert "Zoe's approved words." in text and "Sam's approved words." in text
    assert "email" not in text and "zoe@example.org" not in text  # public fields only
    assert "version control" in text


def test_edit_keeps_the_approved_version_online(live: Site):
    result = live.build()
    assert live.page("posts/alpha/index.html") == live.published_page
    no_output_holds(live, "revised after publishing", "Unapproved Bio")
    assert "Slow Replies" in live.page("contributors/zoe/index.html")  # her page too: as she approved it
    assert "Alpha Roundup" in live.page("index.html") and "Alpha Roundup" in live.page("feed.xml")
    assert "live       alpha: the version approved on" in result.stdout
    assert "the new version is waiting for zoe (quote and profile edited since approval on" in result.stdout
    assert "1 post published (1 in an earlier approved version), 0 withheld" in result.stdout
    status = live.ok("status").stdout
    assert "Live: the version approved on" in status and "waiting for zoe" in status
    assert "A build would publish 1 post: alpha (its last approved version)." in status


def test_strict_fails_while_a_post_waits(live: Site):
    result = live.run("build", "--strict")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/alpha/post.md", None, "waiting (--strict)", "waiting for zoe")
    assert live.page("posts/alpha/index.html") == live.published_page


def test_drafts_build_shows_the_new_version_with_a_banner(live: Site):
    live.build("--drafts")
    page = live.page("posts/alpha/index.html")
    assert "revised after publishing" in page and "Draft — not published." in page
    assert "stays online until then" in page


def test_approving_the_new_version_publishes_it(live: Site):
    live.approve("zoe", "alpha")
    result = live.build()
    assert "revised after publishing" in live.page("posts/alpha/index.html")
    assert "live " not in result.stdout
    assert NEW_WORDS in live.read("posts/alpha/published.yml")


def test_a_decline_takes_the_live_post_down(live: Site):
    live.ok("decline", "zoe", "alpha", "--reason", "Please keep my original words.")
    result = live.build()
    assert not (live.out / "posts/alpha").exists()
    no_output_holds(live, "Alpha Roundup", "approved words")
    assert "withheld   alpha: taken down: zoe declined on" in result.stdout
    assert "withdrawing their approval" in result.stdout
    assert "Taken down: zoe declined on" in live.ok("status").stdout


def test_a_decline_of_an_unchanged_live_post_takes_it_down(site: Site):
    site.add_post("alpha", ["zoe", "sam"], title="Alpha Roundup")
    site.approve_all("alpha")
    site.build()
    site.ok("decline", "sam", "alpha")
    result = site.build()
    assert not (site.out / "posts/alpha").exists()
    assert "taken down: sam declined on" in result.stdout


@pytest.mark.parametrize("status, words", [("cancelled", "cancelled  alpha: taken down: the post is cancelled"),
                                           ("draft", "withheld   alpha: the post's status is draft")])
def test_cancel_or_draft_takes_the_live_post_down(live: Site, status: str, words: str):
    text = live.read("posts/alpha/post.md").replace("---\n", f"---\nstatus: {status}\n", 1)
    live.write("posts/alpha/post.md", text)
    result = live.build()
    assert not (live.out / "posts/alpha").exists()
    no_output_holds(live, "Alpha Roundup")
    assert words in result.stdout


def test_a_hand_edited_published_version_is_refused(live: Site):
    text = live.read("posts/alpha/published.yml").replace("Sam's approved words.", "Words Sam never said.")
    live.write("posts/alpha/published.yml", text)
    result = live.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/alpha/published.yml", ANY, "sam", "not what they approved",
                   "restore it from version control")
    assert live.page("posts/alpha/index.html") == live.published_page  # the old site stays


def test_a_post_never_published_stays_withheld_after_an_edit(site: Site):
    site.add_post("alpha", ["zoe", "sam"], title="Alpha Roundup")
    site.approve("zoe", "alpha")
    site.build()
    site.quote("alpha", "zoe", "Edited.\n")
    site.build()
    assert not (site.out / "posts/alpha").exists()
    assert not (site.root / "posts/alpha/published.yml").exists()


# ---- a post that became complete without a last approval ------------------------------------------

WORDS = {"zoe": "Zoe's approved words.\n", "sam": "Sam's approved words.\n"}


def complete_without_a_last_approval(site: Site, how: str) -> None:
    """Post `alpha` (zoe, sam), every voice approved, though no approval completed it, so none wrote its
    published.yml: the editor took out kim, who never answered, or undid an edit of zoe's profile that had made
    her approval stale while sam approved."""
    for cid, name in (("zoe", "Zoe Quill"), ("sam", "Sam Reed"), ("kim", "Kim Ode")):
        site.contributor(cid, name=name, email=f"{cid}@example.org")
    if how == "voice dropped":
        site.add_post("alpha", WORDS, title="Alpha Roundup", voices=["zoe", "sam", "kim"])
        site.approve_all("alpha")
        site.build()
        site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"])
    else:
        site.add_post("alpha", WORDS, title="Alpha Roundup")
        site.approve("zoe", "alpha")
        site.contributor("zoe", name="Zoe Quill", email="zoe@example.org", bio="A bio she never saw.")
        site.approve("sam", "alpha")
        site.contributor("zoe", name="Zoe Quill", email="zoe@example.org")
    assert site.states("alpha") == {"zoe": "approved", "sam": "approved"}
    assert not (site.root / "posts/alpha/published.yml").exists()


def edit_one_word_of_the_intro(site: Site) -> None:
    path = site.root / "posts/alpha/post.md"
    path.write_text(path.read_text(encoding="utf-8").replace("introduction", "intro"), encoding="utf-8")


@pytest.mark.parametrize("how", ["voice dropped", "edit undone"])
def test_a_post_published_without_a_last_approval_stays_online_after_an_edit(site: Site, how: str):
    complete_without_a_last_approval(site, how)
    assert "1 post published" in site.build().stdout
    page = site.page("posts/alpha/index.html")
    kept = site.read("posts/alpha/published.yml")
    assert "Zoe's approved words." in kept and "Sam's approved words." in kept and "Kim" not in kept
    edit_one_word_of_the_intro(site)
    result = site.build()
    assert "live       alpha: the version approved on" in result.stdout
    assert site.page("posts/alpha/index.html") == page
    site.ok("thank", "alpha")
    for cid in ("zoe", "sam"):
        raw = (site.root / f"_previews/{cid}/alpha.thanks.eml").read_bytes()
        text = plain_text(email.message_from_bytes(raw, policy=email.policy.default))
        assert f"{BASE_URL}posts/alpha/#voice-{cid}" in text
        assert f'id="voice-{cid}"' in page  # the link leads to their voice, online


def test_a_drafts_build_keeps_the_version_it_publishes_too(site: Site):
    complete_without_a_last_approval(site, "voice dropped")
    site.build("--drafts")
    assert "Sam's approved words." in site.read("posts/alpha/published.yml")


def test_keeping_the_live_version_costs_one_more_pass_then_nothing(site: Site, monkeypatch):
    from test_rows import assessed

    from roundup.build import build

    complete_without_a_last_approval(site, "voice dropped")
    assert build(site.root).published == 1
    path = site.root / "posts/alpha/published.yml"
    written = os.stat(path)
    read = assessed(monkeypatch)
    again = build(site.root)  # the post folder changed: read once more, and nothing to write
    assert (read, again.written, again.published) == (["alpha"], 0, 1)
    read.clear()
    assert build(site.root).written == 0 and read == []  # nothing changed: nothing read
    assert (os.stat(path).st_mtime_ns, os.stat(path).st_ino) == (written.st_mtime_ns, written.st_ino)


@pytest.mark.parametrize("args, trouble", [((), "another post broken"), ((), "a template that fails"),
                                           (("--strict",), "another post withheld")])
def test_a_failed_build_keeps_no_live_version(site: Site, args: tuple[str, ...], trouble: str):
    complete_without_a_last_approval(site, "voice dropped")
    if trouble == "another post broken":
        site.write("posts/beta/post.md", "---\ntitle: Beta\ndate: not a date\n---\nText.\n")
    elif trouble == "a template that fails":  # found only while the pages are made, after the posts are assessed
        site.write("themes/default/templates/404.html", "{{ nothing.at.all }}")
    else:
        site.add_post("beta", ["ada"], title="Beta Roundup")
    result = site.run("build", *args)
    assert result.returncode == 1, result.stdout
    assert not (site.root / "posts/alpha/published.yml").exists()
    assert not (site.out / "posts/alpha").exists()


def test_a_post_serve_showed_complete_is_kept_by_the_next_build(site: Site):
    """`serve` writes nothing into the sources; the build after it, which starts from the rows serve made,
    still keeps the version it publishes."""
    from roundup.serve import Server

    complete_without_a_last_approval(site, "voice dropped")
    server = Server(site.root, "/")
    server.rebuild("initial build")
    assert server.live.errors is None
    assert not (site.root / "posts/alpha/published.yml").exists()
    site.build()
    assert "Sam's approved words." in site.read("posts/alpha/published.yml")
    edit_one_word_of_the_intro(site)
    assert "live       alpha:" in site.build().stdout


def test_published_yml_that_cannot_be_written_fails_the_build_before_publishing(site: Site):
    complete_without_a_last_approval(site, "voice dropped")
    (site.root / "posts/alpha/published.yml").mkdir()  # in the way, even of root (a read-only folder is not)
    result = site.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/alpha/published.yml", None, "could not be written", "build again")
    assert not (site.out / "posts/alpha").exists()
