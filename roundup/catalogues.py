"""The message catalogues: every string roundup shows or writes, extracted from its code and the default theme
(Babel), and the shipped catalogues kept in step with them (how complete they are: `untranslated`).

`python -m roundup.catalogues` updates every shipped catalogue after a string changed (new strings come in
untranslated, gone ones are dropped); the suite's completeness test fails until each is translated."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from roundup.i18n import DOMAIN, LOCALES
from roundup.theme import package_theme

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "t": None}
"""The calls whose strings are messages: `t` is a `Translator.gettext` at hand in roundup's own modules."""
OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
"""The Jinja options extraction needs: the theme's environment has the same (see `theme.environment`)."""


def sources() -> list[tuple[Path, str]]:
    """Every file messages come from, with how to read it: roundup's modules and the default theme."""
    package = Path(__file__).resolve().parent
    code = [(path, "python") for path in sorted(package.glob("*.py"))]
    theme = package_theme() / "templates"
    return code + [(path, "jinja2") for path in sorted(theme.glob("*.*"))]


def extract() -> Catalog:
    """Every message, with where it comes from; English, the source language, is its own translation."""
    catalog = Catalog(domain=DOMAIN, project="roundup", charset="utf-8", fuzzy=False)
    for path, method in sources():
        extractor = babel_extract if method == "jinja2" else "python"
        for line, message, comments, context in extract_from_file(extractor, str(path), KEYWORDS,
                                                                   options=OPTIONS, strip_comment_tags=True):
            catalog.add(message, None, [(path.name, line)], auto_comments=comments, context=context)
    return catalog


def catalogue_path(tag: str, folder: Path = LOCALES) -> Path:
    return folder / tag.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=False, omit_header=False, no_location=False)


def update(shipped: Sequence[Path] | None = None) -> list[Path]:
    """Bring every shipped catalogue in step with the code: new messages untranslated, gone ones dropped.
    English is filled with its own text."""
    changed = []
    for path in shipped if shipped is not None else sorted(LOCALES.glob("*/LC_MESSAGES/*.po")):
        locale = path.parent.parent.name
        catalog = read(path, locale)
        catalog.update(extract(), no_fuzzy_matching=True)  # a template of its own: update shares its messages
        catalog.obsolete.clear()
        if locale == "en":
            for message in catalog:
                if message.id:
                    message.string = message.id
        write(catalog, path)
        changed.append(path)
    return changed


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """The messages of `template` that `catalog` lacks or leaves untranslated (a plural form missing too)."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        strings = () if found is None else found.string if isinstance(found.string, tuple) else (found.string,)
        if found is None or found.fuzzy or not strings or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    for path in update():
        print(f"updated {path.relative_to(LOCALES.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
