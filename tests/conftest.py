"""Shared helpers: tiny sites written into tmp_path, and the real CLI run as a subprocess."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

BASE_URL = "https://example.org/blog/"
DATE = dt.date(2026, 3, 1)
INTRO = "The editor's introduction.\n\n<!-- voices -->\n\nThe editor's closing words.\n"

# A tiny but valid PNG (1x1 pixel); tests change a byte in it to make "different image bytes".
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5c2a9e60000000049454e44ae426082"
)

ANY = object()
"""For assert_problem: the problem may or may not carry a line number."""


def run_roundup(*args: Any, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m roundup ARGS` in `cwd`, as a user would run it."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("ROUNDUP_SECRET", None)
    return subprocess.run(
        [sys.executable, "-m", "roundup", *(str(a) for a in args)],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=60, env=env,
    )


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)


def front_matter(meta: dict[str, Any], body: str) -> str:
    if not meta:
        return body
    return "---\n" + dump_yaml(meta) + "---\n" + body


class Site:
    """A site folder under tmp_path, written from small Python dicts and strings."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    # ---- writing inputs -------------------------------------------------------------------
    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
        return path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def config(self, **fields: Any) -> Path:
        """site.yml; a field given as None is left out."""
        data: dict[str, Any] = {"title": "Test Roundups", "base_url": BASE_URL,
                                "editor": {"name": "Ed Itor", "email": "ed@example.com"}}
        data.update(fields)
        return self.write("site.yml", dump_yaml({k: v for k, v in data.items() if v is not None}))

    def contributor(self, cid: str, name: str | None = None, **fields: Any) -> Path:
        data = {"name": name if name is not None else cid.replace("-", " ").title(), **fields}
        return self.write(f"contributors/{cid}.yml", dump_yaml(data))

    def post(self, slug: str, title: str | None = None, date: Any = DATE, body: str = INTRO,
             **front: Any) -> Path:
        meta = {"title": title if title is not None else slug.replace("-", " ").title(), "date": date,
                **front}
        return self.write(f"posts/{slug}/post.md", front_matter({k: v for k, v in meta.items()
                                                                 if v is not None}, body))

    def quote(self, slug: str, cid: str, body: str | None = None, **front: Any) -> Path:
        text = body if body is not None else f"These are the words of {cid}.\n"
        return self.write(f"posts/{slug}/quotes/{cid}.md", front_matter(front, text))

    def add_post(self, slug: str, quotes: dict[str, str] | list[str], **post_fields: Any) -> None:
        """A post with a quote per voice, creating a plain profile for any voice that has none.
        `voices:` lists the quotes in the given order unless post_fields says otherwise
        (voices=None leaves it out)."""
        bodies = quotes if isinstance(quotes, dict) else {cid: f"These are the words of {cid}.\n"
                                                          for cid in quotes}
        for cid, body in bodies.items():
            if not (self.root / "contributors" / f"{cid}.yml").exists():
                self.contributor(cid)
            self.quote(slug, cid, body)
        post_fields.setdefault("voices", list(bodies))
        self.post(slug, **post_fields)

    # ---- running --------------------------------------------------------------------------
    def run(self, *args: Any) -> subprocess.CompletedProcess[str]:
        return run_roundup(*args, cwd=self.root)

    def ok(self, *args: Any) -> subprocess.CompletedProcess[str]:
        """Run and insist on exit 0."""
        result = self.run(*args)
        assert result.returncode == 0, f"roundup {' '.join(map(str, args))} failed:\n{result.stderr}"
        return result

    def build(self, *args: Any) -> subprocess.CompletedProcess[str]:
        return self.ok("build", *args)

    def approve(self, cid: str, slug: str) -> subprocess.CompletedProcess[str]:
        return self.ok("approve", cid, slug)

    def approve_all(self, slug: str) -> None:
        approve_all(self, slug)

    def states(self, slug: str) -> dict[str, str]:
        return voice_states(self.ok("status").stdout, slug)

    # ---- reading the output ---------------------------------------------------------------
    @property
    def out(self) -> Path:
        return self.root / "_site"

    def page(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")

    def output_files(self) -> dict[str, bytes]:
        return tree_bytes(self.out)


def approve_all(site: Site, slug: str) -> None:
    """Approve every voice of a post (every quote file in it), via the CLI."""
    for quote in sorted((site.root / "posts" / slug / "quotes").glob("*.md")):
        site.approve(quote.stem, slug)


def record_reads(monkeypatch, module) -> list[str]:
    """The post folders `module` reads from disk (through its `read_entry`), by name, as it reads them."""
    read: list[str] = []
    real = module.read_entry

    def recording(root, folder, *rest):
        read.append(folder.name)
        return real(root, folder, *rest)

    monkeypatch.setattr(module, "read_entry", recording)
    return read


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path, with its bytes."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


STATES = ("approved", "pending", "stale", "declined", "unanswered", "not taking part")


def voice_states(status_output: str, slug: str) -> dict[str, str]:
    """From `roundup status` output: contributor id -> state word, for one post's block."""
    lines = status_output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.split()[:1] == [slug]), None)
    assert start is not None, f"post {slug} not in status output:\n{status_output}"
    states: dict[str, str] = {}
    for line in lines[start + 1:]:
        if not line.startswith((" ", "\t")) or not line.strip():
            break
        words = line.replace("not taking part", "not-taking-part").split()
        state = next((w.replace("-", " ") for w in words[1:] if w.replace("-", " ") in STATES), None)
        if state:
            states[words[0]] = state
    return states


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def assert_problem(stderr: str, path: str | tuple[str, ...], line: Any = ANY, *words: Any) -> str:
    """Some stderr line is `path:line: message` (or `path: message` when line is None) and its
    message holds every word (case-insensitive; a tuple of words means any one of them).
    `line` may be an int, a tuple of acceptable ints, None (whole file) or ANY."""
    paths = path if isinstance(path, tuple) else (path,)
    pattern = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+)(?::\d+)?)?: (?P<msg>.*)$")  # `:column` optional
    for text in stderr.splitlines():
        m = pattern.match(text)
        if not m or m["path"] not in paths:
            continue
        got = int(m["line"]) if m["line"] else None
        if line is not ANY:
            wanted = line if isinstance(line, tuple) else (line,)
            if got not in wanted:
                continue
        msg = m["msg"].lower()
        if all(any(w.lower() in msg for w in (word if isinstance(word, tuple) else (word,)))
               for word in words):
            return text
    raise AssertionError(f"no problem line for {paths} line={'any' if line is ANY else line} "
                         f"with {words!r} in stderr:\n{stderr}")


class HtmlAudit(HTMLParser):
    """Collects tags, attributes and text of one HTML document (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def parse_html(html: str) -> HtmlAudit:
    audit = HtmlAudit()
    audit.feed(html)
    audit.close()
    return audit


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """A valid, empty site: site.yml only."""
    s = Site(tmp_path / "site")
    s.config()
    return s


# ---- consent loop: the CLI with a chosen environment, and a real SMTP server ---------------------

def run_roundup_env(*args: Any, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Like run_roundup, with extra environment variables (ROUNDUP_SECRET only when given here)."""
    full = dict(os.environ, PYTHONIOENCODING="utf-8")
    full.pop("ROUNDUP_SECRET", None)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "roundup", *(str(a) for a in args)],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=60, env=full,
    )


def free_port() -> int:
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every delivered message; addresses in `refuse` get a 550."""

    def __init__(self) -> None:
        self.port = 0
        self.refuse: set[str] = set()
        self.received: list[dict[str, Any]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy
        self.received.append({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                              "raw": envelope.content,
                              "message": email.message_from_bytes(envelope.content, policy=email.policy.default)})
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Any]:
        """The parsed messages delivered to `address`."""
        return [r["message"] for r in self.received if address in r["rcpt_tos"]]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 on a free port, collecting what it receives."""
    from aiosmtpd.controller import Controller
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def plain_text(message: Any) -> str:
    """The text/plain body of a parsed message."""
    return message.get_body(("plain",)).get_content()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, one per test session (two sync sessions cannot coexist)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# ---- a real IMAP server: Debian's Dovecot in a throwaway folder ---------------------------------

DOVECOT_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
"""


class Dovecot:
    """A running Dovecot: where it listens, the one user's login, and helpers to fill and inspect the INBOX.
    `mode` is "plain" (no TLS), "tls" (TLS from the first byte) or "starttls" (TLS required, via STARTTLS)."""

    def __init__(self, folder: Path, mode: str):
        self.folder, self.mode = folder, mode
        self.host, self.port = "127.0.0.1", free_port()
        self.user, self.password = "ann", "secret-imap-pw"
        self.cert: Path | None = None
        self.log = folder / "dovecot.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        d = self.folder
        for sub in ("mail", "run", "state"):
            (d / sub).mkdir()
        shutil.chown(d / "mail", "nobody", "nogroup")
        ssl_line = "ssl = no"
        if self.mode != "plain":
            self.cert = d / "cert.pem"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-keyout", str(d / "key.pem"), "-out", str(self.cert), "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
            ssl_line = f"ssl = required\nssl_cert = <{self.cert}\nssl_key = <{d / 'key.pem'}"
        imap, imaps = (0, self.port) if self.mode == "tls" else (self.port, 0)
        (d / "dovecot.conf").write_text(DOVECOT_CONF.format(d=d, ssl=ssl_line, password=self.password,
                                                            imap=imap, imaps=imaps))
        with open(d / "stderr.log", "wb") as stderr:
            self.process = subprocess.Popen(["dovecot", "-F", "-c", str(d / "dovecot.conf")],
                                            stdout=subprocess.DEVNULL, stderr=stderr)
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        import socket
        import time
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                self.connect().logout()  # ready for a login (without one, Dovecot takes 6 s to stop)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start:\n{self.logs()}")

    def logins(self) -> list[str]:
        """The server's log line for each login so far; it says `TLS` for a login made over TLS."""
        return [line for line in self.log.read_text(errors="replace").splitlines() if " Login: " in line]

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in (self.log, self.folder / "stderr.log") if p.exists())

    def stop(self) -> None:
        """Stop the master (its pid file names it) and wait for it to exit."""
        if self.process is None:
            return
        pid_file = self.folder / "run" / "master.pid"
        pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else self.process.pid
        assert pid == self.process.pid, (pid, self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        self.process = None

    def connect(self) -> Any:
        """A logged-in imaplib client, for the test's own look at the mailbox (never through roundup's code)."""
        import imaplib
        import ssl
        context = ssl.create_default_context(cafile=str(self.cert)) if self.cert else None
        if self.mode == "tls":
            client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=30)
        else:
            client = imaplib.IMAP4(self.host, self.port, timeout=30)
            if self.mode == "starttls":
                client.starttls(ssl_context=context)
        client.login(self.user, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX", flags: str = "") -> None:
        """Deliver raw messages to the user's folder (IMAP APPEND), in order."""
        client = self.connect()
        try:
            for raw in messages:
                typ, data = client.append(folder, flags or None, None, raw)
                assert typ == "OK", data
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> dict[str, set[str]]:
        """UID -> flags of every message in the folder (read-only select: looking changes nothing)."""
        client = self.connect()
        try:
            typ, data = client.select(folder, readonly=True)
            assert typ == "OK", data
            if int(data[0]) == 0:
                return {}
            typ, data = client.uid("FETCH", "1:*", "(UID FLAGS)")
            found = {}
            for line in data:
                m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)", line)
                assert m, line
                uid, flags = (m[1], m[2]) if m[1] else (m[4], m[3])
                found[uid.decode()] = set(flags.decode().split())
            return found
        finally:
            client.logout()


def _dovecot(mode: str):
    import tempfile
    # not under tmp_path: pytest's folder is private to root, and Dovecot's processes run as other users
    folder = Path(tempfile.mkdtemp(prefix=f"roundup-dovecot-{mode}-"))
    folder.chmod(0o755)
    server = Dovecot(folder, mode)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def dovecot():
    """A real IMAP server (Dovecot) on 127.0.0.1, no TLS; user `ann`, an empty INBOX."""
    yield from _dovecot("plain")


@pytest.fixture
def dovecot_tls():
    """Dovecot speaking TLS from the first byte (IMAPS), with a self-signed certificate for 127.0.0.1 (`.cert`)."""
    yield from _dovecot("tls")


@pytest.fixture
def dovecot_starttls():
    """Dovecot on a plain port that requires STARTTLS before a login (self-signed certificate, `.cert`)."""
    yield from _dovecot("starttls")
