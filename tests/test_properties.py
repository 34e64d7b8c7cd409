"""Properties, with hypothesis: random private fields and notes never reach the built site, another
contributor's preview or a message to someone else; any change to a token, or another secret, is refused;
a token approves exactly its own voice of its own post."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import json
import shutil
import re
import string
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import Site
from roundup import tokens
from roundup.cli import main
from roundup.errors import RoundupError

SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PEOPLE = ("ann", "bo", "cy")

# Private values: any printable text (any script), made unmistakable with a random tag, so that finding
# one in a page means it leaked (hypothesis otherwise finds words like "contributors" that every page has).
private_text = st.builds("{}~{}".format,
                         st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
                                 min_size=1, max_size=30).map(str.strip).filter(bool),
                         st.from_regex(r"\A[0-9a-z]{8}\Z"))
field_name = st.from_regex(r"\A[a-z][a-z_]{2,15}\Z").filter(
    lambda k: k not in ("name", "handle", "url", "links", "avatar", "bio"))
profile_secrets = st.fixed_dictionaries({
    "email": st.from_regex(r"\A[a-z0-9]{6,12}\Z").map(lambda s: f"{s}@private.example"),
    "phone": st.from_regex(r"\A\+[0-9]{9,13}\Z"),
    "notes": private_text,
    "extra": st.dictionaries(field_name, st.one_of(private_text, st.lists(private_text, min_size=1, max_size=2)),
                             max_size=2),
})


def cli(root: Path, *args: str) -> int:
    """The real CLI, in this process (a subprocess per call would make each example take seconds)."""
    with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
        return main(["--site", str(root), *args])


def leaked(values: dict[str, str], data: str) -> list[str]:
    """Which values appear in `data`, as written or in any escaping a page, a feed or a message uses."""
    found = []
    for owner, value in values.items():
        forms = {value, html.escape(value), html.escape(value, quote=False), json.dumps(value)[1:-1],
                 json.dumps(value, ensure_ascii=False)[1:-1], quote(value), quote(value, safe="")}
        if any(form in data for form in forms):
            found.append(f"{owner}: {value!r}")
    return found


def message_text(path: Path) -> str:
    """Every header and decoded text part of an .eml file."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    parts = [f"{k}: {v}" for k, v in message.items()]
    parts += [part.get_content() for part in message.walk()
              if part.get_content_maintype() == "text" and not part.is_multipart()]
    parts += [part.get_content().decode("utf-8", "replace") for part in message.walk()
              if part.get_filename() and isinstance(part.get_content(), bytes)]
    return "\n".join(parts)


@SLOW
@given(secrets=st.fixed_dictionaries({cid: profile_secrets for cid in PEOPLE}),
       notes=st.fixed_dictionaries({cid: private_text for cid in PEOPLE}))
def test_private_fields_and_notes_reach_no_page_and_no_one_else(secrets, notes):
    private = {f"{cid}.{field}": value for cid in PEOPLE for field, value in flatten(secrets[cid])}
    private |= {f"{cid}.note": notes[cid] for cid in PEOPLE}
    # one person's value must not also be another's (it would rightly show in that one's own message)
    assume(all(a.split(".")[0] == b.split(".")[0] or private[a] not in private[b] for a in private for b in private))
    root = Path(tempfile.mkdtemp(prefix="roundup-private-"))
    try:
        site = Site(root)
        site.config()
        for cid in PEOPLE:
            site.contributor(cid, f"Person {cid.title()}", url=f"https://{cid}.example/", bio=f"Bio of {cid}.",
                             **{k: v for k, v in secrets[cid].items() if k != "extra"}, **secrets[cid]["extra"])
            for slug in ("open", "waiting"):
                site.quote(slug, cid, f"Words of {cid} for {slug}.\n", note=notes[cid])
        site.post("open", title="Open", voices=list(PEOPLE))
        site.post("waiting", title="Waiting", voices=list(PEOPLE))
        for cid in PEOPLE:
            assert cli(root, "approve", cid, "open") == 0
        assert cli(root, "build", "--drafts") == 0
        assert cli(root, "thank", "open") == 0
        for cid in PEOPLE:
            assert cli(root, "preview", cid) == 0

        for path in sorted((root / "_site").rglob("*")):
            if path.is_file():
                assert leaked(private, path.read_bytes().decode("utf-8", "replace")) == [], path
        for path in sorted((root / "_previews").rglob("*.*")):
            reader = path.parts[-2]  # _previews/<contributor>/<file>
            text = message_text(path) if path.suffix == ".eml" else path.read_text(encoding="utf-8")
            others = {k: v for k, v in private.items() if not k.startswith(f"{reader}.")}
            assert leaked(others, text) == [], path
    finally:
        shutil.rmtree(root, ignore_errors=True)


def flatten(secrets: dict) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in secrets.items() if k != "extra"]
    for key, value in secrets["extra"].items():
        out += [(key, v) for v in (value if isinstance(value, list) else [value])]
    return out


# ---- tokens ---------------------------------------------------------------------------------------

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
ids = st.from_regex(r"\A[a-z0-9]+(-[a-z0-9]+){0,2}\Z")
claims = st.builds(tokens.Claims, ids, ids, st.from_regex(r"\A[0-9a-f]{16}\Z"),
                   st.integers(1, 3650).map(lambda d: dt.datetime.combine((NOW + dt.timedelta(days=d)).date(),
                                                                          dt.time(23, 59, 59), dt.timezone.utc)))
secret_bytes = st.binary(min_size=1, max_size=64)
TOKEN_CHARS = string.ascii_letters + string.digits + "-_.=+/ "


def voices(claim: tokens.Claims) -> list[tuple[str, str]]:
    """The site's voices: the claim's own among others."""
    return [("someone", claim.slug), (claim.contributor_id, claim.slug), (claim.contributor_id, "other")]


@settings(max_examples=400, deadline=None)
@given(secret=secret_bytes, claim=claims, data=st.data())
def test_any_change_to_a_token_is_refused(secret, claim, data):
    token = tokens.make(secret, claim)
    assert tokens.verify(secret, token, NOW, voices(claim)) == claim
    index = data.draw(st.integers(0, len(token) - 1), label="index")
    kind = data.draw(st.sampled_from(["replace", "delete", "insert"]), label="kind")
    char = data.draw(st.sampled_from(TOKEN_CHARS), label="char")
    if kind == "replace":
        changed = token[:index] + char + token[index + 1:]
    elif kind == "delete":
        changed = token[:index] + token[index + 1:]
    else:
        changed = token[:index] + char + token[index:]
    if changed.strip().lower() == token:  # the same token with surrounding space, or in capitals
        return
    with pytest.raises(RoundupError):
        tokens.verify(secret, changed, NOW, voices(claim))


@settings(max_examples=200, deadline=None)
@given(secret=secret_bytes, other=secret_bytes, claim=claims)
def test_a_token_made_with_another_secret_is_refused(secret, other, claim):
    if other == secret:
        return
    with pytest.raises(RoundupError):
        tokens.verify(other, tokens.make(secret, claim), NOW, voices(claim))


@pytest.fixture(scope="module")
def two_posts(tmp_path_factory) -> Path:
    """alpha (ann, bo, cy) and beta (ann, bo); a fixed secret in the site's own secret file."""
    site = Site(tmp_path_factory.mktemp("tokens") / "site")
    site.config()
    site.add_post("alpha", list(PEOPLE))
    site.add_post("beta", ["ann", "bo"])
    return site.root


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from([(cid, "alpha") for cid in PEOPLE] + [("ann", "beta"), ("bo", "beta")]))
def test_a_token_approves_exactly_its_own_voice_of_its_own_post(two_posts, target):
    root = two_posts
    for approvals in root.glob("posts/*/approvals.yml"):
        approvals.unlink()
    cid, slug = target
    assert cli(root, "preview", cid, "--post", slug) == 0
    page = (root / f"_previews/{cid}/{slug}.html").read_text(encoding="utf-8")
    token = re.search(r"ru2[a-z2-7]{44}", page).group(0)
    assert cli(root, "approve", "--token", token) == 0
    recorded = {(path.parent.name, person) for path in root.glob("posts/*/approvals.yml")
                for person, entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()
                if entry.get("approved_at")}
    assert recorded == {(slug, cid)}
