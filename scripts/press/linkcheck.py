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
import re
import socket
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from pathlib import Path

from . import fsio, pandoc
from .book import load_book, without_code_blocks
from .cli import manuscript_options
from .rules import ManuscriptError, finding

SUMMARY = "check external web addresses online (bounded time-outs, a report)"

USER_AGENT = "press-linkcheck/1.0 (book press; checks that a book's links still work)"
INLINE_CODE = re.compile(r"`[^`]*`")  # blanked with the code blocks: an address counts where a reader sees it
RETRY_WITH_GET = {400, 403, 404, 405, 406, 429, 500, 501, 503}  # servers that mishandle HEAD


def collect(manuscript: Path) -> list[tuple[str, str, int]]:
    """(url, file, line) for every external address in the chapters, in reading order."""
    book = load_book(manuscript)
    found = []
    for ch in book.chapters:
        urls = _addresses(pandoc.markdown_to_ast(ch.body, ch.rel))
        lines = [INLINE_CODE.sub("", line) for line in without_code_blocks(ch.body.split("\n"))]
        for url in dict.fromkeys(urls):
            hits = [ch.body_line + i for i, text in enumerate(lines) if url in text] or [ch.body_line]
            found.extend((url, ch.rel, line) for line in hits)
    return found


def _addresses(ast: dict) -> list[str]:
    """The http(s) addresses of the links and images in a chapter's AST, in reading order."""
    import panflute as pf

    from .filters import in_reading_order
    doc = pandoc.as_doc(ast)
    return [e.url for e in in_reading_order(doc, lambda e: isinstance(e, (pf.Code, pf.CodeBlock, pf.RawInline, pf.RawBlock)))
            if isinstance(e, (pf.Link, pf.Image)) and e.url.lower().startswith(("http://", "https://"))]


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
    ap = argparse.ArgumentParser(prog="press linkcheck", description=SUMMARY)
    manuscript_options(ap)
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
