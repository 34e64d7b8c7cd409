"""What a contributor approves includes what readers see beside their words, the post's summary and tags
(not its date): a change to them asks everyone again, `status` and the preview say what changed, and a site
approved before they were covered stays online where that is provably safe."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
import yaml

from conftest import Site, plain_text

SUMMARY = "Two people on the tools they keep."
EVIL = "All endorse EvilCorp's new product."
MIGRATED = "summary and tags are now part of what contributors approve: send a new preview"


def write_alpha(site: Site, summary: str = SUMMARY, tags: tuple[str, ...] = ("tools",)) -> None:
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], summary=summary, tags=list(tags))


@pytest.fixture
def approved(site: Site) -> Site:
    """Post `alpha` (zoe, who reads French, and sam), with a summary and a tag, approved by both and built."""
    site.contributor("zoe", name="Zoé Quill", email="zoe@example.org", language="fr")
    site.contributor("sam", name="Sam Reed", email="sam@example.org")
    site.quote("alpha", "zoe", "Zoe's approved words.\n")
    site.quote("alpha", "sam", "Sam's approved words.\n")
    write_alpha(site)
    site.approve_all("alpha")
    site.build()
    site.published_page = site.page("posts/alpha/index.html")
    assert SUMMARY in site.published_page
    return site


def reasons(status: str) -> dict[str, str]:
    """Each stale voice's reason in `status` output, its date left out."""
    return {cid: re.sub(r" ?\d{4}-\d\d-\d\d", "", why) for cid, why in
            re.findall(r"^  (zoe|sam) .*?  stale  (.*)$", status, re.MULTILINE)}


def no_output_holds(site: Site, *markers: str) -> None:
    for rel, data in site.output_files().items():
        for marker in markers:
            assert marker.encode() not in data, f"{marker!r} reached {rel}"


@pytest.mark.parametrize("part, edit, marker", [
    ("summary", lambda s: write_alpha(s, summary=EVIL), "EvilCorp"),
    ("tags", lambda s: write_alpha(s, tags=("tools", "sponsored")), "sponsored"),
])
def test_a_new_summary_or_tag_waits_for_everyone_and_status_says_which(approved: Site, part, edit, marker):
    edit(approved)
    status = approved.ok("status").stdout
    assert approved.states("alpha") == {"zoe": "stale", "sam": "stale"}
    assert reasons(status) == {"zoe": f"post {part} edited since approval on", "sam": f"post {part} edited since"
                                                                                        " approval on"}
    result = approved.build()
    assert f"for zoe (post {part} edited since approval on" in result.stdout
    assert approved.page("posts/alpha/index.html") == approved.published_page
    no_output_holds(approved, marker)


def test_the_preview_marks_a_new_summary_and_tag_in_the_contributors_language(approved: Site):
    write_alpha(approved, summary=EVIL, tags=("tools", "sponsored"))
    approved.ok("preview", "--post", "alpha")
    for cid, summary, tags, said in (("sam", "Summary", "Tags", "(the preview marks each change):\n- Summary\n- Tags\n"),
                                     ("zoe", "Résumé", "Mots-clés", "dans l’aperçu)\u00a0:\n- Résumé\n- Mots-clés\n")):
        page = approved.read(f"_previews/{cid}/alpha.html")
        changes = re.search(r'<div class="preview-changes">.*?</div>', page, re.DOTALL).group(0)
        labels = re.findall(r"<dt>(.*?)</dt>", changes)
        assert labels == [summary, tags], labels
        summary_diff, tags_diff = re.findall(r"<dd[^>]*>(.*?)</dd>", changes, re.DOTALL)
        assert "<ins>EvilCorp&#39;s</ins>" in summary_diff and "<del>tools they keep.</del>" in summary_diff
        assert tags_diff == "tools<ins>\nsponsored</ins>", tags_diff
        raw = (approved.root / f"_previews/{cid}/alpha.eml").read_bytes()
        assert said in plain_text(email.message_from_bytes(raw, policy=email.policy.default))


# ---- a site approved before summary and tags were covered (DIGEST_VERSION 1) ----------------------------

def as_written_before(site: Site, slug: str = "alpha") -> None:
    """Rewrite the post's approvals.yml and published.yml as roundup wrote them before summary and tags were
    approved: the same answers, each with the digest of DIGEST_VERSION 1 and a copy without summary and tags."""
    from roundup.approvals import dump
    from roundup.digest import digest_v1
    from roundup.live import HEADER

    folder = site.root / "posts" / slug
    entries = yaml.safe_load((folder / "approvals.yml").read_text(encoding="utf-8"))
    old = {}
    for cid, entry in entries.items():
        old[cid] = entry["digest"] = digest_v1(entry["content"])
        entry["content"]["post"] = {key: entry["content"]["post"][key] for key in ("title", "text_sha256")}
    (folder / "approvals.yml").write_text(dump(entries), encoding="utf-8")
    path = folder / "published.yml"
    if path.exists():
        live = yaml.safe_load(path.read_text(encoding="utf-8"))
        for voice in live["voices"]:
            voice["digest"] = old[voice["id"]]
        path.write_text(dump(live, HEADER, blocks=True), encoding="utf-8")


def live_digests(site: Site) -> list[str]:
    return [v["digest"] for v in yaml.safe_load(site.read("posts/alpha/published.yml"))["voices"]]


def test_a_post_approved_before_stays_online_until_its_summary_or_tags_change(approved: Site):
    new_digests = live_digests(approved)
    as_written_before(approved)
    old_digests = live_digests(approved)
    assert old_digests != new_digests
    assert approved.states("alpha") == {"zoe": "approved", "sam": "approved"}
    assert "0 withheld" in approved.build().stdout
    assert approved.page("posts/alpha/index.html") == approved.published_page
    assert live_digests(approved) == new_digests  # the build kept the version it publishes in today's digests
    write_alpha(approved, tags=("tools", "sponsored"))
    assert approved.states("alpha") == {"zoe": "stale", "sam": "stale"}
    assert reasons(approved.ok("status").stdout) == {"zoe": MIGRATED, "sam": MIGRATED}
    result = approved.build()
    assert "live       alpha: the version approved on" in result.stdout and MIGRATED in result.stdout
    assert approved.page("posts/alpha/index.html") == approved.published_page
    no_output_holds(approved, "sponsored")


def test_a_live_version_written_before_still_loads_and_stays_online(approved: Site):
    as_written_before(approved)
    approved.quote("alpha", "zoe", "Zoe's words, edited since.\n")
    result = approved.build()
    assert "live       alpha: the version approved on" in result.stdout
    assert "waiting for zoe (quote edited since approval on" in result.stdout
    assert approved.page("posts/alpha/index.html") == approved.published_page
    assert approved.states("alpha") == {"zoe": "stale", "sam": "approved"}
    path = approved.root / "posts/alpha/published.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("Sam's approved words.", "Words Sam never said."),
                    encoding="utf-8")
    broken = approved.run("build")
    assert broken.returncode == 1 and "the voice of sam is not what they approved" in broken.stderr


def test_an_approval_given_before_with_no_live_version_asks_for_a_new_preview(approved: Site):
    as_written_before(approved)
    (approved.root / "posts/alpha/published.yml").unlink()
    assert approved.states("alpha") == {"zoe": "stale", "sam": "stale"}
    result = approved.build()
    assert "0 posts published" in result.stdout and MIGRATED in result.stdout
    assert not (approved.out / "posts/alpha").exists()
    approved.ok("preview", "--post", "alpha")
    assert (approved.root / "_previews/sam/alpha.html").exists()
    assert "previewed on" in approved.ok("status").stdout
    approved.approve_all("alpha")
    approved.build()
    assert approved.page("posts/alpha/index.html") == approved.published_page
