"""``press import``: an author's Word document into the manuscript, as a new chapter.

    press import FILE.docx [-m MANUSCRIPT] [--after NN-name.md | --before NN-name.md | --replace NN-name.md]
                 [--name NN-name.md]
                 [--accept-changes | --reject-changes] [--style "Word style=sidebar|pullquote|quote"]

pandoc's docx reader parses the document (``docx+styles``, tracked changes and comments kept), after
``docxprep`` has made visible what it would drop; the modules in ``IMPORT`` map Word to the
manuscript contract, one concern each; pandoc's Markdown writer writes the chapter. The chapter
(``NN-<id>.md``, the next free number and an id from its title, unless ``--name``), its pictures
(``images/``) and ``book.yaml`` (listed after ``--after`` or before ``--before``, else at the end; ``--replace`` takes the place,
file and pictures of a chapter the document is a new version of) are written atomically,
and only when nothing stands in the way (WORD-001, WORD-006 … WORD-008 stop the import and write
nothing). Then the press checks the manuscript as ``make check`` does (without the validators of
the editions) and lists what the editor must still fix in the new chapter, ``file:line`` each.
Exit status 0 when the new chapter has no error, 1 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import sys
from pathlib import Path

import panflute as pf
import yaml

from .. import fsio
from ..book import chapter_id_from_name, display_path, load_book, slugify
from ..context import labels_for
from ..pandoc import MAX_DEPTH, element_depth, json_depth
from ..rules import ERROR, ManuscriptError, finding
from . import (
    autoids,
    bookyaml,
    changes,
    comments,
    docxprep,
    figurequeries,
    figures,
    headings,
    indexentries,
    keptspans,
    language,
    markers,
    notequeries,
    notes,
    package,
    pagerefs,
    pending,
    quotes,
    run_pandoc,
    sidebars,
    styles,
    to_markdown,
)
from .context import ROLES, STYLES, ImportContext

SUMMARY = "an author's Word document (.docx) into the manuscript as a new chapter"

IMPORT = [
    changes,    # tracked changes refused, or accepted/rejected on request             WORD-001
    markers,    # bookmarks and text boxes (docxprep's marks) → ids and block ranges
    language,   # runs marked in another language → [phrase]{lang=…}
    notequeries,  # comments on notes' reference marks → author queries inside the notes
    indexentries,  # Word's XE fields → [words]{.index}, term= where it differs, point marks
    keptspans,  # bookmarks a document property describes → the spans again ({.cite key=…} …)
    comments,   # comments → author queries, where they stand
    sidebars,   # text boxes, Kader/Sidebar paragraphs → ::: sidebar
    quotes,     # Quote paragraphs → block quotes; Pull Quote → ::: pullquote
    pagerefs,   # links in the Page Reference style → {.pageref}
    pending,    # text in the Pending style → []{.pending}
    notes,      # footnotes and endnotes → [^n], Word's wrapping removed
    styles,     # every other Word style's wrapper removed
    headings,   # title, subtitle, authors; heading levels; bold lines               WORD-002/003
    figures,    # pictures → images/, figures with caption and alt text              WORD-004
    figurequeries,  # a comment over a whole caption → a block query around the figure
    autoids,    # heading ids pandoc would give anyway are not written
]


def read_docx(data: bytes, rel: str) -> tuple[pf.Doc, dict[str, bytes]]:
    """pandoc's AST of a prepared .docx, and the package's files by name. Anything hostile or
    damaged in the file is a finding about ``rel`` (see ``package``), never a traceback."""
    try:
        names, parts = package.unpack(data)
        prepared = docxprep.prepare_parts(names, parts)
    except package.PackageError as e:
        raise ManuscriptError([finding(e.code, rel, 0, detail=e.detail)]) from None
    except MemoryError:
        raise ManuscriptError([finding("WORD-009", rel, 0, detail="it is too large to read within the "
                                                                   "press's memory limit")]) from None
    except Exception as e:  # a zip that is well-formed XML but not laid out as Word writes it
        raise ManuscriptError([finding("WORD-006", rel, 0, detail=f"its XML is not laid out as a Word "
                                                                   f"document's ({type(e).__name__})")]) from None
    ast = run_pandoc(["-f", "docx+styles", "--track-changes=all", "-t", "json"], prepared, rel).decode("utf-8")
    if json_depth(ast) > 3 * MAX_DEPTH:  # refused before the recursive JSON decoder sees it
        raise ManuscriptError([finding("SIZE-004", rel, 0, limit=MAX_DEPTH)])
    doc = pf.load(io.StringIO(ast))
    if element_depth(json.loads(ast)) > MAX_DEPTH:
        raise ManuscriptError([finding("SIZE-004", rel, 0, limit=MAX_DEPTH)])
    return doc, parts


def properties(parts: dict[str, bytes]) -> dict:
    """The document's properties: title, author and subject (core), and the custom ones."""
    out: dict = {}
    core = parts.get("docProps/core.xml")
    if core:
        tree = package.parse(core, "docProps/core.xml")
        for tag, key in (("{http://purl.org/dc/elements/1.1/}title", "title"),
                         ("{http://purl.org/dc/elements/1.1/}creator", "author"),
                         ("{http://purl.org/dc/elements/1.1/}subject", "subject")):
            el = tree.find(tag)
            if el is not None and (el.text or "").strip():
                out[key] = el.text.strip()
    custom = parts.get("docProps/custom.xml")
    if custom:
        for prop in package.parse(custom, "docProps/custom.xml"):
            name = prop.get("name") if isinstance(prop.tag, str) else None
            value = "".join(prop.itertext())
            if name and value:
                out.setdefault(name, value)
    return out


def _inline_markdown(inlines: list, rel: str) -> str:
    return to_markdown([pf.Plain(*inlines)], rel).strip() if inlines else ""


def front_matter(ctx: ImportContext, rel: str) -> str:
    lines = ["---", f"title: {json.dumps(_inline_markdown(ctx.title, rel), ensure_ascii=False)}"]
    if ctx.subtitle:
        lines.append(f"subtitle: {json.dumps(_inline_markdown(ctx.subtitle, rel), ensure_ascii=False)}")
    if ctx.authors:
        lines.append("author: " + yaml.safe_dump(ctx.authors, allow_unicode=True, default_flow_style=True,
                                                 width=1000).strip())
    extra = {k: v for k, v in ctx.front_matter.items() if k not in ("title", "subtitle", "author")}
    if extra:
        lines.append(yaml.safe_dump(extra, allow_unicode=True, sort_keys=False, width=1000).rstrip())
    return "\n".join(lines) + "\n---\n"


def _styles(book_meta: dict, given: list[str], rel: str) -> dict[str, str]:
    styles = dict(STYLES)
    configured = book_meta.get("word_styles") or {}
    if not isinstance(configured, dict) or any(str(v) not in ROLES for v in configured.values()):
        raise ManuscriptError([finding("BOOK-009", rel, 0, key="word_styles",
                                       detail=f"a mapping of Word style names to {', '.join(ROLES)}")])
    styles.update({str(k).strip().lower(): str(v) for k, v in configured.items()})
    for item in given:
        name, _, role = item.rpartition("=")
        if not name or role not in ROLES:
            raise SystemExit(f"press import: --style wants NAME=ROLE with ROLE one of {', '.join(ROLES)}: {item!r}")
        styles[name.strip().lower()] = role
    return styles


def _existing_images(root: Path) -> dict[str, str]:
    folder = root / "images"
    out = {}
    for p in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if p.is_file():
            out.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), p.relative_to(root).as_posix())
    return out


def next_name(root: Path, cid: str) -> str:
    numbers = [int(m.group(1)) for p in root.glob("*.md") if (m := re.match(r"(\d+)", p.name))]
    return f"{max(numbers, default=0) + 1:02d}-{cid}.md"


def _line(text: str, needle: str, nth: int) -> int:
    seen = 0
    for i, line in enumerate(text.split("\n"), 1):
        seen += line.count(needle)
        if seen >= nth:
            return i
    return 0


def import_docx(docx: Path, manuscript: Path, after: str | None = None, name: str | None = None,
                changes_mode: str | None = None, style_args: list[str] | None = None,
                before: str | None = None, replace: str | None = None) -> tuple[Path, list, dict]:
    """Import ``docx`` into ``manuscript``; returns (chapter path, findings about it, counts).
    Raises ManuscriptError, writing nothing, when the import cannot be done."""
    rel = display_path(docx)
    book = load_book(manuscript)
    book_rel = display_path(manuscript / "book.yaml")
    if not docx.is_file():
        raise ManuscriptError([finding("WORD-006", rel, 0, detail="there is no such file")])
    try:
        data = package.read(docx)
    except package.PackageError as e:
        raise ManuscriptError([finding(e.code, rel, 0, detail=e.detail)]) from None
    doc, parts = read_docx(data, rel)
    old = next((c for c in book.chapters if c.path.name == replace), None) if replace else None
    if replace and old is None:
        raise ManuscriptError([finding("WORD-008", book_rel, 0, option="--replace", name=replace)])
    if old is not None:
        name = replace
    ctx = ImportContext(rel=rel, lang=book.lang, changes=changes_mode, media=parts,
                        styles=_styles(book.meta, style_args or [], book_rel),
                        existing=_existing_images(manuscript), properties=properties(parts),
                        labels=labels_for(book.lang),
                        chapter_id=old.id if old else chapter_id_from_name(name) if name else None)
    for step in IMPORT:
        doc = step.read(doc, ctx)
        if step is headings:
            if not ctx.title:
                ctx.title = [pf.Str(docx.stem)]
                ctx.report("WORD-003", "title:", name=docx.stem)
            ctx.chapter_id = ctx.chapter_id or slugify(pf.stringify(pf.Plain(*ctx.title)))
        if step is figures and ctx.refused:
            raise ManuscriptError([finding("IMG-006", rel, 0, src=src, reason=reason) for src, reason in ctx.refused])
    name = name or next_name(manuscript, ctx.chapter_id)
    target = manuscript / name
    chapter_rel = display_path(target)
    text = front_matter(ctx, chapter_rel) + "\n" + to_markdown(list(doc.content), chapter_rel)
    blocking = []
    if not name.endswith(".md") or "/" in name:
        blocking.append(finding("WORD-007", chapter_rel, 0, name=name, detail="give a file name NN-name.md"))
    ours = f"images/{ctx.chapter_id}-"  # a replaced chapter's own pictures may be replaced too
    for path in [target, *(manuscript / p for p in ctx.images)]:
        if path.exists() and not (old is not None and (path == target or path.relative_to(manuscript).as_posix()
                                                       .startswith(ours))):
            blocking.append(finding("WORD-007", display_path(path), 0, name=path.name,
                                    detail="it exists already; remove it or choose another --name"))
    try:
        text_yaml = (manuscript / "book.yaml").read_text(encoding="utf-8")
        listing = None if old is not None else bookyaml.insert(text_yaml, name, after, before)
    except bookyaml.ListingError:
        blocking.append(finding("WORD-008", book_rel, 0, option="--before" if before else "--after",
                                name=before or after or ""))
    if any(c is not old and (chapter_id_from_name(c.path.name) == ctx.chapter_id or c.id == ctx.chapter_id)
           for c in book.chapters):
        blocking.append(finding("FILE-007", chapter_rel, 1, id=ctx.chapter_id,
                                other=next(c.rel for c in book.chapters if c.id == ctx.chapter_id
                                           or chapter_id_from_name(c.path.name) == ctx.chapter_id)))
    if blocking:
        raise ManuscriptError(blocking)
    for path, data in ctx.images.items():
        fsio.write(manuscript / path, data)
    fsio.write(target, text)
    if listing is not None:
        fsio.write(manuscript / "book.yaml", listing)
    seen: dict[str, int] = {}
    placed = []
    for code, needle, fields in ctx.placed:
        seen[needle] = seen.get(needle, 0) + 1
        placed.append(finding(code, chapter_rel, _line(text, needle, seen[needle]), **fields))
    return target, placed, ctx.counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="press import", description=SUMMARY)
    ap.add_argument("docx", type=Path)
    ap.add_argument("-m", "--manuscript", type=Path, default=Path(os.environ.get("MANUSCRIPT", "manuscript")))
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--after", help="list the chapter in book.yaml after this chapter file (default: at the end)")
    where.add_argument("--before", help="list the chapter in book.yaml before this chapter file")
    where.add_argument("--replace", metavar="NN-name.md",
                       help="the document is a new version of this chapter: its file (and pictures) are replaced")
    ap.add_argument("--name", help="the chapter's file name (default: the next number and the title's id)")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--accept-changes", action="store_true", help="accept the document's tracked changes")
    group.add_argument("--reject-changes", action="store_true", help="reject the document's tracked changes")
    ap.add_argument("--style", action="append", default=[], metavar="NAME=ROLE",
                    help="a Word paragraph style and what it is: sidebar, pullquote or quote (repeatable)")
    args = ap.parse_args(argv)
    mode = "accept" if args.accept_changes else "reject" if args.reject_changes else None
    try:
        target, placed, counts = import_docx(args.docx, args.manuscript, args.after, args.name, mode, args.style,
                                             args.before, args.replace)
    except ManuscriptError as e:
        for f in e.findings:
            print(f, file=sys.stderr)
        print(f"press import: nothing was written; {args.manuscript}/ is as it was.", file=sys.stderr)
        return 1
    rel = display_path(target)
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "text only"
    where = (f"replaces {args.replace}" if args.replace else f"listed in {display_path(args.manuscript / 'book.yaml')}"
             + (f" after {args.after}" if args.after else "") + (f" before {args.before}" if args.before else ""))
    print(f"Imported {display_path(args.docx)} → {rel} ({summary}); {where}.")
    from ..check import collect
    found = sorted(set(placed) | {f for f in collect(args.manuscript, None, validators=False)
                                  if f.path in (rel, display_path(args.manuscript / "book.yaml"))})
    errors = [f for f in found if f.severity == ERROR]
    if found:
        print("Still to do before the chapter is ready:" if errors else "To look at:")
        for f in found:
            print(f"  {f}  [{f.severity}]")
    print(f"import: {len(errors)} error(s), {len(found) - len(errors)} warning(s) in the new chapter"
          + ("" if errors else "; it passes the manuscript's checks"))
    return 1 if errors else 0
