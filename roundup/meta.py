"""Sharing metadata for pages: Open Graph and Twitter card values, and JSON-LD naming who wrote what."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from roundup.i18n import Translator
from roundup.viewtypes import ContributorView, PostView, SiteView, VoiceView

SHARE_IMAGE = "static/share.png"
"""The theme's picture for sharing cards (1200×630), used where a page has no picture of its own."""


@dataclass(frozen=True, slots=True)
class ShareView:
    """What a page says about itself to link previews, feed readers and search engines."""

    type: str
    """og:type: "website", "article" or "profile"."""
    title: str
    description: str | None
    url: str
    """The canonical absolute URL."""
    image: str
    """Absolute URL of the picture shown in link previews."""
    image_alt: str
    card: str
    """twitter:card: "summary_large_image" for the wide theme picture, "summary" for a portrait."""
    json_ld: Markup | None
    """A schema.org object, already JSON-encoded and safe inside <script> (no `<`, `>` or `&`)."""
    published: str | None = None
    tags: tuple[str, ...] = ()


def for_site(site: SiteView, words: Translator, url: str, title: str, description: str | None) -> ShareView:
    """Index, list and tag pages: the site's own card."""
    return ShareView("website", title, description, url, site.base_url + SHARE_IMAGE, _image_alt(site, words),
                     "summary_large_image", None)


def _image_alt(site: SiteView, words: Translator) -> str:
    """What the theme's sharing picture shows."""
    return words.gettext("{site}: many voices, each credited").format(site=site.title)


def for_post(site: SiteView, post: PostView) -> ShareView:
    """A post: an Article by the editor, every voice a contributing Person with their credit links."""
    image = site.base_url + SHARE_IMAGE
    data = {
        "@context": "https://schema.org", "@type": "Article",
        "headline": post.title, "url": post.abs_url, "mainEntityOfPage": post.abs_url,
        "datePublished": post.date_iso, "inLanguage": site.language, "image": image,
        "author": {"@type": "Person", "name": site.editor_name},
        "publisher": {"@type": "Organization", "name": site.title, "url": site.base_url},
        "contributor": [_voice_person(site, voice) for voice in post.voices],
    }
    if post.summary:
        data["description"] = post.summary
    if post.tags:
        data["keywords"] = [tag.name for tag in post.tags]
    return ShareView("article", post.title, post.summary, post.abs_url, image,
                     f"{site.title}: {post.title}", "summary_large_image", _json(data),
                     published=post.date_iso, tags=tuple(tag.name for tag in post.tags))


def for_contributor(site: SiteView, words: Translator, person: ContributorView) -> ShareView:
    """A contributor's page: a Person, pictured by their photo when they have one."""
    data = _person(person.name, person.url or person.abs_url, person.links, person.avatar.share_url,
                   person.handle)
    data = {"@context": "https://schema.org", **data, "mainEntityOfPage": person.abs_url}
    description = words.gettext("Every roundup on {site} with a voice by {name}.").format(site=site.title,
                                                                                          name=person.name)
    if person.avatar.share_url:
        return ShareView("profile", person.name, description, person.abs_url, person.avatar.share_url,
                         person.avatar.alt, "summary", _json(data))
    return ShareView("profile", person.name, description, person.abs_url, site.base_url + SHARE_IMAGE,
                     _image_alt(site, words), "summary_large_image", _json(data))


def _voice_person(site: SiteView, voice: VoiceView) -> dict:
    return _person(voice.name, voice.url or site.base_url + voice.contributor_path, voice.links,
                   voice.avatar.share_url, voice.handle)


def _person(name: str, url: str, links, image: str | None, handle: str | None) -> dict:
    """A schema.org Person: their main credit link as `url`, the other web links as `sameAs`."""
    data: dict = {"@type": "Person", "name": name, "url": url}
    same = [link.href for link in links if link.href.startswith(("https://", "http://")) and link.href != url]
    if same:
        data["sameAs"] = same
    if image:
        data["image"] = image
    if handle:
        data["alternateName"] = handle
    return data


def _json(data: dict) -> Markup:
    return htmlsafe_json_dumps(data, ensure_ascii=False)
