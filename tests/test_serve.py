"""`roundup serve`: the real command as a subprocess, a real Chromium on the pages it serves, and
real edits on disk. The page must follow the files by itself: new words appear, a broken input
shows an error overlay over the last good build, and the overlay goes away once the file is fixed."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin

import pytest

from conftest import Site, free_port, tree_bytes

READY_TIMEOUT = 20.0
"""Seconds the server may take to build and print its URL."""
RELOAD_TIMEOUT = 10_000
"""Milliseconds an open page may take to follow a change on disk."""

# Collects alerts instead of showing them.
INIT_SCRIPT = """
window.__alerts = []; window.alert = (m) => window.__alerts.push(String(m));
"""
LIVE_JS = "() => document.documentElement.dataset.roundupLive === '1'"
"""The injected script marks the page once the server's first state arrived (through the shared worker)."""
OVERLAY = "#roundup-error-overlay"


# ---- the server as a subprocess ---------------------------------------------------------------

def _ctrl_c_heard() -> None:
    """In the server's process: Ctrl-C (SIGINT) does what it does at a terminal, even when the suite itself was
    started in the background (`cmd &`), whose children inherit SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Serve:
    """One `roundup serve` subprocess; stdout and stderr are read continuously by threads."""

    def __init__(self, root: Path, port: int, *extra: str, cwd: Path | None = None):
        self.root, self.port = root, port
        self.host = extra[extra.index("--host") + 1] if "--host" in extra else "127.0.0.1"
        """Where it says it serves (`--host`); requests are still made to 127.0.0.1."""
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        env.pop("PYTHONUNBUFFERED", None)  # the server must flush by itself
        env.pop("ROUNDUP_SECRET", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "roundup", "serve", "--port", str(port), *extra],
            cwd=cwd or root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            env=env, preexec_fn=_ctrl_c_heard)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")

    def output(self) -> str:
        """What the server printed so far (very long lines shortened) for failure messages."""
        def shown(lines: list[str]) -> str:
            return "\n".join(line if len(line) < 400 else line[:400] + " [...]" for line in lines)
        return "--- stdout ---\n" + shown(self.out) + "\n--- stderr ---\n" + shown(self.err)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> "Serve":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(self.base in line for line in self.out):
                return self
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the readers catch the last lines
                pytest.fail(f"roundup serve exited with {self.proc.returncode} before it was ready:\n"
                            + self.output())
            time.sleep(0.05)
        pytest.fail(f"roundup serve did not print {self.base} within {timeout} s:\n" + self.output())

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        pytest.fail(f"timed out after {timeout} s waiting for {what}:\n" + self.output())

    def request(self, path: str, method: str = "GET", host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        """One raw request (the path is sent exactly as given); status, headers (lower-case), body. `host`: the
        `Host` header to send instead of 127.0.0.1:<port> ("" sends none)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            if host is None:
                conn.request(method, path)
            else:
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                if host:
                    conn.putheader("Host", host)
                conn.endheaders()
            response = conn.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders()}
            if headers.get("content-type") == "text/event-stream":  # never ends: what has come so far
                return response.status, headers, response.read1(65536)
            return response.status, headers, response.read()
        finally:
            conn.close()

    def get(self, path: str, follow: int = 3) -> tuple[int, dict[str, str], bytes, str]:
        """GET following redirects on this server; also returns the final path."""
        path = "/" + path.lstrip("/") if not path.startswith("/") else path
        for _ in range(follow + 1):
            status, headers, body = self.request(path)
            if status in (301, 302, 303, 307, 308) and "location" in headers:
                location = headers["location"]
                path = location[len(self.base) - 1:] if location.startswith(self.base) else location
                assert path.startswith("/"), f"redirect off the server: {location}"
                continue
            return status, headers, body, path
        pytest.fail(f"too many redirects for {path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for reader in self._readers:
            reader.join(2)


@pytest.fixture
def start_server():
    """start_server(site, *extra_args) -> a ready Serve on a free port; always stopped afterwards."""
    started: list[Serve] = []

    def start(site: Site, *extra: str, port: int | None = None, cwd: Path | None = None,
              wait: bool = True) -> Serve:
        server = Serve(site.root, port or free_port(), *extra, cwd=cwd)
        started.append(server)
        return server.wait_ready() if wait else server

    yield start
    for server in started:
        server.stop()


# ---- the browser ------------------------------------------------------------------------------

@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.add_init_script(INIT_SCRIPT)
    yield ctx
    ctx.close()


def open_live(context, url: str):
    """A new tab on `url`, returned once its live-reload connection is open."""
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.wait_for_function(LIVE_JS, timeout=RELOAD_TIMEOUT)
    return page


def wait_for_text(page, selector: str, words: str, timeout: int = RELOAD_TIMEOUT) -> None:
    """Wait until the element's text contains `words` (the page reloads by itself meanwhile)."""
    try:
        page.wait_for_function(
            "([sel, words]) => { const e = document.querySelector(sel);"
            " return !!e && e.innerText.includes(words); }", arg=[selector, words], timeout=timeout)
    except Exception as exc:
        now = page.evaluate("(sel) => (document.querySelector(sel) || {}).innerText || null", selector)
        raise AssertionError(f"{selector} never showed {words!r}; it shows {now!r}") from exc


def overlay_hidden(page, timeout: int = RELOAD_TIMEOUT) -> None:
    page.wait_for_selector(OVERLAY, state="hidden", timeout=timeout)  # hidden includes detached


# ---- the site ----------------------------------------------------------------------------------

ZOE_WORDS = "Partnerships last when both sides keep showing up."
SAM_WORDS = "Credit links are how a small blog gets found."


def write_zoe(site: Site, name: str = "Zoë Ångström") -> None:
    site.contributor("zoe", name=name, handle="@zoe", url="https://zoe.example/",
                     bio="Writes about *craft*.", email="zoe@private.example")


@pytest.fixture
def post_site(site: Site) -> Site:
    """A post with two voices, never approved: serve shows it anyway (it builds with drafts)."""
    write_zoe(site)
    site.contributor("sam", name="Sam Example", url="https://sam.example/", email="sam@private.example")
    site.quote("alpha", "zoe", ZOE_WORDS + "\n", prompt="What makes a partnership last?")
    site.quote("alpha", "sam", SAM_WORDS + "\n")
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["partnerships", "café"])
    return site


def atomic_write(path: Path, text: str) -> None:
    """How editors save: a temporary file beside it, then a rename over it."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)


# ---- 1. edits show up in the open page by themselves --------------------------------------------

@pytest.mark.parametrize("save", ["in place", "atomic rename"])
def test_editing_a_quote_reloads_the_open_page_with_the_new_words(post_site, start_server, context, save):
    server = start_server(post_site)
    page = open_live(context, server.url("posts/alpha/"))
    assert ZOE_WORDS in page.inner_text("#voice-zoe")
    assert "Draft" in page.inner_text("body")  # unapproved: shown because serve builds with drafts
    lines_before = len(server.out)

    new_words = "Freshly edited words about showing up every week."
    path = post_site.root / "posts/alpha/quotes/zoe.md"
    text = path.read_text(encoding="utf-8").replace(ZOE_WORDS, new_words)
    if save == "in place":
        path.write_text(text, encoding="utf-8")
    else:
        atomic_write(path, text)

    wait_for_text(page, "#voice-zoe", new_words)
    assert ZOE_WORDS not in page.inner_text("body")
    assert SAM_WORDS in page.inner_text("#voice-sam")
    server.wait_for(lambda: len(server.out) > lines_before, 5, "a line on stdout for the rebuild")


def test_editing_the_post_and_a_profile_reloads_too(post_site, start_server, context):
    server = start_server(post_site)
    page = open_live(context, server.url("posts/alpha/"))
    write_zoe(post_site, name="Zoë Renamed")
    wait_for_text(page, "#voice-zoe", "Zoë Renamed")
    post_site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], tags=["partnerships"],
                   body="A brand new introduction by the editor.\n\n<!-- voices -->\n")
    wait_for_text(page, "body", "A brand new introduction by the editor.")


def test_every_open_page_reloads(post_site, start_server, context):
    server = start_server(post_site)
    post = open_live(context, server.url("posts/alpha/"))
    person = open_live(context, server.url("contributors/zoe/"))
    assert "Zoë Ångström" in person.inner_text("body")
    write_zoe(post_site, name="Zoë Everywhere")
    wait_for_text(post, "#voice-zoe", "Zoë Everywhere")
    wait_for_text(person, "body", "Zoë Everywhere")


# ---- 2. a broken input: overlay over the last good build, gone once fixed -------------------------

def test_broken_profile_shows_an_overlay_over_the_last_good_build_until_fixed(post_site, start_server, context):
    server = start_server(post_site)
    post = open_live(context, server.url("posts/alpha/"))
    home = open_live(context, server.url(""))
    good_profile = post_site.read("contributors/zoe.yml")

    post_site.write("contributors/zoe.yml", "name: [unclosed\nhandle: '@zoe'\n")
    for page in (post, home):
        overlay = page.wait_for_selector(OVERLAY, state="visible", timeout=RELOAD_TIMEOUT)
        text = overlay.inner_text()
        assert re.search(r"contributors/zoe\.yml:\d+: ", text), text
    # the last good build is still underneath, and still what the server sends
    assert ZOE_WORDS in post.inner_text("#voice-zoe")
    assert "Zoë Ångström" in post.inner_text("#voice-zoe")
    status, _, body, _ = server.get("/posts/alpha/")
    assert status == 200 and ZOE_WORDS in body.decode("utf-8") and "Zoë Ångström" in body.decode("utf-8")
    assert server.proc.poll() is None

    post_site.write("contributors/zoe.yml", good_profile.replace("Zoë Ångström", "Zoë Fixed"))
    for page in (post, home):
        overlay_hidden(page)
    wait_for_text(post, "#voice-zoe", "Zoë Fixed")
    time.sleep(0.5)  # it does not come back
    assert not post.is_visible(OVERLAY) and not home.is_visible(OVERLAY)
    assert post.evaluate("window.__alerts") == []


def test_a_page_opened_while_the_site_is_broken_shows_the_error_too(post_site, start_server, context):
    server = start_server(post_site)
    first = open_live(context, server.url("posts/alpha/"))
    post_site.write("contributors/zoe.yml", "name: [unclosed\n")
    first.wait_for_selector(OVERLAY, state="visible", timeout=RELOAD_TIMEOUT)

    later = context.new_page()  # a new tab, or the editor pressing reload
    later.goto(server.url("posts/alpha/"), wait_until="load")
    overlay = later.wait_for_selector(OVERLAY, state="visible", timeout=RELOAD_TIMEOUT)
    assert "contributors/zoe.yml" in overlay.inner_text()
    assert ZOE_WORDS in later.inner_text("#voice-zoe")

    write_zoe(post_site)
    overlay_hidden(later)
    overlay_hidden(first)


def test_the_overlay_follows_the_current_problems(post_site, start_server, context):
    server = start_server(post_site)
    page = open_live(context, server.url("posts/alpha/"))
    post_site.write("contributors/zoe.yml", "name: [unclosed\n")
    wait_for_text(page, OVERLAY, "contributors/zoe.yml")
    post_site.write("contributors/sam.yml", "name: {unclosed\n")
    wait_for_text(page, OVERLAY, "contributors/sam.yml")
    assert "contributors/zoe.yml" in page.inner_text(OVERLAY)
    write_zoe(post_site)  # one fixed, one still broken: the overlay stays and names only sam
    page.wait_for_function(
        "(sel) => { const e = document.querySelector(sel);"
        " return !!e && !e.innerText.includes('contributors/zoe.yml'); }", arg=OVERLAY, timeout=RELOAD_TIMEOUT)
    assert "contributors/sam.yml" in page.inner_text(OVERLAY)
    post_site.contributor("sam", name="Sam Example")
    overlay_hidden(page)


def test_the_overlay_shows_markup_in_problems_as_text(post_site, start_server, context):
    """Problem lines quote file names and input; the overlay must not turn them into HTML."""
    server = start_server(post_site)
    page = open_live(context, server.url("posts/alpha/"))
    evil = "<img src=x onerror=alert(1)>"
    post_site.write(f"posts/alpha/quotes/{evil}.md", "Hello.\n")
    wait_for_text(page, OVERLAY, evil)
    assert page.evaluate("(sel) => document.querySelector(sel).querySelectorAll('img').length", OVERLAY) == 0
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.evaluate("window.__alerts") == []


# ---- 3. new voices and removed voices --------------------------------------------------------------

def test_a_new_voice_appears_on_the_open_page_without_restarting(post_site, start_server, context):
    server = start_server(post_site)
    page = open_live(context, server.url("posts/alpha/"))
    assert page.query_selector("#voice-kim") is None

    post_site.contributor("kim", name="Kim Newcomer", handle="@kim", url="https://kim.example/",
                          links={"Blog": "https://kim.example/blog/"}, bio="New here.")
    post_site.quote("alpha", "kim", "Kim's brand-new voice, written just now.\n")
    post_site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam", "kim"], tags=["partnerships", "café"])

    wait_for_text(page, "#voice-kim", "Kim's brand-new voice, written just now.")
    kim = page.inner_text("#voice-kim")
    assert "Kim Newcomer" in kim and "@kim" in kim
    ids = page.evaluate("() => [...document.querySelectorAll('[id^=voice-]')].map(e => e.id)")
    assert [i for i in ids if i in ("voice-zoe", "voice-sam", "voice-kim")] == ["voice-zoe", "voice-sam", "voice-kim"]
    overlay_hidden(page)
    assert server.proc.poll() is None
    status, _, body, _ = server.get("/contributors/kim/")
    assert status == 200 and "Kim Newcomer" in body.decode("utf-8")


def test_a_removed_voice_disappears_from_the_open_page(post_site, start_server, context):
    server = start_server(post_site)
    page = open_live(context, server.url("posts/alpha/"))
    post_site.post("alpha", title="Alpha Roundup", voices=["zoe"], tags=["partnerships", "café"])
    (post_site.root / "posts/alpha/quotes/sam.md").unlink()
    page.wait_for_function("() => !document.querySelector('#voice-sam')", timeout=RELOAD_TIMEOUT)
    assert ZOE_WORDS in page.inner_text("#voice-zoe")
    overlay_hidden(page)


def test_a_new_post_appears_on_the_open_home_page(post_site, start_server, context):
    server = start_server(post_site)
    home = open_live(context, server.url(""))
    post_site.add_post("beta", ["sam"], title="Beta Roundup Arrives", date=dt.date(2026, 4, 1))
    wait_for_text(home, "body", "Beta Roundup Arrives")


# ---- 4. Ctrl-C ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("with_open_page", [False, True], ids=["idle", "with-open-page"])
def test_sigint_exits_0_quickly_without_traceback_and_frees_the_port(post_site, start_server, context,
                                                                   with_open_page):
    server = start_server(post_site)
    if with_open_page:  # a tab holding its live-reload connection open
        page = open_live(context, server.url("posts/alpha/"))
        assert ZOE_WORDS in page.inner_text("body")
    server.proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    try:
        code = server.proc.wait(2.0)
    except subprocess.TimeoutExpired:
        pytest.fail("roundup serve still running 2 s after SIGINT:\n" + server.output())
    took = time.monotonic() - started
    for reader in server._readers:
        reader.join(2)
    assert code == 0, f"exit code {code} after {took:.2f} s:\n" + server.output()
    assert "Traceback" not in "\n".join(server.err), server.output()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as any server (and serve) would
        sock.bind(("127.0.0.1", server.port))
        sock.listen()


def test_serve_starts_again_on_the_same_port_after_sigint(post_site, start_server, context):
    server = start_server(post_site)
    open_live(context, server.url("posts/alpha/"))
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(2.0) == 0
    again = start_server(post_site, port=server.port)
    status, _, body, _ = again.get("/posts/alpha/")
    assert status == 200 and ZOE_WORDS in body.decode("utf-8")


def test_a_busy_port_is_a_clear_error(post_site, start_server):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = start_server(post_site, port=port, wait=False)
        try:
            code = server.proc.wait(READY_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail("serve kept running on a port that is taken:\n" + server.output())
    for reader in server._readers:
        reader.join(2)
    assert code != 0
    stderr = "\n".join(server.err)
    assert str(port) in stderr and "Traceback" not in stderr, server.output()


# ---- 5. in memory only; the injected script is never on disk ----------------------------------------------

def strip_injected(html: str) -> str:
    """The page without roundup serve's own <script> blocks, whitespace normalised."""
    html = re.sub(r"<script\b[^>]*>(?:(?!</script>).)*__roundup(?:(?!</script>).)*</script>", "", html,
                  flags=re.S)
    return re.sub(r"\s+", " ", html).strip()


def test_serve_writes_nothing_and_injects_its_script_only_into_served_html(post_site, start_server, context):
    before = set(tree_bytes(post_site.root))
    server = start_server(post_site)
    page = open_live(context, server.url("posts/alpha/"))
    new_words = "Words edited while serving."
    post_site.quote("alpha", "zoe", new_words + "\n")
    wait_for_text(page, "#voice-zoe", new_words)

    served = {}
    for path in ("/", "/posts/alpha/", "/contributors/", "/contributors/zoe/"):
        status, headers, body, _ = server.get(path)
        assert status == 200, path
        assert headers["content-type"].startswith("text/html"), (path, headers)
        text = body.decode("utf-8")
        assert re.search(r"<script\b[^>]*>(?:(?!</script>).)*/__roundup/events", text, re.S), path
        served[path] = text
    for path, kind in (("/static/style.css", "text/css"), ("/feed.xml", "xml"), ("/sitemap.xml", "xml")):
        status, headers, body, _ = server.get(path)
        assert status == 200 and kind in headers["content-type"], (path, headers)
        assert b"__roundup" not in body, path

    assert not (post_site.root / "_site").exists()
    assert not (post_site.root / "_previews").exists()
    after = {p for p in tree_bytes(post_site.root) if not p.startswith(".roundup/")}
    assert after == before, f"serve wrote {sorted(after - before)}"

    server.stop()
    post_site.build("--drafts")
    built = post_site.output_files()
    assert built, "roundup build --drafts wrote nothing"
    on_disk = [name for name, data in built.items() if b"__roundup" in data]
    assert on_disk == [], f"the live-reload script reached the files on disk: {on_disk}"
    # what serve shows is exactly what build --drafts writes, apart from the injected script
    for path, name in (("/posts/alpha/", "posts/alpha/index.html"), ("/", "index.html")):
        assert strip_injected(served[path]) == strip_injected(built[name].decode("utf-8")), path


def test_a_build_into_the_output_folder_does_not_trigger_rebuilds(post_site, start_server):
    post_site.build("--drafts")
    server = start_server(post_site)
    time.sleep(1.0)
    idle = len(server.out)
    time.sleep(1.5)  # serve reads the whole site on each rebuild: reading must not start another
    assert len(server.out) == idle, "serve rebuilds without any change:\n" + server.output()
    snapshot = post_site.output_files()
    post_site.build("--drafts")  # the editor builds in another terminal
    post_site.write("_previews/zoe/alpha.html", "<p>preview</p>")
    post_site.write(".roundup/scratch", "x")
    time.sleep(1.5)
    assert len(server.out) == idle, "serve rebuilt for a change in _site/_previews/.roundup:\n" + server.output()
    assert post_site.output_files() == snapshot


def test_a_burst_of_changes_is_one_rebuild(post_site, start_server):
    server = start_server(post_site)
    time.sleep(0.5)
    before = len(server.out)
    for n in range(5):
        post_site.quote("alpha", "zoe", f"Burst edit number {n}.\n")
        time.sleep(0.01)
    server.wait_for(lambda: "Burst edit number 4" in server.get("/posts/alpha/")[2].decode("utf-8"), 10,
                    "the last edit of the burst to be served")
    time.sleep(1.0)
    rebuilds = server.out[before:]
    assert 1 <= len(rebuilds) <= 2, "a 50 ms burst of saves should rebuild once:\n" + server.output()


# ---- 6. paths --------------------------------------------------------------------------------------------

def test_a_missing_path_is_a_404_with_the_sites_404_page(post_site, start_server):
    server = start_server(post_site)
    server_404 = server.request("/posts/no-such-post/")
    status, headers, body = server_404
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    served = body.decode("utf-8")
    assert "__roundup" in served  # a served page: it reloads when the missing post is created
    server.stop()
    post_site.build("--drafts")
    disk = post_site.page("404.html")
    title = re.search(r"<title>(.*?)</title>", disk, re.S)[1]
    assert f"<title>{title}</title>" in served
    assert strip_injected(served) == strip_injected(disk)


def test_the_404_page_at_a_deep_path_is_styled_and_its_links_work(post_site, start_server, context):
    server = start_server(post_site)
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and
            not r.url.endswith("/no/such/deep/page/") else None)
    response = page.goto(server.url("no/such/deep/page/"), wait_until="load")
    assert response.status == 404
    assert failed == [], f"the 404 page's own resources failed: {failed}"
    sheets = page.evaluate("() => document.styleSheets.length")
    assert sheets >= 1
    for href in page.evaluate("() => [...document.querySelectorAll('main a')].map(a => a.href)"):
        assert href.startswith(server.base), href
        status, _, _, _ = server.get(href[len(server.base) - 1:])
        assert status == 200, href


def test_a_404_page_reloads_into_the_post_once_it_is_created(post_site, start_server, context):
    server = start_server(post_site)
    page = context.new_page()
    response = page.goto(server.url("posts/beta/"), wait_until="load")
    assert response.status == 404
    page.wait_for_function(LIVE_JS, timeout=RELOAD_TIMEOUT)
    post_site.add_post("beta", {"sam": "Sam's words for the beta post.\n"}, title="Beta Roundup")
    wait_for_text(page, "body", "Sam's words for the beta post.")


def test_every_link_on_the_served_pages_leads_somewhere(post_site, start_server):
    """Including a percent-encoded tag page (`café`) and the theme's static files."""
    server = start_server(post_site)
    seen: set[str] = set()
    todo = ["/"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        status, headers, body, final = server.get(path)
        assert status == 200, f"{path} -> {status}"
        if not headers["content-type"].startswith("text/html"):
            continue
        for ref in re.findall(r'(?:href|src)="([^"#?]*)', body.decode("utf-8")):
            if not ref or re.match(r"^[a-z][a-z0-9+.-]*:", ref) or ref.startswith("//"):
                continue
            target = urljoin(final, ref)
            if target.startswith("/") and "__roundup" not in target:
                todo.append(target)
    assert "/posts/alpha/" in seen and "/contributors/zoe/" in seen
    assert any(p.startswith("/tags/caf") and p != "/tags/" for p in seen), sorted(seen)


def test_a_directory_without_its_slash_redirects_to_it(post_site, start_server):
    server = start_server(post_site)
    status, headers, _ = server.request("/posts/alpha")
    assert status in (301, 302, 307, 308), status
    status, _, body, final = server.get("/posts/alpha")
    assert status == 200 and final == "/posts/alpha/" and ZOE_WORDS in body.decode("utf-8")
    status, _, body, _ = server.get("/posts/alpha/?utm_source=mail")
    assert status == 200 and ZOE_WORDS in body.decode("utf-8")
    status, _, body, _ = server.get("/posts/alpha/index.html")
    assert status == 200 and ZOE_WORDS in body.decode("utf-8")


@pytest.mark.parametrize("path", ["/site.yml", "/contributors/zoe.yml", "/posts/alpha/quotes/zoe.md",
                                  "/posts/alpha/post.md", "/../site.yml", "/%2e%2e/site.yml",
                                  "/static/../../site.yml", "/..%2f..%2fsite.yml", "/_site/index.html"])
def test_source_files_and_paths_outside_the_site_are_not_served(post_site, start_server, path):
    server = start_server(post_site)
    status, _, body = server.request(path)
    assert status in (400, 403, 404), f"{path} -> {status}"
    assert b"private.example" not in body and b"base_url" not in body


def test_site_option_from_another_folder(post_site, start_server, tmp_path):
    server = start_server(post_site, "--site", str(post_site.root), cwd=tmp_path)
    status, _, body, _ = server.get("/posts/alpha/")
    assert status == 200 and ZOE_WORDS in body.decode("utf-8")
    assert not (tmp_path / "_site").exists() and not (post_site.root / "_site").exists()


def test_a_site_broken_at_start_is_served_with_its_error_and_recovers(post_site, start_server, context):
    post_site.write("contributors/zoe.yml", "name: [unclosed\n")
    server = start_server(post_site)  # still starts: the editor fixes the file with serve running
    page = context.new_page()
    page.goto(server.url("posts/alpha/"), wait_until="load")
    overlay = page.wait_for_selector(OVERLAY, state="visible", timeout=RELOAD_TIMEOUT)
    assert re.search(r"contributors/zoe\.yml:\d+: ", overlay.inner_text()), overlay.inner_text()
    write_zoe(post_site)
    wait_for_text(page, "#voice-zoe", ZOE_WORDS)
    overlay_hidden(page)


def test_many_open_tabs_still_load_and_reload(post_site, start_server, context):
    """Browsers allow about six connections per host; each tab's live-reload stream must not use
    one up for good, or the seventh tab never loads."""
    server = start_server(post_site)
    paths = ["", "posts/alpha/", "contributors/", "contributors/zoe/", "contributors/sam/",
             "tags/partnerships/", "posts/alpha/", "", "contributors/"]
    pages = []
    for path in paths:
        page = context.new_page()
        try:
            page.goto(server.url(path), wait_until="load", timeout=5_000)
        except Exception as exc:
            pytest.fail(f"tab {len(pages) + 1} ({path or '/'}) did not load with {len(pages)} tabs open: {exc}")
        pages.append(page)
    write_zoe(post_site, name="Zoë In Every Tab")
    wait_for_text(pages[1], "#voice-zoe", "Zoë In Every Tab")
    wait_for_text(pages[-3], "#voice-zoe", "Zoë In Every Tab")


# ---- 7. only requests for this server's own name: no DNS rebinding ---------------------------------------

FOREIGN = "evil.example"
"""A page on another site whose name was made to point at 127.0.0.1 (DNS rebinding): the browser sends its name."""


def assert_refused(status: int, headers: dict[str, str], body: bytes, what: str) -> None:
    assert status == 403, f"{what} -> {status}: {body[:300]!r}"
    assert headers["content-type"].startswith("text/plain"), (what, headers)
    text = body.decode("utf-8")
    assert len(text) < 400 and "roundup serve answers only" in text, (what, text)
    for secret in (ZOE_WORDS, SAM_WORDS, "Zoë", "Alpha Roundup", "__roundup", "<"):
        assert secret not in text, (what, secret, text)


@pytest.mark.parametrize("path", ["/", "/posts/alpha/", "/contributors/zoe/", "/__roundup/events",
                                  "/__roundup/worker.js", "/feed.xml", "/no/such/page/"])
def test_a_request_for_another_host_name_is_refused_with_nothing_of_the_site(post_site, start_server, path):
    server = start_server(post_site)
    for name in (FOREIGN, f"127.0.0.1.{FOREIGN}", f"localhost.{FOREIGN}"):
        host = f"{name}:{server.port}"
        assert_refused(*server.request(path, host=host), f"{path} for {host}")
    status, _, body = server.request("/posts/alpha/")  # the server's own name still works
    assert status == 200 and ZOE_WORDS in body.decode("utf-8")


def test_the_draft_post_and_the_event_stream_are_refused_while_the_site_is_broken(post_site, start_server):
    """The overlay's problems quote inputs: a foreign page must not read them from the event stream either."""
    server = start_server(post_site)
    post_site.write("contributors/zoe.yml", "name: [unclosed SECRET-IN-A-PROBLEM\n")
    server.wait_for(lambda: any("build failed" in line for line in server.out), 10, "the failed rebuild")
    for path in ("/__roundup/events", "/posts/alpha/", "/posts/alpha/?draft"):
        status, headers, body = server.request(path, host=f"{FOREIGN}:{server.port}")
        assert_refused(status, headers, body, path)
        assert b"SECRET" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}"])
def test_the_loopback_names_with_the_port_are_served(post_site, start_server, host):
    server = start_server(post_site)
    status, _, body = server.request("/posts/alpha/", host=host.format(port=server.port))
    assert status == 200 and ZOE_WORDS in body.decode("utf-8")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:{other}", "localhost:{other}", "localhost.:{port}",
                                  "127.0.0.1:{port}:{port}", "", "{port}"])
def test_a_wrong_port_a_missing_port_or_no_host_at_all_is_refused(post_site, start_server, host):
    server = start_server(post_site)
    header = host.format(port=server.port, other=server.port + 1)
    assert_refused(*server.request("/posts/alpha/", host=header), repr(header))


def test_two_host_headers_are_refused(post_site, start_server):
    server = start_server(post_site)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", "/posts/alpha/", skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{server.port}")
        conn.putheader("Host", f"{FOREIGN}:{server.port}")
        conn.endheaders()
        response = conn.getresponse()
        assert_refused(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(), "two")
    finally:
        conn.close()


def test_with_host_the_name_given_is_served_and_others_refused(post_site, start_server, context):
    server = start_server(post_site, "--host", "localhost")
    page = open_live(context, server.url("posts/alpha/"))  # a real browser, at the printed address
    assert ZOE_WORDS in page.inner_text("#voice-zoe")
    write_zoe(post_site, name="Zoë Via Localhost")
    wait_for_text(page, "#voice-zoe", "Zoë Via Localhost")  # the event stream answers it too
    assert server.request("/posts/alpha/", host=f"localhost:{server.port}")[0] == 200
    assert_refused(*server.request("/posts/alpha/", host=f"{FOREIGN}:{server.port}"), FOREIGN)


def test_on_every_address_ip_addresses_are_served_and_names_refused(post_site, start_server):
    """`--host 0.0.0.0` (reached from another machine by its address): a rebinding page sends a name, never an IP."""
    server = start_server(post_site, "--host", "0.0.0.0")
    for host in (f"192.0.2.7:{server.port}", f"localhost:{server.port}", f"[2001:db8::7]:{server.port}"):
        status, _, body = server.request("/posts/alpha/", host=host)
        assert status == 200 and ZOE_WORDS in body.decode("utf-8"), host
    assert_refused(*server.request("/posts/alpha/", host=f"{FOREIGN}:{server.port}"), FOREIGN)
    assert_refused(*server.request("/__roundup/events", host=f"{FOREIGN}:{server.port}"), FOREIGN)
