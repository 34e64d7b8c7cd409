"""Write a large deterministic roundup site: N posts × K voices of about 100 words, C contributors."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

WORDS = ("partner trust voice shared story craft habit reader notebook draft edit listen community "
         "patience honest credit link thread garden tool quiet early slow careful generous open "
         "question answer friend letter weekly small lasting promise practice rhythm season").split()


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, words: int) -> str:
    out, count = [], 0
    while count < words:
        n = rng.randint(8, 16)
        out.append(sentence(rng, n))
        count += n
    return " ".join(out)


def generate(root: Path, posts: int, voices: int, contributors: int, approved: bool, seed: int = 1,
             photos: bool = False) -> None:
    """With `photos`, every other contributor has a picture (a small PNG under contributors/avatars/)."""
    rng = random.Random(seed)
    (root / "contributors").mkdir(parents=True, exist_ok=True)
    (root / "site.yml").write_text("title: Benchmark Roundups\nbase_url: https://bench.example/\n"
                                   "editor: {name: Bench Editor, email: editor@example.org}\n")
    ids = [f"person-{i:05d}" for i in range(contributors)]
    for i, cid in enumerate(ids):
        (root / "contributors" / f"{cid}.yml").write_text(
            f"name: Person {i} {rng.choice(WORDS).title()}\nhandle: '@p{i}'\nurl: https://p{i}.example/\n"
            f"links: {{Blog: 'https://p{i}.example/blog', Mastodon: 'https://social.example/@p{i}'}}\n"
            f"bio: {sentence(rng, 14)}\nemail: p{i}@example.org\n"
            + (f"avatar: avatars/{cid}.png\n" if photos and i % 2 == 0 else ""))
        if photos and i % 2 == 0:
            photo(root / "contributors" / "avatars" / f"{cid}.png", rng)
    for p in range(posts):
        folder = root / "posts" / f"post-{p:05d}"
        (folder / "quotes").mkdir(parents=True, exist_ok=True)
        chosen = rng.sample(ids, min(voices, len(ids)))
        day = f"{2020 + p % 7}-{1 + p % 12:02d}-{1 + p % 28:02d}"
        (folder / "post.md").write_text(
            f"---\ntitle: Roundup number {p}\ndate: {day}\nsummary: {sentence(rng, 10)}\n"
            f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\nvoices: [{', '.join(chosen)}]\n---\n"
            f"{paragraph(rng, 60)}\n\n<!-- voices -->\n\n{paragraph(rng, 25)}\n")
        for cid in chosen:
            (folder / "quotes" / f"{cid}.md").write_text(
                f"---\nprompt: {sentence(rng, 7)}\nnote: Thanks, {cid}.\n---\n{paragraph(rng, 60)}\n\n"
                f"*{paragraph(rng, 30)}* [more](https://{cid}.example/)\n")
    if approved:
        approve_all(root)


def photo(path: Path, rng: random.Random) -> None:
    """A 200×200 PNG of two colours, different for each seed."""
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (200, 200), tuple(rng.randrange(256) for _ in range(3)))
    ImageDraw.Draw(image).ellipse((40, 40, 160, 160), fill=tuple(rng.randrange(256) for _ in range(3)))
    image.save(path, "PNG")


def approve_all(root: Path) -> None:
    """Record an approval for every voice, one write per post, and the post as its live version (as `roundup
    approve` would leave it)."""
    from roundup.approvals import dump
    from roundup.digest import digest_of, snapshot
    from roundup.gate import assess_post
    from roundup.live import keep
    from roundup.validate import load_site

    site = load_site(root)
    for post in site.posts:
        entries = {}
        for quote in post.quotes:
            content = snapshot(post, quote, site.contributors[quote.contributor_id].profile)
            entries[quote.contributor_id] = {"digest": digest_of(content), "approved_at": "2026-01-01T00:00:00Z",
                                             "via": "cli", "content": content}
        (root / post.folder / "approvals.yml").write_text(dump(entries), encoding="utf-8")
        keep(site, assess_post(site, post))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--voices", type=int, default=8)
    parser.add_argument("--contributors", type=int, default=400)
    parser.add_argument("--approved", action="store_true", help="record an approval for every voice")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--photos", action="store_true", help="a picture for every other contributor")
    args = parser.parse_args()
    generate(args.out, args.posts, args.voices, args.contributors, args.approved, args.seed, args.photos)


if __name__ == "__main__":
    main()
