"""The preview's web server on 127.0.0.1 (threads; the builds run in their own processes):

    /               the preview page (page.html, page.js)
    /__events       server-sent events: the state (below) whenever it changes, a comment every 15 s
    /__status       the state as JSON: {"build", "ok", "error", "editions", "last_good", "time", "pdf",
                    "busy", "shown", "visible", "version", "pages": [{"src", "w", "h", "unit", "fresh"}]}
    /__page/S.I.png PDF page I of source S as a PNG (``?w=`` pixels wide), rendered by PDFium
    /__look         POST {"unit": id}: the unit the page shows, laid out first after a change
    /html/…, /<slug>.pdf  the output folder (the last good build)
"""
from __future__ import annotations

import json
import re
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .engine import Preview

HERE = Path(__file__).resolve().parent


def page() -> str:
    """The preview's page: page.html on the press's one document skeleton (templates/document.html)."""
    import jinja2

    from ..writers.common import environment
    env = environment()
    env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(HERE)), env.loader])
    return env.get_template("page.html").render(lang="en")
PAGE_IMAGE = re.compile(r"^/__page/(\d+\.\d+)\.png$")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a page that went away mid-answer is no error
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Handler(SimpleHTTPRequestHandler):
    preview: Preview

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path in ("/", "/index.html"):
            return self._send(page().encode(), "text/html; charset=utf-8")
        if path == "/__preview.js":
            return self._send((HERE / "page.js").read_bytes(), "text/javascript; charset=utf-8")
        if path == "/__status":
            return self._send(json.dumps(self.preview.snapshot()).encode(), "application/json")
        if path == "/__events":
            return self._events()
        found = PAGE_IMAGE.match(path)
        if found:
            width = re.search(r"(?:^|&)w=(\d+)", query)
            png = self.preview.pages.png(found.group(1), int(width.group(1)) if width else 800)
            if png is None:
                return self.send_error(404, "that page is no longer shown")
            return self._send(png, "image/png", cache="max-age=3600, immutable")
        return super().do_GET()

    def do_POST(self):
        if self.path.partition("?")[0] != "/__look":
            return self.send_error(404)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            unit = json.loads(self.rfile.read(min(length, 4096)) or b"{}").get("unit")
        except (ValueError, AttributeError):
            return self.send_error(400, "expected {\"unit\": id}")
        self.preview.look(unit if isinstance(unit, str) else None)
        self.send_response(204)
        self.end_headers()

    def _events(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        version = None
        try:
            while not self.preview.closed:
                now = self.preview.wait(version if version is not None else -1, 15)
                if now == version:
                    self.wfile.write(b": still here\n\n")
                else:
                    version = now
                    self.wfile.write(f"data: {json.dumps(self.preview.snapshot())}\n\n".encode())
                self.wfile.flush()
        except (ConnectionError, TimeoutError):
            pass

    def _send(self, body: bytes, ctype: str, cache: str | None = None):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if cache:
            self.send_header("Cache-Control", cache)
        self.end_headers()
        self.wfile.write(body)

    def send_response(self, code, message=None):
        super().send_response(code, message)
        if code != 200 or not PAGE_IMAGE.match(self.path.partition("?")[0]):  # a page image never changes
            self.send_header("Cache-Control", "no-store")

    def log_message(self, fmt, *args):  # the terminal is for builds
        pass


def server(preview: Preview, port: int) -> Server:
    """A server on 127.0.0.1:port (a free port if that one is taken), running in a thread."""
    import threading
    preview.dist.mkdir(parents=True, exist_ok=True)
    factory = partial(type("PreviewHandler", (Handler,), {"preview": preview}), directory=str(preview.dist))
    try:
        httpd = Server(("127.0.0.1", port), factory)
    except OSError:
        httpd = Server(("127.0.0.1", 0), factory)
    threading.Thread(target=httpd.serve_forever, name="press-preview-server", daemon=True).start()
    return httpd
