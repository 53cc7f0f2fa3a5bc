"""``press preview``: build, watch the manuscript, styles and templates, rebuild, and serve.

Takes a manuscript folder (``-m``) and an output folder (``-d``). Builds once, then looks at the
watched folders every half second (modification time and size) and rebuilds, in this process, the
editions an edit touches: a chapter, ``book.yaml``, ``tokens.css``/``base.css`` or ``fonts.yaml``
all of them; ``print.css`` or a print template the PDF; ``html.css`` or an HTML template the HTML
edition; ``epub.css`` or an EPUB template the EPUB (when it is previewed); after a failed build, the
editions that failed are rebuilt with the next edit too. Serves on 127.0.0.1:

    /            the preview page: the build's state, links to the HTML edition, the current PDF
    /__status    JSON {"build": n, "ok": bool, "error": text, "editions": [...], "last_good": n, "time": …}
    /html/…      the HTML edition; /<slug>.pdf the PDF (everything else in the output folder)

The page asks /__status every second and reloads after each good build. A failed build prints its
``file:line: CODE message`` lines in the terminal and on the page; the output folder keeps the last
good build (builds are atomic), so the preview keeps showing it. ``--once`` builds, asks its own
server for /__status once, prints the JSON and exits (0 when the build was good, 1 otherwise).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import html
import json
import os
import sys
import threading
import time
import traceback
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .rules import ManuscriptError

EDITIONS = ("pdf", "epub", "html")
SKIP_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part")


def changed_editions(paths: set[Path], manuscript: Path, styles: Path, templates: Path) -> set[str]:
    """Which editions the changed files feed."""
    out: set[str] = set()
    for p in paths:
        if _under(p, styles):
            out |= {"html.css": {"html"}, "epub.css": {"epub"}, "print.css": {"pdf"},
                    "print-bleed.css": {"pdf"}}.get(p.name, set(EDITIONS))
        elif _under(p, templates):
            top = p.relative_to(templates).parts[0]
            out |= {"html": {"html"}, "print": {"pdf"}}.get(top, set())
            if top == "epub":  # the HTML edition shows the EPUB's cover too
                out |= {"epub", "html"} if p.name == "cover.svg" else {"epub"}
            elif top not in ("html", "print"):
                out |= set(EDITIONS)
        else:
            out |= set(EDITIONS)
    return out


def _under(p: Path, base: Path) -> bool:
    try:
        p.relative_to(base)
        return True
    except ValueError:
        return False


class Preview:
    """The watch-and-build state the server reports; ``poll()`` is one turn of the watch loop."""

    def __init__(self, manuscript: Path, dist: Path, editions: list[str]):
        from .writers.common import STYLES, TEMPLATES
        self.manuscript, self.dist = manuscript.resolve(), dist.resolve()
        self.styles, self.templates = STYLES.resolve(), TEMPLATES.resolve()
        self.editions = [e for e in EDITIONS if e in editions]
        self.lock = threading.Lock()
        self.failed: set[str] = set()  # editions whose last build failed: rebuilt with the next edit
        self.status = {"build": 0, "ok": False, "error": "", "editions": [], "last_good": 0, "time": None,
                       "pdf": None}
        self.seen = self.scan()

    def scan(self) -> dict[Path, tuple[int, int]]:
        seen = {}
        for base in (self.manuscript, self.styles, self.templates):
            for p in base.rglob("*"):
                if (p.name.startswith((".", "#")) or p.name.endswith(SKIP_SUFFIXES) or _under(p, self.dist)
                        or "__pycache__" in p.parts):
                    continue
                try:
                    st = p.stat()
                except OSError:
                    continue
                if not p.is_dir():
                    seen[p] = (st.st_mtime_ns, st.st_size)
        return seen

    def changes(self) -> set[Path]:
        now = self.scan()
        changed = {p for p in now.keys() | self.seen.keys() if now.get(p) != self.seen.get(p)}
        self.seen = now
        return changed

    def poll(self, settle: float = 0.2) -> bool:
        """Rebuild if something changed since the last look (waiting until edits settle)."""
        changed = self.changes()
        if not changed:
            return False
        while True:  # an editor may save several files at once
            time.sleep(settle)
            more = self.changes()
            if not more:
                break
            changed |= more
        wanted = (changed_editions(changed, self.manuscript, self.styles, self.templates) | self.failed) \
            & set(self.editions)
        names = ", ".join(sorted(_rel(p) for p in changed)[:5]) + (" …" if len(changed) > 5 else "")
        print(f"\npreview: changed {names}", flush=True)
        if wanted:
            self.build([e for e in EDITIONS if e in wanted])
        return True

    def build(self, editions: list[str] | None = None) -> bool:
        from .build import build
        editions = editions or self.editions
        ok, error = False, ""
        try:
            build(self.manuscript, self.dist, editions)
            ok = True
        except ManuscriptError as e:
            error = "\n".join(str(f) for f in e.findings)
        except KeyboardInterrupt:
            raise
        except Exception as e:  # a designer's template or style mistake must not stop the preview
            error = "".join(traceback.format_exception_only(type(e), e)).strip()
        self.failed = set() if ok else set(editions)
        if error:
            print(error, file=sys.stderr)
            print(f"preview: build failed; still serving the last good build from {self.dist}/", file=sys.stderr,
                  flush=True)
        pdf = self._pdf()
        with self.lock:
            n = self.status["build"] + 1
            self.status.update(build=n, ok=ok, error=error, editions=editions, pdf=pdf,
                               last_good=n if ok else self.status["last_good"],
                               time=_dt.datetime.now().isoformat(timespec="seconds"))
        return ok

    def _pdf(self) -> str | None:
        """The screen PDF in the output folder (the last good one), by the book's slug if it loads."""
        from .book import load_book
        try:
            names = [f"{load_book(self.manuscript).slug}.pdf"]
        except ManuscriptError:
            names = sorted(p.name for p in self.dist.glob("*.pdf") if not p.name.endswith("-print.pdf"))
        return next((n for n in names if (self.dist / n).is_file()), None)

    def snapshot(self) -> dict:
        with self.lock:
            return dict(self.status)


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview</title>
<style>
body {{ margin: 0; font: 15px/1.4 system-ui, sans-serif; display: flex; flex-direction: column; height: 100vh; }}
header {{ padding: .5rem 1rem; display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap;
  border-bottom: 1px solid #ccc; }}
#state.ok {{ color: #14632d; }} #state.error {{ color: #a00; font-weight: 600; }}
#error {{ margin: 0; padding: .75rem 1rem; background: #fde8e8; color: #600; white-space: pre-wrap;
  border-bottom: 1px solid #e0a0a0; max-height: 40vh; overflow: auto; }}
iframe {{ flex: 1; border: 0; width: 100%; }}
</style>
</head>
<body>
<header>
  <strong>Preview</strong>
  <span id="state" class="{cls}" role="status">{state}</span>
  <a href="/html/index.html">HTML edition</a>
  {pdf_link}
</header>
<pre id="error"{hidden}>{error}</pre>
{pdf_frame}
<script>
let seen = {build};
async function poll() {{
  try {{
    const s = await (await fetch("/__status", {{cache: "no-store"}})).json();
    if (s.build !== seen && s.ok) {{ location.reload(); return; }}
    const box = document.getElementById("error"), state = document.getElementById("state");
    box.hidden = s.ok; box.textContent = s.error;
    state.className = s.ok ? "ok" : "error";
    state.textContent = s.ok ? `build ${{s.build}} good (${{s.time}})`
                             : `build ${{s.build}} failed; showing the last good build`;
  }} catch (e) {{
    document.getElementById("state").textContent = "the preview is not running";
  }}
  setTimeout(poll, 1000);
}}
setTimeout(poll, 1000);
</script>
</body>
</html>
"""


def page(status: dict) -> str:
    pdf = status["pdf"]
    if status["ok"]:
        state = f"build {status['build']} good ({status['time']})"
    else:
        state = f"build {status['build']} failed; showing the last good build"
    src = f"/{html.escape(pdf)}?build={status['last_good']}" if pdf else ""
    return PAGE.format(cls="ok" if status["ok"] else "error", state=html.escape(state), build=status["build"],
                       error=html.escape(status["error"]), hidden="" if status["error"] else " hidden",
                       pdf_link=f'<a href="{src}">PDF</a>' if pdf else "<span>no PDF yet</span>",
                       pdf_frame=f'<iframe src="{src}" title="The PDF"></iframe>' if pdf else "")


class Handler(SimpleHTTPRequestHandler):
    preview: Preview

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            return self._send(page(self.preview.snapshot()).encode(), "text/html; charset=utf-8")
        if path == "/__status":
            return self._send(json.dumps(self.preview.snapshot()).encode(), "application/json")
        return super().do_GET()

    def _send(self, body: bytes, ctype: str):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, fmt, *args):  # the page polls every second; keep the terminal for builds
        pass


def server(preview: Preview, port: int) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:port (a free port if that one is taken), running in a thread."""
    from .serve import start
    preview.dist.mkdir(parents=True, exist_ok=True)
    return start(preview.dist, port, handler=type("PreviewHandler", (Handler,), {"preview": preview}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press preview", description=__doc__.split("\n\n")[0])
    ap.add_argument("-m", "--manuscript", type=Path, default=Path(os.environ.get("MANUSCRIPT", "manuscript")))
    ap.add_argument("-d", "--dist", type=Path, default=Path(os.environ.get("DIST", "dist")))
    ap.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (a free one if it is taken)")
    ap.add_argument("--only", default="pdf,html", help="editions to keep built (default: pdf,html)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between looks at the files")
    ap.add_argument("--once", action="store_true", help="build, answer one status request, exit")
    args = ap.parse_args(argv)
    preview = Preview(args.manuscript, args.dist, [e.strip() for e in args.only.split(",") if e.strip()])
    httpd = server(preview, 0 if args.once else args.port)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        preview.build()
        if args.once:
            with urllib.request.urlopen(url + "__status", timeout=10) as r:
                status = json.loads(r.read())
            print(json.dumps(status))
            return 0 if status["ok"] else 1
        print(f"\npreview: {url}  (watching {_rel(preview.manuscript)}, {_rel(preview.styles)}, "
              f"{_rel(preview.templates)}; Ctrl-C stops)", flush=True)
        while True:
            time.sleep(args.interval)
            preview.poll()
    except KeyboardInterrupt:
        print("\npreview: stopped", file=sys.stderr)
        return 0
    finally:
        httpd.shutdown()
        httpd.server_close()
