"""The command line: a thin layer over the library; the Makefile only calls this.

    press build  [-m MANUSCRIPT] [-d DIST] [--only pdf,epub,html] [--force] [--dump-ast DIR]
    press check  [-m MANUSCRIPT] [-d DIST] [--json] [--release] [--progress]
    press clean  [-d DIST]
    press linkcheck | bench | preview | serve | proofs | offprints | queries | import | docx | cover  [options]
    press catalogue build CATALOGUE.yaml [--jobs N] [--scheduler tcp://HOST:8786]  (see each module)

A manuscript mistake prints ``file:line: CODE message`` lines and exits 1, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from .rules import ManuscriptError

# Commands with their own options, each in its own module (the name, unless said here) with a
# main(argv) -> int and a one-line SUMMARY that its own --help and `press --help` show.
TOOLS = {name: {"import": "word.importer", "docx": "word.exporter"}.get(name, name)
         for name in "linkcheck bench preview serve proofs offprints queries import docx cover catalogue".split()}


def _summary(name: str) -> str:
    import importlib
    return importlib.import_module(f"press.{TOOLS[name]}").SUMMARY


def manuscript_options(p: argparse.ArgumentParser) -> None:
    """-m MANUSCRIPT and -d DIST, for every command that reads a manuscript (MANUSCRIPT, DIST as defaults)."""
    p.add_argument("-m", "--manuscript", type=Path, default=Path(os.environ.get("MANUSCRIPT", "manuscript")))
    p.add_argument("-d", "--dist", type=Path, default=Path(os.environ.get("DIST", "dist")))


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    # The command line's, not a library function's: SIGTERM ends a command the way Ctrl-C does, so
    # an interrupted build cleans up (staging folder, temporary files) and says what dist/ holds.
    signal.signal(signal.SIGTERM, _sigterm)
    ap = argparse.ArgumentParser(prog="press", description="One Markdown manuscript in, EPUB3, PDF and HTML out.")
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the editions into DIST")
    manuscript_options(b)
    b.add_argument("--only", default="pdf,epub,html", help="comma-separated editions: pdf, epub, html")
    b.add_argument("--force", action="store_true",
                   help="rebuild even when nothing changed, laying out the whole book (no splicing)")
    b.add_argument("--dump-ast", type=Path, help="write the AST after every filter into this folder")
    b.add_argument("-j", "--jobs", type=int, default=None,
                   help="processes the build may use (default: every core)")
    b.add_argument("-q", "--quiet", action="store_true")
    c = sub.add_parser("check", help="check the manuscript and the built editions")
    manuscript_options(c)
    c.add_argument("--json", action="store_true", help="findings as JSON on stdout")
    c.add_argument("--release", action="store_true", help="pending notes are errors")
    c.add_argument("--no-validators", action="store_true", help="skip EPUBCheck, Ace, axe-core and vnu")
    c.add_argument("--manuscript-only", action="store_true", help="check the manuscript, not the built editions")
    c.add_argument("--progress", action="store_true", help="say on stderr which check runs and how long each took")
    k = sub.add_parser("clean", help="remove build outputs and caches")
    manuscript_options(k)
    argv = sys.argv[1:] if argv is None else list(argv)
    helping = not argv or argv[0] in ("-h", "--help")  # the tools' modules are imported only to say what they do
    for name in TOOLS:
        sub.add_parser(name, help=_summary(name) if helping else None, add_help=False)
    if argv and argv[0] in TOOLS:  # these parse their own options
        args = argparse.Namespace(command=argv[0], rest=argv[1:], dist=Path(os.environ.get("DIST", "dist")))
    else:
        args = ap.parse_args(argv)
    try:
        if args.command == "build":
            from .build import build
            editions = [e.strip() for e in args.only.split(",") if e.strip()]
            return build(args.manuscript, args.dist, editions, force=args.force, dump_ast=args.dump_ast,
                         quiet=args.quiet, jobs=args.jobs)
        if args.command == "check":
            from .check import check
            return check(args.manuscript, None if args.manuscript_only else args.dist, as_json=args.json,
                         release=args.release, validators=not args.no_validators, progress=args.progress)
        if args.command in TOOLS:
            import importlib
            return importlib.import_module(f"press.{TOOLS[args.command]}").main(args.rest)
        if args.command == "clean":
            from .build import clean
            clean(args.dist, Path(os.environ.get("PRESS_CACHE", ".cache")))
            return 0
    except ManuscriptError as e:
        for f in e.findings:
            print(f, file=sys.stderr)
        n = len(e.findings)
        print(f"press: {n} error{'s' if n != 1 else ''}; {_left(e, args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        print(f"press: interrupted; {_left(e, args)}", file=sys.stderr)
        return 130
    except OSError as e:  # the machine's, not the manuscript's: a full disk, a folder one may not write
        print(f"press: the build failed: {e}; {_left(e, args)}", file=sys.stderr)
        return 1
    except Exception as e:
        if _template_error(e):  # a designer's mistake in templates/: where, not a traceback
            print(f"{_template_where(e)}: template error: {e.message or e}", file=sys.stderr)
            print(f"press: {_left(e, args)}", file=sys.stderr)
            return 1
        from .build import SwapError
        if not isinstance(e, SwapError):  # a fault in the press, not in the manuscript: its developers need the trace
            import traceback
            traceback.print_exc()
        print(f"press: the build failed: {e}; {_left(e, args)}", file=sys.stderr)
        return 1
    return 2


def _template_error(e: Exception) -> bool:
    """Whether ``e`` is jinja2's (only a command that rendered a template has imported it: a no-op
    build stays free of its import time)."""
    jinja2 = sys.modules.get("jinja2")
    return jinja2 is not None and isinstance(e, jinja2.TemplateError)


def _template_where(e) -> str:
    """file:line of a template mistake: the error's own, or the last template frame of its trace
    (jinja2 puts the template's file and line in the trace of an error raised while rendering)."""
    if getattr(e, "filename", None):
        return f"{e.filename}:{getattr(e, 'lineno', None) or 0}"
    import traceback
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.endswith((".html", ".xhtml", ".svg"))]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "templates:0"


def _left(error: BaseException, args) -> str:
    """What a failed command left in the output folder, as the build reports it (press.build.Failed)."""
    failed = getattr(error, "failed", None)
    if failed is not None:
        return str(failed)
    return f"nothing was written, {getattr(args, 'dist', 'dist')}/ is as it was."


def run() -> None:
    """The ``press`` command: ``main``, then out of the process at once. A build leaves a few hundred
    thousand objects behind, and an interpreter that tears itself down frees them one by one (0.15 s
    after a clean build of this book); here the exit handlers run (temporary folders, logging), the
    streams are flushed, and the process ends. An exception leaves the usual way, with its report."""
    import atexit
    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    run()
