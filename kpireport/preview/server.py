"""The preview's HTTP server: the standard library's threading server, serving one folder and
nothing else, read-only, to this machine by default.

Why the standard library: the preview serves a handful of static files to one person's browser
and holds one Server-Sent Events stream per open page; a thread each is plenty, and it adds no
dependency. What it refuses: any method but GET and HEAD (nothing changes state), a ``Host``
header that does not name the server (a DNS-rebinding page on another site), any path outside the
folder once resolved (``..``, a link pointing out, an encoded slash), folders (no listing), and
anything but a regular file. HTML pages get a small script, here and only here, that reloads
them when the reports are rebuilt; the files on disk stay script-free. A report page also gets a
link to its PDF, ``/pdf/NAME.pdf``, which the preview renders when it is first asked for: a GET
that fills a cache, so still nothing a request can change; any other name under ``/pdf/`` is 404.
"""

from __future__ import annotations

import html
import http.server
import ipaddress
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

EVENTS = "/__kpireport/events"
# /pdf/NAME.pdf: the PDF of a report page, rendered when it is asked for (see PreviewServer.pdf)
PDF = "/pdf/"
# At most this many pages listening for reloads: each holds a thread.
MAX_STREAMS = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

# Reloads the page when the server says the reports changed, keeping the scroll position.
RELOAD_SCRIPT = b"""<script>(function () {
  var key = "kpireport-scroll:" + location.pathname;
  var y = sessionStorage.getItem(key);
  if (y !== null) { sessionStorage.removeItem(key); window.scrollTo(0, parseFloat(y)); }
  var events = new EventSource("%s");
  events.addEventListener("reload", function () {
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  });
})();</script>
""" % EVENTS.encode()

# The link to a report page's PDF, added like the script: in a corner, above the page.
PDF_LINK_STYLE = (
    "position:fixed;top:12px;right:12px;z-index:1000;padding:6px 12px;border-radius:4px;"
    "background:#1F4E79;color:#fff;font:600 14px/1.2 system-ui,sans-serif;text-decoration:none"
)

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".csv": "text/csv; charset=utf-8",
}


class Reloads:
    """The count of rebuilds, which open pages wait on."""

    def __init__(self) -> None:
        self.generation = 0
        self.streams = 0
        self.closed = False
        self._changed = threading.Condition()

    def announce(self) -> None:
        """The reports changed: every open page reloads."""
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def open_stream(self) -> bool:
        """Count one more open page, unless ``MAX_STREAMS`` are open already (then False)."""
        with self._changed:
            if self.streams >= MAX_STREAMS:
                return False
            self.streams += 1
            return True

    def close_stream(self) -> None:
        """An open page went away."""
        with self._changed:
            self.streams -= 1

    def close(self) -> None:
        """The server stops: every open stream ends."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """The generation once it is past ``seen``, or ``seen`` after ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation > seen or self.closed, timeout)
            return self.generation


class PreviewServer(http.server.ThreadingHTTPServer):
    """Serves ``root`` (a folder made by the preview) on ``host``:``port``."""

    daemon_threads = True

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root.resolve()
        self.reloads = Reloads()
        # what "/" shows; and while the workbook has errors, the page every HTML path shows
        self.home: Path | None = None
        self.override: Path | None = None
        # the report pages that link to their PDF (resolved path: the PDF's name), the link's
        # label in the reports' language, and what renders a PDF by its name (None: not one)
        self.pdf_links: dict[Path, str] = {}
        self.pdf_label = "PDF"
        self.pdf: Callable[[str], Path | None] = lambda name: None
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def allowed_hosts(self) -> set[str]:
        """The Host headers a page of this server sends: its own address, and on a loopback
        address the loopback names, each with the port."""
        host = str(self.server_address[0])
        names = {f"[{host}]" if ":" in host else host}
        if ipaddress.ip_address(host).is_loopback:
            names.update(LOOPBACK_NAMES)
        return {f"{name}:{self.port}" for name in names}

    def server_close(self) -> None:
        self.reloads.close()
        super().server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "kpireport-preview"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the preview's own log says what was rebuilt."""

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _refuse(self, code: int, reason: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        data = f"{code} {reason}\n".encode()
        self.send_header("Content-Length", str(len(data)))
        if code == 405:
            self.send_header("Allow", "GET, HEAD")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # every other method: nothing on the server changes
    def _not_allowed(self) -> None:
        self._refuse(405, "Method Not Allowed")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def _serve(self, body: bool) -> None:
        if self.headers.get("Host", "") not in self.server.allowed_hosts():
            self._refuse(421, "Misdirected Request")
            return
        path = urlsplit(self.path).path
        if path == EVENTS:
            self._events()
            return
        if path.startswith(PDF):
            target: Path | None = self._pdf(path[len(PDF) :])
        elif path == "/" and self.server.home is not None:
            target = self.server.home
        else:
            target = self._file(path)
        if target is not None and target.suffix == ".html" and self.server.override is not None:
            target = self.server.override
        if target is None:
            self._refuse(404, "Not Found")
            return
        data = target.read_bytes()
        if target.suffix == ".html":
            links = self.server.pdf_links if self.server.override is None else {}
            pdf = links.get(target.resolve())  # "/" names the board pack unresolved
            data = _with_script(data, None if pdf is None else self._pdf_link(pdf))
        self.send_response(200)
        self.send_header("Content-Type", TYPES.get(target.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _file(self, path: str) -> Path | None:
        """The regular file in the folder that ``path`` names, or None."""
        name = unquote(path).lstrip("/") or "index.html"
        if "\0" in name or "\\" in name:
            return None
        target = (self.server.root / name).resolve()
        if not target.is_relative_to(self.server.root) or not target.is_file():
            return None
        return target

    def _pdf(self, name: str) -> Path | None:
        """The PDF ``name`` (as in the URL, not decoded): only one a page links to, rendered
        now or taken from the cache (a GET that fills a cache changes nothing a user sees)."""
        if name not in self.server.pdf_links.values():
            return None
        return self.server.pdf(name)

    def _pdf_link(self, name: str) -> bytes:
        label = html.escape(self.server.pdf_label)
        return (
            f'<a href="{PDF}{html.escape(name)}" title="{label}" aria-label="{label}" '
            f'style="{PDF_LINK_STYLE}">PDF</a>\n'
        ).encode()

    def _events(self) -> None:
        reloads = self.server.reloads
        if not reloads.open_stream():
            self._refuse(503, "Service Unavailable")
            return
        try:
            seen = reloads.generation  # before the page hears it is connected
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            while not reloads.closed:
                now = reloads.wait(seen, timeout=15)
                message = b"event: reload\ndata: \n\n" if now > seen else b": still here\n\n"
                seen = now
                self.wfile.write(message)
                self.wfile.flush()
        except OSError:
            pass  # the page went away
        finally:
            reloads.close_stream()


def _with_script(page: bytes, link: bytes | None = None) -> bytes:
    """``page`` with the reload script (and ``link``) before ``</body>`` (at the end without
    one)."""
    added = (link or b"") + RELOAD_SCRIPT
    at = page.rfind(b"</body>")
    return page + added if at < 0 else page[:at] + added + page[at:]
