"""The token secret on a fresh clone (no .roundup/): `inbox --dry-run` creates no file at all; a site that never
sent a code gets a new secret when one is needed; once codes were sent, a missing secret is an error for every
command that needs it, which creates nothing and says how to restore it (or, on purpose, start over)."""

from __future__ import annotations

import datetime as dt
import mailbox
import re
import shutil
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
import yaml

from conftest import Site, assert_problem, run_roundup_env

SOON = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=10)
TOKEN = re.compile(r"ru2[a-z2-7]{44}")


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every file and folder under `folder` (hidden ones too): its mode, and a file's bytes."""
    return {p.relative_to(folder).as_posix(): (p.lstat().st_mode, p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def message(sender: str, subject: str, words: str, replying_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "ed@example.com", subject
    msg["Message-ID"] = make_msgid(domain="example.net")
    if replying_to:
        msg["In-Reply-To"] = msg["References"] = replying_to
    msg.set_content(words + "\n")
    return bytes(msg)


def maildir(site: Site, *messages: bytes, name: str = "Maildir") -> Path:
    """A Maildir beside the site (never inside it: the site folder is what is compared)."""
    box = mailbox.Maildir(site.root.parent / name, create=True)
    for raw in messages:
        box.add(raw)
    return Path(box._path)


@pytest.fixture
def alpha(site: Site) -> Site:
    """alpha asks zoe (answered) and sam (not yet); nothing sent, no .roundup/."""
    site.contributor("zoe", "Zoë Quill", email="zoe@example.net")
    site.contributor("sam", "Sam Reyes", email="sam@example.net")
    site.quote("alpha", "zoe", "Zoë's words.\n")
    site.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe", "sam"])
    return site


def test_inbox_dry_run_on_a_fresh_clone_leaves_the_site_folder_byte_for_byte_as_it_was(alpha: Site):
    site = alpha
    folder = maildir(site, message("zoe@example.net", "Approve: Alpha Roundup", f"Yes! {'ru2' + 'a' * 44}"),
                     message("zoe@example.net", "Re: Alpha Roundup", "Looks lovely."),
                     message("stranger@elsewhere.example", "Hello", "Who are you?", replying_to="<x@example.com>"))
    assert not (site.root / ".roundup").exists()
    before = snapshot(site.root)
    result = site.ok("inbox", "--maildir", folder, "--dry-run")
    assert "Read 3 new messages" in result.stdout and "Dry run: nothing was written." in result.stdout, result.stdout
    assert snapshot(site.root) == before  # no secret, no cache, no index, no lock file, no inbox-handled.txt
    assert not (site.root / ".roundup").exists()


@pytest.fixture
def clone(alpha: Site) -> tuple[Site, str, bytes]:
    """alpha with zoe previewed (a code sent) and reminded 5 days later, then cloned afresh: no .roundup/.
    Returns the site, zoe's approval code, and the secret that was lost."""
    site = alpha
    site.ok("preview", "zoe")
    path = site.root / "posts/alpha/approvals.yml"
    data = yaml.safe_load(path.read_text())
    data["zoe"]["previewed_at"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))  # a reminder is due
    token = TOKEN.search(site.read("_previews/zoe/alpha.html")).group(0)
    secret = (site.root / ".roundup/secret").read_bytes()
    shutil.rmtree(site.root / ".roundup")
    return site, token, secret


def test_a_missing_secret_after_codes_were_sent_is_an_error_for_every_command_that_needs_it(clone):
    site, token, secret = clone
    folder = maildir(site, message("zoe@example.net", f"Approve: Alpha Roundup {token}", f"Approval code: {token}"))
    before = snapshot(site.root)
    for args in (("inbox", "--maildir", folder, "--dry-run"), ("inbox", "--maildir", folder),
                 ("approve", "--token", token), ("preview", "zoe"), ("remind", "alpha"), ("invite", "alpha")):
        result = site.run(*args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = assert_problem(result.stderr, ".roundup/secret", None, "is missing, but", "written", "the last on",
                              "posts/alpha/approvals.yml")
        assert ("Restore .roundup/secret from a backup, or set ROUNDUP_SECRET to it; to start over with a new "
                "secret (every code sent so far stops working), run `mkdir -p .roundup && touch .roundup/secret`") in line
        assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
        assert snapshot(site.root) == before, args  # nothing created: no secret, no cache, no preview

    restored = run_roundup_env("inbox", "--maildir", folder, "--dry-run", cwd=site.root,
                               env={"ROUNDUP_SECRET": secret.decode().strip()})
    assert restored.returncode == 0 and re.search(r"^  approval\s+zoe approved", restored.stdout, re.M), restored.stdout
    assert snapshot(site.root) == before


def test_starting_over_with_a_new_secret_is_a_choice_the_editor_makes(clone):
    site, token, secret = clone
    (site.root / ".roundup").mkdir()
    (site.root / ".roundup/secret").touch()  # as the error says: `mkdir -p .roundup && touch .roundup/secret`
    site.ok("preview", "zoe")
    new = (site.root / ".roundup/secret").read_bytes()
    assert len(new.strip()) == 64 and new != secret and (site.root / ".roundup/secret").stat().st_mode & 0o777 == 0o600
    assert (site.root / ".roundup/.gitignore").is_file()
    refused = site.run("approve", "--token", token)  # a code signed with the lost secret stops working
    assert refused.returncode == 1 and "not valid" in refused.stderr
    site.ok("approve", "--token", TOKEN.search(site.read("_previews/zoe/alpha.html")).group(0))
