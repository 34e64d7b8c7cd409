"""The theme: where its templates and static files are found (the site's theme over the shipped one),
the Jinja2 environment they run in, and template errors located at their file and line."""

from __future__ import annotations

import hashlib
import re
import traceback
from pathlib import Path

import jinja2
from jinja2 import nodes, pass_context
from markupsafe import Markup, escape

from roundup import __version__
from roundup.errors import Problem, RoundupError
from roundup.fsutil import state_dir
from roundup.i18n import CatalogueError, Language, Translator, translator
from roundup.load import rel
from roundup.model import SiteConfig

_ABSOLUTE = re.compile(r"^([a-z][a-z0-9+.\-]*:|#|//)", re.IGNORECASE)


def package_theme() -> Path:
    """The default theme shipped in the package (or, in a source checkout, at the repository root)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "themes" / "default", here.parent / "themes" / "default"):
        if (candidate / "templates").is_dir():
            return candidate
    raise RoundupError("the default theme is missing from this roundup installation; reinstall roundup")


def theme_folders(config: SiteConfig) -> list[Path]:
    """Theme folders in lookup order: the site's theme first, then the package's default theme."""
    return folders_of(config.root, config.theme)


def folders_of(root: Path, theme: str) -> list[Path]:
    """Theme folders in lookup order for the theme named `theme` in the site at `root`."""
    folders = []
    site_theme = root / "themes" / theme
    if site_theme.is_dir():
        folders.append(site_theme)
    default = package_theme()
    if not folders or folders[0].resolve() != default.resolve():
        folders.append(default)
    return folders


def environment(config: SiteConfig, words: Translator, compiled: bool = False) -> jinja2.Environment:
    """Jinja2 with autoescaping everywhere, speaking `words` (the site's language) through `{% trans %}` and
    `_()`; `{% extends "default/base.html" %}` reaches the shipped theme. With `compiled`, templates compiled
    by earlier builds are kept in .roundup/cache/templates/."""
    templates = [jinja2.FileSystemLoader(folder / "templates") for folder in theme_folders(config)
                 if (folder / "templates").is_dir()]
    loader = jinja2.ChoiceLoader([*templates, jinja2.PrefixLoader({"default": templates[-1]})])
    bytecode = jinja2.FileSystemBytecodeCache(str(state_dir(config.root, "cache", "templates"))) if compiled else None
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, bytecode_cache=bytecode,
                             extensions=["jinja2.ext.i18n"])
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # {% trans %} hands its values to gettext
    env.policies["ext.i18n.trimmed"] = True  # a message spread over lines is one line in the catalogue
    env.globals.update(speaking(words))
    env.filters["url"] = _url
    env.filters["number"] = words.number
    env.filters["bdi"] = _bdi
    env.globals["generator"] = f"roundup {__version__}"
    return env


def words_of(language: Language, root: Path) -> Translator:
    """The words of `language` (its catalogues compiled once a process); a broken catalogue is reported at its
    file and line."""
    try:
        return translator(language)
    except CatalogueError as exc:
        raise RoundupError([Problem(rel(root, exc.path), exc.line, exc.message)]) from None


def speaking(words: Translator) -> dict:
    """`gettext`, `ngettext` and `_` as templates call them (Jinja's "newstyle": %(name)s placeholders filled
    with escaped values). A translation is text, escaped like any other, unless its English has markup
    (`<strong>`, `<bdi>`): then it is markup, with the same tags (`i18n.compile_po` checks them). A block inside
    `{% with gettext=frame.gettext %}` speaks another language: a preview's frame is in its reader's."""

    def safe(context, message: str, text: str, variables: dict) -> str:
        if context.eval_ctx.autoescape:
            text = Markup(text) if "<" in message else escape(text)
        return text % variables if variables else text

    @pass_context
    def gettext(context, message: str, **variables) -> str:
        return safe(context, message, words.gettext(message), variables)

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return safe(context, singular, words.ngettext(singular, plural, num), variables)

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


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


def _bdi(value: str) -> Markup:
    """Someone's name or title inside a sentence, isolated so that its script's direction never reorders the
    words around it (an Arabic name in an English sentence, a Latin one in an Arabic sentence)."""
    return Markup("<bdi>%s</bdi>") % value


@pass_context
def _url(context, value: str | None) -> str:
    """A link from the current page: site-relative paths get the page's `root` prefix ("" is home)."""
    if value is None:
        return ""
    if value in ("", "./"):  # home: the prefix itself, never "…/./"
        return context["root"] or "./"
    return value if _ABSOLUTE.match(value) else context["root"] + value


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


def template_digests(env: jinja2.Environment, config: SiteConfig) -> dict[str, str]:
    """Template name → digest of its source and of every template it extends, includes or imports, so a page
    depends on the templates it is made with and no others. A template that names another by an expression
    roundup cannot follow depends on every template."""
    sources = _template_sources(config)
    uses = {name: _referenced(env, text) for name, text in sources.items()}
    everything = hashlib.sha256(repr(sorted(sources.items())).encode()).hexdigest()
    digests = {}
    for name in sources:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            used = uses.get(current, frozenset())
            if None in used:
                digests[name] = everything
                break
            todo.extend(used)
        else:
            digests[name] = hashlib.sha256(repr(sorted((n, sources.get(n)) for n in seen)).encode()).hexdigest()
    return digests


def _template_sources(config: SiteConfig) -> dict[str, str | None]:
    """Each template's name, as pages name it, with its source: the site's theme over the shipped one, and
    every shipped template under "default/" too."""
    folders = [folder / "templates" for folder in theme_folders(config) if (folder / "templates").is_dir()]
    found: dict[str, str | None] = {}
    for prefix, group in (("", folders), ("default/", folders[-1:])):
        for folder in group:
            for path in sorted(folder.rglob("*")):
                name = prefix + path.relative_to(folder).as_posix()
                if path.is_file() and name not in found:
                    found[name] = path.read_text(encoding="utf-8", errors="replace")
    return found


def _referenced(env: jinja2.Environment, text: str | None) -> frozenset[str | None]:
    """The templates one template names in extends, include, import and from-import (None: an expression)."""
    if text is None:
        return frozenset()
    try:
        tree = env.parse(text)
    except jinja2.TemplateSyntaxError:
        return frozenset()  # compile_templates reports it
    names: set[str | None] = set()
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        names.update(_names(node.template))
    return frozenset(names)


def _names(expr: nodes.Node) -> set[str | None]:
    """The template names an expression can take: constants, either side of a condition, a list's items."""
    if isinstance(expr, nodes.Const) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, nodes.CondExpr) and expr.expr2 is not None:
        return _names(expr.expr1) | _names(expr.expr2)
    if isinstance(expr, (nodes.Tuple, nodes.List)):
        return set().union(*(_names(item) for item in expr.items)) if expr.items else set()
    return {None}
