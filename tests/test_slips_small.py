"""The small slips of issue 24, each seen by the user: `status` shows the deadline, `roundup new` writes the
fields a new editor needs, an unknown field or contributor names what was meant, and `new site` refuses to
start a site inside another."""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from conftest import ANY, Site, assert_problem, run_roundup, tree_bytes


# ---- status shows the deadline --------------------------------------------------------------------------

def test_status_shows_each_posts_deadline(site: Site):
    site.add_post("alpha", ["zoe"], deadline="2026-03-15")
    site.add_post("beta", ["sam"])
    for _ in range(2):  # the second time from the site's index
        out = site.ok("status").stdout
        header = next(line for line in out.splitlines() if line.startswith("alpha "))
        assert "deadline 2026-03-15" in header, out
        beta = next(line for line in out.splitlines() if line.startswith("beta "))
        assert "deadline" not in beta
    one = site.ok("status", "--post", "alpha").stdout
    assert "deadline 2026-03-15" in one.splitlines()[0], one


# ---- `roundup new` writes the fields a new editor needs -------------------------------------------------

def uncommented(text: str, *keys: str) -> str:
    """The template with the commented-out lines of `keys` (every key when none is named) made real."""
    lines = []
    for line in text.splitlines():
        key = line.removeprefix("# ").split(":")[0]
        if line.startswith("# ") and key.isidentifier() and (not keys or key in keys):
            line = line.removeprefix("# ")
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_new_site_writes_language_inbox_and_remind_every_and_builds_as_written_and_filled_in(tmp_path: Path):
    root = tmp_path / "blog"
    root.mkdir()
    assert run_roundup("new", "site", cwd=root).returncode == 0
    site = Site(root)
    text = site.read("site.yml")
    assert "\nlanguage: en " in text and "zh-Hans" in text  # a real setting, naming the languages there are
    assert "\n# inbox: {host: " in text and "\n# remind_every: 3 " in text
    site.add_post("alpha", ["zoe"])
    site.approve_all("alpha")
    site.build()
    site.write("site.yml", uncommented(text).replace("language: en", "language: fr"))
    site.ok("check")
    site.build()
    assert 'lang="fr"' in site.page("posts/alpha/index.html")


def test_new_contributor_writes_language_and_short_name_lines_that_work_when_filled_in(site: Site):
    assert site.run("new", "contributor", "priya-nair").returncode == 0
    text = site.read("contributors/priya-nair.yml")
    assert "\n# language: fr " in text and "default: the site's" in text
    short = next(line for line in text.splitlines() if line.startswith("# short_name:"))
    assert short.split("#")[1].strip() == "short_name:"  # no value guessed for them
    assert "greetings" in text and "never guessed" in text
    site.add_post("alpha", ["priya-nair"])
    site.ok("check")
    site.write("contributors/priya-nair.yml", uncommented(text, "language", "short_name", "email"))
    site.ok("check")
    site.ok("preview", "priya-nair")
    mail = email.message_from_bytes((site.root / "_previews/priya-nair/alpha.eml").read_bytes())
    assert mail["Content-Language"] == "fr", mail.as_string()[:2000]


# ---- `roundup new site` inside a site -------------------------------------------------------------------

def test_new_site_inside_a_site_is_refused_naming_the_outer_site_and_writes_nothing(site: Site, tmp_path: Path):
    site.add_post("alpha", ["zoe"])
    inner = site.root / "posts" / "elsewhere"
    inner.mkdir()
    before = tree_bytes(site.root)
    for args, cwd in ((("new", "site"), inner), (("new", "site"), site.root / "contributors"),
                      (("--site", "posts/fresh", "new", "site"), site.root)):
        result = run_roundup(*args, cwd=cwd)
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr
        first = result.stderr.splitlines()[0]
        assert first.split(": ")[0].endswith("site.yml") and (cwd / first.split(": ")[0]).resolve() == \
            site.root / "site.yml", first
        assert str(site.root) in first and "outside" in first and "roundup new post" in first
        assert tree_bytes(site.root) == before and list(inner.iterdir()) == []
        assert not (site.root / "posts/fresh").exists()
    inner.rmdir()
    site.approve_all("alpha")
    site.build()


# ---- an unknown field or contributor names what was meant -----------------------------------------------

@pytest.mark.parametrize("path, key, meant", [
    ("posts/alpha/quotes/zoe.md", "language", "lang"), ("posts/alpha/quotes/zoe.md", "question", "prompt"),
    ("posts/alpha/quotes/zoe.md", "locale", "lang"), ("posts/alpha/post.md", "question", "prompt"),
    ("posts/alpha/post.md", "due", "deadline"), ("posts/alpha/post.md", "description", "summary"),
    ("site.yml", "lang", "language"), ("contributors/zoe.yml", "photo", "avatar"),
    ("contributors/zoe.yml", "website", "url"), ("contributors/zoe.yml", "lang", "language")])
def test_a_synonym_of_a_field_is_an_error_naming_the_field(site: Site, path: str, key: str, meant: str):
    site.add_post("alpha", ["zoe"])
    text = site.read(path)
    value = "avatars/zoe.jpg" if key == "photo" else "fr"
    if path.endswith(".md"):
        text = text if text.startswith("---\n") else "---\n---\n" + text
        site.write(path, text.replace("---\n", f"---\n{key}: {value}\n", 1))
    else:
        site.write(path, text + f"{key}: {value}\n")
    result = site.run("check")
    assert result.returncode == 1
    assert_problem(result.stderr, path, ANY, f"unknown field `{key}`: did you mean '{meant}'?")


def test_a_private_field_of_another_name_is_still_welcome(site: Site):
    site.add_post("alpha", ["zoe"])
    site.contributor("zoe", pronouns="she/her", phone="+1 555 0100", notes="met in Lyon", surname="Quill")
    site.ok("check")


@pytest.mark.parametrize("file, voices, says", [
    ("priya", None, "rename this file to priya-nair.md; otherwise create contributors/priya.yml"),
    ("priya", ["priya"], "rename this file to priya-nair.md and write 'priya-nair' in `voices`"),
    ("priay-nair", None, "rename this file to priya-nair.md"),
    (None, ["priya"], "write 'priya-nair' in `voices`; otherwise create contributors/priya.yml")])
def test_a_voice_without_a_profile_suggests_the_profile_it_may_mean(site: Site, file, voices, says):
    site.contributor("priya-nair", "Priya Nair")
    site.contributor("kofi", "Kofi Mensah")
    site.post("alpha", voices=voices)
    if file:
        site.quote("alpha", file, "Words.\n")
    result = site.run("check")
    assert result.returncode == 1
    where = f"posts/alpha/quotes/{file}.md" if file else "posts/alpha/post.md"
    assert_problem(result.stderr, where, ANY, "has no profile: did you mean 'priya-nair'?", says)
    assert "kofi" not in result.stderr


def test_a_voice_like_no_profile_gets_no_guess_and_several_alike_are_all_named(site: Site):
    site.contributor("priya-nair", "Priya Nair")
    site.contributor("priya-shah", "Priya Shah")
    site.post("alpha", voices=["priya", "kwame"])
    result = site.run("check")
    assert_problem(result.stderr, "posts/alpha/post.md", ANY, "'priya'", "'priya-nair' or 'priya-shah'",
                   "write that id in `voices`")
    line = assert_problem(result.stderr, "posts/alpha/post.md", ANY, "'kwame' has no profile")
    assert line.endswith("has no profile: create contributors/kwame.yml")
