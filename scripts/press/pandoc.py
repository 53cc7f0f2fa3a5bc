"""pandoc, once per chapter: Markdown to JSON AST, and filtered AST to HTML, both cached by content.

Takes Markdown (or an AST) and returns pandoc's output. Results are kept in the cache folder under
the SHA-256 of the input, pandoc's version and the options, so an unchanged chapter is never
parsed twice, across runs as well as within one.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pypandoc

from . import cache
from .rules import ManuscriptError, finding

READER = "markdown-citations"  # citations off unless the book names a bibliography ('@' stays text)
CITING_READER = "markdown"     # with citations: [@key, p. 12], @key
HTML_ARGS = ["-t", "html5", "--wrap=none", "--no-highlight"]


_PANDOC: str | None = None  # the pandoc binary pypandoc-binary brings, found once


def pandoc_path() -> str:
    global _PANDOC
    if _PANDOC is None:
        _PANDOC = pypandoc.get_pandoc_path()
    return _PANDOC


@functools.cache
def pandoc_version() -> str:
    return pypandoc.get_pandoc_version()


def cache_dir() -> Path:
    return cache.folder("pandoc")


def _key(*parts: str) -> str:
    h = hashlib.sha256()
    for p in (pandoc_version(),) + parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


def _ast_key(markdown: str, reader: str) -> str:
    """The cache key of a chapter's Markdown read as pandoc's AST (``markdown_to_ast``, ``prefetch``)."""
    return _key("md2json", reader, markdown)


def _html_key(text: str) -> str:
    """The cache key of an AST (pandoc JSON text) written as HTML (``ast_to_html``, ``prefetch``)."""
    return _key("json2html", *HTML_ARGS, text)


def _cached(key: str, suffix: str, produce) -> str:
    path = cache_dir() / f"{key}.{suffix}"
    if cache.hit(path):
        return path.read_text(encoding="utf-8")
    out = produce()
    cache.write(path, out)
    return out


TIMEOUT = 300  # seconds for one chapter; pandoc reads a 4 MB chapter in well under a minute
MAX_DEPTH = 100  # AST elements inside each other; deeper would overflow Python's stack in the filters


def _run(args: list[str], text: str, rel: str) -> tuple[str, str]:
    try:
        proc = subprocess.run([pandoc_path(), *args], input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ManuscriptError([finding("FILE-006", rel, 0, detail=f"it took longer than {TIMEOUT} s")]) from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        where = re.search(r"line (\d+)", err)
        lines = [x.strip() for x in err.splitlines() if x.strip()]
        detail = "; ".join(lines[-2:]) if lines else f"exit {proc.returncode}"
        raise ManuscriptError([finding("FILE-006", rel, int(where.group(1)) if where else 0, detail=detail)])
    return proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")


# pandoc's server API, run as a CGI program: the same binary, named pandoc-server.cgi by its
# argv[0], reads one request on stdin and writes one answer. A batch request converts many
# documents in one process: the chapters of a clean build cost one start of pandoc (its 160 MB
# binary paged in, its heap set up: most of what a small conversion costs) instead of one each.
# The server converts in pandoc's pure monad (no file or network access) and answers each
# document apart, so one failure leaves the others' outputs.
CGI = {"REQUEST_METHOD": "POST", "PATH_INFO": "/batch", "SCRIPT_NAME": "", "QUERY_STRING": "",
       "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
       "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json", "HTTP_ACCEPT": "application/json"}
HTML_OPTIONS = {"to": "html5", "wrap": "none", "syntax-highlighting": "none"}  # HTML_ARGS, as the server names them


def _batch(requests: list[dict]) -> list[str | None]:
    """Each request's output (``text``, ``from``, ``to`` and options, as pandoc-server's API takes
    them) from one pandoc process, exactly as the command line writes it; None for a document the
    server could not convert, and for all of them when the batch itself failed (an old pandoc, a
    timeout): the caller converts those one by one, with the command line's error messages."""
    if not requests:
        return []
    body = json.dumps(requests, ensure_ascii=False).encode("utf-8")
    env = dict(os.environ, **CGI, CONTENT_LENGTH=str(len(body)), PANDOC_SERVER_TIMEOUT=str(TIMEOUT))
    try:
        proc = subprocess.run(["pandoc-server.cgi"], executable=pandoc_path(), input=body, capture_output=True,
                              env=env, timeout=TIMEOUT)
        head, _, answer = re.split(rb"(\r?\n\r?\n)", proc.stdout, maxsplit=1)
        outputs = json.loads(answer) if proc.returncode == 0 and head.startswith(b"Status: 200") else None
    except (subprocess.TimeoutExpired, OSError, ValueError):
        outputs = None
    if not isinstance(outputs, list) or len(outputs) != len(requests):
        return [None] * len(requests)
    return [o["output"] + "\n" if isinstance(o, dict) and isinstance(o.get("output"), str) and not o.get("base64")
            else None for o in outputs]


def prefetch(markdowns: list[str] = (), asts: list[str] = (), citations: bool = False) -> None:
    """Convert the chapters among ``markdowns`` (to pandoc's AST, as ``markdown_to_ast`` reads
    them) and ``asts`` (pandoc JSON text, to HTML as ``ast_to_html`` writes it) that the cache does
    not hold yet, in one pandoc process, into the cache: those functions then find them there."""
    reader = CITING_READER if citations else READER
    wanted = [(_ast_key(md, reader), "json", {"text": md, "from": reader, "to": "json"}) for md in markdowns]
    wanted += [(_html_key(text), "html", {"text": text, "from": "json", **HTML_OPTIONS})
               for text in asts]
    todo = {cache_dir() / f"{key}.{suffix}": request for key, suffix, request in wanted}
    todo = {path: request for path, request in todo.items() if not cache.hit(path)}
    for path, out in zip(todo, _batch(list(todo.values()))):
        if out is not None:
            cache.write(path, out)


def as_doc(ast: dict):
    """pandoc's JSON AST as a panflute Doc: the press reads and changes ASTs with panflute only."""
    return doc_from_json(json.dumps(ast))


def doc_from_json(text: str):
    """A panflute Doc from pandoc's JSON text, decoded once (panflute builds each element as the
    decoder reads it)."""
    import io

    import panflute as pf
    return pf.load(io.StringIO(text))


def as_json(doc) -> str:
    """A panflute Doc as pandoc's JSON AST (the text pandoc reads)."""
    import io

    import panflute as pf
    out = io.StringIO()
    pf.dump(doc, out)
    return out.getvalue()


def markdown_to_ast(markdown: str, rel: str, citations: bool = False) -> dict:
    """pandoc's JSON AST of a chapter body (cached); ``citations``: read [@key] as citations."""
    reader = CITING_READER if citations else READER
    text = _cached(_ast_key(markdown, reader), "json", lambda: _run(["-f", reader, "-t", "json"], markdown, rel)[0])
    if json_depth(text) > 3 * MAX_DEPTH:  # refused before the recursive JSON decoder sees it
        raise ManuscriptError([finding("SIZE-004", rel, 0, limit=MAX_DEPTH)])
    ast = json.loads(text)
    if element_depth(ast) > MAX_DEPTH:
        raise ManuscriptError([finding("SIZE-004", rel, 0, limit=MAX_DEPTH)])
    return ast


STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep JSON text nests (strings skipped), without decoding it."""
    depth = deepest = 0
    for m in BRACKETS.finditer(STRINGS.sub("", text)):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def element_depth(ast: dict) -> int:
    """How deep pandoc elements ({"t": …}) nest in the AST, counted without recursion."""
    deepest, stack = 0, [(ast.get("blocks", []), 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if "t" in node:
                depth += 1
                deepest = max(deepest, depth)
            stack.extend((v, depth) for v in node.values() if isinstance(v, (list, dict)))
        elif isinstance(node, list):
            stack.extend((v, depth) for v in node if isinstance(v, (list, dict)))
    return deepest


def ast_to_html(ast: dict | str, rel: str) -> str:
    """An HTML5 fragment of a filtered AST, given as data or as pandoc's JSON text (cached)."""
    text = ast if isinstance(ast, str) else json.dumps(ast, ensure_ascii=False, sort_keys=True)
    return _cached(_html_key(text), "html", lambda: _run(["-f", "json", *HTML_ARGS], text, rel)[0])


def citeproc(ast: str, args: list[str], fingerprint: str, rel: str, reader: str = "json") -> tuple[str, str]:
    """A chapter's AST (pandoc JSON; or Markdown, read with ``reader``) with its citations formatted
    by pandoc's citeproc (``args``: the library's, see press.library); returns the new AST and
    pandoc's warnings (cached by the input, the arguments and the library's ``fingerprint``: its
    files' and style's content)."""
    key = _key("citeproc", reader, *args, fingerprint, ast)
    path = cache_dir() / f"{key}.citeproc.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        return data["ast"], data["warnings"]
    out, warnings = _run(["-f", reader, "-t", "json", *args], ast, rel)
    cache.write(path, json.dumps({"ast": out, "warnings": warnings}, ensure_ascii=False))
    return out, warnings
