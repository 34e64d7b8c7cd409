"""Rendering views through the theme's Jinja2 templates into an in-memory Output."""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from jinja2 import pass_context

from roundup import __version__, avatars, meta, parallel
from roundup.cache import Cache, key_of
from roundup.errors import Problem, RoundupError
from roundup.fsutil import state_dir
from roundup.gate import PostStatus
from roundup.load import rel
from roundup.model import Site, SiteConfig
from roundup.progress import SILENT, Progress
from roundup.views import PagerView, Views, paginate
from roundup.write import Output

_ABSOLUTE = re.compile(r"^([a-z][a-z0-9+.\-]*:|#|//)", re.IGNORECASE)
FEED_LIMIT = 50
"""The feed carries the newest posts only, as feed readers expect."""


def package_theme() -> Path:
    """The default theme shipped in the package (or, in a source checkout, at the repository root)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "themes" / "default", here.parent / "themes" / "default"):
        if (candidate / "templates").is_dir():
            return candidate
    raise RoundupError("the default theme is missing from this roundup installation; reinstall roundup")


def theme_folders(config: SiteConfig) -> list[Path]:
    """Theme folders in lookup order: the site's theme first, then the package's default theme."""
    folders = []
    site_theme = config.root / "themes" / config.theme
    if site_theme.is_dir():
        folders.append(site_theme)
    default = package_theme()
    if not folders or folders[0].resolve() != default.resolve():
        folders.append(default)
    return folders


def environment(config: SiteConfig, compiled: bool = False) -> jinja2.Environment:
    """Jinja2 with autoescaping everywhere; `{% extends "default/base.html" %}` reaches the shipped theme.
    With `compiled`, templates compiled by earlier builds are kept in .roundup/cache/templates/."""
    templates = [jinja2.FileSystemLoader(folder / "templates") for folder in theme_folders(config)
                 if (folder / "templates").is_dir()]
    loader = jinja2.ChoiceLoader([*templates, jinja2.PrefixLoader({"default": templates[-1]})])
    bytecode = jinja2.FileSystemBytecodeCache(str(state_dir(config.root, "cache", "templates"))) if compiled else None
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, bytecode_cache=bytecode)
    env.filters["url"] = _url
    env.globals["generator"] = f"roundup {__version__}"
    return env


def compile_templates(env: jinja2.Environment, root: Path) -> None:
    """Compile every template of the theme, so a broken one is reported before the day it is used."""
    problems = []
    for name in env.list_templates(extensions=("html", "xml")):
        if name.startswith("default/"):
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            where = rel(root, Path(exc.filename)) if exc.filename else f"templates/{name}"
            problems.append(Problem(where, exc.lineno, f"template error: {exc.message}"))
    if problems:
        raise RoundupError(problems)


@pass_context
def _url(context, value: str | None) -> str:
    """A link from the current page: site-relative paths get the page's `root` prefix ("" is home)."""
    if value is None:
        return ""
    if value in ("", "./"):  # home: the prefix itself, never "…/./"
        return context["root"] or "./"
    return value if _ABSOLUTE.match(value) else context["root"] + value


def render_site(site: Site, statuses: tuple[PostStatus, ...], drafts: bool, progress: Progress = SILENT,
                cache: Cache | None = None, workers: int = 1, previous: Output | None = None) -> Output:
    """Every page, feed, static file and avatar of the build, in memory; nothing is written yet. A page
    made from the same inputs as the one `cache` says is published (or as the one in the `previous`
    in-memory build, for `serve`) is kept, not rendered again; post pages are rendered on `workers`
    processes when there are many, then the lists that show them here."""
    env = environment(site.config, compiled=cache is not None)
    compile_templates(env, site.config.root)
    views = Views(site, statuses, drafts, cache.memo if cache is not None else None)
    out = Output()
    page = _Pages(env, site, views, out, drafts, cache, _common_key(site, drafts), previous)
    sv, base = views.site_view, site.config.base_url
    keys = {view.slug: _post_inputs(status, cache) for view, status in zip(views.posts, views.statuses)}
    for post in views.posts:
        page(f"posts/{post.slug}/index.html", "post.html", keys[post.slug], post=post,
             later=lambda post=post: {"share": meta.for_post(sv, post)})
    page.flush("rendering posts", progress, workers)
    home = paginate(views.posts, site.config.paginate, "")
    for pager in home:
        page(pager.path + "index.html", "index.html", (pager.number, pager.count, [keys[p.slug] for p in pager.posts]),
             posts=pager.posts, pager=pager, share=meta.for_site(sv, base + pager.path, _paged(sv.title, pager),
             f"Roundup posts from {sv.title}: many voices on one theme, each credited to its author."))
    contributors = views.contributors()
    by_path = {view.path: keys[view.slug] for view in views.posts}
    people = {c.id: key_of(c.id, site.contributors.get(c.id), [by_path[a.post_path] for a in c.appearances])
              for c in contributors}  # a live version's profile is part of its post's key
    page("contributors/index.html", "contributors.html", list(people.values()), contributors=contributors,
         share=meta.for_site(sv, f"{base}contributors/", f"Contributors · {sv.title}",
                             f"Everyone whose voice appears on {sv.title}."))
    for person in contributors:
        page(f"contributors/{person.id}/index.html", "contributor.html", people[person.id], contributor=person,
             share=meta.for_contributor(sv, person))
    tags = views.tags()
    tag_pages = {tag.slug: paginate(tag.posts, site.config.paginate, tag.path) for tag in tags}
    for tag in tags:
        for pager in tag_pages[tag.slug]:
            folder = f"tags/{tag.slug}/{pager.path[len(tag.path):]}"  # the file's path; links are URL-quoted
            page(folder + "index.html", "tag.html", (tag.name, len(tag.posts), pager.number, pager.count,
                 [keys[p.slug] for p in pager.posts]), tag=tag, posts=pager.posts, pager=pager,
                 share=meta.for_site(sv, base + pager.path, _paged(f"Tagged “{tag.name}” · {sv.title}", pager),
                                     f"Roundups on {sv.title} tagged “{tag.name}”."))
    page("404.html", "404.html", (), root=urlsplit(site.config.base_url).path)
    published = tuple(p for p in views.posts if not p.withheld)
    page("feed.xml", "feed.xml", [keys[p.slug] for p in published[:FEED_LIMIT]], posts=published[:FEED_LIMIT],
         updated=published[0].updated_iso if published else "1970-01-01T00:00:00Z")
    urls = _sitemap(site, published, contributors, tags, [home, *tag_pages.values()])
    page("sitemap.xml", "sitemap.xml", urls, urls=urls)
    # the lists on this process: forking a process that holds a large site cost a 10,000-post rebuild
    # about a second more than rendering its few hundred changed list pages here (measured)
    page.flush("rendering pages", progress, 1)
    _copy_files(site, views, out)
    return out


def _post_inputs(status: PostStatus, cache: Cache | None = None) -> str:
    """What a post's page (and its card in lists) is made from; each voice's digest stands for its quote
    and profile and the post's own text. Remembered in `cache.memo` for the very same status."""
    known = cache.memo.get(("key", status.post.slug)) if cache is not None else None
    if known is not None and known[0] is status:
        return known[1]
    key = _inputs_key(status)
    if cache is not None:
        cache.memo[("key", status.post.slug)] = (status, key)
    return key


def _inputs_key(status: PostStatus) -> str:
    p = status.post
    return key_of(p.slug, p.title, p.date, p.summary, p.tags, p.status, p.intro, p.outro, status.inclusion,
                  [(v.contributor_id, v.digest, v.state, v.reason) for v in status.voices], status.live)


def _common_key(site: Site, drafts: bool) -> str:
    """What every page depends on: roundup itself, the theme's files, the site's settings, --drafts."""
    theme = [(str(path), path.read_bytes()) for folder in theme_folders(site.config)
             for path in sorted(folder.rglob("*")) if path.is_file()]
    c = site.config
    return key_of(__version__, theme, c.title, c.base_url, c.language, c.editor.name, c.markdown, drafts)


class _Pages:
    """Renders templates into the Output, turning template errors into located problems; a page whose
    inputs (`key`) are those of the published one is kept as it is. Pages to render are queued, then
    rendered together by `flush`, on worker processes when there are many."""

    def __init__(self, env: jinja2.Environment, site: Site, views: Views, out: Output, drafts: bool,
                 cache: Cache | None, common: str, previous: Output | None):
        self.env, self.site, self.views, self.out, self.drafts = env, site, views, out, drafts
        self.cache, self.common, self.previous = cache, common, previous
        self.queued: list[tuple[str, str, str, dict, Callable[[], dict] | None]] = []
        """(path, template, key, context, later) of each page to render; forked workers inherit the list."""

    def __call__(self, path: str, template: str, inputs: object, later: Callable[[], dict] | None = None,
                 **context) -> None:
        """Queue a page made from `inputs`; `later` gives the costly rest of its context, made only if the
        page is rendered, on the process that renders it."""
        key = key_of(self.common, template, inputs)
        if not self.reused(path, key, template):
            self.queued.append((path, template, key, context, later))

    def flush(self, label: str, progress: Progress, workers: int) -> None:
        """Render every queued page (in order, so the output is the same on any number of processes)."""
        queued = self.queued
        for done, data in enumerate(parallel.run(self._render_queued, range(len(queued)), workers), 1):
            path, template, key, _, _ = queued[done - 1]
            self.out.add(path, data, origin=template, key=key)
            progress(label, done, len(queued))
        self.queued = []

    def _render_queued(self, index: int) -> bytes:
        path, template, _, context, later = self.queued[index]
        return self.render(path, template, {**context, **later()} if later else context)

    def reused(self, path: str, key: str, template: str) -> bool:
        """Keep the page made from `key` if the published output or the previous build has it."""
        if self.cache is not None and self.cache.reusable(path, key, self.site.config.output):
            self.out.keep(path, key, origin=template)
            return True
        old = self.previous.files.get(path) if self.previous is not None else None
        if old is not None and old.key == key and old.data is not None:
            self.out.add(path, old.data, origin=template, key=key)
            return True
        return False

    def render(self, path: str, template: str, context: dict) -> bytes:
        root = "../" * path.count("/")
        canonical = self.site.config.base_url + path.removesuffix("index.html")
        context = {"site": self.views.site_view, "root": root, "drafts": self.drafts,
                   "canonical": canonical, "share": None, **context}
        return render_template(self.env, self.site.config.root, template, context, path).encode("utf-8")


def render_template(env: jinja2.Environment, site_root: Path, template: str, context: dict, target: str) -> str:
    """One template rendered, with any template error reported at its file and line."""
    try:
        return env.get_template(template).render(context)
    except jinja2.TemplateSyntaxError as exc:
        where = rel(site_root, Path(exc.filename)) if exc.filename else f"templates/{template}"
        raise RoundupError([Problem(where, exc.lineno, f"template error: {exc.message}")]) from None
    except jinja2.TemplateError as exc:
        filename, line = _template_frame(exc)
        where = rel(site_root, Path(filename)) if filename else f"templates/{template}"
        raise RoundupError([Problem(where, line, f"template error while rendering {target}: {exc}")]) from None


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in a rendering error's traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.endswith((".html", ".xml")) and Path(f.filename).is_file()]
    return (frames[-1].filename, frames[-1].lineno) if frames else (None, None)


def _sitemap(site: Site, published, contributors, tags, lists) -> list[tuple[str, str | None]]:
    """Absolute URLs of published pages only, with a last-modified date where one is known; the further
    pages of each list of posts after its first."""
    base = site.config.base_url
    urls = [(base, published[0].date_iso if published else None)]
    urls += [(post.abs_url, post.date_iso) for post in published]
    if published:
        urls.append((f"{base}contributors/", None))
    urls += [(c.abs_url, None) for c in contributors if not all(a.withheld for a in c.appearances)]
    urls += [(base + t.path, None) for t in tags if not all(p.withheld for p in t.posts)]
    urls += [(base + pager.path, None) for pagers in lists for pager in pagers[1:]
             if not all(p.withheld for p in pager.posts)]
    return urls


def _paged(title: str, pager: PagerView) -> str:
    """A list page's title: the list's own on its first page, with the page number on the others."""
    return title if pager.number == 1 else f"Page {pager.number} of {pager.count} · {title}"


def static_files(config: SiteConfig) -> dict[str, Path]:
    """Output path → source of every theme static file, the site's theme overriding the default."""
    static: dict[str, Path] = {}
    for folder in reversed(theme_folders(config)):
        base = folder / "static"
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    static[f"static/{path.relative_to(base).as_posix()}"] = path
    return static


def _copy_files(site: Site, views: Views, out: Output) -> None:
    """Theme static files and the avatars shown."""
    for target, source in static_files(site.config).items():
        out.copy(target, source, origin=rel(site.config.root, source))
    for contributor in views.pictured():
        for target, made in avatars.files(site.config.root, contributor):
            if target in out.files:  # the same picture shown with two approved versions of a profile
                continue
            if isinstance(made, bytes):
                out.add(target, made, origin=contributor.source)
            else:
                out.copy(target, made, origin=contributor.source)

