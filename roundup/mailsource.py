"""Where replies come from: a Maildir, an mbox file or an IMAP folder, read without changing or deleting mail."""

from __future__ import annotations

import datetime as dt
import imaplib
import mailbox
import os
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

from roundup.errors import Problem, RoundupError
from roundup.model import InboxConfig

from roundup.replies import LIMIT  # a larger message is refused unread: one limit, owned by the parser
HEAD_MAX = 64 * 1024
"""At most this many bytes of a message's header are kept, and read from an over-limit message."""
TIMEOUT = 30
"""Seconds to wait for the IMAP server at each step."""
BATCH = 500
"""Messages whose sizes are asked for in one IMAP command."""
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message as a source hands it over, before anything in it is believed."""

    where: str
    """For output lines: "maildir new/1234.abc", "mbox #17", "imap INBOX uid 42"."""
    raw: bytes | None
    """The whole message; None when it is over LIMIT (refused unread)."""
    head: bytes
    """The header bytes (at most HEAD_MAX), always present."""
    size: int
    """The message's size in bytes, as stored (or as the IMAP server reports it)."""
    uid: str | None = None
    """The IMAP UID, for `Imap.mark_seen`; None for files."""


def head_of(data: bytes) -> bytes:
    """The header block at the start of `data` (up to and including the blank line), at most HEAD_MAX bytes."""
    start = data[:HEAD_MAX]
    end = _HEADER_END.search(start)
    return start[:end.end()] if end else start


def _read(file: BinaryIO, where: str) -> Incoming:
    """A message from a file-like object of mailbox's, its size found by seeking: a big one is never read whole."""
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    if size > LIMIT:
        return Incoming(where, None, head_of(file.read(HEAD_MAX)), size)
    raw = file.read(size)  # not read(LIMIT + 1): a buffered read allocates all it is asked for, at once
    if file.read(1):  # grew since we looked: refuse it all the same, it is being written
        return Incoming(where, None, head_of(raw), size + 1)
    return Incoming(where, raw, head_of(raw), len(raw))


def from_maildir(path: Path) -> Iterator[Incoming]:
    """Every message in new/ and cur/ together of the Maildir at `path`, oldest first by its `Date:` header (the
    file's modification time when it has none that can be read; file names break ties); nothing is moved or
    flagged."""
    if not path.is_dir():
        raise RoundupError([Problem(str(path), None, "no such folder: give the Maildir holding your replies "
                                    "(the folder with cur/, new/ and tmp/ in it)")])
    if not ((path / "new").is_dir() and (path / "cur").is_dir()):
        raise RoundupError([Problem(str(path), None, "is not a Maildir (it has no new/ and cur/ folders): give the "
                                    "Maildir folder itself, e.g. ~/Maildir or ~/Maildir/.Roundup")])
    box = mailbox.Maildir(path, factory=None, create=False)
    order = []
    for key in box.keys():
        try:
            order.append((_sent_at(box, path, key), key))  # key: the file name, without new/ or cur/ and flags
        except (KeyError, FileNotFoundError):
            continue  # moved or deleted by a mail client while we read: it is read on the next run
    for _, key in sorted(order):
        try:
            where = f"maildir {_clean(box._lookup(key))}"  # _lookup: "new/NAME" or "cur/NAME:2,FLAGS"
            with box.get_file(key) as file:
                incoming = _read(file, where)
        except (KeyError, FileNotFoundError):
            continue
        yield incoming


def _sent_at(box: mailbox.Maildir, path: Path, key: str) -> float:
    """When the message `key` was sent, as a POSIX timestamp: its `Date:` header, else its file's mtime."""
    with box.get_file(key) as file:
        head = head_of(file.read(HEAD_MAX))
    sent = _date_of(head)
    return sent if sent is not None else os.stat(path / box._lookup(key)).st_mtime


def _date_of(head: bytes) -> float | None:
    """The first `Date:` header of a message's header block as a POSIX timestamp (no zone: UTC); None when it
    has none, or one that is not a date."""
    value = BytesHeaderParser(policy=compat32).parsebytes(head).get("Date")
    if not isinstance(value, str):
        return None
    try:
        sent = parsedate_to_datetime(value)
        return (sent if sent.tzinfo else sent.replace(tzinfo=dt.timezone.utc)).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


def from_mbox(path: Path) -> Iterator[Incoming]:
    """Every message of the mbox file at `path`, in order; the file is never written or locked."""
    if path.is_dir():
        raise RoundupError([Problem(str(path), None, "is a folder, not an mbox file: for a Maildir use --maildir")])
    if not path.is_file():
        raise RoundupError([Problem(str(path), None, "no such file: give the mbox file holding your replies")])
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for number, key in enumerate(box.keys(), 1):
            with box.get_file(key) as file:  # after the "From " line; a window on the file, nothing copied
                yield _read(file, f"mbox #{number}")
    finally:
        box.close()  # writes nothing: no change was asked of it


def _clean(text: object, most: int = 200) -> str:
    """A server's words, safe to print: decoded (imaplib's errors carry them as bytes), control characters
    replaced, at most `most` characters."""
    if isinstance(text, BaseException) and len(text.args) == 1 and isinstance(text.args[0], bytes):
        text = text.args[0]
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    value = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text)).strip()
    return value[:most] + ("…" if len(value) > most else "")


HOSTNAME_MISMATCH = 62
"""OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH: the certificate is genuine, but for another name."""


def _untrusted(config: InboxConfig, exc: ssl.SSLCertVerificationError) -> str:
    """What to do when the server's certificate was refused: another name, or an authority we do not trust."""
    where, why = f"{config.host}:{config.port}", _clean(exc.verify_message or exc)
    if exc.verify_code == HOSTNAME_MISMATCH:
        return (f"the certificate of the server at {where} is for another name ({why}): set `inbox: host` to the "
                "name on the server's certificate")
    return (f"the certificate of the server at {where} is not trusted ({why}): if the server has its own "
            "certificate (self-signed, or from your organisation's own authority), set the environment variable "
            "SSL_CERT_FILE to a CA bundle file that includes it, as in `SSL_CERT_FILE=~/imap-ca.pem roundup inbox "
            "--imap`; otherwise check that `inbox: host` is your mail provider's IMAP server")


def _quoted(name: str) -> str:
    """An IMAP quoted string."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Imap:
    """An IMAP folder from `inbox:` in site.yml, as a context manager. Reading never marks a message (BODY.PEEK);
    only `mark_seen` changes anything, and nothing is ever deleted or expunged."""

    def __init__(self, config: InboxConfig | None, timeout: float = TIMEOUT):
        if config is None:
            raise RoundupError([Problem("site.yml", None, "has no `inbox:` setting, so there is no IMAP folder to "
                                        "read: add `inbox: {host: imap.example.org, username: you@example.org}` "
                                        "and export the password in ROUNDUP_IMAP_PASSWORD")])
        self.config = config
        self.timeout = timeout
        self._password = os.environ.get(config.password_env) or ""
        if not self._password:
            raise self._problem(("password_env", "username"), f"`inbox: username` is set but ${config.password_env} "
                                "is empty: export the IMAP password there (`inbox: password_env` names the variable)")
        self._conn: imaplib.IMAP4 | None = None

    def _problem(self, keys: tuple[str, ...], message: str) -> RoundupError:
        return RoundupError([Problem("site.yml", self.config.line(*keys), message)])

    def __enter__(self) -> Imap:
        self._conn = self._connect()
        try:
            self._login()
            self._select()
        except BaseException:
            self._logout()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._logout()

    def _logout(self) -> None:
        """LOGOUT, never CLOSE: CLOSE would expunge messages another client flagged as deleted."""
        if self._conn is not None:
            try:
                self._conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            self._conn = None

    def _connect(self) -> imaplib.IMAP4:
        c = self.config
        where = f"{c.host}:{c.port}"
        try:
            if c.tls:
                return imaplib.IMAP4_SSL(c.host, c.port, ssl_context=ssl.create_default_context(),
                                         timeout=self.timeout)
            conn = imaplib.IMAP4(c.host, c.port, timeout=self.timeout)
            if c.starttls:
                try:
                    conn.starttls(ssl_context=ssl.create_default_context())
                except imaplib.IMAP4.error as exc:
                    conn.shutdown()
                    raise self._problem(("starttls",), f"the server at {where} does not offer STARTTLS "
                                        f"({_clean(exc)}): set `inbox: tls: true` if it speaks TLS from the start "
                                        "(port 993), or check `inbox: host` and `inbox: port`") from None
            return conn
        except ssl.SSLCertVerificationError as exc:
            raise self._problem(("host",), _untrusted(c, exc)) from None
        except ssl.SSLError as exc:
            raise self._problem(("tls", "starttls", "host"), f"the TLS handshake with {where} failed ({_clean(exc)}): "
                                "check that `inbox: host` is the name on the server's certificate, and `inbox: tls` "
                                "(TLS from the start, port 993) or `inbox: starttls` (port 143)") from None
        except socket.gaierror as exc:
            raise self._problem(("host",), f"no IMAP server named {c.host!r} can be found "
                                f"({_clean(exc.strerror or exc)}): fix `inbox: host`") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._problem(("port", "host"), f"no IMAP server answers at {where} ({_clean(exc) or 'timed out'})"
                                ": set `inbox: host` and `inbox: port` to your mail provider's IMAP server") from None

    def _login(self) -> None:
        c, conn = self.config, self._conn
        assert conn is not None
        try:
            conn.login(c.username, self._password)
        except (imaplib.IMAP4.error, UnicodeEncodeError) as exc:
            reason = _clean(exc)
            if "PRIVACYREQUIRED" in reason or "LOGINDISABLED" in reason:
                raise self._problem(("tls", "starttls"), f"the server at {c.host}:{c.port} refuses a login without "
                                    f"TLS ({reason}): set `inbox: tls: true` or `inbox: starttls: true`") from None
            raise self._problem(("username", "password_env"), f"the server at {c.host}:{c.port} refused the login of "
                                f"{c.username!r} ({reason}): check `inbox: username`, and the password in "
                                f"${c.password_env} (`inbox: password_env`)") from None
        except OSError as exc:
            raise self._problem(("port", "host"), f"the server at {c.host}:{c.port} closed the connection at login "
                                f"({_clean(exc)})") from None

    def _select(self) -> None:
        c, conn = self.config, self._conn
        assert conn is not None
        try:
            typ, data = conn.select(_quoted(c.folder))
        except UnicodeEncodeError:
            typ, data = "NO", [b"not ASCII"]
        if typ != "OK":
            raise self._problem(("folder",), f"there is no folder {c.folder!r} for {c.username} on {c.host} "
                                f"({_clean(data[-1] if data else '')}): set `inbox: folder` to one of "
                                f"{self._folders()}")

    def _folders(self) -> str:
        """The folder names the server lists, for a message."""
        assert self._conn is not None
        typ, data = self._conn.list()
        names = [m.group(1).replace(b'\\"', b'"').decode("utf-8", "replace") for item in data if isinstance(item, bytes)
                 for m in [re.search(rb'"((?:[^"\\]|\\.)*)"\s*$', item) or re.search(rb"(\S+)\s*$", item)] if m]
        return ", ".join(_clean(n, 60) for n in names[:20]) or "the folders your mail client shows"

    def messages(self) -> Iterator[Incoming]:
        """Every message in the folder, oldest first: its size first, then the message (at most LIMIT bytes) or,
        for a bigger one, its header only. BODY.PEEK: nothing is marked as read."""
        conn = self._conn
        assert conn is not None, "use Imap as a context manager"
        typ, data = conn.uid("SEARCH", None, "ALL")
        self._ok(typ, data, "list the messages in")
        uids = sorted(int(uid) for uid in (data[0] or b"").split())
        for start in range(0, len(uids), BATCH):
            batch = uids[start:start + BATCH]
            typ, data = conn.uid("FETCH", ",".join(map(str, batch)), "(UID RFC822.SIZE)")
            self._ok(typ, data, "give the sizes of the messages in")
            sizes = {}
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                uid, size = re.search(rb"\bUID (\d+)", line or b""), re.search(rb"\bRFC822\.SIZE (\d+)", line or b"")
                if uid and size:
                    sizes[int(uid.group(1))] = int(size.group(1))
            for uid in batch:
                if uid in sizes:  # else expunged by another client since the search
                    yield self._fetch(str(uid), sizes[uid])

    def _ok(self, typ: str, data: list, doing: str) -> None:
        """Raise, naming the folder, unless the server answered OK."""
        if typ != "OK":
            raise self._problem(("folder",), f"the server at {self.config.host} would not {doing} "
                                f"{self.config.folder!r} ({_clean(data[-1] if data else '')})")

    def _fetch(self, uid: str, size: int) -> Incoming:
        """One message: the body when `size` is within LIMIT (and the body indeed is), else its header only."""
        where = f"imap {self.config.folder} uid {uid}"
        if size <= LIMIT:
            raw = self._part(uid, f"BODY.PEEK[]<0.{LIMIT + 1}>")
            if len(raw) <= LIMIT:
                return Incoming(where, raw, head_of(raw), len(raw), uid)
            size = max(size, len(raw))
        return Incoming(where, None, head_of(self._part(uid, f"BODY.PEEK[HEADER]<0.{HEAD_MAX}>")), size, uid)

    def _part(self, uid: str, what: str) -> bytes:
        assert self._conn is not None
        typ, data = self._conn.uid("FETCH", uid, f"({what})")
        self._ok(typ, data, f"give message uid {uid} of")
        parts = [item for item in data if isinstance(item, tuple)]
        mine = [p for p in parts if re.search(rb"\bUID " + uid.encode() + rb"\b", p[0])]
        return (mine or parts or [(b"", b"")])[0][1]  # UID may follow the literal: then it is the only one

    def mark_seen(self, uid: str) -> None:
        """Flag one message \\Seen (UID STORE +FLAGS.SILENT): the one change roundup makes in a mailbox."""
        assert self._conn is not None, "use Imap as a context manager"
        if not uid.isdigit():
            raise ValueError(f"not an IMAP UID: {uid!r}")
        typ, data = self._conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
        self._ok(typ, data, f"mark message uid {uid} as read in")
