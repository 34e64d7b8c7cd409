"""Every input problem is reported as `path:line: message` (or `path: message`), all at once,
with exit 1 and nothing written — by `build` and by `check` alike."""

from __future__ import annotations

import pytest

from conftest import ANY, PNG, Site, assert_problem, problem_lines, run_roundup, tree_bytes

POST_OK = "---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [zoe]\n---\nIntro.\n"


def base(site: Site) -> Site:
    """A valid site: post `alpha` with the single voice `zoe`."""
    site.write("contributors/zoe.yml", "name: Zoe Quill\nhandle: '@zoe'\n")
    site.write("posts/alpha/post.md", POST_OK)
    site.write("posts/alpha/quotes/zoe.md", "Zoe's words.\n")
    return site


def profile(text: str):
    return lambda s: s.write("contributors/zoe.yml", text)


def post_md(text: str):
    return lambda s: s.write("posts/alpha/post.md", text)


def both(*changes):
    def apply(s):
        for change in changes:
            change(s)
    return apply


P = "contributors/zoe.yml"
M = "posts/alpha/post.md"
Q = "posts/alpha/quotes/zoe.md"

# id: (change to the valid base site, path, line, words the message holds)
CASES = {
    "profile bad yaml": (profile("name: Zoe\nhandle: '@zoe'\nbio: one: two\n"), P, 3, ["yaml"]),
    "post front matter bad yaml": (post_md("---\ntitle: Alpha\ndate: 2026-03-01\nsummary: a: b\n"
                                           "voices: [zoe]\n---\nIntro.\n"), M, 4, ["yaml"]),
    "quote front matter bad yaml": (lambda s: s.write(Q, "---\nnote: hi\nprompt: a: b\n---\nWords.\n"),
                                    Q, 3, ["yaml"]),
    "unclosed front matter": (post_md("---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [zoe]\n\nIntro.\n"),
                              M, (None, 1), ["---"]),
    "site title missing": (lambda s: s.write("site.yml", "base_url: https://example.org/\n"),
                           "site.yml", ANY, ["title", "required"]),
    "site base_url missing": (lambda s: s.write("site.yml", "title: T\n"), "site.yml", ANY, ["base_url"]),
    "site base_url relative": (lambda s: s.write("site.yml", "title: T\nbase_url: /blog/\n"),
                               "site.yml", 2, ["base_url"]),
    "profile name missing": (profile("handle: '@zoe'\nbio: Hi.\n"), P, ANY, ["name", "required"]),
    "short_name empty": (profile("name: Zoe Quill\nshort_name: ''\n"), P, 2,
                         ["short_name", "must not be empty", "leave the line out"]),
    "short_name on two lines": (profile("name: Zoe Quill\nshort_name: |\n  Zoe\n  Quill\n"), P, 2,
                                ["short_name", "must be one line"]),
    "short_name not text": (profile("name: Zoe Quill\nshort_name: [Zoe]\n"), P, 2, ["short_name", "must be text"]),
    "post title missing": (post_md("---\ndate: 2026-03-01\nvoices: [zoe]\n---\nIntro.\n"), M, ANY,
                           ["title", "required"]),
    "post date missing": (post_md("---\ntitle: Alpha\nvoices: [zoe]\n---\nIntro.\n"), M, ANY,
                          ["date", "required"]),
    "impossible date": (post_md("---\ntitle: Alpha\ndate: 2026-02-30\nvoices: [zoe]\n---\nIntro.\n"),
                        M, 3, [("date", "2026-02-30")]),
    "date in words": (post_md("---\ntitle: Alpha\ndate: next tuesday\nvoices: [zoe]\n---\nIntro.\n"),
                      M, 3, ["date"]),
    "unknown post field": (post_md("---\ntitle: Alpha\ndate: 2026-03-01\nstauts: draft\nvoices: [zoe]\n"
                                   "---\nIntro.\n"), M, 4, ["stauts"]),
    "unknown site field": (lambda s: s.write("site.yml", "title: T\nbase_url: https://example.org/\n"
                                                         "langauge: en\n"), "site.yml", 3, ["langauge"]),
    "bad status": (post_md("---\ntitle: Alpha\ndate: 2026-03-01\nstatus: published\nvoices: [zoe]\n"
                           "---\nIntro.\n"), M, 4, ["status"]),
    "bad slug folder": (lambda s: s.write("posts/Bad_Slug/post.md", POST_OK),
                        ("posts/Bad_Slug", "posts/Bad_Slug/post.md"), ANY, ["Bad_Slug"]),
    "bad contributor id": (lambda s: s.write("contributors/Zoe.yml", "name: Other Zoe\n"),
                           "contributors/Zoe.yml", ANY, ["Zoe"]),
    "voice without profile or quote": (post_md("---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [zoe, kim]\n---\nI.\n"),
                                       M, 4, ["contributors/kim.yml"]),
    "quote without profile": (both(lambda s: s.write("posts/alpha/quotes/kim.md", "Kim's words.\n"),
                                   post_md("---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [zoe, kim]\n---\nI.\n")),
                              ("posts/alpha/quotes/kim.md", M), ANY, ["contributors/kim.yml"]),
    "quote not in voices": (both(lambda s: s.write("contributors/sam.yml", "name: Sam\n"),
                                 lambda s: s.write("posts/alpha/quotes/sam.md", "Sam's words.\n")),
                            "posts/alpha/quotes/sam.md", ANY, ["voices"]),
    "voice listed twice": (post_md("---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [zoe, zoe]\n---\nI.\n"),
                           M, 4, ["zoe", ("twice", "duplicate", "more than once")]),
    "javascript url": (profile("name: Zoe\nurl: 'javascript:alert(1)'\n"), P, 2, ["url"]),
    "javascript link": (profile("name: Zoe\nlinks:\n  Blog: https://ok.example/\n"
                                "  Home: 'javascript:alert(1)'\n"), P, 4, ["Home"]),
    "data url link": (profile("name: Zoe\nlinks:\n  Home: 'data:text/html,<b>x</b>'\n"), P, 3, ["Home"]),
    "avatar traversal": (profile("name: Zoe\navatar: ../../etc/passwd\n"), P, 2, ["avatar"]),
    "avatar outside contributors": (both(lambda s: s.write("secret.png", PNG),
                                         profile("name: Zoe\navatar: ../secret.png\n")), P, 2, ["avatar"]),
    "avatar absolute": (profile("name: Zoe\navatar: /etc/hostname.png\n"), P, 2, ["avatar"]),
    "avatar symlink out of the site": (both(lambda s: s.root.joinpath("contributors/avatars").mkdir(parents=True),
                                            lambda s: s.root.joinpath("contributors/avatars/zoe.png")
                                            .symlink_to(s.root.parent / "outside.png"),
                                            lambda s: s.root.parent.joinpath("outside.png").write_bytes(PNG),
                                            profile("name: Zoe\navatar: avatars/zoe.png\n")),
                                       P, 2, ["avatar"]),
    "quote symlink out of the site": (both(lambda s: s.root.parent.joinpath("outside.md").write_text("x\n"),
                                           lambda s: s.root.joinpath(Q).unlink(),
                                           lambda s: s.root.joinpath(Q).symlink_to(s.root.parent / "outside.md")),
                                      Q, ANY, ["link"]),
    "avatar missing": (profile("name: Zoe\navatar: avatars/nope.png\n"), P, 2, ["avatars/nope.png"]),
    "avatar svg": (both(lambda s: s.write("contributors/avatars/zoe.svg", "<svg onload='alert(1)'/>"),
                        profile("name: Zoe\navatar: avatars/zoe.svg\n")), P, 2, ["svg"]),
    "profile is a list": (profile("- name: Zoe\n- handle: '@zoe'\n"), P, (None, 1), ["mapping"]),
    "duplicate key": (profile("name: Zoe\nbio: Hi.\nname: Zed\n"), P, 3, ["duplicate", "name"]),
    "invalid utf-8 in quote": (lambda s: s.write(Q, b"First line.\nSecond \xff\xfe line.\n"),
                               Q, 2, ["utf-8"]),
    "yaml alias": (profile("name: &n Zoe\nhandle: *n\n"), P, (1, 2), ["alias"]),
    "crlf line endings keep line numbers": (post_md("---\r\ntitle: Alpha\r\ndate: 2026-03-01\r\n"
                                                   "summary: a: b\r\nvoices: [zoe]\r\n---\r\nIntro.\r\n"),
                                           M, 4, ["yaml"]),
    "body error line counted in whole file": (post_md(POST_OK + "\n<!-- voices -->\n\nMiddle.\n\n"
                                                      "<!-- voices -->\n"), M, 12, ["voices"]),
    "output is parent": (lambda s: s.write("site.yml", "title: T\nbase_url: https://example.org/\n"
                                                       "output: ..\n"), "site.yml", 3, ["output"]),
    "output is posts": (lambda s: s.write("site.yml", "title: T\nbase_url: https://example.org/\n"
                                                      "output: posts\n"), "site.yml", 3, ["output"]),
    "output is site": (lambda s: s.write("site.yml", "title: T\nbase_url: https://example.org/\n"
                                                     "output: .\n"), "site.yml", 3, ["output"]),
    "email with a space": (profile("name: Zoe\nemail: 'zoe quill@example.org'\n"), P, 2, ["email", "spaces"]),
    "email carrying a header": (profile('name: Zoe\nemail: "zoe@example.org\\nBcc: all@example.net"\n'), P, 2,
                                ["email", "line breaks"]),
    "email without @": (profile("name: Zoe\nemail: zoe.example.org\n"), P, 2, ["email", "@"]),
    "email with a display name": (profile("name: Zoe\nemail: Zoe Quill <zoe@example.org>\n"), P, 2,
                                  ["email", "without a name"]),
    "two emails": (profile("name: Zoe\nemail: zoe@example.org, zq@example.org\n"), P, 2, ["email", "one address"]),
    "email the parser refuses": (profile("name: Zoe\nemail: zoe..quill@example.org\n"), P, 2,
                                 ["email", "not an e-mail address"]),
    "editor email with a name": (lambda s: s.write("site.yml", "title: T\nbase_url: https://example.org/\n"
                                                               "editor:\n  name: Ed\n  email: Ed <ed@example.com>\n"),
                                 "site.yml", 5, ["email", "without a name"]),
    "mail tls and starttls": (lambda s: s.write("site.yml", "title: T\nbase_url: https://example.org/\nmail:\n"
                                                            "  tls: true\n  starttls: true\n"),
                              "site.yml", 5, ["starttls", "tls", "cannot both"]),
}


def assert_nothing_written(site: Site, sources_before: dict[str, bytes]) -> None:
    assert not (site.root / "_site").exists()
    assert not any(p.name.startswith("._site") for p in site.root.iterdir())
    assert tree_bytes(site.root) == sources_before


@pytest.mark.parametrize("case", list(CASES))
def test_problem_is_located_and_nothing_is_written(site: Site, case: str):
    change, path, line, words = CASES[case]
    base(site)
    change(site)
    before = tree_bytes(site.root)
    for command in ("build", "check"):
        result = site.run(command)
        assert result.returncode == 1, f"{command}: {result.stdout}{result.stderr}"
        assert_problem(result.stderr, path, line, *words)
        assert "Traceback" not in result.stderr
        assert_nothing_written(site, before)


def test_the_valid_base_site_passes(site: Site):
    base(site)
    result = site.run("check")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1
    assert result.stderr == ""
    assert not (site.root / "_site").exists()


def several_problems(site: Site) -> None:
    base(site)
    site.write("site.yml", "title: T\nbase_url: https://example.org/\nthemme: default\n")
    site.write("contributors/zoe.yml", "name: Zoe\nbio: one: two\n")
    site.write("contributors/Kim.yml", "name: Kim\n")
    site.write("contributors/sam.yml", "name: Sam\nurl: 'javascript:alert(1)'\n")
    site.write("posts/alpha/post.md", "---\ntitle: Alpha\ndate: 2026-03-01\nstauts: draft\nvoices: [zoe]\n"
                                      "---\nIntro.\n")
    site.write("posts/beta/post.md", "---\ntitle: Beta\ndate: 2026-13-45\nvoices: [lee]\n---\nIntro.\n")
    site.write("contributors/lee.yml", "name: Lee\n")
    site.write("posts/beta/quotes/lee.md", b"Lee\n\xc3\x28 oops\n")
    site.write("posts/Bad_Slug/post.md", POST_OK)


EXPECTED = [
    ("site.yml", 3, ["themme"]),
    ("contributors/zoe.yml", 2, ["yaml"]),
    ("contributors/Kim.yml", ANY, ["Kim"]),
    ("contributors/sam.yml", 2, ["url"]),
    ("posts/alpha/post.md", 4, ["stauts"]),
    ("posts/beta/post.md", 3, [("date", "2026-13-45")]),
    ("posts/beta/quotes/lee.md", 2, ["utf-8"]),
    (("posts/Bad_Slug", "posts/Bad_Slug/post.md"), ANY, ["Bad_Slug"]),
]


def test_every_problem_is_reported_in_one_run(site: Site):
    several_problems(site)
    before = tree_bytes(site.root)
    result = site.run("build")
    assert result.returncode == 1
    for path, line, words in EXPECTED:
        assert_problem(result.stderr, path, line, *words)
    assert_nothing_written(site, before)


def test_check_reports_the_same_problems_as_build(site: Site):
    several_problems(site)
    build = site.run("build")
    check = site.run("check")
    assert check.returncode == 1
    assert problem_lines(check.stderr) == problem_lines(build.stderr)
    assert len(problem_lines(check.stderr)) >= len(EXPECTED)
    assert check.stdout == ""


def test_paths_in_problems_are_relative_to_the_site_with_forward_slashes(site: Site, tmp_path):
    several_problems(site)
    result = site.run("check")
    assert str(tmp_path) not in result.stderr
    assert "\\" not in result.stderr


def test_problems_are_reported_relative_to_site_when_run_from_elsewhere(site: Site, tmp_path):
    several_problems(site)
    result = run_roundup("--site", site.root, "check", cwd=tmp_path)
    assert result.returncode == 1
    for path, line, words in EXPECTED:
        assert_problem(result.stderr, path, line, *words)


def test_byte_order_mark_and_crlf_files_are_valid(site: Site):
    site.write("contributors/zoe.yml", "\ufeffname: Zoe Quill\r\nhandle: '@zoe'\r\n".encode("utf-8"))
    site.write("posts/alpha/post.md", ("\ufeff" + POST_OK.replace("\n", "\r\n")).encode("utf-8"))
    site.write("posts/alpha/quotes/zoe.md", "\ufeffZoe's words.\r\n".encode("utf-8"))
    assert site.run("check").returncode == 0
    site.approve_all("alpha")
    site.build()
    page = site.page("posts/alpha/index.html")
    assert "Zoe Quill" in page and "\ufeff" not in page


def test_yaml_alias_is_reported_at_the_alias_not_the_anchor(site: Site):
    base(site)
    site.write("contributors/zoe.yml", "name: &n Zoe\nbio: Hi.\nhandle: '@zoe'\nnotes: *n\n")
    result = site.run("check")
    assert result.returncode == 1
    assert_problem(result.stderr, P, 4, "alias")


def test_broken_approvals_file_is_reported_with_its_path(site: Site):
    base(site)
    site.write("posts/alpha/approvals.yml", "zoe:\n  digest: [oops\n")
    result = site.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/alpha/approvals.yml", ANY, "yaml")
    assert not (site.root / "_site").exists()


@pytest.mark.parametrize("where, email", [("contributor", "zoe quill@example.org"),
                                          ("contributor", "zoe@example.org\nBcc: all@example.net"),
                                          ("editor", "ed@example.com\r\nBcc: all@example.net"),
                                          ("editor", "Ed <ed@example.com>")])
def test_a_malformed_email_stops_every_command_at_its_line_not_with_a_traceback(site: Site, where: str, email: str):
    """`invite` used to build the message and fail on the address with a Python traceback."""
    site.post("alpha", title="Alpha", prompt="What makes a partnership last?", voices=["zoe"])
    site.contributor("zoe", name="Zoe Quill", email=email if where == "contributor" else "zoe@example.org")
    if where == "editor":
        site.config(editor={"name": "Ed Itor", "email": email})
    path = P if where == "contributor" else "site.yml"
    line = next(n for n, text in enumerate(site.read(path).splitlines(), 1) if text.strip().startswith("email:"))
    before = tree_bytes(site.root)
    for command in (["check"], ["build"], ["invite", "alpha"], ["invite", "alpha", "--send"], ["status"]):
        result = site.run(*command)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert_problem(result.stderr, path, line, "`email`")
        assert "Traceback" not in result.stderr, (command, result.stderr)
    assert tree_bytes(site.root) == before
    assert not (site.root / "_previews").exists()
