"""`roundup serve`: the drafts build kept in memory, served with live reload, rebuilt on every change."""

from __future__ import annotations

import html
import ipaddress
import json
import mimetypes
import queue
import re
import signal
import threading
import time
import webbrowser
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileCreatedEvent,
                             FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileSystemEventHandler)
from watchdog.observers import Observer

from roundup import rows
from roundup.build import assemble
from roundup.cache import Cache
from roundup.errors import Problems, RoundupError
from roundup.theme import package_theme
from roundup.validate import load_config
from roundup.words import count
from roundup.write import Output

EVENTS = "/__roundup/events"
DEBOUNCE = 0.04
"""Seconds of quiet before a burst of changes (an editor's atomic save) is rebuilt once."""
WRITES = (FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
          DirCreatedEvent, DirDeletedEvent, DirMovedEvent)
"""Only events that change something: watchdog also reports every read of a file."""

WORKER = "/__roundup/worker.js"
INPUTS = ("site.yml", "contributors", "posts", "themes")
"""What is watched in the site folder; anything else (logs, output, staging folders) is not an input."""

RELOAD_SCRIPT = """<script>(function(){
var served=%(generation)d;
function show(state){
  document.documentElement.dataset.roundupLive="1";
  if(state.generation>served){location.reload();return;}
  var o=document.getElementById("roundup-error-overlay");
  if(!state.errors){if(o)o.remove();return;}
  if(!o){o=document.createElement("div");o.id="roundup-error-overlay";o.setAttribute("role","alert");
    o.style.cssText="position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;z-index:2147483647;"
    +"background:#450a0a;color:#fff;font:14px/1.5 ui-monospace,monospace;padding:1rem 1.25rem;white-space:pre-wrap";
    document.body.appendChild(o);}
  o.textContent="roundup could not build your last change (this page shows the last good build):\\n\\n"
    +state.errors.join("\\n");
}
if(window.SharedWorker){var w=new SharedWorker("%(worker)s");w.port.onmessage=function(e){show(e.data);};w.port.start();}
else{new EventSource("%(events)s").addEventListener("state",function(e){show(JSON.parse(e.data));});}
})();</script>
"""

WORKER_SCRIPT = b"""// One connection to roundup serve, shared by every open tab (browsers allow few per host).
var ports=[], last=null, es=new EventSource("%s");
es.addEventListener("state", function(e){ last=JSON.parse(e.data); ports.forEach(function(p){p.postMessage(last);}); });
onconnect=function(e){ var p=e.ports[0]; ports.push(p); if(last) p.postMessage(last); };
""" % EVENTS.encode()


@dataclass(slots=True)
class Live:
    """The build being served; replaced whole by each successful rebuild."""

    output: Output | None = None
    generation: int = 0
    errors: list[str] | None = None
    stopping: bool = False

    def state(self) -> dict:
        """What open pages need: which build is current, and the problems when the last change failed."""
        return {"generation": self.generation, "errors": self.errors}


class Server:
    """Holds the live build, rebuilds it from change batches, and tells open pages."""

    def __init__(self, root: Path, base_path: str, host: str = "127.0.0.1"):
        self.root = root
        self.base_path = base_path
        self.host = host
        """The address (or name) it listens on: requests must name it in their `Host` header."""
        self.live = Live()
        self.changed = threading.Condition()
        self.queue: queue.Queue[str] = queue.Queue()
        self.cache = Cache(root=root.resolve(), enabled=False)
        """What rebuilds read and made (never saved here). Nothing is taken from the published output, which is
        not a drafts build: serve starts from what builds kept in the site's index (see `rows`)."""
        self.plan: rows.Plan | None = None
        """The last good rebuild's: what each post folder was read with."""

    def rebuild(self, reason: str, paths: list[str] | None = None) -> None:
        """Build again after a batch of changed `paths` (None: look at every input)."""
        started = time.perf_counter()
        unchanged = self.unchanged_posts(paths) if self.live.errors is None else None
        try:
            plan = rows.plan(self.root.resolve(), True, unchanged, listed=self.plan.folders if unchanged else None,
                             previous=self.plan)
            _, statuses, output = assemble(plan, self.cache, previous=self.live.output, later=True)
            plan.record(statuses, self.cache.views)
        except RoundupError as exc:
            with self.changed:
                self.live.errors = exc.lines()
                self.changed.notify_all()
            print(f"{reason}: build failed, still serving the last good build:", flush=True)
            print("\n".join(f"  {line}" for line in exc.lines()), flush=True)
            return
        self.plan = plan
        with self.changed:
            self.live.output, self.live.errors = output, None
            self.live.generation += 1
            self.changed.notify_all()
        seconds = time.perf_counter() - started
        print(f"{reason}: rebuilt {count(len(output), 'file')} in {seconds:.2f} s", flush=True)

    def unchanged_posts(self, paths: list[str] | None) -> dict[str, tuple] | None:
        """The signature each post was last read with, for the posts the watcher saw no change in: those
        are not looked at again. None when a post folder itself came or went, or there is no last read."""
        touched = set()
        for path in paths or ["posts"]:
            parts = path.split("/")
            if parts[0] == "posts" and len(parts) < 3:
                return None
            if parts[0] == "posts":
                touched.add(parts[1])
        if self.plan is None:
            return None
        return {slug: signature for slug, signature in self.plan.folders.items() if slug not in touched}

    def batches(self):
        """Change batches: the first change, then everything that follows within DEBOUNCE seconds."""
        while not self.live.stopping:
            try:
                first = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            paths = {first}
            while True:
                try:
                    paths.add(self.queue.get(timeout=DEBOUNCE))
                except queue.Empty:
                    break
            yield sorted(paths)

    def build_loop(self) -> None:
        for paths in self.batches():
            shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            self.rebuild(f"changed {shown}", paths)

    def stop(self) -> None:
        with self.changed:
            self.live.stopping = True
            self.changed.notify_all()


class _Watch(FileSystemEventHandler):
    """Queues changed inputs: site.yml, contributors/, posts/, themes/ (and the shipped theme in a checkout)."""

    def __init__(self, server: Server, root: Path, observer: Observer):
        self.server, self.root, self.observer = server, root, observer
        self.watched: set[Path] = set()

    def start(self, extra: list[Path]) -> None:
        # site.yml, and inputs created later; only writes are asked of the kernel: reads (a build reads every
        # input) would flood a large site's inotify queue
        self.observer.schedule(self, str(self.root), recursive=False, event_filter=list(WRITES))
        for folder in [self.root / name for name in INPUTS[1:]] + extra:
            self._watch(folder)
        self.observer.start()

    def _watch(self, folder: Path) -> None:
        if folder.is_dir() and folder not in self.watched:
            self.watched.add(folder)
            self.observer.schedule(self, str(folder), recursive=True, event_filter=list(WRITES))

    def on_any_event(self, event) -> None:
        if not isinstance(event, WRITES):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = Path(raw) if raw else None
            if path is None or not self._relevant(path) or (not event.is_directory and scratch(path.name)):
                continue
            if isinstance(event, DirCreatedEvent) and path.parent == self.root:
                self._watch(path)
            self.server.queue.put(self._name(path))

    def _relevant(self, path: Path) -> bool:
        try:
            parts = path.relative_to(self.root).parts
            if not parts or parts[0] not in INPUTS:
                return False
        except ValueError:
            parts = path.parts[-3:]  # the shipped theme, outside the site
        return not any(p.startswith(".") or p.endswith("~") or p == "__pycache__" for p in parts)

    def _name(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
"""The names of this machine a browser may use for a server listening on a loopback address."""
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::([0-9]{1,5}))?")


def host_allowed(header: str | None, host: str, port: int) -> bool:
    """Whether a request's `Host` header names this server: the `--host` it listens on (with a loopback address,
    also localhost, 127.0.0.1 and [::1]; listening on every address, also any IP address), and its port. Any
    other name is a page elsewhere reaching this server through DNS rebinding (its name made to point here)."""
    m = _HOST.fullmatch(header or "")
    if m is None or int(m[2] or 80) != port:
        return False
    name, wanted = m[1].lower(), _bracketed(host.lower())
    listening = _ip(wanted)
    everywhere = wanted == "" or (listening is not None and listening.is_unspecified)
    loopback = wanted == "localhost" or (listening is not None and listening.is_loopback)
    return (name == wanted or (name in LOOPBACK and (loopback or everywhere))
            or (everywhere and _ip(name) is not None))  # rebinding needs a name: an IP address is no page's


def _bracketed(host: str) -> str:
    """An IPv6 address as a Host header writes it: [::1]."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return None


_SCRATCH = re.compile(r"#.*#|sed[A-Za-z0-9]{6}|[0-9]+|.*\.sw[a-p]")


def scratch(name: str) -> bool:
    """An editor's temporary file, not an input: `sed -i`'s sedXXXXXX, vim's swap files and its 4913 probe,
    emacs's #autosave# and .#lock, backups ending in ~, and any hidden file."""
    return name.startswith(".") or name.endswith("~") or bool(_SCRATCH.fullmatch(name))


def handler_for(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the rebuild lines are the useful output
            pass

        def parse_request(self) -> bool:
            """Refuse (403, plain text, nothing of the site) a request for any other name than this server's."""
            if not super().parse_request():
                return False
            hosts = self.headers.get_all("Host") or []
            if len(hosts) == 1 and host_allowed(hosts[0], server.host, self.server.server_address[1]):
                return True
            where = f"http://{_bracketed(server.host)}:{self.server.server_address[1]}/"
            self.close_connection = True
            body = (f"Forbidden: roundup serve answers only requests for {where}; this one named another host "
                    "(as a page on another site can). Open the site at that address.\n").encode()
            self.send_response(403)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return False

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == EVENTS:
                return self.events()
            if url.path == WORKER:
                return self.send(200, "text/javascript; charset=utf-8", WORKER_SCRIPT, 0)
            with server.changed:
                output, generation = server.live.output, server.live.generation
            self.page(unquote(url.path), output, generation)

        def page(self, path: str, output: Output | None, generation: int) -> None:
            if server.base_path != "/" and path.startswith(server.base_path):
                path = "/" + path[len(server.base_path):]
            key = path.lstrip("/")
            if key == "" or key.endswith("/"):
                key += "index.html"
            if output is None:
                return self.send(503, "text/html", b"<!doctype html><title>roundup</title><body><p>No build yet: "
                                 b"fix the problems below.</p></body>", generation)
            if key not in output.files and f"{key}/index.html" in output.files:
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.end_headers()
                return None
            status = 200 if key in output.files else 404
            key = key if status == 200 else "404.html"
            try:
                data = output.bytes_of(key) if key in output.files else b"Not found"
            except RoundupError as exc:  # a page rendered on this request, whose template failed on it
                lines = "\n".join(exc.lines())
                return self.send(500, "text/html; charset=utf-8", b"<!doctype html><title>roundup</title><pre>"
                                 + html.escape(lines).encode() + b"</pre>", generation)
            return self.send(status, _content_type(key), data, generation)

        def send(self, status: int, content_type: str, data: bytes, generation: int) -> None:
            if content_type.startswith("text/html"):
                data = _inject(data, generation)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def events(self) -> None:
            """Server-Sent Events: the build's state now, then again whenever it changes."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sent = None
            try:
                while True:
                    with server.changed:
                        server.changed.wait_for(lambda: server.live.stopping or sent != server.live.state(),
                                                timeout=15)
                        if server.live.stopping:
                            return
                        state = server.live.state()
                    if state != sent:
                        self.wfile.write(f"event: state\ndata: {json.dumps(state)}\n\n".encode())
                        sent = state
                    else:
                        self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


def _inject(html: bytes, generation: int) -> bytes:
    script = (RELOAD_SCRIPT % {"events": EVENTS, "worker": WORKER, "generation": generation}).encode()
    at = html.rfind(b"</body>")
    return html[:at] + script + html[at:] if at >= 0 else html + script


def _content_type(key: str) -> str:
    kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(("xml", "javascript")) else kind


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> int:
    """Serve until Ctrl-C (or SIGTERM); returns the exit code."""
    root = root.resolve()
    problems = Problems()
    config = load_config(root, problems)
    problems.raise_if_any()
    server = Server(root, urlsplit(config.base_url).path or "/", host)
    server.rebuild("initial build")
    try:
        httpd = ThreadingHTTPServer((host, port), handler_for(server))
    except OSError as exc:
        raise RoundupError(f"cannot serve on {host}:{port}: {exc.strerror or exc}; try --port") from None
    httpd.daemon_threads = True
    observer = Observer()
    shipped = package_theme()
    in_checkout = root not in shipped.parents and "site-packages" not in shipped.parts
    _Watch(server, root, observer).start([shipped] if in_checkout else [])
    builder = threading.Thread(target=server.build_loop, name="roundup-builder", daemon=True)
    builder.start()
    url = f"http://{_bracketed(host)}:{httpd.server_address[1]}/"
    print(f"Serving {root.name} with drafts at {url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        webbrowser.open(url)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        observer.stop()
        observer.join(timeout=1)
        builder.join(timeout=1)
        httpd.server_close()
    print("Stopped.", flush=True)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
