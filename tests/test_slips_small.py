"""The small slips of issue 24, each seen by the user: `status` shows the deadline, `roundup new` writes the
fields a new editor needs, an unknown field or contributor names what was meant, and `new site` refuses to
start a site inside another."""

from __future__ import annotations

from pathlib import Path

from conftest import Site, run_roundup, tree_bytes


# ---- status shows the deadline --------------------------------------------------------------------------

def test_status_shows_each_posts_deadline(site: Site):
    site.add_post("alpha", ["zoe"], deadline="2026-03-15")
    site.add_post("beta", ["sam"])
    for _ in range(2):  # the second time from the site's index
        out = site.ok("status").stdout
        header = next(line for line in out.splitlines() if line.startswith("alpha "))
        assert "deadline 2026-03-15" in header, out
        beta = next(line for line in out.splitlines() if line.startswith("beta "))
        assert "deadline" not in beta
    one = site.ok("status", "--post", "alpha").stdout
    assert "deadline 2026-03-15" in one.splitlines()[0], one
