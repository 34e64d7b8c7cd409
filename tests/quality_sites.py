"""Sites for the publishing-quality tests: the repository's example site, and one made of hostile and
very long values (markup in every field, unbroken words and URLs, right-to-left and CJK names,
rotated and transparent photos, a remote photo, no photo)."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from conftest import Site

REPO = Path(__file__).resolve().parents[1]
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 6
LONG_URL = "https://example.org/" + "a-very-long-path-segment/" * 40 + "?q=" + "x" * 200
MARKUP = '<script>alert("x")</script> "double" \'single\' & </title><b>bold</b>'
WIDE_TABLE = ("| " + " | ".join(f"Column {n} heading" for n in range(12)) + " |\n"
              + "|" + "---|" * 12 + "\n" + "| " + " | ".join(LONG_WORD[:40] for _ in range(12)) + " |\n")


@dataclass
class Built:
    """One built site, and a page of each type in it."""

    name: str
    root: Path
    base_path: str
    """The path part of base_url, where the site is served in the browser tests."""
    pages: dict[str, Path] = field(default_factory=dict)
    """Page type → file; "preview" is under the previews folder, the rest under the output."""

    @property
    def out(self) -> Path:
        return self.root / "_site"

    def html_files(self) -> list[Path]:
        return sorted(self.out.rglob("*.html")) + sorted((self.root / "_previews").rglob("*.html"))


def example(root: Path, drafts: bool) -> Built:
    """A copy of the repository's own example site, built (with --drafts: withheld posts too)."""
    root.mkdir(parents=True)
    for name in ("site.yml", "contributors", "posts"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    site = Site(root)
    site.build(*(["--drafts"] if drafts else []))
    site.ok("preview", "noa")
    built = Built("example-drafts" if drafts else "example", root, "/roundup/")
    built.pages = {"index": site.out / "index.html",
                   "post": site.out / "posts/nurturing-partnerships/index.html",
                   "contributors": site.out / "contributors/index.html",
                   "contributor": site.out / "contributors/meiling/index.html",
                   "tag": site.out / "tags/community/index.html",
                   "404": site.out / "404.html",
                   "preview": root / "_previews/noa/tools-we-keep.html"}
    if drafts:
        built.pages["draft"] = site.out / "posts/tools-we-keep/index.html"
    return built


def hostile(root: Path) -> Built:
    """A site whose every field is long, marked up or in another script; one post published, one withheld."""
    site = Site(root)
    site.config(title=f"Hostile {MARKUP}", base_url="https://example.org/hostile/",
                editor={"name": f"Ed {LONG_WORD}", "email": "ed@example.org"}, paginate=1)
    site.write("contributors/avatars/rotated.jpg", rotated_jpeg())
    site.write("contributors/avatars/clear.png", transparent_png())
    site.contributor("long-names", f"Maximiliana {LONG_WORD}", handle="@" + "handle_" * 40, url=LONG_URL,
                     links={f"Label {LONG_WORD}": LONG_URL, "Mastodon": "https://social.example/@" + "u" * 200},
                     bio=f"Writes at {LONG_URL} and [a long link]({LONG_URL}). `{LONG_WORD}`",
                     avatar="avatars/rotated.jpg", email="long@example.org")
    site.contributor("angle", f"Zed {MARKUP}", handle='"><img src=x onerror=alert(1)>',
                     url='https://example.org/?a=1&b="2"', links={"<b>Blog</b>": "https://example.org/<script>"},
                     bio="<img src=x onerror=alert(1)> **bold** <script>alert(2)</script> [x](javascript:alert(3))",
                     avatar="https://images.example/angle.jpg", email="angle@example.org")
    site.contributor("rtl", "ليلى حداد 👩🏽‍💻 نصٌّ طويلٌ جدًّا لاسمٍ عربيٍّ", handle="@ليلى_حداد",
                     bio="كاتبة ومصمّمة. **نص عريض** و[رابط](https://example.com/layla).",
                     avatar="avatars/clear.png", email="rtl@example.org")
    site.contributor("cjk", "林" * 60, handle="@" + "林" * 40, bio="美" * 300, email="cjk@example.org")
    site.contributor("plain", "Ann Plain", email="plain@example.org")
    quote = (f"{LONG_WORD} {LONG_URL}\n\n> {MARKUP}\n\n# A heading in a quote\n\n{WIDE_TABLE}\n"
             f"```\n{'code ' * 80}{LONG_WORD}\n```\n\nInline `{LONG_WORD}` and <{LONG_URL}>.\n")
    voices = ["long-names", "angle", "rtl", "cjk", "plain"]
    for slug in ("published", "withheld"):
        for cid in voices:
            site.quote(slug, cid, quote, prompt=f"{MARKUP} {LONG_WORD}")
        site.post(slug, title=f"{slug.title()} {MARKUP} {LONG_WORD}", summary=f"Summary {MARKUP} {LONG_URL}",
                  tags=[LONG_WORD[:80], "<script>", "ünïcödé"], voices=voices,
                  body=f"Intro {MARKUP} {LONG_WORD}.\n\n{WIDE_TABLE}\n<!-- voices -->\n\nOutro {LONG_URL}\n")
    site.approve_all("published")
    for cid in ("rtl", "cjk", "plain"):
        site.approve(cid, "withheld")
    site.ok("decline", "angle", "withheld", "--reason", f"{MARKUP} {LONG_WORD}")
    site.build("--drafts")
    site.ok("preview", "long-names")
    built = Built("hostile", root, "/hostile/")
    built.pages = {"index": site.out / "index.html", "post": site.out / "posts/published/index.html",
                   "draft": site.out / "posts/withheld/index.html",
                   "contributors": site.out / "contributors/index.html",
                   "contributor": site.out / "contributors/long-names/index.html",
                   "tag": next(site.out.glob("tags/*/index.html")), "404": site.out / "404.html",
                   "page2": next(site.out.glob("tags/*/page/2/index.html")),
                   "preview": root / "_previews/long-names/withheld.html"}
    return built


def rotated_jpeg() -> bytes:
    """200×100 as stored (red top half, blue bottom), with EXIF orientation 6 (show rotated 90° clockwise)
    and a GPS-ish description that must not reach the site."""
    from PIL import Image

    im = Image.new("RGB", (200, 100), (220, 20, 20))
    im.paste((20, 20, 220), (0, 50, 200, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010E] = "SECRET-EXIF-LOCATION 52.5200N 13.4050E"  # ImageDescription
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def transparent_png() -> bytes:
    """A 64×64 RGBA PNG: an opaque green disc on a transparent square."""
    from PIL import Image, ImageDraw

    im = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((8, 8, 56, 56), fill=(30, 160, 60, 255))
    buffer = io.BytesIO()
    im.save(buffer, "PNG")
    return buffer.getvalue()
