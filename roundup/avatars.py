"""Contributor pictures: square renditions (WebP + JPEG/PNG) made with Pillow and cached by content,
and initials placeholders for contributors without a photo."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from html import escape as _escape

from roundup.errors import Problem, RoundupError
from roundup.fsutil import state_dir
from roundup.model import Avatar, Contributor

SIZES = (96, 160, 240)
"""Square pixel sizes made of every local photo: the theme shows 44, 64–72 and 120 CSS px, at 1×–2×."""
DEFAULT_SIZE = 160
"""The `src` of a photo (browsers without srcset) and the size inlined into previews."""
SHARE_SIZE = 240
MAX_PIXELS = 40_000_000
"""Larger pictures are refused: decoding one would take seconds and hundreds of MB."""
FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "AVIF"}
PIPELINE = "2"
"""Part of every cache key: changing how renditions are made must redo them."""
TONES = (("#fde2cf", "#7a2e0b"), ("#d9ecf7", "#134a6b"), ("#e0f0d9", "#2d5a1b"),
         ("#efe0f5", "#5b2a72"), ("#fbefc2", "#634400"), ("#dcefeb", "#1c5a50"))
"""Background and text colours of placeholders (the text contrasts at 7:1 or more)."""


@dataclass(frozen=True, slots=True)
class Rendition:
    """One resized copy of a photo in the output."""

    path: str
    """Site-relative output path, e.g. avatars/zoe-1a2b3c4d5e-160.webp."""
    size: int
    """Width and height in pixels."""
    format: str
    """"webp", "jpeg" or "png"."""


@dataclass(frozen=True, slots=True)
class Picture:
    """What the site shows of one contributor's picture; computing it touches no image."""

    src: str
    """Default image: a site-relative output path, or the remote https URL as written."""
    renditions: tuple[Rendition, ...]
    """Every resized copy (none for remote photos and placeholders)."""
    placeholder: bool
    """True when the contributor has no photo and the site shows their initials."""
    share: str | None
    """A raster image fit for sharing cards (path or URL); None for placeholders."""


def inspect(path: Path) -> tuple[bool | None, str | None]:
    """Whether a local picture has transparency, or why it cannot be used; reads only its header."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if im.format not in FORMATS:
                    return None, f"is a {im.format} image; use JPEG, PNG, GIF, WebP or AVIF"
                if im.width * im.height > MAX_PIXELS:
                    return None, _too_large(f"{im.width}×{im.height} pixels")
                alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
                return alpha, None
    except UnidentifiedImageError:
        return None, "is not an image roundup can read (JPEG, PNG, GIF, WebP or AVIF)"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, _too_large("far too many pixels")
    except (OSError, SyntaxError, ValueError) as exc:
        return None, f"is not an image roundup can read ({str(exc).replace(str(path), 'the file')[:80]})"


def _too_large(size: str) -> str:
    return (f"is {size}; make it smaller than {MAX_PIXELS // 1_000_000} megapixels "
            "(a few hundred pixels square is plenty)")


def picture(person: Contributor) -> Picture:
    """The renditions, default image and sharing image of one contributor."""
    avatar = person.profile.avatar
    if avatar is None:
        return Picture(_placeholder_path(person), (), True, None)
    if avatar.is_remote:
        return Picture(avatar.source, (), False, avatar.source)
    stem = f"avatars/{person.id}-{avatar.sha256[:10]}"
    fallback = "png" if avatar.alpha else "jpeg"
    ext = {"jpeg": "jpg", "png": "png", "webp": "webp"}
    renditions = tuple(Rendition(f"{stem}-{size}.{ext[fmt]}", size, fmt)
                       for fmt in ("webp", fallback) for size in SIZES)
    by = {(r.format, r.size): r.path for r in renditions}
    return Picture(by[fallback, DEFAULT_SIZE], renditions, False, by[fallback, SHARE_SIZE])


def files(site_root: Path, person: Contributor) -> list[tuple[str, Path | bytes]]:
    """Output path → cached file (or bytes) of every image `picture(person)` refers to."""
    shown = picture(person)
    if shown.placeholder:
        return [(shown.src, placeholder_svg(person))]
    avatar = person.profile.avatar
    if avatar is None or avatar.is_remote:
        return []  # remote photos are linked, never fetched
    made = _cached(site_root, person, avatar, shown.renditions)
    return [(r.path, made[r]) for r in shown.renditions]


def data_uri(site_root: Path, person: Contributor) -> tuple[str, bool]:
    """The default image as a data: URI for self-contained previews, and whether it is the initials
    placeholder (as it is for a remote photo, which the file must not fetch)."""
    avatar = person.profile.avatar
    if avatar is None or avatar.is_remote:
        return "data:image/svg+xml;base64," + base64.b64encode(placeholder_svg(person)).decode(), True
    shown = picture(person)
    rendition = next(r for r in shown.renditions if r.path == shown.src)
    data = _cached(site_root, person, avatar, (rendition,))[rendition]
    raw = data if isinstance(data, bytes) else data.read_bytes()
    return f"data:image/{rendition.format};base64,{base64.b64encode(raw).decode()}", False


def placeholder_svg(person: Contributor) -> bytes:
    """A square of colour with the person's initials; the text is escaped, so the file is inert."""
    background, ink = TONES[int(hashlib.sha256(person.id.encode()).hexdigest(), 16) % len(TONES)]
    letters = _escape(initials(person.profile.name), quote=False)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">'
            f'<rect width="240" height="240" fill="{background}"/>'
            f'<text x="120" y="120" dy="0.35em" text-anchor="middle" fill="{ink}" font-size="96" '
            f'font-weight="600" font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif">{letters}</text>'
            f'</svg>\n').encode("utf-8")


def initials(name: str) -> str:
    """Up to two initials, of any script: the first name's and the last name's, the Arabic article aside
    (يوسف العلي → يع, Yusuf al-Ali → YA)."""
    letters = [_initial(word) for part in name.split() for word in _without_article(part).split("-") if word]
    letters = [letter for letter in letters if letter.isalnum()]
    return "".join(letters[:1] + letters[1:][-1:]).upper() or "?"


def _without_article(part: str) -> str:
    """A name without the Arabic article written before a hyphen in Latin letters (al-Ali, El-Amin → Ali, Amin)."""
    head, hyphen, rest = part.partition("-")
    return rest if hyphen and rest and head.lower() in ("al", "el") else part


def _initial(word: str) -> str:
    """A word's first letter; in Arabic, the first letter after the article ال (العلي → ع)."""
    return word[2] if word.startswith("ال") and len(word) > 2 else word[0]


def _placeholder_path(person: Contributor) -> str:
    return f"avatars/{person.id}-{hashlib.sha256(placeholder_svg(person)).hexdigest()[:10]}.svg"


def _cached(site_root: Path, person: Contributor, avatar: Avatar,
            wanted: tuple[Rendition, ...]) -> dict[Rendition, Path | bytes]:
    """Each rendition from the cache, making (and caching) the missing ones from the photo once."""
    folder = _cache_folder(site_root)
    key = f"{avatar.sha256}-p{PIPELINE}"
    paths = {r: folder / f"{key}-{r.size}.{r.format}" if folder else None for r in wanted}
    missing = [r for r, p in paths.items() if p is None or not p.exists()]
    if not missing:
        return dict(paths)  # type: ignore[arg-type]
    try:
        made = _render(avatar.path, missing)
    except (OSError, SyntaxError, ValueError) as exc:  # passed the header check, but does not decode
        raise RoundupError([Problem(person.source, None, f"avatar: contributors/{avatar.source} could not be "
                                                         f"resized ({exc.__class__.__name__}: {str(exc)[:80]})")])
    result: dict[Rendition, Path | bytes] = {}
    for rendition in wanted:
        path = paths[rendition]
        if rendition in made and path is not None:
            _store(path, made[rendition])
        result[rendition] = path if path is not None else made[rendition]
    return result


def _render(source: Path | None, wanted: list[Rendition]) -> dict[Rendition, bytes]:
    """Resize one photo: EXIF orientation applied, cropped square from the centre, metadata dropped."""
    from PIL import Image, ImageOps

    assert source is not None
    out: dict[Rendition, bytes] = {}
    with Image.open(source) as im:
        im.draft("RGB", (max(SIZES), max(SIZES)))  # JPEG: decode at the smallest scale still big enough
        im = ImageOps.exif_transpose(im)
        alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
        im = im.convert("RGBA" if alpha else "RGB")
        side = min(im.size)
        box = ((im.width - side) / 2, (im.height - side) / 2, (im.width + side) / 2, (im.height + side) / 2)
        squares = {size: im.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
                   for size in {r.size for r in wanted}}
    for rendition in wanted:
        buffer = io.BytesIO()
        square = squares[rendition.size]
        if rendition.format == "webp":
            square.save(buffer, "WEBP", quality=82, method=4)
        elif rendition.format == "png":
            square.save(buffer, "PNG", optimize=True)
        else:
            square.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
        out[rendition] = buffer.getvalue()
    return out


def _cache_folder(site_root: Path) -> Path | None:
    """`.roundup/cache/avatars/` in the site, or None where it cannot be made (a read-only site)."""
    try:
        return state_dir(site_root, "cache", "avatars")
    except OSError:
        return None


def _store(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all (a cache needs no fsync: it can always be remade)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
