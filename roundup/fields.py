"""Typed, located access to the fields of one YAML mapping; every misuse becomes a Problem."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from urllib.parse import urlsplit

from roundup.errors import Problems
from roundup.load import LineDict, describe
from roundup.slips import missing_space

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
"""Contributor ids and post slugs."""

SAFE_SCHEMES = ("http", "https", "mailto")


_UNSAFE_IN_URL = re.compile(r'["<>\\^`{|}]')


def normalise_url(value: str) -> str:
    """Percent-encode the ASCII characters a URL may not contain (`"`, `<`, `>`, backslash, ...), as a
    browser does when it follows the link; everything else, non-ASCII included, stays as written."""
    return _UNSAFE_IN_URL.sub(lambda m: f"%{ord(m.group()):02X}", value)


def check_url(value: str, schemes: tuple[str, ...] = SAFE_SCHEMES) -> str | None:
    """Why `value` is not an acceptable absolute URL, or None when it is."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = ", ".join(f"{s}:" for s in schemes)
        return f"must be an absolute URL starting with {allowed} (got {value[:60]!r})"
    if scheme in ("http", "https") and not parts.hostname:
        return f"has no host name (got {value[:60]!r})"
    if scheme == "mailto" and "@" not in parts.path:
        return f"is not a mailto: address (got {value[:60]!r})"
    return None


def email_problem(value: str) -> str | None:
    """Why `value` is not exactly one plain address (`zoe@example.org`, nothing around it) that a message can
    be sent to, or None when it is."""
    shown, example = repr(value[:60]), "write one address like zoe@example.org"
    if "<" in value or ">" in value:
        return f"must be the address alone, without a name or <>: the name has its own field (got {shown})"
    if "," in value or ";" in value:
        return f"must be one address, not a list (got {shown})"
    if any(unicodedata.category(ch)[0] in "CZ" for ch in value):
        return f"must be one address, without spaces, line breaks or control characters (got {shown})"
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return f"is not an e-mail address: it needs a name before one @ and a domain after it (got {shown})"
    try:
        address = Address(addr_spec=value)
    except (MessageError, HeaderParseError, ValueError, IndexError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        reason = reason.rstrip(")") if reason.count(")") > reason.count("(") else reason
        return f"is not an e-mail address: {reason} (got {shown}); {example}"
    if address.addr_spec != value:
        return f"must be exactly one plain address (got {shown}); {example}"
    return None


TYPO_CUTOFF = 0.75
"""How alike (difflib's ratio) a key must be to a field's name to be taken for a typo of it: `handel`,
`avtar`, `urls` are; `phone`, `notes`, `surname` are not."""

ALIASES = {
    "language": ("lang",), "lang": ("language",), "locale": ("language", "lang"), "question": ("prompt",),
    "due": ("deadline",), "due_date": ("deadline",), "description": ("summary",), "photo": ("avatar",),
    "picture": ("avatar",), "image": ("avatar",), "website": ("url",), "homepage": ("url",),
    "smtp": ("mail",), "imap": ("inbox",),
}
"""Words that mean a field without looking like its name (`language` for a quote's `lang`), each with the
fields it may mean, the first one there is taken."""


def close_match(key: object, names: tuple[str, ...]) -> str | None:
    """The one of `names` that `key` means (a synonym of ALIASES) or is most likely a typo of (case aside),
    if any."""
    if not isinstance(key, str):
        return None
    meant = next((name for name in ALIASES.get(key.lower(), ()) if name in names), None)
    if meant is not None:
        return meant
    found = difflib.get_close_matches(key.lower(), names, n=1, cutoff=TYPO_CUTOFF)
    return found[0] if found else None


class Fields:
    """Reads fields of one mapping, reporting problems against its file and lines."""

    def __init__(self, path: str, data: LineDict, problems: Problems):
        self.path = path
        self.data = data
        self.problems = problems

    def line(self, key: str) -> int | None:
        return self.data.line_of(key) if isinstance(self.data, LineDict) else None

    def error(self, key: str, message: str) -> None:
        self.problems.add(self.path, self.line(key), f"`{key}` {message}")

    def only(self, allowed: tuple[str, ...]) -> None:
        """Report every key that is not one of `allowed` (usually a typo)."""
        for key in self.data:
            if key not in allowed:
                meant = close_match(key, allowed)
                guess = f": did you mean '{meant}'?" if meant else ""
                known = ", ".join(allowed)
                self.problems.add(self.path, self.line(key), f"unknown field `{key}`{guess} (known fields: {known})")

    def no_typos(self, fields: tuple[str, ...], advice: str) -> None:
        """Report every key that is not one of `fields` but looks like a typo of one (`handel`, `Bio`); other
        keys are welcome. `advice` says what to do when such a key is meant."""
        for key in self.data:
            if key in fields:  # the usual case, and no typo of another: a field name is no close match of one
                continue
            meant = close_match(key, fields)
            if meant and key != meant:
                self.problems.add(self.path, self.line(key),
                                  f"unknown field `{key}`: did you mean '{meant}'? {advice.format(key=key)}")

    def text(self, key: str, required: bool = False, default: str | None = None) -> str | None:
        """A non-empty string (surrounding white space removed)."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(self.path, self.data.line, f"`{key}` is required")
            return default
        if not isinstance(value, str):
            self.error(key, f"must be text, not {describe(value)} (put it in quotes)")
            return default
        value = value.strip()
        if not value:
            if required:
                self.error(key, "must not be empty")
            return default
        return value

    def email(self, key: str) -> str | None:
        """One plain e-mail address (see `email_problem`); None when absent or not one."""
        value = self.text(key)
        reason = email_problem(value) if value is not None else None
        if reason:
            self.error(key, reason)
            return None
        return value

    def url(self, key: str, schemes: tuple[str, ...] = SAFE_SCHEMES) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        reason = check_url(value, schemes)
        if reason:
            self.error(key, reason)
            return None
        return normalise_url(value)

    def date(self, key: str, required: bool = False) -> dt.date | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(self.path, self.data.line, f"`{key}` is required (YYYY-MM-DD)")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(key, f"must be a date written YYYY-MM-DD (got {str(value)[:40]!r})")
        return None

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, not {describe(value)}")
            return default
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(key, f"must be a whole number from {low} to {high}")
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            self.error(key, f"must be one of {', '.join(choices)} (got {str(value)[:40]!r})")
            return default
        return value

    def text_list(self, key: str) -> tuple[tuple[str, int | None], ...] | None:
        """A list of non-empty strings, each with its line; None when absent."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(key, f"must be a list like [a, b], not {describe(value)}")
            return ()
        items = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.error(key, f"must hold only text, found {describe(item)}")
                continue
            items.append((item.strip(), self.line(key)))
        return tuple(items)

    def mapping(self, key: str) -> Fields | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, LineDict):
            meant = missing_space(value) if isinstance(value, str) else None
            hint = f": put a space after `:` on each line, as in `{meant}`" if meant else ""
            self.error(key, f"must be a mapping of `key: value` lines, not {describe(value)}{hint}")
            return None
        return Fields(self.path, value, self.problems)


@functools.lru_cache(maxsize=4096)
def slugify(text: str) -> str:
    """A URL-safe name for a tag: lowercase words joined by single hyphens (letters of any script)."""
    words = re.findall(r"[^\W_]+", text.lower())
    return "-".join(words)
