"""Rendering views through the theme's Jinja2 templates into an in-memory Output."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import jinja2

from roundup import __version__, avatars, meta, parallel
from roundup.digest import key_of
from roundup.engine import SITE, Engine, Inputs, Sources
from roundup.gate import PostStatus
from roundup.i18n import Translator
from roundup.load import rel
from roundup.model import Site
from roundup.progress import SILENT, Progress
from roundup.theme import compile_templates, environment, render_template, static_files, template_digests
from roundup.views import Views
from roundup.viewtypes import Card, PagerView, PostView, paginate
from roundup.write import Later, Ledger, Output, spool_for

FEED_LIMIT = 50
"""The feed carries the newest posts only, as feed readers expect."""


@dataclass(slots=True)
class Reuse:
    """What `render_site` may keep instead of rendering again; kept between builds by the build cache."""

    ledger: Ledger | None = None
    """The published output's files and the keys they were made from (None: render everything)."""
    previous: Output | None = None
    """The previous build in memory (`serve`): a page made from the same key is taken from it."""
    views: dict = field(default_factory=dict)
    """By slug, what an earlier build in this process made of each post (`views.Made`); renewed here."""
    cards: Mapping[str, Card] = field(default_factory=dict)
    """By slug, the cards of the shown posts that this build did not read (see `rows`)."""
    stored: Callable[[list[str]], dict[str, PostView]] | None = None
    """Reads back the views of those posts, by slug."""


def render_site(site: Site, statuses: tuple[PostStatus, ...], drafts: bool, progress: Progress = SILENT,
                reuse: Reuse | None = None, workers: int = 1, later: bool = False, spool: bool = False) -> Output:
    """Every page, feed, static file and avatar of the build, in memory; nothing is written yet. Each page
    declares its `Sources` where it is queued, and the engine keeps a page already made from the same ones
    (published, or in the previous in-memory build of `serve`); post pages are rendered on `workers`
    processes when there are many, then the lists that show them here. With `later` (`serve`), a page is
    rendered when it is first asked for, except the first of each template, rendered now to find a broken
    template before the build is served. With `spool` (`build`), pages go to disk as they are made (see
    `Output`), not to memory."""
    out = Output(spool_for(site.config.output) if spool else None)
    try:
        _render(site, statuses, drafts, progress, reuse, workers, later, out)
    except BaseException:
        out.discard()
        raise
    return out


def _render(site: Site, statuses: tuple[PostStatus, ...], drafts: bool, progress: Progress, reuse: Reuse | None,
            workers: int, later: bool, out: Output) -> None:
    reuse = reuse if reuse is not None else Reuse()
    views = Views(site, statuses, drafts, reuse.views, reuse.cards, reuse.stored)
    env = environment(site.config, views.words, compiled=reuse is not None)
    compile_templates(env, site.config.root)
    engine = Engine(_inputs(site, views, drafts, env), reuse.ledger, reuse.previous, site.config.output)
    page = _Pages(env, site, views, out, drafts, engine, later)
    sv, base, t = views.site_view, site.config.base_url, views.words
    for card in views.posts:
        page(f"posts/{card.slug}/index.html", Sources("post.html", (card.slug,), settings=TEXT),
             later=lambda slug=card.slug: _post_context(sv, views.view(slug)))
    page.flush("rendering posts", progress, workers)
    home = paginate(views.posts, site.config.paginate, "")
    about = t.gettext("Roundup posts from {site}: many voices on one theme, each credited to its author.")
    for pager in home:
        page(pager.path + "index.html", _listing("index.html", pager), later=_shown(views, pager),
             share=meta.for_site(sv, t, base + pager.path, _paged(t, sv.title, pager), about.format(site=sv.title)))
    contributors = views.contributors()
    page("contributors/index.html", Sources("contributors.html", tuple(v.slug for v in views.posts),
                                            tuple(c.id for c in contributors), TEXT),
         contributors=contributors, share=meta.for_site(
             sv, t, f"{base}contributors/", t.gettext("Contributors · {site}").format(site=sv.title),
             t.gettext("Everyone whose voice appears on {site}.").format(site=sv.title)))
    for person in contributors:
        shows = person.appearances.slugs()
        page(f"contributors/{person.id}/index.html", Sources("contributor.html", shows, (person.id,), TEXT),
             contributor=person, share=meta.for_contributor(sv, t, person))
    tags = views.tags()
    tagged, tag_about = t.gettext("Tagged “{tag}” · {site}"), t.gettext("Roundups on {site} tagged “{tag}”.")
    tag_pages = {tag.slug: paginate(tag.cards, site.config.paginate, tag.path) for tag in tags}
    for tag in tags:
        for pager in tag_pages[tag.slug]:
            folder = f"tags/{tag.slug}/{pager.path[len(tag.path):]}"  # the file's path; links are URL-quoted
            page(folder + "index.html", _listing("tag.html", pager, tag.name, len(tag.posts)), tag=tag,
                 later=_shown(views, pager),
                 share=meta.for_site(sv, t, base + pager.path,
                                     _paged(t, tagged.format(tag=tag.name, site=sv.title), pager),
                                     tag_about.format(site=sv.title, tag=tag.name)))
    root = urlsplit(site.config.base_url).path
    page("404.html", Sources("404.html", values=(root,)), root=root)
    published = tuple(p for p in views.posts if not p.withheld)
    updated = published[0].updated_iso if published else "1970-01-01T00:00:00Z"
    page("feed.xml", Sources("feed.xml", tuple(p.slug for p in published[:FEED_LIMIT]), settings=TEXT,
                             values=(updated,)), later=lambda: {"posts": views.of(published[:FEED_LIMIT])},
         updated=updated)
    urls = _sitemap(site, published, contributors, tags, [home, *tag_pages.values()])
    page("sitemap.xml", Sources("sitemap.xml", values=tuple(urls)), urls=urls)
    page.flush("rendering pages", progress, workers)
    _copy_files(site, views, out)


TEXT = (*SITE, "markdown")
"""The settings of a page that shows Markdown: posts, voices or bios."""


def _listing(template: str, pager: PagerView, *values: object) -> Sources:
    """What one page of a list of posts (home or a tag) is made from: its posts, and where it is in the list."""
    return Sources(template, tuple(p.slug for p in pager.posts), settings=TEXT,
                   values=(*values, pager.path, pager.number, pager.count))


def _post_context(sv, post: PostView) -> dict:
    return {"post": post, "share": meta.for_post(sv, post)}


def _shown(views: Views, pager: PagerView) -> Callable[[], dict]:
    """The context of a list page that shows its posts: their views, made when the page is rendered."""
    def context() -> dict:
        posts = views.of(pager.posts)
        return {"posts": posts, "pager": replace(pager, posts=posts)}
    return context


def _inputs(site: Site, views: Views, drafts: bool, env: jinja2.Environment) -> Inputs:
    """The digest of every input a page may declare (see `Sources`)."""
    c = site.config
    posts = {card.slug: card.key for card in views.posts}
    people = {cid: key_of(person.profile) for cid, person in site.contributors.items()}
    settings = {"title": c.title, "base_url": c.base_url, "language": c.language, "editor": c.editor.name,
                "markdown": c.markdown}
    return Inputs(key_of(__version__, drafts), template_digests(env, c), posts, people, settings)


class _Pages:
    """Renders templates into the Output, turning template errors into located problems; a page the engine
    finds current is kept as it is. Pages to render are queued, then rendered together by `flush`, on worker
    processes when there are many."""

    def __init__(self, env: jinja2.Environment, site: Site, views: Views, out: Output, drafts: bool,
                 engine: Engine, later: bool = False):
        self.env, self.site, self.views, self.out, self.drafts = env, site, views, out, drafts
        self.engine, self.later = engine, later
        self.queued: list[tuple[str, str, str, dict, Callable[[], dict] | None]] = []
        """(path, template, key, context, later) of each page to render; forked workers inherit the list."""

    def __call__(self, path: str, sources: Sources, later: Callable[[], dict] | None = None, **context) -> None:
        """Queue a page made from `sources` unless the engine has it current; `later` gives the costly rest of
        its context, made only if the page is rendered, on the process that renders it."""
        key = self.engine.current(path, sources, self.out)
        if key is not None:
            self.queued.append((path, sources.template, key, context, later))

    def flush(self, label: str, progress: Progress, workers: int) -> None:
        """Render every queued page (in order, so the output is the same on any number of processes)."""
        queued = self.queued
        if self.later:
            self._flush_later()
            return
        for done, data in enumerate(parallel.run(self._render_queued, range(len(queued)), workers), 1):
            path, template, key, _, _ = queued[done - 1]
            self.out.add(path, data, origin=template, key=key)
            progress(label, done, len(queued))
        self.queued = []

    def _flush_later(self) -> None:
        """Queue every page to be rendered when first asked for; the first of each template now."""
        seen: set[str] = set()
        for index, (path, template, key, _, _) in enumerate(self.queued):
            made = Later(functools.partial(self._render_queued, index, self.queued))
            if template not in seen:
                seen.add(template)
                made()
            self.out.add_later(path, made, origin=template, key=key)
        self.queued = []

    def _render_queued(self, index: int, queued: list | None = None) -> bytes:
        path, template, _, context, later = (queued if queued is not None else self.queued)[index]
        return self.render(path, template, {**context, **later()} if later else context)

    def render(self, path: str, template: str, context: dict) -> bytes:
        root = "../" * path.count("/")
        canonical = self.site.config.base_url + path.removesuffix("index.html")
        context = {"site": self.views.site_view, "root": root, "drafts": self.drafts,
                   "canonical": canonical, "share": None, **context}
        return render_template(self.env, self.site.config.root, template, context, path).encode("utf-8")


def _sitemap(site: Site, published, contributors, tags, lists) -> list[tuple[str, str | None]]:
    """Absolute URLs of published pages only, with a last-modified date where one is known; the further
    pages of each list of posts after its first."""
    base = site.config.base_url
    urls = [(base, published[0].date_iso if published else None)]
    urls += [(post.abs_url, post.date_iso) for post in published]
    if published:
        urls.append((f"{base}contributors/", None))
    urls += [(c.abs_url, None) for c in contributors if not c.appearances.all_withheld()]
    urls += [(base + t.path, None) for t in tags if not all(p.withheld for p in t.cards)]
    urls += [(base + pager.path, None) for pagers in lists for pager in pagers[1:]
             if not all(p.withheld for p in pager.posts)]
    return urls


def _paged(words: Translator, title: str, pager: PagerView) -> str:
    """A list page's title: the list's own on its first page, with the page number on the others."""
    if pager.number == 1:
        return title
    return words.gettext("Page {number} of {count} · {title}").format(
        number=words.number(pager.number), count=words.number(pager.count), title=title)


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

