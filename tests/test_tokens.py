"""`roundup approve --token`: a signed token approves exactly one voice of one post; altered, foreign,
outdated and expired tokens are refused without touching approvals.yml; the secret stays local."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
import yaml

from conftest import Site, run_roundup_env
from roundup import tokens

TOKEN_LINE = re.compile(r"(ru2[a-z2-7]{44})")
SECRET = {"ROUNDUP_SECRET": "test-secret-one"}


@pytest.fixture
def three(site: Site) -> Site:
    """Posts alpha (zoe, sam, lee) and beta (zoe, sam); nothing approved yet."""
    site.add_post("alpha", ["zoe", "sam", "lee"], title="Alpha Roundup")
    site.add_post("beta", ["zoe", "sam"], title="Beta Roundup")
    return site


def run(site: Site, *args, env=None):
    return run_roundup_env(*args, cwd=site.root, env=env)


def preview_token(site: Site, cid: str, slug: str, env=None) -> str:
    result = run(site, "preview", cid, "--post", slug, env=env)
    assert result.returncode == 0, result.stderr
    return TOKEN_LINE.search(site.read(f"_previews/{cid}/{slug}.html")).group(1)


def approvals(site: Site, slug: str) -> bytes:
    path = site.root / f"posts/{slug}/approvals.yml"
    return path.read_bytes() if path.exists() else b""


def refused(site: Site, token: str, env=None) -> str:
    """Run approve --token, insist it is refused and approvals.yml is unchanged; the message."""
    before = {slug: approvals(site, slug) for slug in ("alpha", "beta")}
    result = run(site, "approve", "--token", token, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert {slug: approvals(site, slug) for slug in ("alpha", "beta")} == before
    assert "Recorded" not in result.stdout
    return result.stderr


def flip(text: str, index: int) -> str:
    """`text` with the character at `index` replaced by a different base32 character."""
    new = "a" if text[index] != "a" else "b"
    return text[:index] + new + text[index + 1:]


def test_token_approves_exactly_that_voice_in_that_post(three: Site):
    site = three
    token = preview_token(site, "sam", "alpha", env=SECRET)
    result = run(site, "approve", "--token", token, env=SECRET)
    assert result.returncode == 0, result.stderr
    assert "sam approved their voice in alpha" in result.stdout
    assert site.states("alpha") == {"zoe": "pending", "sam": "approved", "lee": "pending"}
    assert site.states("beta") == {"zoe": "pending", "sam": "pending"}
    record = yaml.safe_load(approvals(site, "alpha"))
    assert set(record) == {"sam"}
    assert record["sam"]["via"] == "token"
    assert record["sam"]["content"]["quote"]["body"].strip() == "These are the words of sam."
    assert not (site.root / "posts/beta/approvals.yml").exists()


def test_changed_signature_character_is_refused(three: Site):
    token = preview_token(three, "zoe", "alpha", env=SECRET)
    message = refused(three, flip(token, 40), env=SECRET)
    assert "not valid" in message and "altered" in message


def test_changed_payload_character_is_refused(three: Site):
    token = preview_token(three, "zoe", "alpha", env=SECRET)
    message = refused(three, flip(token, 5), env=SECRET)
    assert "not valid" in message


def test_token_for_another_voice_cannot_be_made_by_swapping_payloads(three: Site):
    zoe = preview_token(three, "zoe", "alpha", env=SECRET)
    sam = preview_token(three, "sam", "alpha", env=SECRET)
    message = refused(three, sam[:-20] + zoe[-20:], env=SECRET)
    assert "not valid" in message


def test_token_signed_with_another_secret_is_refused(three: Site):
    token = preview_token(three, "zoe", "alpha", env=SECRET)
    message = refused(three, token, env={"ROUNDUP_SECRET": "a-different-secret"})
    assert "not valid" in message
    message = refused(three, token, env=None)  # the previews were signed with another secret: none is made now
    assert ".roundup/secret: is missing, but messages carrying codes signed with it were written" in message


def test_token_for_content_changed_since_the_preview_is_refused(three: Site):
    site = three
    token = preview_token(site, "zoe", "alpha", env=SECRET)
    site.quote("alpha", "zoe", "Words edited after the preview.\n")
    message = refused(site, token, env=SECRET)
    assert "changed" in message
    assert "new preview" in message
    assert "roundup preview zoe --post alpha" in message
    assert site.states("alpha")["zoe"] == "pending"


def test_token_past_the_posts_deadline_is_refused_as_expired(site: Site):
    site.add_post("alpha", ["zoe", "sam"], title="Alpha Roundup", deadline=dt.date(2020, 1, 31))
    expired = tokens.Claims("zoe", "alpha", "0" * 16, dt.datetime(2020, 1, 31, 23, 59, 59, tzinfo=dt.timezone.utc))
    token = tokens.make(SECRET["ROUNDUP_SECRET"].encode(), expired)  # as a preview sent before the deadline made it
    message = refused(site, token, env=SECRET)
    assert "expired" in message
    assert "2020-01-31" in message


@pytest.mark.parametrize("garbage", ["hello", "ru1.abc", "ru1..", "ru1.e30.AAAA", "ru2.x.y", "ru1.%%%.&&&",
                                     "ru2" + "a" * 44, "ru2" + "a" * 43, "ru2" + "!" * 44])
def test_garbage_token_is_refused(three: Site, garbage: str):
    message = refused(three, garbage, env=SECRET)
    assert "not valid" in message


def test_token_with_contributor_and_slug_is_wrong_usage(three: Site):
    token = preview_token(three, "zoe", "alpha", env=SECRET)
    before = approvals(three, "alpha")
    result = run(three, "approve", "--token", token, "zoe", "alpha", env=SECRET)
    assert result.returncode == 2
    assert "usage" in result.stderr.lower()
    assert approvals(three, "alpha") == before


def test_generated_secret_is_kept_out_of_version_control_and_reused(three: Site):
    site = three
    token = preview_token(site, "zoe", "alpha")
    secret_path = site.root / ".roundup/secret"
    secret = secret_path.read_bytes()
    assert len(secret.strip()) >= 32
    assert secret_path.stat().st_mode & 0o077 == 0, "the secret is readable by others"
    assert "*" in (site.root / ".roundup/.gitignore").read_text().splitlines()
    subprocess.run(["git", "init", "-q", str(site.root)], check=True, capture_output=True)
    ignored = subprocess.run(["git", "check-ignore", "-q", ".roundup/secret"], cwd=site.root)
    assert ignored.returncode == 0, "git does not ignore .roundup/secret"
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=site.root,
                            capture_output=True, text=True, check=True).stdout
    assert ".roundup" not in status and "site.yml" in status
    preview_token(site, "sam", "alpha")
    assert secret_path.read_bytes() == secret
    result = run(site, "approve", "--token", token)
    assert result.returncode == 0, result.stderr
    assert secret_path.read_bytes() == secret
    assert site.states("alpha")["zoe"] == "approved"
