"""No surprises in roundup's words: mail problems name the setting to fix, every `--help` explains its
arguments, summaries read as English, the thank-you's share line speaks for the contributor, preview
links lead to pages that exist, and every id in a page is unique whatever the contributor ids."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import (BASE_URL, Mailbox, Site, assert_problem, free_port, parse_html, plain_text,
                      run_roundup_env)
from test_mail import PASSWORD, certificate, mail_site, tls_server  # noqa: F401 (fixtures)
from test_serve import Serve


def site_line(site: Site, key: str) -> int:
    """The line of `key:` (under `mail:`) in the site's site.yml."""
    lines = site.read("site.yml").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip().startswith(f"{key}:"))


# ---- 9. mail settings -------------------------------------------------------------------------------

def no_email_note(output: str) -> str:
    line = next((x for x in output.splitlines() if "lee" in x and "email" in x), None)
    assert line is not None, output
    return line


@pytest.mark.parametrize("command", ["preview", "cancel", "thank"])
def test_a_contributor_without_email_is_named_when_their_message_is_written(site: Site, command: str):
    mail_site(site, free_port())
    if command == "thank":
        site.approve_all("alpha")
    args = ("preview", "lee") if command == "preview" else (command, "alpha")
    result = site.ok(*args)
    note = no_email_note(result.stdout + result.stderr)
    assert "add `email:` to contributors/lee.yml" in note, note
    assert not any("zoe" in x and "email" in x for x in (result.stdout + result.stderr).splitlines())


def test_a_refused_mail_server_names_host_and_port_in_site_yml_with_the_line(site: Site):
    mail_site(site, free_port())  # nothing listens there
    result = site.run("preview", "zoe", "--send")
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", site_line(site, "port"), "`mail: port`", "`mail: host`",
                   "127.0.0.1")


def test_an_unknown_mail_host_names_mail_host_with_the_line(site: Site):
    mail_site(site, 2525, host="no-such-host.invalid")
    result = site.run("preview", "zoe", "--send")
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", site_line(site, "host"), "`mail: host`", "no-such-host.invalid")


def test_a_server_without_starttls_names_mail_starttls(site: Site, smtp_server: Mailbox):
    mail_site(site, smtp_server.port, starttls=True)
    result = site.run("preview", "zoe", "--send")
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", site_line(site, "starttls"), "`mail: starttls`")
    assert smtp_server.received == []


def test_a_server_that_wants_starttls_first_names_mail_starttls(site: Site, tls_server: Mailbox):
    mail_site(site, tls_server.port)  # starttls not set
    result = site.run("cancel", "alpha", "--send")
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", site_line(site, "mail"), "`mail: starttls`")


def test_a_refused_login_names_username_and_password_env(site: Site, tls_server: Mailbox, certificate):  # noqa: F811
    mail_site(site, tls_server.port, host="localhost", starttls=True, username="ed", password_env="TEST_SMTP_PW")
    env = {"TEST_SMTP_PW": "wrong", "SSL_CERT_FILE": str(certificate[0])}
    result = run_roundup_env("preview", "zoe", "--send", cwd=site.root, env=env)
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", site_line(site, "username"), "`mail: username`",
                   "`mail: password_env`", "TEST_SMTP_PW")
    assert tls_server.received == []


# ---- 10. --help ---------------------------------------------------------------------------------------

COMMANDS = ("build", "check", "status", "approve", "decline", "preview", "serve", "cancel", "thank", "new")
WITH_POSITIONALS = ("approve", "decline", "preview", "cancel", "thank", "new")


def help_text(tmp_path: Path, command: str) -> str:
    result = run_roundup_env(command, "--help", cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def positionals(text: str) -> dict[str, str]:
    """`positional arguments:` of an argparse help: name → its description ("" when it has none)."""
    section = text.split("positional arguments:\n", 1)[1] if "positional arguments:" in text else ""
    found: dict[str, str] = {}
    name = ""
    for line in section.splitlines():
        if not line.startswith("  "):
            break
        if line.startswith(" " * 6):  # the description continues, or starts below a long name
            found[name] = (found[name] + " " + line.strip()).strip()
            continue
        name, _, described = line.strip().partition("  ")
        found[name] = described.strip()
    return found


@pytest.mark.parametrize("command", WITH_POSITIONALS)
def test_every_positional_argument_is_described(tmp_path: Path, command: str):
    text = help_text(tmp_path, command)
    named = positionals(text)
    assert named, f"{command}: no positional arguments listed:\n{text}"
    for name, described in named.items():
        assert described, f"{command}: `{name}` is not described:\n{text}"


def test_the_command_list_reads_as_english(tmp_path: Path):
    result = run_roundup_env("--help", cwd=tmp_path, env={"COLUMNS": "200"})
    listed = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("    ")}
    assert set(COMMANDS) <= set(listed), result.stdout
    assert "asked for changes to their voice" in listed["decline"], listed["decline"]


def test_approve_help_shows_both_forms(tmp_path: Path):
    text = help_text(tmp_path, "approve")
    usage = text.split("\n\n", 1)[0]
    assert re.search(r"roundup approve .*contributor.* .*slug", usage), usage
    assert "roundup approve --token TOKEN" in usage, usage


@pytest.mark.parametrize("command, where", [
    ("preview", ("_previews/<contributor>/<slug>.html", "_previews/<contributor>/<slug>.eml")),
    ("thank", ("_previews/<contributor>/<slug>.thanks.eml",)),
    ("cancel", ("_previews/<contributor>/<slug>.cancelled.eml", "posts/<slug>/post.md")),
])
def test_help_says_where_messages_are_written(tmp_path: Path, command: str, where: tuple[str, ...]):
    text = " ".join(help_text(tmp_path, command).split())
    for path in where:
        assert path in text, text


# ---- 11. summaries read as English ---------------------------------------------------------------------

def test_one_of_everything_is_singular(site: Site):
    site.add_post("alpha", ["zoe"])
    check = site.ok("check").stdout
    assert "1 post and 1 contributor;" in check, check
    build = site.ok("build").stdout
    assert "waiting for 1 of 1 voice" in build and "1 voices" not in build, build
    site.approve("zoe", "alpha")
    site.build()
    (site.out / "feed.xml").unlink()
    again = site.ok("build").stdout
    assert ", 1 file written," in again, again


def test_one_message_sent_is_singular(site: Site, smtp_server: Mailbox):
    site.config(mail={"host": "127.0.0.1", "port": smtp_server.port})
    site.contributor("zoe", email="zoe@example.org")
    site.add_post("alpha", ["zoe"])
    result = site.ok("preview", "zoe", "--send")
    assert "Sent 1 of 1 message." in result.stdout, result.stdout


def test_a_declined_voice_is_not_declined_twice_in_the_build_output(site: Site):
    site.add_post("alpha", ["zoe", "sam"])
    site.ok("decline", "zoe", "alpha", "--reason", "too long")
    recorded = site.ok("decline", "sam", "alpha").stdout
    assert "Recorded: sam asked for changes to their voice in alpha." in recorded, recorded
    out = site.ok("build").stdout
    assert re.search(r"zoe\s+declined\s+on \d{4}-\d\d-\d\d: too long", out), out
    assert "declined declined" not in re.sub(r"\s+", " ", out), out


def test_a_single_problem_gets_the_summary_line_too(site: Site):
    site.config(paginate="many")
    result = site.run("check")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "1 problem; nothing was written.", result.stderr
    site.config(paginate="many", language=3)
    assert site.run("check").stderr.splitlines()[-1] == "2 problems; nothing was written."


def test_an_invalid_contributor_id_is_explained_with_a_contributor_example(site: Site):
    site.add_post("alpha", ["kofi"])
    for args in (("approve", "Kofi", "alpha"), ("preview", "Kofi"), ("new", "contributor", "Kofi")):
        result = site.run(*args)
        assert result.returncode == 1, args
        assert "contributor id" in result.stderr and "tools-we-keep" not in result.stderr, result.stderr
        assert re.search(r"“Kofi” → kofi", result.stderr), result.stderr


def test_a_profile_file_name_that_is_not_an_id_says_what_to_rename_it_to(site: Site):
    site.contributor("Kofi-Mensah", name="Kofi Mensah")
    result = site.run("check")
    assert result.returncode == 1
    assert_problem(result.stderr, "contributors/Kofi-Mensah.yml", None, "rename it to contributors/kofi-mensah.yml")


def test_an_invalid_slug_is_explained_with_a_slug_example(site: Site):
    site.add_post("tools-we-keep", ["kofi"])
    result = site.run("approve", "kofi", "Tools_We_Keep")
    assert result.returncode == 1
    assert "post slug" in result.stderr and "“Tools_We_Keep” → tools-we-keep" in result.stderr, result.stderr


EDITOR_LITTER = ("sedRYlAi4", "4913", "zoe.md.swp", ".zoe.md.swp", "zoe.md~", "#zoe.md#")


def test_serve_ignores_editors_temporary_files(site: Site):
    site.add_post("alpha", ["zoe"])
    server = Serve(site.root, free_port()).wait_ready()
    try:
        time.sleep(0.5)
        before = len(server.out)
        folder = site.root / "posts/alpha/quotes"
        for name in EDITOR_LITTER:
            (folder / name).write_text("x")
            (site.root / "contributors" / name).write_text("x")
        os.symlink("ed@host.1234:1", folder / ".#zoe.md")
        time.sleep(0.3)
        for name in EDITOR_LITTER:
            (folder / name).unlink()
        time.sleep(1.5)
        assert server.out[before:] == [], "serve rebuilt for editors' temporary files:\n" + server.output()
        site.quote("alpha", "zoe", "New words.\n")
        server.wait_for(lambda: len(server.out) > before, 10, "the rebuild after a real change")
        time.sleep(0.5)
        (line,) = server.out[before:]
        assert line.startswith("changed posts/alpha/quotes/zoe.md: rebuilt "), line
    finally:
        server.stop()


# ---- 12. the share line speaks for the contributor -------------------------------------------------------

def share_line(site: Site, cid: str, slug: str) -> str:
    import email
    import email.policy
    data = (site.root / f"_previews/{cid}/{slug}.thanks.eml").read_bytes()
    text = plain_text(email.message_from_bytes(data, policy=email.policy.default))
    (line,) = [x.strip() for x in text.splitlines() if x.startswith("    ")]
    return line


def test_the_share_line_is_in_the_contributors_own_voice(site: Site):
    site.config(title="Friends of the Blog")
    site.contributor("zoe", name="Zoë Quill", handle="@zoe")
    site.contributor("kofi", name="Kofi Mensah")
    site.contributor("ada", name="Ada Lovelace-Smith")
    site.add_post("tools-we-keep", ["zoe", "kofi", "ada"], title="Tools we keep")
    site.add_post("solo", ["zoe"], title="On my own")
    for slug in ("tools-we-keep", "solo"):
        site.approve_all(slug)
        site.ok("thank", slug)
    assert share_line(site, "zoe", "tools-we-keep") == (
        f"I joined Kofi Mensah and Ada Lovelace-Smith in “Tools we keep”, on Friends of the Blog: "
        f"{BASE_URL}posts/tools-we-keep/#voice-zoe")
    assert share_line(site, "kofi", "tools-we-keep") == (
        f"I joined Zoë Quill and Ada Lovelace-Smith in “Tools we keep”, on Friends of the Blog: "
        f"{BASE_URL}posts/tools-we-keep/#voice-kofi")
    assert share_line(site, "zoe", "solo") == f"My voice is in “On my own”, on Friends of the Blog: {BASE_URL}posts/solo/#voice-zoe"


# ---- 13. preview links lead to pages that exist ------------------------------------------------------------

def links(html: str) -> list[str]:
    return [value for _, attrs in parse_html(html).tags for name, value in attrs
            if name in ("href", "src") and value]


def assert_every_link_exists(site: Site, html: str) -> list[str]:
    """Every link into the site leads to a page the published build has; in-page anchors have targets."""
    ids = {dict(attrs).get("id") for _, attrs in parse_html(html).tags}
    inside = []
    for href in links(html):
        if href.startswith("#"):
            assert href[1:] in ids, href
        elif href.startswith(BASE_URL):
            path = href[len(BASE_URL):].split("#")[0]
            target = site.out / (path + "index.html" if path == "" or path.endswith("/") else path)
            assert target.is_file(), f"{href} leads nowhere in the published site"
            inside.append(path)
        else:
            assert re.match(r"(https?:|mailto:|data:)", href), href
            assert "/./" not in href, href
    return inside


def test_preview_links_lead_only_to_pages_that_exist(site: Site):
    site.contributor("sam", name="Sam Reed")
    site.contributor("zoe", name="Zoë Quill")
    site.add_post("old", ["sam"], tags=["shared"])
    site.approve_all("old")
    site.add_post("fresh", ["zoe", "sam"], tags=["shared", "brand new"])
    site.approve("sam", "fresh")  # shown in full in zoe's preview (an unapproved voice shows its name only)
    site.build()
    site.ok("preview", "zoe", "--post", "fresh")
    html = site.read("_previews/zoe/fresh.html")
    inside = assert_every_link_exists(site, html)
    assert "" in inside and "contributors/sam/" in inside and "tags/shared/" in inside
    assert "brand new" in html and "All voices by" in html


def test_preview_links_on_a_site_with_nothing_published_yet(site: Site):
    site.add_post("first", ["zoe"], tags=["start"])
    site.build()
    site.ok("preview", "zoe")
    html = site.read("_previews/zoe/first.html")
    inside = assert_every_link_exists(site, html)
    assert set(inside) == {"", "contributors/", "feed.xml"}, inside


# ---- 14. unique ids -----------------------------------------------------------------------------------------

def duplicate_ids(html: str) -> list[str]:
    counts = Counter(dict(attrs)["id"] for _, attrs in parse_html(html).tags if dict(attrs).get("id"))
    return [i for i, n in counts.items() if n > 1]


COLLIDING = ["sean", "sean-name", "name", "voice", "main", "appearances-title", "sean-name-name"]


def test_ids_are_unique_whatever_the_contributor_ids(site: Site):
    site.add_post("alpha", COLLIDING)
    site.approve_all("alpha")
    site.add_post("beta", ["sean", "sean-name"])
    site.build()
    site.build("--drafts")
    pages = [p for p in site.out.rglob("*.html")]
    assert len(pages) > 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert duplicate_ids(html) == [], page
        ids = {dict(attrs).get("id") for _, attrs in parse_html(html).tags}
        for _, attrs in parse_html(html).tags:
            target = dict(attrs).get("aria-labelledby")
            assert target is None or target in ids, (page, target)
    post = site.page("posts/alpha/index.html")
    for cid in COLLIDING:
        assert post.count(f'id="voice-{cid}"') == 1, cid
    site.ok("preview", "sean-name")
    assert duplicate_ids(site.read("_previews/sean-name/beta.html")) == []
