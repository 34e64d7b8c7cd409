"""Rendering views through the theme's Jinja2 templates into an in-memory Output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jinja2

from roundup import __version__, avatars, meta, parallel
from roundup.digest import key_of
from roundup.gate import PostStatus
from roundup.load import rel
from roundup.model import Site
from roundup.theme import compile_templates, environment, render_template, static_files, theme_folders
from roundup.progress import SILENT, Progress
from roundup.views import PagerView, Views, paginate
from roundup.write import Ledger, Output

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
    """By slug, the post views of an earlier build in this process (see `Views`)."""
    keys: dict[str, tuple] = field(default_factory=dict)
    """By slug, (status, key) of an earlier build in this process: the same status has the same key."""


def render_site(site: Site, statuses: tuple[PostStatus, ...], drafts: bool, progress: Progress = SILENT,
                reuse: Reuse | None = None, workers: int = 1) -> Output:
    """Every page, feed, static file and avatar of the build, in memory; nothing is written yet. A page
    made from the same inputs as the one `reuse` says is published (or as the one in its previous
    in-memory build, for `serve`) is kept, not rendered again; post pages are rendered on `workers`
    processes when there are many, then the lists that show them here."""
    env = environment(site.config, compiled=reuse is not None)
    compile_templates(env, site.config.root)
    reuse = reuse if reuse is not None else Reuse()
    views = Views(site, statuses, drafts, reuse.views)
    out = Output()
    page = _Pages(env, site, views, out, drafts, reuse, _common_key(site, drafts))
    sv, base = views.site_view, site.config.base_url
    keys = {view.slug: _post_inputs(status, reuse.keys) for view, status in zip(views.posts, views.statuses)}
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


def _post_inputs(status: PostStatus, memo: dict[str, tuple]) -> str:
    """What a post's page (and its card in lists) is made from; each voice's digest stands for its quote
    and profile and the post's own text. Remembered in `memo` for the very same status."""
    known = memo.get(status.post.slug)
    if known is not None and known[0] is status:
        return known[1]
    key = _inputs_key(status)
    memo[status.post.slug] = (status, key)
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
                 reuse: Reuse, common: str):
        self.env, self.site, self.views, self.out, self.drafts = env, site, views, out, drafts
        self.reuse, self.common = reuse, common
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
        ledger, previous = self.reuse.ledger, self.reuse.previous
        if ledger is not None and ledger.reusable(path, key, self.site.config.output):
            self.out.keep(path, key, origin=template)
            return True
        old = previous.files.get(path) if previous is not None else None
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

