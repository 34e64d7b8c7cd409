"""Turning a site folder into a validated Site, reporting every problem in it at once."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from roundup.avatars import inspect
from roundup.errors import Problem, Problems, RoundupError
from roundup.fields import ID_RE, Fields, check_url, normalise_url
from roundup.i18n import Language, resolve
from roundup.load import Document, load_yaml_file, real_folder, rel
from roundup.markdown import DEFAULT_ENGINE, engine_problem
from roundup.model import (PREVIEW_OTHERS, Avatar, Contributor, Editor, InboxConfig, Link, MailConfig, Profile, Site,
                           SiteConfig)
from roundup.posts import Folders, load_posts
from roundup.progress import SILENT, Progress
from roundup.theme import folders_of, words_of
from roundup.slips import missing_space
from roundup.words import id_advice, suggest_id

SITE_FIELDS = ("title", "base_url", "editor", "theme", "output", "previews", "language", "mail", "markdown",
               "paginate", "preview_others", "inbox", "remind_every")
MAIL_FIELDS = ("host", "port", "tls", "starttls", "username", "password_env", "allow_plain_password")
INBOX_FIELDS = ("host", "port", "tls", "starttls", "username", "password_env", "folder")
PUBLIC_FIELDS = ("name", "short_name", "handle", "url", "links", "avatar", "bio")
PRIVATE_FIELDS = ("email", "language")
"""Private profile fields roundup knows; any other key is the editor's own and private too, unless it looks
like a typo of one of these or of a public field (then it is an error: a photo must not silently vanish)."""
TYPO_ADVICE = ("(if it is a private field of your own, put it under `private:`, as in "
               "`private: {{{key}: ...}}`; everything under `private:` stays private)")
AVATAR_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
RESERVED = ("contributors", "posts", "themes")


def load_site(root: Path, progress: Progress = SILENT, folders: Folders | None = None, workers: int = 1,
              only: frozenset[str] | None = None) -> Site:
    """Read and validate the whole site under `root` (with `only`, just those posts); raise RoundupError
    listing every problem. Posts unchanged since `folders` were read are taken from them; the others are
    read on `workers` processes."""
    root = root.resolve()
    real_folder.cache_clear()  # a folder may have become a link since the last load (in `serve`)
    problems = Problems()
    config = load_config(root, problems)
    contributors = load_contributors(root, problems, config)
    posts = load_posts(root, contributors, problems, progress, folders, workers, only)
    problems.raise_if_any()
    assert config is not None
    return Site(config, contributors, posts)


def check_languages(site: Site) -> None:
    """Compile the catalogues of every language roundup writes in for this site (its own, and each profile's),
    so that a broken one is reported by `check`, not on the day a message is written in it."""
    problems = Problems()
    for language in dict.fromkeys((site.config.language, *(c.language for c in site.contributors.values()))):
        if language is not None:
            try:
                words_of(language, site.config.root)
            except RoundupError as exc:
                problems.items.extend(exc.problems)
    problems.raise_if_any()


NO_SITE_HINT = "run roundup inside a site folder, pass --site DIR, or start one with `roundup new site`"


def find_site(start: Path) -> Path:
    """The site `start` is in, found as git finds a repository: the nearest folder holding site.yml, `start`
    or one above it; written relative to `start` (`..`) so that paths shown from there read right."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / "site.yml").is_file():
            return start / os.path.relpath(folder, here)
    raise RoundupError([Problem("site.yml", None, f"not found in {here} or any folder above it ({NO_SITE_HINT})")])


def load_config(root: Path, problems: Problems) -> SiteConfig | None:
    """site.yml, with defaults applied."""
    path = root / "site.yml"
    if not path.is_file():
        raise RoundupError([Problem("site.yml", None, f"not found in {root} ({NO_SITE_HINT})")])
    doc = load_yaml_file(root, path)
    if isinstance(doc, Problem):
        problems.items.append(doc)
        return None
    f = Fields(doc.path, doc.meta, problems)
    f.only(SITE_FIELDS)
    title = f.text("title", required=True) or ""
    base_url = f.url("base_url", ("http", "https")) if "base_url" in doc.meta else None
    if base_url is None and "base_url" not in doc.meta:
        f.text("base_url", required=True)
    theme = f.text("theme", default="default") or "default"
    if not ID_RE.match(theme):
        f.error("theme", "must be a folder name under themes/ (lowercase letters, digits, hyphens)")
    elif theme != "default" and not (root / "themes" / theme).is_dir():
        f.error("theme", f"names themes/{theme}/, which does not exist")
    return SiteConfig(
        root=root,
        title=title,
        base_url=(base_url or "https://example.invalid/").rstrip("/") + "/",
        editor=_editor(f),
        theme=theme,
        output=_folder(f, root, "output", "_site"),
        previews=_folder(f, root, "previews", "_previews"),
        language=_language(f, folders_of(root, theme) if ID_RE.match(theme) else []),
        mail=_mail(f),
        markdown=_engine(f),
        paginate=f.integer("paginate", 20, 1, 10_000),
        preview_others=f.choice("preview_others", PREVIEW_OTHERS, "approved"),
        inbox=_inbox(f),
        remind_every=f.integer("remind_every", 3, 1, 365),
    )


def _language(f: Fields, themes: list[Path], known: dict[str, Language | str] | None = None) -> Language:
    """The language `language:` names (English by default), with its catalogues; an unknown one is an error.
    `known`: the languages already found in this load, by name (profiles share a few)."""
    value = f.text("language", default="en") or "en"
    found = known[value] if known is not None and value in known else resolve(value, themes)
    if known is not None:
        known[value] = found
    if isinstance(found, str):
        f.error("language", found)
        found = resolve("en", [])
        assert not isinstance(found, str), "the English catalogue is shipped with roundup"
    return found


def _engine(f: Fields) -> str:
    name = f.text("markdown", default=DEFAULT_ENGINE) or DEFAULT_ENGINE
    problem = engine_problem(name)
    if problem:
        f.error("markdown", problem)
        return DEFAULT_ENGINE
    return name


def _editor(f: Fields) -> Editor:
    editor = f.mapping("editor")
    if editor is None:
        return Editor(name="The editor", email=None)
    editor.only(("name", "email"))
    email = editor.email("email")
    return Editor(name=editor.text("name", required=True) or "", email=email)


def _mail(f: Fields) -> MailConfig:
    mail = f.mapping("mail")
    if mail is None:
        return MailConfig()
    mail.only(MAIL_FIELDS)
    tls = mail.boolean("tls", False)
    starttls = mail.boolean("starttls", False)
    if tls and starttls:
        mail.error("starttls", "and `tls` cannot both be true: use `tls: true` for TLS from the first byte "
                   "(SMTPS, port 465), or `starttls: true` alone for a plain connection upgraded with STARTTLS "
                   "(port 587 or 25)")
    written = [("mail", f.line("mail")), *((key, mail.line(key)) for key in MAIL_FIELDS if key in mail.data)]
    return MailConfig(
        host=mail.text("host", default="localhost") or "localhost",
        port=mail.integer("port", 465 if tls else 25, 1, 65535),
        tls=tls,
        starttls=starttls,
        username=mail.text("username"),
        password_env=mail.text("password_env", default="ROUNDUP_SMTP_PASSWORD") or "ROUNDUP_SMTP_PASSWORD",
        allow_plain_password=mail.boolean("allow_plain_password", False),
        lines=tuple((key, n) for key, n in written if n is not None),
    )


def _inbox(f: Fields) -> InboxConfig | None:
    """The IMAP folder `roundup inbox --imap` reads; None without an `inbox:` setting."""
    inbox = f.mapping("inbox")
    if inbox is None:
        return None
    inbox.only(INBOX_FIELDS)
    tls = inbox.boolean("tls", True)
    starttls = inbox.boolean("starttls", False)
    if tls and starttls:
        inbox.error("starttls" if "starttls" in inbox.data else "tls", "and `tls` cannot both be true: use `tls: "
                    "true` for IMAPS (port 993), or `tls: false` with `starttls: true` (port 143)")
    written = [("inbox", f.line("inbox")), *((key, inbox.line(key)) for key in INBOX_FIELDS if key in inbox.data)]
    default = "ROUNDUP_IMAP_PASSWORD"
    return InboxConfig(
        host=inbox.text("host", required=True) or "localhost",
        username=inbox.text("username", required=True) or "",
        port=inbox.integer("port", 993 if tls else 143, 1, 65535),
        tls=tls,
        starttls=starttls,
        password_env=inbox.text("password_env", default=default) or default,
        folder=inbox.text("folder", default="INBOX") or "INBOX",
        lines=tuple((key, n) for key, n in written if n is not None),
    )


def _folder(f: Fields, root: Path, key: str, default: str) -> Path:
    """An output folder: relative, inside the site, and never one of the input folders."""
    value = f.text(key, default=default) or default
    path = (root / value).resolve()
    if Path(value).is_absolute() or ".." in Path(value).parts:
        f.error(key, "must be a folder inside the site, written relative to site.yml")
        return root / default
    if path == root or any(path == root / r or root / r in path.parents or path in (root / r).parents
                           for r in RESERVED):
        f.error(key, f"must not be the site folder or hold contributors/, posts/ or themes/ (got {value!r})")
        return root / default
    return path


def load_contributors(root: Path, problems: Problems, config: SiteConfig | None) -> dict[str, Contributor]:
    """Every contributors/<id>.yml, keyed by id (a profile's `language` is looked for in the site's theme; it
    is not checked while site.yml has problems, which may name another theme)."""
    themes = folders_of(root, config.theme) if config else None
    languages: dict[str, Language | str] = {}
    folder = root / "contributors"
    contributors: dict[str, Contributor] = {}
    if not folder.is_dir():
        return contributors
    for path in sorted(folder.iterdir()):
        name = rel(root, path)
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix == ".yaml":
            problems.add(name, None, "profiles use the .yml extension: rename it to " + path.stem + ".yml")
            continue
        if path.suffix != ".yml":
            continue
        if not ID_RE.match(path.stem):
            better = suggest_id(path.stem)
            problems.add(name, None, id_advice(path.stem, "contributor id")
                         + (f"; rename it to contributors/{better}.yml" if better else ""))
            continue
        doc = load_yaml_file(root, path)
        if isinstance(doc, Problem):
            problems.items.append(doc)
            continue
        contributor = _contributor(root, path.stem, doc, problems, themes, languages)
        if contributor:
            contributors[path.stem] = contributor
    return contributors


def _contributor(root: Path, cid: str, doc: Document, problems: Problems, themes: list[Path] | None,
                 languages: dict[str, Language | str]) -> Contributor | None:
    before = len(problems.items)
    f = Fields(doc.path, doc.meta, problems)
    f.no_typos(PUBLIC_FIELDS + PRIVATE_FIELDS, TYPO_ADVICE)
    profile = Profile(
        name=f.text("name", required=True) or "",
        handle=f.text("handle"),
        url=f.url("url"),
        links=_links(f),
        avatar=_avatar(root, f),
        bio=f.text("bio", default="") or "",
        short_name=_short_name(f),
    )
    email = f.email("email")
    language = _language(f, themes, languages) if "language" in doc.meta and themes is not None else None
    if len(problems.items) > before:
        return None
    return Contributor(id=cid, profile=profile, email=email, source=doc.path, language=language)


def _short_name(f: Fields) -> str | None:
    """The name they go by: one line of text, or absent (they are greeted by their full name)."""
    if f.data.get("short_name") is None:
        return None
    value = f.text("short_name")
    if value is None and isinstance(f.data.get("short_name"), str):
        f.error("short_name", "must not be empty: write the name they go by, or leave the line out to greet them "
                              "by their full `name`")
    elif value is not None and ("\n" in value or "\r" in value):
        f.error("short_name", "must be one line: the name they go by, as in `short_name: Priya`")
        return None
    return value


def _links(f: Fields) -> tuple[Link, ...]:
    links = f.mapping("links")
    if links is None:
        return ()
    result = []
    for label, href in links.data.items():
        line = links.line(label)
        if href is None and isinstance(label, str) and (meant := missing_space(label)):
            f.problems.add(f.path, line, f"`links` entry `{label[:60]}` needs a space after `:`; write `{meant}`")
            continue
        if not isinstance(label, str) or not isinstance(href, str):
            f.problems.add(f.path, line, "`links` entries are written `Label: https://...`")
            continue
        reason = check_url(href.strip())
        if reason:
            f.problems.add(f.path, line, f"link {label!r} {reason}")
            continue
        result.append(Link(label.strip(), normalise_url(href.strip())))
    return tuple(result)


def _avatar(root: Path, f: Fields) -> Avatar | None:
    value = f.text("avatar")
    if value is None:
        return None
    if "://" in value or value.lower().startswith(("http:", "https:", "data:", "javascript:")):
        reason = check_url(value, ("https",))
        if reason:
            f.error("avatar", reason)
            return None
        value = normalise_url(value)
        return Avatar(value, None, hashlib.sha256(value.encode()).hexdigest())
    folder = (root / "contributors").resolve()
    path = (folder / value).resolve()
    if Path(value).is_absolute() or folder not in path.parents:
        f.error("avatar", f"must be a file under contributors/ or an https URL (got {value[:60]!r})")
        return None
    if path.suffix.lower() not in AVATAR_SUFFIXES:
        f.error("avatar", f"must be an image ({', '.join(AVATAR_SUFFIXES)}); SVG is refused as it can carry scripts")
        return None
    if not path.is_file():
        f.error("avatar", f"names contributors/{value}, which does not exist")
        return None
    alpha, reason = inspect(path)
    if reason:
        f.error("avatar", f"contributors/{value} {reason}")
        return None
    return Avatar(value, path, hashlib.sha256(path.read_bytes()).hexdigest(), bool(alpha))
