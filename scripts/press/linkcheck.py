"""``make linkcheck``: are the book's external web addresses still there? Online, only on request.

Takes the manuscript (``-m``) and the output folder (``-d``); collects every http(s) address in
the chapters (pandoc's reading of each chapter, so addresses in code are left alone and
reference-style links count), asks each address once (HEAD, then GET when the server refuses
HEAD), several at a time (``--max-workers``), each request bounded by ``--timeout`` seconds.
Prints a LINK-007 warning at every place a dead address is used, writes
``DIST/reports/linkcheck.json`` and exits 0 — or 1 with ``--strict`` when an address did not
answer. Whether an address is well-formed is ``make check``'s concern (LINK-004).

    press linkcheck [-m MANUSCRIPT] [-d DIST] [--timeout S] [--max-workers N] [--strict]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from pathlib import Path

from . import fsio
from .book import load_book
from .rules import ManuscriptError, finding

USER_AGENT = "press-linkcheck/1.0 (book press; checks that a book's links still work)"
RETRY_WITH_GET = {400, 403, 404, 405, 406, 429, 500, 501, 503}  # servers that mishandle HEAD


def collect(manuscript: Path) -> list[tuple[str, str, int]]:
    """(url, file, line) for every external address in the chapters, in reading order."""
    from . import pandoc
    book = load_book(manuscript)
    found = []
    for ch in book.chapters:
        urls: list[str] = []
        _walk(pandoc.markdown_to_ast(ch.body, ch.rel), urls)
        lines = _without_code(ch.body.split("\n"))
        for url in dict.fromkeys(urls):
            hits = [ch.body_line + i for i, text in enumerate(lines) if url in text] or [ch.body_line]
            found.extend((url, ch.rel, line) for line in hits)
    return found


def _without_code(lines: list[str]) -> list[str]:
    """The lines with inline code and fenced code blocks blanked, so an address is found only
    where the reader sees it as a link."""
    out, fence = [], None
    for line in lines:
        marker = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and marker:
            fence = marker.group(1)[0] * 3
            out.append("")
        elif fence is not None:
            out.append("")
            if line.strip().startswith(fence):
                fence = None
        else:
            out.append(re.sub(r"`[^`]*`", "", line))
    return out


def _walk(node, out: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, out)
    elif isinstance(node, dict):
        if node.get("t") in ("Link", "Image"):
            url = node["c"][2][0]
            if url.lower().startswith(("http://", "https://")):
                out.append(url)
        if node.get("t") not in ("Code", "CodeBlock", "RawInline", "RawBlock"):
            _walk(node.get("c", node.get("blocks")), out)


def _request(url: str, method: str, timeout: float) -> int:
    req = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        if method == "GET":
            resp.read(1024)
        return resp.status


def probe(url: str, timeout: float) -> str | None:
    """None when the address answers (2xx or 3xx after redirects), else why not."""
    problem = None
    for method in ("HEAD", "GET"):
        try:
            _request(url, method, timeout)
            return None
        except urllib.error.HTTPError as e:
            problem = f"HTTP {e.code} {e.reason}"
            if method == "HEAD" and e.code not in RETRY_WITH_GET:
                return problem
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                return f"no answer within {timeout:g} s"
            return str(getattr(reason, "strerror", None) or reason)
        except (OSError, ValueError) as e:
            return str(e) or type(e).__name__
    return problem


def _write_report(path: Path, data: dict) -> None:
    fsio.write(path, json.dumps(data, ensure_ascii=False, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press linkcheck", description="Check the book's external web addresses online.")
    ap.add_argument("-m", "--manuscript", type=Path, default=Path(os.environ.get("MANUSCRIPT", "manuscript")))
    ap.add_argument("-d", "--dist", type=Path, default=Path(os.environ.get("DIST", "dist")))
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    ap.add_argument("--max-workers", type=int, default=8, help="addresses checked at the same time (default 8)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when an address did not answer")
    args = ap.parse_args(argv)
    try:
        places = collect(args.manuscript)
    except ManuscriptError as e:
        for f in e.findings:
            print(f, file=sys.stderr)
        return 1
    urls = list(dict.fromkeys(url for url, _, _ in places))
    with ThreadPoolExecutor(max_workers=max(1, args.max_workers)) as pool:
        results = dict(zip(urls, pool.map(lambda u: probe(u, args.timeout), urls)))
    findings = sorted(finding("LINK-007", path, line, url=url, detail=results[url])
                      for url, path, line in places if results[url])
    for path, group in groupby(findings, key=lambda f: f.path):
        print(path)
        for f in group:
            print(f"  {f}  [warning]")
    report = args.dist / "reports" / "linkcheck.json"
    _write_report(report, {
        "timeout": args.timeout,
        "addresses": [{"url": u, "ok": results[u] is None, "detail": results[u] or "answered",
                       "places": [f"{p}:{n}" for url, p, n in places if url == u]} for u in urls],
        "summary": {"checked": len(urls), "failed": sum(1 for u in urls if results[u])}})
    failed = sum(1 for u in urls if results[u])
    print(f"linkcheck: {len(urls)} address(es) checked, {failed} did not answer; report in {report}")
    return 1 if failed and args.strict else 0
