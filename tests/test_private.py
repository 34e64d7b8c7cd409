"""Private profile fields and private quote notes never reach any file of the built site."""

from __future__ import annotations

import pytest

from conftest import Site

MARKERS = {
    "email": "priv-email-7q2x",
    "phone": "PRIV-PHONE-5521",
    "notes": "PRIV-NOTES-k8d1",
    "custom": "PRIV-CUSTOM-w3z9",
    "nested": "PRIV-NESTED-m0v4",
    "note": "PRIV-QUOTE-NOTE-j6t2",
    "note2": "PRIV-QUOTE-NOTE-b7y1",
}


def private_site(site: Site) -> Site:
    site.contributor("zoe", name="Zoe Quill", url="https://zoe.example/", bio="Public bio.",
                     email=f"zoe.{MARKERS['email']}@example.org", phone=MARKERS["phone"],
                     notes=f"Met at a conference. {MARKERS['notes']}",
                     secret_plan=MARKERS["custom"], extra={"deep": [MARKERS["nested"]]})
    site.contributor("sam", name="Sam Reed", email="sam@example.org",
                     notes=f"Only here for the drafts test {MARKERS['note2']}-profile")
    site.quote("open", "zoe", "Zoe's public words.\n", prompt="Why?", note=f"Thanks! {MARKERS['note']}")
    site.post("open", title="Open Post", voices=["zoe"])
    site.quote("waiting", "zoe", "More public words.\n", note=f"Second note {MARKERS['note']}")
    site.quote("waiting", "sam", "Sam's words.\n", note=f"For Sam {MARKERS['note2']}")
    site.post("waiting", title="Waiting Post", voices=["zoe", "sam"])
    site.approve_all("open")
    site.approve("zoe", "waiting")
    return site


def assert_no_marker_anywhere(site: Site) -> None:
    files = site.output_files()
    assert files, "nothing was built"
    leaks = [f"{name} in {rel}" for rel, data in files.items() for name, marker in MARKERS.items()
             if marker.lower().encode() in data.lower()]
    assert leaks == []


@pytest.mark.parametrize("flags", [(), ("--drafts",)], ids=["normal", "drafts"])
def test_private_fields_and_notes_never_reach_the_site(site: Site, flags: tuple[str, ...]):
    private_site(site)
    site.build(*flags)
    assert (site.out / "posts/open/index.html").is_file()
    assert (site.out / "posts/waiting/index.html").exists() == bool(flags)
    assert "Zoe&#39;s public words." in site.page("posts/open/index.html") or \
        "Zoe's public words." in site.page("posts/open/index.html")
    assert_no_marker_anywhere(site)


def test_editor_email_and_mail_settings_stay_out_of_the_site(site: Site):
    site.config(editor={"name": "Ed Itor", "email": "ed.priv-editor-9k@example.com"},
                mail={"host": "smtp.priv-host-3j.example", "port": 587, "username": "priv-user-4h"})
    private_site(site)
    site.build("--drafts")
    blob = b"".join(site.output_files().values()).lower()
    for marker in (b"priv-editor-9k", b"priv-host-3j", b"priv-user-4h"):
        assert marker not in blob
