"""Languages: which ones roundup speaks (a catalogue shipped in the package, or one a site's theme adds), each
catalogue compiled when first used, and the words, plurals, dates, numbers and lists of one language (Babel,
from CLDR data)."""

from __future__ import annotations

import functools
import gettext
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
"""The catalogues shipped with roundup: locales/<lang>/LC_MESSAGES/roundup.po."""
DOMAIN = "roundup"
ENGLISH = LOCALES / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
"""The source language's catalogue: every message translated as itself, for a site to start a language from."""
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
"""A BCP 47 language tag ("fr", "pt-BR", "zh-Hans"; "zh_Hans" too)."""


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Language:
    """A language roundup writes in, as site.yml or a profile names it, with the catalogues that speak it."""

    tag: str
    """BCP 47, as HTML's `lang` takes it: "fr", "pt-BR", "zh-Hans"."""
    locale: str
    """Babel's identifier, for plurals, dates, numbers and direction: "fr", "pt_BR", "zh_Hans"."""
    catalogues: tuple[Path, ...]
    """Its .po files: the shipped one first, then the theme's own, which win over it."""
    digest: str
    """Of those files' bytes: whatever is made in this language depends on it."""


def shipped() -> tuple[str, ...]:
    """The tags of the languages shipped with roundup: "ar", "de", … "zh-Hans"."""
    return tuple(sorted(p.name.replace("_", "-") for p in LOCALES.iterdir() if (p / "LC_MESSAGES").is_dir()))


def resolve(value: str, themes: Sequence[Path]) -> Language | str:
    """The language `value` names, with its catalogues: the package's and the themes' `locales/<lang>/` (the
    site's theme over the shipped one; a region's, `fr_CA`, over its language's); or why there is none."""
    advice = (f"roundup speaks {', '.join(shipped())}; a site adds a language with its own catalogue, "
              f"themes/<theme>/locales/<lang>/roundup.po (see README, Languages)")
    if not LANGUAGE_TAG.match(value):
        return f"is not a language tag roundup knows (got {value[:40]!r}): {advice}"
    tag = "-".join(_cased(i, part) for i, part in enumerate(re.split(r"[-_]", value)))
    name = tag.replace("-", "_")
    if (LOCALES / name / "LC_MESSAGES").is_dir():  # a shipped language as written: Babel is not needed yet
        return _language(tag, name, [name], themes)
    locale = _locale(tag)
    if locale is None:
        return f"is not a language tag roundup knows (got {value[:40]!r}): {advice}"
    found = _language(tag, str(locale), _candidates(locale)[::-1], themes)
    return found if found.catalogues else f"{value!r} has no translation: {advice}"


def _cased(index: int, part: str) -> str:
    """BCP 47's casing: "zh", "Hans", "CN"."""
    if index == 0:
        return part.lower()
    return part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part.lower()


def _language(tag: str, locale: str, names: list[str], themes: Sequence[Path]) -> Language:
    """The language with the catalogues in the folders `names` (least specific first), each the package's, then
    each theme's (the site's last; a folder may be spelt `pt_BR` or `pt-BR`)."""
    found: list[Path] = []
    for name in names:
        spellings = dict.fromkeys((name, name.replace("_", "-")))
        for folder in (LOCALES / name, *(theme / "locales" / s for theme in reversed(themes) for s in spellings)):
            found += _po_files(folder)
    digest = hashlib.sha256(b"".join(f.name.encode() + b"\0" + f.read_bytes() for f in found)).hexdigest()
    return Language(tag, locale, tuple(found), digest)


def _locale(value: str):
    """Babel's locale for a BCP 47 tag ("zh-Hans", "pt_BR"), or None."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def _candidates(locale) -> list[str]:
    """Catalogue folder names, most specific first: zh_Hans_CN, zh_Hans, zh."""
    parts = [p for p in (locale.language, locale.script, locale.territory) if p]
    names = ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]
    if locale.territory and locale.script:
        names.insert(1, f"{locale.language}_{locale.territory}")
    return names


def _po_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.po")) if folder.is_dir() else []


class Translator:
    """The words of one language: messages from its catalogues, plurals by its rules, and dates, numbers and
    lists as CLDR writes them."""

    def __init__(self, language: Language, translations: gettext.NullTranslations):
        from babel import Locale

        self.language, self.translations = language, translations
        self.locale = Locale.parse(language.locale)
        self.gettext: Callable[[str], str] = translations.gettext
        self.ngettext: Callable[[str, str, int], str] = translations.ngettext
        self._dates: dict = {}

    @property
    def direction(self) -> str:
        """"rtl" for a language written right to left (Arabic, Hebrew, Persian…), else "ltr"."""
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    def date(self, day) -> str:
        """A day as the reader's language writes it in full: "1 March 2026", "1 mars 2026", "2026年3月1日"."""
        if day not in self._dates:
            from babel.dates import format_date
            self._dates[day] = format_date(day, "long", locale=self.locale)
        return self._dates[day]

    def number(self, n: int) -> str:
        from babel.numbers import format_decimal
        return format_decimal(n, locale=self.locale)

    def names(self, items: Iterable[str]) -> str:
        """"Sam, Lee and Kim" in the reader's language."""
        from babel.lists import format_list
        return format_list(list(items), locale=self.locale)


@functools.lru_cache(maxsize=32)
def translator(language: Language) -> Translator:
    """The language's catalogues compiled (the theme's over the shipped one), once a process. The shipped
    English one is its own text (the suite checks it), so it is not compiled."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    for path in language.catalogues:
        if path == ENGLISH:
            continue
        compiled = compile_po(path, language.locale)
        compiled.add_fallback(chain)
        chain = compiled
    return Translator(language, chain)


class CatalogueError(Exception):
    """A .po file that does not read: its path, the line, and what is wrong."""

    def __init__(self, path: Path, line: int | None, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


def compile_po(path: Path, locale: str) -> gettext.GNUTranslations:
    """One .po catalogue compiled in memory (compiled catalogues are never written next to it)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po

    try:
        with path.open("rb") as f:
            catalog = read_po(f, locale=locale, abort_invalid=True)
    except PoFileError as exc:
        found = re.search(r"\s(?:on|line) (\d+)$", str(exc))
        line = int(found.group(1)) + 1 if found else None  # Babel counts from 0
        what = str(exc)[:found.start()] if found else str(exc)
        raise CatalogueError(path, line, f"is not a valid gettext catalogue: {what}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(path, None, f"cannot be read as a gettext catalogue: {exc}") from None
    for message in catalog:
        wrong = _misfit(message)
        if wrong:
            raise CatalogueError(path, message.lineno, f"the translation of {_first(message.id)!r} {wrong}")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def placeholders(text: str) -> set[str]:
    """The named placeholders in a message: %(name)s in templates, {name} in messages."""
    return set(_PLACEHOLDER.findall(text))


_MARKUP = re.compile(r"<[^<>]*>")


def _misfit(message) -> str | None:
    """What in a translation would break a page or a message, in words (None: nothing): a placeholder its
    English has not, a format the placeholders' kind does not read, or markup other than its English's."""
    ids = [i for i in (message.id if isinstance(message.id, (list, tuple)) else (message.id,)) if i]
    strings = [s for s in (message.string if isinstance(message.string, (list, tuple)) else (message.string,)) if s]
    if not ids:
        return None  # the header
    allowed = set().union(*map(placeholders, ids))
    advice = "keep the placeholders as they are in msgid ({}), translated text around them".format(
        ", ".join(sorted(allowed)) or "none")
    names = {re.sub(r"^%\(|\)[sd]$|^\{|\}$", "", p) for p in allowed}
    for text in strings:
        if placeholders(text) - allowed:
            return f"uses {', '.join(sorted(placeholders(text) - allowed))}, which its English text has not: {advice}"
        if any("{" in i for i in ids) and not _fills(text, names, brace=True):
            return f"is not a valid {{name}} format (a brace to write is doubled, {{{{ }}}}): {advice}"
        if any("%(" in i for i in ids) and not _fills(text, names, brace=False):
            return f"is not a valid %(name)s format (a % to write is doubled, %%): {advice}"
        if sorted(_MARKUP.findall(text)) != sorted(_MARKUP.findall(ids[0])) or "<" in _MARKUP.sub("", text):
            tags = " ".join(_MARKUP.findall(ids[0])) or "none"
            return f"has markup other than its English text's: keep exactly {tags}"
    return None


def _fills(text: str, names: set[str], brace: bool) -> bool:
    """Whether a translation fills in with exactly the values its English text is given."""
    values = {n: "" for n in names}
    try:
        text.format(**values) if brace else text % values
        return True
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return False


def _first(msgid) -> str:
    return (msgid[0] if isinstance(msgid, (list, tuple)) else msgid)[:60]
