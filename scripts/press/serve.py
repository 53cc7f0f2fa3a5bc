"""``press serve``: the HTML edition on 127.0.0.1, and screenshots of it.

Takes the output folder (``-d``) and serves its ``html/`` folder on 127.0.0.1 (``--port``, default
8000; a free port if that one is taken) until Ctrl-C. With ``--screenshots`` it serves on a free
port instead, takes PNG screenshots of the index and of one essay (the first chapter of the first
part, or ``--page``) at phone (390×844) and desktop (1440×900) size with the machine's headless
Chromium into ``<dist>/screenshots/``, prints their paths and stops. Returns 0, 1 when the HTML
edition is missing or a screenshot failed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import fsio

SUMMARY = "serve the HTML edition on 127.0.0.1"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--force-device-scale-factor=1"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass


def start(root: Path, port: int = 0, quiet: bool = True, handler=None) -> ThreadingHTTPServer:
    """Serve ``root`` on 127.0.0.1:port (a free port when 0 or when that one is taken), in a thread;
    ``handler`` replaces the plain file handler (the preview adds its status page)."""
    factory = partial(handler or (QuietHandler if quiet else SimpleHTTPRequestHandler), directory=str(root))
    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", port), factory)
    except OSError:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), factory)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def first_essay(html: Path) -> str:
    """The page of the first chapter inside a part (an essay), else the first chapter listed."""
    from lxml import html as lh
    tree = lh.parse(str(html / "index.html"))
    links = tree.xpath('//nav[contains(@class, "toc")]//li[contains(@class, "toc-part")]//a/@href') \
        or tree.xpath('//nav[contains(@class, "toc")]//a/@href')
    pages = [h for h in links if h.endswith(".html") and (html / h).is_file()]
    if not pages:
        raise FileNotFoundError(f"{html}/index.html lists no chapter pages")
    return pages[0]


def screenshot(url: str, out: Path, size: tuple[int, int], timeout: float = 90) -> None:
    with tempfile.TemporaryDirectory(prefix="press-chromium-") as profile:
        cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
               f"--window-size={size[0]},{size[1]}", url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise RuntimeError(f"chromium could not take {out.name}: {proc.stderr.strip().splitlines()[-1:]}")


def screenshots(html: Path, out: Path, page: str | None = None) -> list[Path]:
    """Index and one essay, phone and desktop; returns the PNG files written."""
    essay = page or first_essay(html)
    out.mkdir(parents=True, exist_ok=True)
    httpd = start(html)
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    written = []
    try:
        for name, rel in (("index", "index.html"), (Path(essay).stem, essay)):
            for label, size in SIZES.items():
                target = out / f"{name}-{label}.png"
                part = fsio.temp_beside(target, suffix=".part.png")
                try:
                    screenshot(base + rel, part, size)
                    fsio.publish(part, target)
                finally:
                    part.unlink(missing_ok=True)
                written.append(target)
    finally:
        httpd.shutdown()
        httpd.server_close()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press serve", description=__doc__.split("\n\n")[0])
    ap.add_argument("-d", "--dist", type=Path, default=Path(os.environ.get("DIST", "dist")))
    ap.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (a free one if it is taken)")
    ap.add_argument("--screenshots", action="store_true", help="take PNG screenshots into DIST/screenshots and stop")
    ap.add_argument("--page", help="the chapter page to screenshot besides the index (default: the first essay)")
    args = ap.parse_args(argv)
    html = args.dist / "html"
    if not (html / "index.html").is_file():
        print(f"press serve: {html}/index.html not found; build the HTML edition first (make html)", file=sys.stderr)
        return 1
    if args.screenshots:
        if not shutil.which(CHROMIUM):
            print(f"press serve: {CHROMIUM} not found (the set-up in `make tools` installs it)", file=sys.stderr)
            return 1
        try:
            for path in screenshots(html, args.dist / "screenshots", args.page):
                print(path)
        except (RuntimeError, FileNotFoundError, subprocess.TimeoutExpired) as e:
            print(f"press serve: {e}", file=sys.stderr)
            return 1
        return 0
    httpd = start(html, args.port, quiet=False)
    print(f"Serving {html}/ on http://127.0.0.1:{httpd.server_address[1]}/  (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
    finally:
        httpd.shutdown()
        httpd.server_close()
    return 0
