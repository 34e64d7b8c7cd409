"""Contributor pictures: resized with Pillow to the theme's sizes in WebP with a JPEG or PNG fallback,
EXIF orientation applied and metadata dropped, cached by content; initials for whoever has none;
remote photos linked, never fetched; unusable pictures reported at their profile."""

from __future__ import annotations

import io
import re
import socket
import struct
import threading
import zlib
from pathlib import Path

import pytest
from PIL import Image

from conftest import ANY, Site, assert_problem, parse_html
from quality_sites import rotated_jpeg, transparent_png

SIZES = (96, 160, 240)


def renditions(site: Site, cid: str) -> dict[str, Path]:
    """Output name (hash replaced by HASH) → file, for one contributor's pictures."""
    return {re.sub(r"-[0-9a-f]{10}", "-HASH", p.name): p for p in sorted((site.out / "avatars").glob(f"{cid}-*"))}


@pytest.fixture
def pictured(site: Site) -> Site:
    site.write("contributors/avatars/zoe.jpg", rotated_jpeg())
    site.write("contributors/avatars/sam.png", transparent_png())
    site.contributor("zoe", "Zoe Quill", avatar="avatars/zoe.jpg")
    site.contributor("sam", "Sam Reed", avatar="avatars/sam.png")
    site.contributor("kim", "Kim <b>Lee</b> Park")
    site.add_post("alpha", ["zoe", "sam", "kim"])
    site.approve_all("alpha")
    return site


def test_a_photo_becomes_webp_and_jpeg_in_each_size_upright_and_without_its_metadata(pictured: Site):
    pictured.build()
    made = renditions(pictured, "zoe")
    assert sorted(made) == sorted(f"zoe-HASH-{s}.{ext}" for s in SIZES for ext in ("webp", "jpg"))
    for name, path in made.items():
        data = path.read_bytes()
        assert b"SECRET-EXIF" not in data, name
        with Image.open(io.BytesIO(data)) as im:
            size = int(name.split("-")[-1].split(".")[0])
            assert im.size == (size, size) and im.format == ("WEBP" if name.endswith("webp") else "JPEG")
            assert not im.getexif(), name
            rgb = im.convert("RGB")
            # stored red-over-blue with "rotate 90° clockwise": shown blue on the left, red on the right
            left, right = rgb.getpixel((size // 8, size // 2)), rgb.getpixel((size * 7 // 8, size // 2))
            assert left[2] > 150 > left[0] and right[0] > 150 > right[2], (name, left, right)


def test_the_page_offers_webp_with_the_fallback_in_every_size(pictured: Site):
    pictured.build()
    html = pictured.page("posts/alpha/index.html")
    tags = parse_html(html).tags
    source = next(dict(a) for t, a in tags if t == "source" and "zoe-" in (dict(a).get("srcset") or ""))
    img = next(dict(a) for t, a in tags if t == "img" and dict(a).get("alt") == "Photo of Zoe Quill")
    assert source["type"] == "image/webp"
    assert [c.split()[1] for c in source["srcset"].split(", ")] == [f"{s}w" for s in SIZES]
    assert [c.split()[1] for c in img["srcset"].split(", ")] == [f"{s}w" for s in SIZES]
    assert img["src"].endswith("-160.jpg") and img["sizes"] == "72px" == source["sizes"]
    for candidate in source["srcset"].split(", ") + img["srcset"].split(", "):
        assert (pictured.out / "posts/alpha" / candidate.split()[0]).resolve().is_file(), candidate


def test_a_transparent_picture_falls_back_to_png_and_stays_transparent(pictured: Site):
    pictured.build()
    made = renditions(pictured, "sam")
    assert sorted(made) == sorted(f"sam-HASH-{s}.{ext}" for s in SIZES for ext in ("webp", "png"))
    for path in made.values():
        with Image.open(path) as im:
            assert im.mode == "RGBA" and im.getpixel((0, 0))[3] == 0 and im.getpixel((im.width // 2,) * 2)[3] == 255


def test_unchanged_pictures_are_taken_from_the_cache_and_a_new_photo_replaces_them(pictured: Site):
    pictured.build()
    cache = pictured.root / ".roundup/cache/avatars"
    before = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(before) == 12  # two photos × three sizes × two formats
    first = {p.name for p in renditions(pictured, "zoe").values()}
    # the cache is what the build copies: a marked cache entry shows up in the output
    marked = next(cache.glob("*-96.webp"))
    marked.write_bytes(marked.read_bytes() + b"MARK")
    pictured.build()
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir() if p != marked} == \
        {k: v for k, v in before.items() if k != marked.name}
    assert any(p.read_bytes().endswith(b"MARK") for p in (pictured.out / "avatars").glob("*-96.webp"))
    # a new photo: new names (so browsers and CDNs never keep the old one), the old ones gone
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50), (0, 128, 0)).save(buffer, "JPEG")
    pictured.write("contributors/avatars/zoe.jpg", buffer.getvalue())
    pictured.approve_all("alpha")
    pictured.build()
    second = {p.name for p in renditions(pictured, "zoe").values()}
    assert len(second) == 6 and second.isdisjoint(first)
    assert not first & {p.name for p in (pictured.out / "avatars").iterdir()}
    assert len(list(cache.iterdir())) == 18


def test_whoever_has_no_photo_gets_an_inert_placeholder_with_their_initials(pictured: Site):
    pictured.build()
    html = pictured.page("posts/alpha/index.html")
    img = next(dict(a) for t, a in parse_html(html).tags if t == "img" and "Kim" in (dict(a).get("alt") or ""))
    assert img["alt"] == "Initials of Kim <b>Lee</b> Park" and img["src"].endswith(".svg")
    svg = (pictured.out / "posts/alpha" / img["src"]).resolve().read_text(encoding="utf-8")
    assert ">KP</text>" in svg and "<b>" not in svg and "<script" not in svg
    from xml.etree import ElementTree
    assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize("name, letters", [
    ("يوسف العلي", "يع"), ("العلي", "ع"), ("يوسف", "ي"), ("عبد الله", "عل"), ("ليلى حداد", "لح"),
    ("Yusuf al-Ali", "YA"), ("Yusuf Al-Ali", "YA"), ("al-Ali", "A"), ("Salah El-Din", "SD"), ("Al Pacino", "AP"),
    ("Jean-Luc Picard", "JP"), ("Zoë Ångström-Núñez", "ZN"), ("林美玲", "林"), ("ال", "ا"), ("Michael-El Smith", "MS")])
def test_initials_take_the_family_name_after_the_arabic_article(name: str, letters: str):
    from roundup.avatars import initials
    assert initials(name) == letters


def test_the_placeholder_of_an_arabic_name_shows_the_family_names_letter(site: Site):
    site.contributor("yusuf", "يوسف العلي")
    site.add_post("alpha", ["yusuf"])
    site.approve_all("alpha")
    site.build()
    img = next(dict(a) for t, a in parse_html(site.page("posts/alpha/index.html")).tags
               if t == "img" and "يوسف" in (dict(a).get("alt") or ""))
    svg = (site.out / "posts/alpha" / img["src"]).resolve().read_text(encoding="utf-8")
    assert re.search(r">\s*يع\s*</text>", svg), svg


def test_a_remote_photo_is_linked_and_never_fetched_at_build_time(site: Site):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    connections = []

    def watch():
        while not stop.is_set():
            try:
                connections.append(listener.accept())
            except OSError:
                pass

    stop = threading.Event()
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/zoe.jpg"
        site.contributor("zoe", "Zoe Quill", avatar=url)
        site.add_post("alpha", ["zoe"])
        site.approve_all("alpha")
        site.build()
        site.ok("preview", "zoe", "--post", "alpha")  # approved: nothing to preview, nothing fetched either
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert connections == []
    srcs = [dict(a)["src"] for t, a in parse_html(site.page("posts/alpha/index.html")).tags if t == "img"]
    assert srcs == [url]
    assert not (site.out / "avatars").exists()


def png_claiming(width: int, height: int) -> bytes:
    """A few bytes of PNG claiming to be width × height: only a header that is never decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("data,words", [
    (b"not an image at all", ("is not an image roundup can read",)),
    (png_claiming(7000, 7000), ("7000×7000 pixels", "40 megapixels")),
    (png_claiming(20000, 20000), ("far too many pixels",)),  # Pillow's own decompression-bomb limit
], ids=["garbage", "huge", "bomb"])
def test_an_unusable_picture_is_reported_at_its_profile_and_nothing_is_written(site: Site, data, words):
    site.write("contributors/avatars/zoe.png", data)
    site.contributor("zoe", "Zoe Quill", avatar="avatars/zoe.png")
    site.add_post("alpha", ["zoe"])
    result = site.run("build", "--drafts")
    assert result.returncode == 1
    assert_problem(result.stderr, "contributors/zoe.yml", 2, "avatar", "contributors/avatars/zoe.png", *words)
    assert not site.out.exists()


def test_a_picture_that_breaks_off_halfway_is_reported_and_the_old_site_stays(pictured: Site):
    pictured.build()
    before = {p.name for p in pictured.out.rglob("*")}
    whole = rotated_jpeg()
    pictured.write("contributors/avatars/zoe.jpg", whole[: len(whole) // 2])
    result = pictured.run("build", "--drafts")
    assert result.returncode == 1
    assert_problem(result.stderr, "contributors/zoe.yml", ANY, "avatar", "contributors/avatars/zoe.jpg")
    assert {p.name for p in pictured.out.rglob("*")} == before
