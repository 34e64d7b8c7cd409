"""Site themes: overriding one template, extending the shipped theme, and reporting theme errors."""

from __future__ import annotations

from conftest import ANY, Site, assert_problem, parse_html

VOICE_OVERRIDE = """<section class="my-voice" id="{{ voice.anchor }}">
  <p class="my-voice__marker">CUSTOM-VOICE-TEMPLATE {{ voice.name }}</p>
  {{ voice.body_html }}
</section>
"""


def small_site(site: Site) -> Site:
    site.contributor("zoe", name="Zoe Quill", bio="Zoe's bio.")
    site.contributor("sam", name="Sam Reed")
    site.add_post("alpha", ["zoe", "sam"], title="Alpha Roundup", tags=["friends"])
    site.approve_all("alpha")
    return site


def test_overriding_only_voice_html_changes_only_the_voices(site: Site):
    small_site(site)
    site.build()
    shipped = site.output_files()
    site.write("themes/default/templates/voice.html", VOICE_OVERRIDE)
    site.build()
    custom = site.output_files()
    post = site.page("posts/alpha/index.html")
    assert post.count("CUSTOM-VOICE-TEMPLATE") == 2
    assert "CUSTOM-VOICE-TEMPLATE Zoe Quill" in post and 'id="voice-sam"' in post
    assert "static/style.css" in post  # the page around the voices is still the shipped base
    assert "Alpha Roundup" in post
    assert custom["posts/alpha/index.html"] != shipped["posts/alpha/index.html"]
    changed = sorted(rel for rel in set(custom) | set(shipped) if custom.get(rel) != shipped.get(rel))
    assert changed == ["posts/alpha/index.html"], "only the page with voices may differ"
    assert "static/style.css" in custom


def test_site_theme_can_extend_the_shipped_post_template(site: Site):
    small_site(site)
    site.config(theme="mine")
    site.write("themes/mine/templates/post.html",
               '{% extends "default/post.html" %}\n'
               '{% block content %}<p class="mine-marker">MINE-THEME-MARKER</p>{{ super() }}{% endblock %}\n')
    site.build()
    post = site.page("posts/alpha/index.html")
    assert "MINE-THEME-MARKER" in post
    assert 'id="voice-zoe"' in post and 'id="voice-sam"' in post
    assert "Zoe's bio." in "".join(parse_html(post).text)
    assert "MINE-THEME-MARKER" not in site.page("index.html")
    assert (site.out / "static/style.css").is_file()


def test_site_theme_static_files_are_copied_and_override_shipped_ones(site: Site):
    small_site(site)
    site.config(theme="mine")
    site.write("themes/mine/templates/post.html", '{% extends "default/post.html" %}\n')
    site.write("themes/mine/static/extra.js.txt", "theme asset")
    site.write("themes/mine/static/style.css", "/* mine */\n")
    site.build()
    assert (site.out / "static/extra.js.txt").read_text() == "theme asset"
    assert (site.out / "static/style.css").read_text() == "/* mine */\n"


def test_template_syntax_error_names_the_template_and_line(site: Site):
    small_site(site)
    site.build()
    before = site.output_files()
    site.config(theme="mine")
    site.write("themes/mine/templates/post.html",
               '{% extends "default/post.html" %}\n{% block content %}\n{% if %}broken{% endif %}\n'
               '{% endblock %}\n')
    result = site.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, "themes/mine/templates/post.html", 3, "template")
    assert "Traceback" not in result.stderr
    assert site.output_files() == before


def test_template_using_an_unknown_variable_is_a_located_error(site: Site):
    small_site(site)
    site.write("themes/default/templates/voice.html", "<p>{{ voice.no_such_field }}</p>\n")
    result = site.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, "themes/default/templates/voice.html", ANY, "no_such_field")
    assert "Traceback" not in result.stderr
    assert not site.out.exists()


def test_missing_theme_is_an_error_naming_site_yml(site: Site):
    small_site(site)
    site.config(theme="missing")
    for command in ("build", "check"):
        result = site.run(command)
        assert result.returncode == 1
        assert_problem(result.stderr, "site.yml", ANY, "missing")
    assert not site.out.exists()


def test_syntax_error_in_a_template_this_build_does_not_use_is_still_reported(site: Site):
    small_site(site)
    site.build()
    before = site.output_files()
    site.write("themes/default/templates/unused-partial.html", "ok\n{% for %}\n")
    for command in ("check", "build"):
        result = site.run(command)
        assert result.returncode == 1
        assert_problem(result.stderr, "themes/default/templates/unused-partial.html", 2, "template")
    assert site.output_files() == before


def test_a_theme_with_only_static_files_uses_the_shipped_templates(site: Site):
    small_site(site)
    site.config(theme="plain-css")
    site.write("themes/plain-css/static/style.css", "/* only css */\n")
    site.build()
    assert (site.out / "static/style.css").read_text() == "/* only css */\n"
    assert 'id="voice-' in site.page(next(p for p in site.output_files() if p.startswith("posts/")))
