"""No surprises in the input (issue 12, points 5-8): a profile key that is a typo of a field is an error,
YAML slips are explained at file:line:column, the site is found from any folder inside it, and
`roundup new site` writes a .gitignore for what must not be committed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Site, assert_problem, run_roundup, tree_bytes

POST = "---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [kofi]\n---\nIntro.\n"
P = "contributors/kofi.yml"
M = "posts/alpha/post.md"
Q = "posts/alpha/quotes/kofi.md"


def base(site: Site) -> Site:
    """A valid site: post `alpha` with the single voice `kofi`."""
    site.write(P, "name: Kofi Mensah\nhandle: '@kofi'\n")
    site.write(M, POST)
    site.write(Q, "Kofi's words.\n")
    return site


def refused(site: Site, *args: str) -> str:
    """Run `check` and `build`: both exit 1, write nothing, and report the same; the stderr of `check`."""
    before = tree_bytes(site.root)
    outputs = []
    for command in ("check", "build"):
        result = site.run(command, *args)
        assert result.returncode == 1, f"{command}: {result.stdout}{result.stderr}"
        assert "Traceback" not in result.stderr
        outputs.append(result.stderr)
    assert tree_bytes(site.root) == before and not (site.root / "_site").exists()
    assert outputs[0].splitlines()[:-1] == outputs[1].splitlines()[:-1] or outputs[0] == outputs[1]
    return outputs[0]


# ---- 5. a profile key that is a typo of a field ------------------------------------------------------

@pytest.mark.parametrize("key, meant", [("handel", "handle"), ("avtar", "avatar"), ("Bio", "bio"),
                                        ("emial", "email"), ("urls", "url"), ("link", "links")])
def test_a_profile_key_close_to_a_field_is_an_error_saying_what_was_meant(site: Site, key: str, meant: str):
    base(site)
    site.write(P, f"name: Kofi Mensah\n{key}: something\n")
    stderr = refused(site)
    line = assert_problem(stderr, P, 2, f"unknown field `{key}`", f"did you mean '{meant}'?", "private:")
    assert line.startswith(f"{P}:2: unknown field `{key}`: did you mean '{meant}'?")


def test_every_typo_in_every_profile_is_reported_at_once(site: Site):
    base(site)
    site.write(P, "name: Kofi Mensah\nhandel: '@kofi'\nbio: Poet.\navtar: avatars/kofi.jpg\n")
    site.write("contributors/zoe.yml", "nmae: Zoe\n")
    stderr = refused(site)
    assert_problem(stderr, P, 2, "`handel`", "'handle'")
    assert_problem(stderr, P, 4, "`avtar`", "'avatar'")
    assert_problem(stderr, "contributors/zoe.yml", 1, "`nmae`", "'name'")


def test_private_fields_of_any_name_still_work_and_stay_private(site: Site):
    base(site)
    site.write(P, "name: Kofi Mensah\nhandle: '@kofi'\nemail: kofi@example.org\nphone: '+233 555 0100'\n"
                  "notes: met at PyCon Accra\npronouns: he/him\nlanguage: fr\n"
                  "private:\n  handles: secret-handle-kofi\n  urls: https://secret.example/kofi\n")
    result = site.run("check")
    assert result.returncode == 0, result.stderr
    site.approve_all("alpha")
    site.build()
    built = b"".join(tree_bytes(site.out).values()).decode("utf-8", "replace")
    assert "Kofi Mensah" in built
    for secret in ("kofi@example.org", "555 0100", "PyCon Accra", "secret-handle-kofi", "secret.example"):
        assert secret not in built


# ---- 6. YAML slips say what to do, at file:line:column ----------------------------------------------

SITE_HEAD = "title: T\nbase_url: https://example.org/\n"

# id: (file, its text, where the problem is `file:line:column`, words the message holds)
SLIPS = {
    "tab indenting site.yml": ("site.yml", SITE_HEAD + "editor:\n\tname: Ann\n", "site.yml:4:1",
                               ["YAML indents with spaces, not tabs"]),
    "tab after spaces in a profile": (P, "name: Kofi\nlinks:\n  Blog: https://kofi.example\n \tHome: https://h.example\n",
                                      P + ":4:2", ["spaces, not tabs"]),
    "@ handle in a profile": (P, "name: Kofi\nhandle: @kofi\n", P + ":2:9", ['quote it: handle: "@kofi"']),
    "backquote in quote front matter": (Q, "---\nprompt: `roundup` or not?\n---\nWords.\n", Q + ":2:9",
                                        ['quote it: prompt: "`roundup` or not?"']),
    "@ in a flow list of post front matter": (M, "---\ntitle: Alpha\ndate: 2026-03-01\ntags: [@home, work]\n"
                                                 "voices: [kofi]\n---\nIntro.\n", M + ":4:8",
                                              ['quote it: tags: ["@home", work]']),
    "colon inside a post summary": (M, "---\ntitle: Alpha\ndate: 2026-03-01\nsummary: Ten friends: one question\n"
                                       "voices: [kofi]\n---\nIntro.\n", M + ":4:21",
                                    ['quote it: summary: "Ten friends: one question"']),
    "colon inside a bio with quotes in it": (P, "name: Kofi\nbio: He says \"hi\": often\n", P + ":2:18",
                                             ["quote it: bio: 'He says \"hi\": often'"]),
    "no space after colon before a key": (P, "name: Kofi\nhandle:kofi\nurl: https://kofi.example\n", P + ":2:7",
                                          ["space after `:`", "handle: kofi"]),
    "no space after colon on the last line": (M, "---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [kofi]\n"
                                                 "summary:Ten friends\n---\nIntro.\n", M + ":5:8",
                                              ["space after `:`", "summary: Ten friends"]),
    "no space after colon, first line": (M, "---\ntitle:Alpha\ndate: 2026-03-01\nvoices: [kofi]\n---\nIntro.\n",
                                         M + ":2:6", ["space after `:`", "title: Alpha"]),
    "no space after colon, whole front matter": (Q, "---\nprompt:Why?\n---\nWords.\n", Q + ":2:7",
                                                 ["space after `:`", "prompt: Why?"]),
    "no space after colon and an @": (P, "name: Kofi\nhandle:@kofi\nbio: Poet.\n", P + ":2:7",
                                      ["space after `:`", 'handle: "@kofi"']),
    "indented less than the entry before": (
        "site.yml", SITE_HEAD + "editor:\n    name: Ann\n  email: ann@example.org\n", "site.yml:5:3",
        ["indent", "`email:`", "`name:`", "same number of spaces"]),
    "indented more than the entry before": (
        P, "name: Kofi\nlinks:\n  Blog: https://kofi.example\n   Home: https://h.example\n", P + ":4:4",
        ["indent", "`Home:`", "`Blog:`"]),
    "list item indented less": (M, "---\ntitle: Alpha\ndate: 2026-03-01\nvoices:\n    - kofi\n  - zoe\n---\nI.\n",
                                M + ":6:3", ["indent", "`- zoe`", "`- kofi`"]),
}


@pytest.mark.parametrize("case", list(SLIPS))
def test_a_yaml_slip_is_explained_at_line_and_column(site: Site, case: str):
    path, text, where, words = SLIPS[case]
    base(site)
    site.write(path, text)
    stderr = refused(site)
    line = next((text for text in stderr.splitlines() if text.startswith(where + ": ")), None)
    assert line is not None, f"no problem at {where} in:\n{stderr}"
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert "cannot start any token" not in stderr and "could not find expected" not in stderr


def test_a_missing_space_in_a_nested_mapping_is_explained(site: Site):
    base(site)
    site.write("site.yml", SITE_HEAD + "editor:\n  name:Ann\n  email:ann@example.org\n")
    site.write(P, "name: Kofi\nlinks: {Blog:https://kofi.example}\n")
    stderr = refused(site)
    assert_problem(stderr, "site.yml", 3, "`editor`", "space after `:`", "name: Ann")
    assert_problem(stderr, P, 2, "space after `:`", "Blog: https://kofi.example")


def test_every_slip_in_a_file_and_in_every_file_is_reported_at_once(site: Site):
    base(site)
    site.write(P, "name: Kofi\nhandle: @kofi\nbio: Poet: and teacher\nurl:https://kofi.example\n"
                  "links:\n  Blog: https://kofi.example/blog\n")
    site.write("site.yml", SITE_HEAD + "editor:\n\tname: Ann\n")
    site.write(Q, "---\nprompt: `why` not?\n---\nWords.\n")
    stderr = refused(site)
    for where, words in ((P + ":2:9", 'handle: "@kofi"'), (P + ":3:10", 'bio: "Poet: and teacher"'),
                         (P + ":4:4", "url: https://kofi.example"), ("site.yml:4:1", "tabs"),
                         (Q + ":2:9", 'prompt: "`why` not?"')):
        assert any(line.startswith(where + ": ") and words in line for line in stderr.splitlines()), \
            f"{where} {words!r} not in:\n{stderr}"


def test_an_unexplained_yaml_error_keeps_its_message_and_line(site: Site):
    base(site)
    site.write(P, "name: Kofi\nbio: [unclosed\n")
    stderr = refused(site)
    assert_problem(stderr, P, (2, 3), "invalid YAML")


def test_the_explainer_runs_only_on_the_error_path(monkeypatch):
    from roundup import load, slips

    def fail(*args, **kwargs):
        raise AssertionError("the explainer ran on a valid file")

    monkeypatch.setattr(slips, "explain", fail)
    for text in ("a: b\n", "a: b # note\nc: |\n  d: e\n", "a: '@x'\nb: \"c: d\"\n", "a:\n  - b: c\n    d: e\n",
                 "url: https://x.example/a:b\n", "time: 10:30\n"):
        assert not isinstance(load.parse_yaml(text, "x.yml"), load.Problem), text


# ---- 7. the site is found from any folder inside it ------------------------------------------------

def test_commands_find_the_site_from_any_folder_inside_it(site: Site):
    base(site)
    deep = site.root / "posts" / "alpha" / "quotes"
    result = run_roundup("check", cwd=deep)
    assert result.returncode == 0, result.stderr
    assert run_roundup("approve", "kofi", "alpha", cwd=deep).returncode == 0
    result = run_roundup("build", cwd=site.root / "contributors")
    assert result.returncode == 0, result.stderr
    assert (site.root / "_site/posts/alpha/index.html").is_file()
    assert not (site.root / "contributors/_site").exists()
    result = run_roundup("new", "post", "beta", cwd=site.root / "posts")
    assert result.returncode == 0, result.stderr
    assert (site.root / "posts/beta/post.md").is_file() and not (site.root / "posts/posts").exists()


def test_problems_found_from_a_subfolder_are_named_from_the_site(site: Site):
    base(site)
    site.write(P, "name: Kofi\nhandle: @kofi\n")
    result = run_roundup("check", cwd=site.root / "posts" / "alpha")
    assert result.returncode == 1
    assert any(line.startswith(P + ":2:9: ") for line in result.stderr.splitlines()), result.stderr


def test_without_a_site_above_the_error_says_so(tmp_path: Path):
    folder = tmp_path / "notes" / "drafts"
    folder.mkdir(parents=True)
    result = run_roundup("status", cwd=folder)
    assert result.returncode == 1
    line = assert_problem(result.stderr, "site.yml", None, "not found", "or any folder above it",
                          "roundup new site", "--site DIR")
    assert str(folder) in line
    assert list(folder.iterdir()) == []


def test_site_option_still_wins_over_the_lookup(site: Site, tmp_path: Path):
    base(site)
    other = Site(tmp_path / "other")
    other.config(title="Other")
    result = run_roundup("--site", other.root, "status", cwd=site.root / "posts")
    assert result.returncode == 0, result.stderr
    assert "alpha" not in result.stdout


def test_new_site_creates_in_the_current_folder_never_a_site_above(tmp_path: Path):
    inner = tmp_path / "blog" / "drafts"
    inner.mkdir(parents=True)
    result = run_roundup("new", "site", cwd=inner)
    assert result.returncode == 0, result.stderr
    assert (inner / "site.yml").is_file() and not (tmp_path / "blog" / "site.yml").exists()


# ---- 8. `roundup new site` writes a .gitignore --------------------------------------------------------

def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_new_site_ignores_output_previews_and_state_in_git(tmp_path: Path):
    root = tmp_path / "blog"
    root.mkdir()
    result = run_roundup("new", "site", cwd=root)
    assert result.returncode == 0, result.stderr
    assert ".gitignore" in result.stdout
    git("init", "-q", cwd=root)
    site = Site(root)
    site.write("contributors/kofi.yml", "name: Kofi\nemail: kofi@example.org\n")
    site.write("posts/alpha/post.md", POST)
    site.write("posts/alpha/quotes/kofi.md", "Words.\n")
    site.ok("preview", "kofi")
    site.approve("kofi", "alpha")
    site.build()
    assert (root / "_previews").is_dir() and (root / "_site").is_dir() and (root / ".roundup").is_dir()
    untracked = {line[3:] for line in git("status", "--porcelain", "--untracked-files=all", cwd=root).splitlines()}
    assert untracked == {".gitignore", "site.yml", "contributors/kofi.yml", "posts/alpha/post.md",
                         "posts/alpha/quotes/kofi.md", "posts/alpha/approvals.yml",
                         "posts/alpha/published.yml"}


def test_new_site_completes_an_existing_gitignore_and_says_so(tmp_path: Path):
    root = tmp_path / "blog"
    root.mkdir()
    (root / ".gitignore").write_text(".venv/\n_site\n*.pyc")
    result = run_roundup("new", "site", cwd=root)
    assert result.returncode == 0, result.stderr
    text = (root / ".gitignore").read_text()
    assert text.startswith(".venv/\n_site\n*.pyc\n")
    lines = text.splitlines()
    assert "/_previews/" in lines and "/.roundup/" in lines
    assert not any(line.strip("/") == "_site" for line in lines[3:])
    assert ".gitignore" in result.stdout and "/_previews/" in result.stdout
    again = tmp_path / "again"
    again.mkdir()
    (again / ".gitignore").write_text("/_site/\n/_previews/\n/.roundup/\n")
    result = run_roundup("new", "site", cwd=again)
    assert result.returncode == 0, result.stderr
    assert (again / ".gitignore").read_text() == "/_site/\n/_previews/\n/.roundup/\n"
    assert ".gitignore" in result.stdout


PIECES = ["a", "b: c", "key:", "  ", "\t", "- ", ":", ": ", "@x", "`y`", "%", "*z", "!t", "&q", "[", "]", "{", "}",
          ",", " # c", "|", ">", "'", '"', "x: y: z", "url:https://h", "  k: v", "   odd: 1", "\n", "\n  ", "\n- ",
          "\n\t", "? ", "---", "k: [a, @b]", "bio: |", "\\", "é"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join), st.sampled_from([1, 2]))
def test_any_broken_text_is_explained_or_reported_never_a_crash(text: str, first_line: int):
    from roundup.load import LineDict, Problem, parse_yaml

    result = parse_yaml(text, "x.yml", first_line)
    assert isinstance(result, (LineDict, Problem))
    if isinstance(result, Problem):
        for problem in (result, *result.more):
            assert problem.line is None or problem.line >= first_line
            assert problem.column is None or problem.column >= 1
