"""A post publishes only when every voice has a current approval; edits make exactly the
affected approvals stale; private edits change nothing; approvals.yml keeps what it should."""

from __future__ import annotations

import pytest
import yaml

from conftest import INTRO, PNG, BASE_URL, Site, tree_bytes

ZOE = {"name": "Zoë Ångström-Núñez", "handle": "@zoe", "url": "https://zoe.example/",
       "links": {"Blog": "https://zoe.example/blog/", "Mastodon": "https://social.example/@zoe"},
       "avatar": "avatars/zoe.png", "bio": "Writes *Slow Replies*.",
       "email": "zoe@example.org", "phone": "+1 555 0100", "notes": "Prefers mornings."}


@pytest.fixture
def two_voices(site: Site) -> Site:
    """Post `alpha` with voices zoe (full profile, avatar) and sam."""
    site.write("contributors/avatars/zoe.png", PNG)
    site.contributor("zoe", **ZOE)
    site.contributor("sam", name="Sam Reed")
    site.quote("alpha", "zoe", "Zoe's words.\n", prompt="What lasts?", note="Thanks, Zoë.")
    site.quote("alpha", "sam", "Sam's words.\n", prompt="What lasts?")
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["friends"])
    return site


@pytest.fixture
def published(two_voices: Site) -> Site:
    two_voices.approve_all("alpha")
    two_voices.build()
    assert (two_voices.out / "posts/alpha/index.html").is_file()
    return two_voices


def is_published(site: Site, slug: str) -> bool:
    site.build()
    return (site.out / f"posts/{slug}/index.html").exists()


def test_nothing_is_published_until_every_voice_approves(two_voices: Site):
    site = two_voices
    result = site.build()
    assert not (site.out / "posts/alpha").exists()
    assert "alpha" in result.stdout
    assert "Sam Reed" not in site.page("contributors/index.html")
    assert not any(b"Alpha Roundup" in data for data in site.output_files().values())
    site.approve("zoe", "alpha")
    assert site.states("alpha") == {"zoe": "approved", "sam": "pending"}
    assert not is_published(site, "alpha")
    site.approve("sam", "alpha")
    assert site.states("alpha") == {"zoe": "approved", "sam": "approved"}
    assert is_published(site, "alpha")
    for page in ("index.html", "feed.xml", "tags/friends/index.html",
                 "contributors/zoe/index.html", "contributors/sam/index.html"):
        assert "Alpha Roundup" in site.page(page), page
    assert f"{BASE_URL}posts/alpha/" in site.page("sitemap.xml")
    assert "Sam Reed" in site.page("contributors/index.html")


def test_withheld_post_and_its_only_contributor_leave_no_trace(site: Site):
    sam_png = PNG + b"sam-only-bytes"
    site.write("contributors/avatars/sam.png", sam_png)
    site.contributor("zoe", name="Zoe Visible")
    site.contributor("sam", name="Samwise Hiddenname", avatar="avatars/sam.png")
    site.add_post("open-door", ["zoe"], title="Open Door Post", tags=["shared-tag"])
    site.add_post("hidden-harvest", ["zoe", "sam"], title="Secret Orchard Title",
                  summary="Quiet summary text", tags=["shared-tag", "orchardtag"])
    site.approve_all("open-door")
    site.approve("zoe", "hidden-harvest")
    site.build()
    assert (site.out / "posts/open-door/index.html").is_file()
    assert "Zoe Visible" in site.page("contributors/zoe/index.html")
    assert not (site.out / "posts/hidden-harvest").exists()
    assert not (site.out / "contributors/sam").exists()
    assert not (site.out / "tags/orchardtag").exists()
    assert sam_png not in site.output_files().values()
    for rel, data in site.output_files().items():
        for marker in ("hidden-harvest", "Secret Orchard", "Quiet summary", "Samwise", "orchardtag"):
            assert marker.encode() not in data, f"{marker!r} leaked into {rel}"


def set_zoe(site: Site, **changes):
    site.contributor("zoe", **{**ZOE, **changes})


EDITS = {
    "quote body": (lambda s: s.quote("alpha", "zoe", "Zoe's words, revised.\n", prompt="What lasts?",
                                     note="Thanks, Zoë."), {"zoe"}),
    "quote prompt": (lambda s: s.quote("alpha", "zoe", "Zoe's words.\n", prompt="What endures?",
                                       note="Thanks, Zoë."), {"zoe"}),
    "profile name": (lambda s: set_zoe(s, name="Zoë Ångström"), {"zoe"}),
    "profile bio": (lambda s: set_zoe(s, bio="Writes *Slower Replies*."), {"zoe"}),
    "profile url": (lambda s: set_zoe(s, url="https://zoe.example/new/"), {"zoe"}),
    "profile links": (lambda s: set_zoe(s, links={"Blog": "https://zoe.example/blog2/"}), {"zoe"}),
    "profile handle": (lambda s: set_zoe(s, handle="@zoe2"), {"zoe"}),
    "profile links order": (lambda s: set_zoe(s, links={"Mastodon": "https://social.example/@zoe",
                                                     "Blog": "https://zoe.example/blog/"}), {"zoe"}),
    "avatar bytes": (lambda s: s.write("contributors/avatars/zoe.png", PNG[:-1] + b"\x00"), {"zoe"}),
    "post title": (lambda s: s.post("alpha", title="Alpha Roundup, Renamed", voices=["zoe", "sam"],
                                    tags=["friends"]), {"zoe", "sam"}),
    "editor intro": (lambda s: s.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["friends"],
                                      body=INTRO.replace("introduction", "new introduction")), {"zoe", "sam"}),
    "editor outro": (lambda s: s.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["friends"],
                                      body=INTRO.replace("closing", "final")), {"zoe", "sam"}),
    "other voice's quote": (lambda s: s.quote("alpha", "sam", "Sam's words, revised.\n",
                                              prompt="What lasts?"), {"sam"}),
    "post summary": (lambda s: s.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["friends"],
                                      summary="All endorse EvilCorp's new product."), {"zoe", "sam"}),
    "post tags": (lambda s: s.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"],
                                   tags=["friends", "sponsored"]), {"zoe", "sam"}),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_edit_makes_exactly_the_affected_approvals_stale(published: Site, edit: str):
    """An edit makes exactly the affected approvals stale, and the live post stays online exactly as
    everyone approved it (a changed photo, which nobody approved, gives way to the initials)."""
    change, stale = EDITS[edit]
    before = published.page("posts/alpha/index.html")
    change(published)
    states = published.states("alpha")
    assert states == {cid: "stale" if cid in stale else "approved" for cid in ("zoe", "sam")}
    result = published.build()
    after = published.page("posts/alpha/index.html")
    if edit == "avatar bytes":
        assert "Initials of Zoë Ångström-Núñez" in after and "Photo of Zoë" not in after
        assert "Initials of Zoë Ångström-Núñez" in published.page("contributors/zoe/index.html")
    else:
        assert after == before
    assert "live       alpha: the version approved on" in result.stdout
    assert "stays online; the new version is waiting for" in result.stdout
    for cid in stale:
        assert f"for {cid} (" in result.stdout or f"; {cid} (" in result.stdout
    assert published.run("build", "--strict").returncode == 1
    assert published.page("posts/alpha/index.html") == after  # a failed strict build keeps the site


def test_moving_the_date_needs_no_new_approval(published: Site):
    """The date is not approved: moving it changes nothing anyone said. The post moves at once, and its live
    version with it."""
    published.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["friends"], date="2026-04-02")
    assert published.states("alpha") == {"zoe": "approved", "sam": "approved"}
    assert "live " not in published.build().stdout
    assert "2026-04-02" in published.page("posts/alpha/index.html")
    assert "date: '2026-04-02'" in published.read("posts/alpha/published.yml")


def test_reapproving_a_stale_voice_publishes_the_new_version(published: Site):
    EDITS["quote body"][0](published)
    assert is_published(published, "alpha")
    assert "revised" not in published.page("posts/alpha/index.html")
    published.approve("zoe", "alpha")
    assert is_published(published, "alpha")
    assert "Zoe&#39;s words, revised." in published.page("posts/alpha/index.html") or \
        "Zoe's words, revised." in published.page("posts/alpha/index.html")


PRIVATE_EDITS = {
    "email": lambda s: set_zoe(s, email="zoe.new@example.org"),
    "phone": lambda s: set_zoe(s, phone="+1 555 0199"),
    "notes": lambda s: set_zoe(s, notes="Now prefers evenings."),
    "custom key": lambda s: set_zoe(s, shoe_size="42"),
    "profile yaml reformatted": lambda s: s.write("contributors/zoe.yml", (
        "# comments, other key order and quoting: same values\n"
        "bio: 'Writes *Slow Replies*.'\nname: \"Zoë Ångström-Núñez\"\nhandle: '@zoe'\n"
        "links: {Blog: 'https://zoe.example/blog/', Mastodon: 'https://social.example/@zoe'}\n"
        "url: https://zoe.example/\navatar: avatars/zoe.png\nemail: zoe@example.org\n"
        "phone: +1 555 0100\nnotes: Prefers mornings.\n")),
    "quote note": lambda s: s.quote("alpha", "zoe", "Zoe's words.\n", prompt="What lasts?",
                                    note="A different private note."),
}


@pytest.mark.parametrize("edit", list(PRIVATE_EDITS))
def test_private_edit_changes_nothing(published: Site, edit: str):
    approvals_before = published.read("posts/alpha/approvals.yml")
    PRIVATE_EDITS[edit](published)
    assert published.states("alpha") == {"zoe": "approved", "sam": "approved"}
    assert is_published(published, "alpha")
    assert published.read("posts/alpha/approvals.yml") == approvals_before


def test_decline_with_reason_is_shown_and_withholds(published: Site):
    published.ok("decline", "sam", "alpha", "--reason", "Please cut the second sentence")
    status = published.ok("status").stdout
    assert published.states("alpha") == {"zoe": "approved", "sam": "declined"}
    assert "Please cut the second sentence" in status
    result = published.build()
    assert not (published.out / "posts/alpha").exists()
    assert "declined" in result.stdout and "Please cut the second sentence" in result.stdout


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_draft_and_cancelled_posts_are_withheld(two_voices: Site, status: str):
    site = two_voices
    site.approve_all("alpha")
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["friends"], status=status)
    assert site.states("alpha") == {"zoe": "approved", "sam": "approved"}
    site.build()
    assert not (site.out / "posts/alpha").exists()
    assert not (site.out / "contributors/zoe").exists()
    for rel, data in site.output_files().items():
        assert b"Alpha Roundup" not in data, rel
    status_out = site.ok("status").stdout
    assert status in status_out


def test_approve_keeps_entries_it_was_not_asked_to_change(two_voices: Site):
    site = two_voices
    ghost = {"digest": "sha256:" + "0" * 64, "approved_at": "2026-01-02T03:04:05Z", "via": "cli",
             "content": {"note": "hand-added for someone who left the post"}}
    site.write("posts/alpha/approvals.yml", yaml.safe_dump({"ghost": ghost}))
    site.approve("zoe", "alpha")
    data = yaml.safe_load(site.read("posts/alpha/approvals.yml"))
    assert data["ghost"] == ghost
    zoe_entry = data["zoe"]
    site.approve("sam", "alpha")
    data = yaml.safe_load(site.read("posts/alpha/approvals.yml"))
    assert set(data) == {"ghost", "zoe", "sam"}
    assert data["ghost"] == ghost
    assert data["zoe"] == zoe_entry
    assert is_published(site, "alpha")


def test_approvals_file_is_valid_yaml_and_round_trips_unicode(two_voices: Site):
    site = two_voices
    site.approve("zoe", "alpha")
    raw = (site.root / "posts/alpha/approvals.yml").read_bytes()
    data = yaml.safe_load(raw.decode("utf-8"))
    assert isinstance(data, dict) and set(data) == {"zoe"}
    entry = data["zoe"]
    assert str(entry["digest"]).startswith("sha256:")
    assert "approved_at" in entry
    assert entry["content"]["profile"]["name"] == "Zoë Ångström-Núñez"
    assert entry["content"]["quote"]["body"] == "Zoe's words."
    assert "Thanks, Zoë." not in raw.decode("utf-8"), "the private note is not part of what is approved"


def test_failed_approve_leaves_approvals_file_untouched(published: Site):
    before = tree_bytes(published.root / "posts")
    result = published.run("approve", "nobody", "alpha")
    assert result.returncode == 1
    assert tree_bytes(published.root / "posts") == before


def test_approval_is_per_post_and_a_profile_edit_stales_every_post(published: Site):
    site = published
    site.add_post("beta", ["zoe", "sam"], title="Beta Roundup")
    assert site.states("beta") == {"zoe": "pending", "sam": "pending"}
    site.approve_all("beta")
    assert site.states("alpha") == site.states("beta") == {"zoe": "approved", "sam": "approved"}
    set_zoe(site, bio="A new bio.")
    assert site.states("alpha") == site.states("beta") == {"zoe": "stale", "sam": "approved"}
    site.approve("zoe", "beta")
    assert site.states("alpha")["zoe"] == "stale" and site.states("beta")["zoe"] == "approved"


def test_hand_written_entry_with_unquoted_timestamp_survives(two_voices: Site):
    site = two_voices
    site.write("posts/alpha/approvals.yml", "# kept by hand\nghost:\n  digest: sha256:" + "ab" * 32 + "\n"
                                            "  approved_at: 2026-01-02T03:04:05Z\n  via: email\n")
    before = yaml.safe_load(site.read("posts/alpha/approvals.yml"))
    site.approve("zoe", "alpha")
    after = yaml.safe_load(site.read("posts/alpha/approvals.yml"))
    assert after["ghost"] == before["ghost"]
    assert site.states("alpha") == {"zoe": "approved", "sam": "pending"}


def test_approve_leaves_no_temporary_files_beside_the_record(two_voices: Site):
    for cid in ("zoe", "sam", "zoe"):
        two_voices.approve(cid, "alpha")
        # what a write killed half-way leaves behind (test_crash kills real ones) is cleared by the next
        two_voices.write("posts/alpha/.approvals.yml.x1y2z3.tmp", "digest: half-writ")
    two_voices.approve("sam", "alpha")
    names = sorted(p.name for p in (two_voices.root / "posts/alpha").iterdir())
    assert names == ["approvals.yml", "post.md", "published.yml", "quotes"]


def test_declining_after_approving_withholds_and_approving_again_publishes(published: Site):
    published.ok("decline", "zoe", "alpha")
    assert published.states("alpha")["zoe"] == "declined"
    assert not is_published(published, "alpha")
    published.approve("zoe", "alpha")
    assert is_published(published, "alpha")


def test_a_post_with_no_voices_is_withheld_not_published_empty(site: Site):
    site.post("empty", title="Empty Roundup", voices=None)
    result = site.build()
    assert "no voices" in result.stdout
    assert not (site.out / "posts/empty").exists()
    strict = site.run("build", "--strict")
    assert strict.returncode == 1
    assert "posts/empty/post.md" in strict.stderr and "no voices" in strict.stderr
