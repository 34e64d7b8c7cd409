"""Where replies come from: Maildir and mbox files (never changed), and a real IMAP server (Dovecot, plain, TLS and
STARTTLS) read with BODY.PEEK, a message over the limit refused unread, \\Seen set only when asked, nothing deleted,
and every unusable `inbox:` setting reported at its line in site.yml."""

from __future__ import annotations

import mailbox
import os
import tracemalloc
from pathlib import Path

import pytest

from conftest import Dovecot, Site, assert_problem, free_port, run_roundup_env
from roundup import mailsource
from roundup.errors import RoundupError
from roundup.mailsource import LIMIT, Imap, Incoming, from_maildir, from_mbox
from roundup.model import InboxConfig
from roundup.validate import load_site

HEAD = b"From: Zoe <zoe@example.org>\r\nTo: ed@example.com\r\nSubject: Re: your roundup\r\nMessage-ID: <%d@x>\r\n\r\n"
BIG = 12 * 1024 * 1024
PEAK = 2 * 1024 * 1024
"""A source may hold this much at once while it refuses a 12 MB message: far less than the message."""


def message(n: int, body: bytes = b"Happy to join in.\r\n") -> bytes:
    return HEAD % n + body


def big_message(n: int) -> bytes:
    """A 12 MB message shaped like real mail: a base64 attachment in 76-character lines."""
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
    return message(n, line * (BIG // len(line)))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def peak_while(action) -> tuple[object, int]:
    """`action()`'s result and the most memory Python held at once while it ran."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---- Maildir ---------------------------------------------------------------------------------------

def deliver(path: Path, name: str, raw: bytes) -> Path:
    """A message file `name` ("new/1700000001.M1.host"), modified at the time its name starts with, as a
    delivery agent leaves it."""
    file = path / name
    file.write_bytes(raw)
    when = int(file.name.split(".")[0])
    os.utime(file, (when, when))
    return file


def maildir(tmp_path: Path) -> Path:
    path = tmp_path / "Maildir"
    mailbox.Maildir(path, create=True)
    deliver(path, "new/1700000001.M1.host", message(1))
    deliver(path, "cur/1700000000.M1.host:2,S", message(2))
    return path


def test_maildir_reads_new_and_cur_and_changes_nothing(tmp_path):
    path = maildir(tmp_path)
    before = snapshot(path)
    got = list(from_maildir(path))
    assert got == [Incoming("maildir cur/1700000000.M1.host:2,S", message(2), HEAD % 2, len(message(2))),
                   Incoming("maildir new/1700000001.M1.host", message(1), HEAD % 1, len(message(1)))]
    assert snapshot(path) == before
    assert sorted(p.name for p in path.iterdir()) == ["cur", "new", "tmp"]


def test_maildir_refuses_a_big_message_unread(tmp_path):
    path = maildir(tmp_path)
    deliver(path, "new/1700000002.M1.host", big_message(3))
    got, peak = peak_while(lambda: list(from_maildir(path)))
    big = got[-1]
    assert (big.where, big.raw, big.head, big.size) == ("maildir new/1700000002.M1.host", None, HEAD % 3,
                                                        len(big_message(3)))
    assert big.size > LIMIT and peak < PEAK, peak
    assert [m.raw for m in got[:2]] == [message(2), message(1)]


def dated(n: int, date: str | None) -> bytes:
    """message(n), with a `Date:` header when `date` is given."""
    return (f"Date: {date}\r\n".encode() if date is not None else b"") + message(n)


def test_maildir_is_read_by_each_messages_date_across_new_and_cur(tmp_path):
    """A reply that sat in the outbox (old Date, delivered late, still in new/) comes before the newer one the
    mail client already filed in cur/; without a Date that can be read, the file's time counts; then file names."""
    path = tmp_path / "Maildir"
    mailbox.Maildir(path, create=True)
    deliver(path, "cur/1795340000.M1.host:2,S", dated(1, "Sun, 22 Nov 2026 10:05:00 +0000"))
    deliver(path, "new/1795349999.M1.host", dated(2, "Sun, 22 Nov 2026 11:00:00 +0100"))  # 10:00 UTC
    deliver(path, "new/1795341720.M1.host", dated(3, None))  # 10:02 by its file's time
    deliver(path, "cur/1795341780.M1.host:2,", dated(4, "the day after tomorrow"))  # 10:03 by its file's time
    deliver(path, "new/1795341000.M2.host", dated(5, "Sun, 22 Nov 2026 10:07:00 -0000"))
    deliver(path, "cur/1795341000.M1.host:2,S", dated(6, "Sun, 22 Nov 2026 10:07:00 +0000"))  # the same time
    deliver(path, "new/1795341001.M1.host", dated(7, "Sun, 22 Nov 2026 10:04:00"))  # no zone: UTC
    before = snapshot(path)
    got = [m.where for m in from_maildir(path)]
    assert got == ["maildir new/1795349999.M1.host", "maildir new/1795341720.M1.host",
                   "maildir cur/1795341780.M1.host:2,", "maildir new/1795341001.M1.host",
                   "maildir cur/1795340000.M1.host:2,S", "maildir cur/1795341000.M1.host:2,S",
                   "maildir new/1795341000.M2.host"]
    assert snapshot(path) == before


@pytest.mark.parametrize("make, words", [
    (lambda p: None, ("no such folder",)),
    (lambda p: p.mkdir(), ("not a maildir", "new/", "cur/")),
])
def test_maildir_that_is_not_one_is_named(tmp_path, make, words):
    path = tmp_path / "replies"
    make(path)
    with pytest.raises(RoundupError) as err:
        list(from_maildir(path))
    assert_problem(str(err.value), str(path), None, *words)


# ---- mbox ------------------------------------------------------------------------------------------

def mbox_file(tmp_path: Path, *messages: bytes) -> Path:
    path = tmp_path / "replies.mbox"
    path.write_bytes(b"".join(b"From zoe@example.org Sat Nov 22 10:00:00 2026\n" + m.replace(b"\r\n", b"\n") + b"\n"
                              for m in messages))
    return path


def lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n")


def test_mbox_reads_every_message_and_changes_nothing(tmp_path):
    path = mbox_file(tmp_path, message(1), message(2, b"Quoted:\r\n>From here on.\r\n"), message(3))
    before = snapshot(tmp_path)
    got = list(from_mbox(path))
    assert [m.where for m in got] == ["mbox #1", "mbox #2", "mbox #3"]
    assert [m.raw for m in got] == [lf(message(1)), lf(message(2, b"Quoted:\r\n>From here on.\r\n")), lf(message(3))]
    assert [m.head for m in got] == [lf(HEAD % n) for n in (1, 2, 3)]
    assert [m.size for m in got] == [len(m.raw) for m in got]
    assert snapshot(tmp_path) == before


def test_mbox_refuses_a_big_message_without_reading_it_whole(tmp_path):
    path = mbox_file(tmp_path, message(1), big_message(2), message(3))
    before = snapshot(tmp_path)
    got, peak = peak_while(lambda: list(from_mbox(path)))
    assert [m.raw for m in got] == [lf(message(1)), None, lf(message(3))]
    assert got[1].head == lf(HEAD % 2)
    assert got[1].size == len(lf(big_message(2))) > LIMIT
    assert peak < PEAK, peak
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("make, words", [
    (lambda p: None, ("no such file",)),
    (lambda p: p.mkdir(), ("is a folder", "--maildir")),
])
def test_mbox_that_is_not_a_file_is_named(tmp_path, make, words):
    path = tmp_path / "replies.mbox"
    make(path)
    with pytest.raises(RoundupError) as err:
        list(from_mbox(path))
    assert_problem(str(err.value), str(path), None, *words)


# ---- IMAP: a real Dovecot ------------------------------------------------------------------------------

def inbox_config(server: Dovecot, **changes) -> InboxConfig:
    fields = dict(host=server.host, port=server.port, username=server.user, tls=server.mode == "tls",
                  starttls=server.mode == "starttls", password_env="TEST_IMAP_PW")
    return InboxConfig(**{**fields, **changes})


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("TEST_IMAP_PW", "secret-imap-pw")


def read_all(config: InboxConfig) -> list[Incoming]:
    with Imap(config) as box:
        return list(box.messages())


@pytest.mark.parametrize("mode", ["plain", "tls", "starttls"])
def test_imap_reads_every_message_without_marking_any(request, monkeypatch, password, mode):
    server = request.getfixturevalue({"plain": "dovecot", "tls": "dovecot_tls", "starttls": "dovecot_starttls"}[mode])
    if server.cert:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))  # the default context trusts the test's certificate
    server.append(message(1), message(2), message(3))
    got = read_all(inbox_config(server))
    assert got == [Incoming(f"imap INBOX uid {n}", message(n), HEAD % n, len(message(n)), str(n)) for n in (1, 2, 3)]
    assert all("\\Seen" not in flags for flags in server.flags().values())
    assert read_all(inbox_config(server)) == got
    logins = server.logins()  # the fixture's own three and roundup's two: all over TLS unless plain
    assert len(logins) >= 5 and all((", TLS," in line) == (mode != "plain") for line in logins), logins


def test_imap_refuses_a_big_message_unread(dovecot, password):
    dovecot.append(message(1), big_message(2))
    got, peak = peak_while(lambda: read_all(inbox_config(dovecot)))
    assert got[0].raw == message(1)
    assert (got[1].raw, got[1].head, got[1].size, got[1].uid) == (None, HEAD % 2, len(big_message(2)), "2")
    assert peak < PEAK, peak
    assert all("\\Seen" not in flags for flags in dovecot.flags().values())


def test_mark_seen_marks_that_message_only_and_deletes_nothing(dovecot, password):
    dovecot.append(message(1), message(2), message(3))
    dovecot.append(message(4), flags="(\\Deleted)")  # another client's: roundup must not expunge it
    with Imap(inbox_config(dovecot)) as box:
        assert [m.uid for m in box.messages()] == ["1", "2", "3", "4"]
        box.mark_seen("2")
    flags = dovecot.flags()
    assert sorted(flags) == ["1", "2", "3", "4"]
    assert [uid for uid, f in sorted(flags.items()) if "\\Seen" in f] == ["2"]
    assert "\\Deleted" in flags["4"] and "\\Deleted" not in flags["2"]


def test_an_empty_folder_has_no_messages(dovecot, password):
    assert read_all(inbox_config(dovecot)) == []


def test_imap_asks_for_sizes_in_batches(dovecot, password, monkeypatch):
    monkeypatch.setattr(mailsource, "BATCH", 2)
    dovecot.append(*(message(n) for n in range(1, 6)))
    assert [(m.uid, m.raw) for m in read_all(inbox_config(dovecot))] == [(str(n), message(n)) for n in range(1, 6)]


# ---- unusable settings: each named at its line in site.yml ------------------------------------------------

def site_inbox(site: Site, **inbox) -> InboxConfig:
    site.config(inbox=inbox)
    return load_site(site.root).config.inbox


def line_of(site: Site, key: str) -> int:
    lines = site.read("site.yml").splitlines()
    start = lines.index("inbox:")
    return start + 1 if key == "inbox" else next(n for n, text in enumerate(lines[start:], start + 1)
                                                 if text.startswith(f"  {key}:"))


def refusal(config: InboxConfig | None) -> str:
    with pytest.raises(RoundupError) as err:
        read_all(config)
    return str(err.value)


def test_no_inbox_setting(site):
    assert load_site(site.root).config.inbox is None
    assert_problem(refusal(None), "site.yml", None, "no `inbox:`", "host", "username")


def test_nothing_listening(site, password):
    config = site_inbox(site, host="127.0.0.1", port=free_port(), tls=False, username="ann",
                        password_env="TEST_IMAP_PW")
    assert_problem(refusal(config), "site.yml", line_of(site, "port"), "no imap server answers", "inbox: port")


def test_unknown_host(site, password):
    config = site_inbox(site, host="no-such-host.invalid", username="ann", password_env="TEST_IMAP_PW")
    assert_problem(refusal(config), "site.yml", line_of(site, "host"), "no-such-host.invalid", "inbox: host")


def test_tls_failure(site, password, dovecot):
    config = site_inbox(site, host=dovecot.host, port=dovecot.port, tls=True, username="ann",
                        password_env="TEST_IMAP_PW")  # a server that speaks no TLS at all
    assert_problem(refusal(config), "site.yml", line_of(site, "tls"), "tls handshake", "inbox: host")


@pytest.mark.parametrize("mode", ["tls", "starttls"])
def test_a_self_signed_certificate_is_not_trusted_and_ssl_cert_file_is_named(request, site, password, mode):
    server = request.getfixturevalue(f"dovecot_{mode}")
    config = site_inbox(site, host=server.host, port=server.port, tls=mode == "tls", starttls=mode == "starttls",
                        username="ann", password_env="TEST_IMAP_PW")
    line = assert_problem(refusal(config), "site.yml", line_of(site, "host"), "is not trusted",
                          "self-signed certificate", "set the environment variable SSL_CERT_FILE to a CA bundle "
                          "file that includes it")
    assert "b'" not in line and 'b"' not in line


def test_a_certificate_for_another_name_says_so(site, password, dovecot_tls, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.cert))  # trusted, but made for 127.0.0.1 only
    config = site_inbox(site, host="localhost", port=dovecot_tls.port, username="ann", password_env="TEST_IMAP_PW")
    line = assert_problem(refusal(config), "site.yml", line_of(site, "host"), "is for another name",
                          "set `inbox: host` to the name on the server's certificate")
    assert "SSL_CERT_FILE" not in line


def test_starttls_not_offered(site, password, dovecot):
    config = site_inbox(site, host=dovecot.host, port=dovecot.port, tls=False, starttls=True, username="ann",
                        password_env="TEST_IMAP_PW")
    assert_problem(refusal(config), "site.yml", line_of(site, "starttls"), "does not offer starttls")


def test_login_refused(site, monkeypatch, dovecot):
    monkeypatch.setenv("TEST_IMAP_PW", "wrong")
    config = site_inbox(site, host=dovecot.host, port=dovecot.port, tls=False, username="ann",
                        password_env="TEST_IMAP_PW")
    line = assert_problem(refusal(config), "site.yml", line_of(site, "username"), "refused the login",
                          "$TEST_IMAP_PW", "([AUTHENTICATIONFAILED] Authentication failed.)")
    assert "b'" not in line and 'b"' not in line


def test_roundup_inbox_says_the_servers_words_as_text_and_how_to_trust_a_certificate(site, dovecot, dovecot_tls):
    site.config(inbox={"host": dovecot.host, "port": dovecot.port, "tls": False, "username": "ann",
                       "password_env": "TEST_IMAP_PW"})
    result = run_roundup_env("inbox", "--imap", cwd=site.root, env={"TEST_IMAP_PW": "wrong"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "refused the login of 'ann' ([AUTHENTICATIONFAILED] Authentication failed.)" in result.stderr
    assert "b'" not in result.stderr and "\\r" not in result.stderr
    site.config(inbox={"host": dovecot_tls.host, "port": dovecot_tls.port, "username": "ann",
                       "password_env": "TEST_IMAP_PW"})
    result = run_roundup_env("inbox", "--imap", cwd=site.root, env={"TEST_IMAP_PW": "secret-imap-pw"})
    assert result.returncode == 1 and "is not trusted (self-signed certificate)" in result.stderr
    assert "SSL_CERT_FILE" in result.stderr
    result = run_roundup_env("inbox", "--imap", cwd=site.root, env={"TEST_IMAP_PW": "secret-imap-pw",
                                                                   "SSL_CERT_FILE": str(dovecot_tls.cert)})
    assert result.returncode == 0, result.stderr  # the bundle named: the server is trusted


def test_the_servers_words_are_text_however_imaplib_carries_them():
    import imaplib
    assert mailsource._clean(imaplib.IMAP4.error(b"[AUTHENTICATIONFAILED] Caf\xc3\xa9 says no\r\n")) == \
        "[AUTHENTICATIONFAILED] Café says no"
    assert mailsource._clean(imaplib.IMAP4.error("STARTTLS extension not supported by server.")) == \
        "STARTTLS extension not supported by server."
    assert mailsource._clean(OSError(104, "Connection reset by peer")) == "[Errno 104] Connection reset by peer"


def test_password_missing(site, monkeypatch, dovecot):
    monkeypatch.delenv("TEST_IMAP_PW", raising=False)
    config = site_inbox(site, host=dovecot.host, port=dovecot.port, tls=False, username="ann",
                        password_env="TEST_IMAP_PW")
    assert_problem(refusal(config), "site.yml", line_of(site, "password_env"), "$TEST_IMAP_PW", "empty")


def test_folder_missing(site, password, dovecot):
    config = site_inbox(site, host=dovecot.host, port=dovecot.port, tls=False, username="ann",
                        password_env="TEST_IMAP_PW", folder="Roundup Replies")
    assert_problem(refusal(config), "site.yml", line_of(site, "folder"), "no folder 'Roundup Replies'", "INBOX")


# ---- validation of `inbox:` and `remind_every:` ----------------------------------------------------------

def test_inbox_defaults(site):
    assert load_site(site.root).config.remind_every == 3
    assert (site_inbox(site, host="imap.example.org", username="ann").port,
            site_inbox(site, host="imap.example.org", username="ann", tls=False).port) == (993, 143)
    config = site_inbox(site, host="imap.example.org", username="ann", tls=False, starttls=True)
    assert (config.tls, config.starttls, config.password_env, config.folder) == (False, True, "ROUNDUP_IMAP_PASSWORD",
                                                                                 "INBOX")
    site.config(remind_every=7)
    assert load_site(site.root).config.remind_every == 7


@pytest.mark.parametrize("inbox, key, words", [
    ({"host": "h", "username": "u", "pasword_env": "X"}, "pasword_env", ("unknown field", "password_env")),
    ({"host": "h", "username": "u", "starttls": True}, "starttls", ("`tls` cannot both be true",)),
    ({"host": "h", "username": "u", "port": 0}, "port", ("whole number from 1 to 65535",)),
    ({"host": "h", "username": "u", "port": 70000}, "port", ("whole number from 1 to 65535",)),
    ({"host": "h", "username": "u", "tls": "yes"}, "tls", ("true or false",)),
    ({"username": "u"}, "username", ("`host` is required",)),  # at the mapping's first line, as for `mail:`
    ({"host": "h"}, "host", ("`username` is required",)),
])
def test_bad_inbox_settings(site, inbox, key, words):
    site.config(inbox=inbox)
    with pytest.raises(RoundupError) as err:
        load_site(site.root)
    assert_problem(str(err.value), "site.yml", line_of(site, key), *words)


@pytest.mark.parametrize("value", [0, -1, "3", 1.5])
def test_bad_remind_every(site, value):
    site.config(remind_every=value)
    with pytest.raises(RoundupError) as err:
        load_site(site.root)
    line = site.read("site.yml").splitlines().index(next(t for t in site.read("site.yml").splitlines()
                                                         if t.startswith("remind_every:"))) + 1
    assert_problem(str(err.value), "site.yml", line, "remind_every", "whole number")
