"""A publisher's catalogue: many books built at once, on this machine or on a Dask cluster, with a
static site and OPDS feeds for readers' apps (docs/catalogue.md).

    press catalogue build CATALOGUE.yaml [-o OUTPUT] [--cache DIR] [--jobs N]
                                         [--scheduler tcp://HOST:8786 [--shared]]
    press catalogue bench [--books 24] [--keep DIR] [--scheduler ADDR]   (press.catalogue.bench)

The modules: ``config`` (CATALOGUE.yaml, git checkouts), ``runner`` (the builds, local or on Dask),
``site`` (the pages and covers) and ``feeds`` (OPDS 1.2 and 2.0). Exit status: 0 when every book
built (or was up to date), 1 when any failed or the catalogue file has mistakes.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..rules import ManuscriptError

SUMMARY = "a publisher's catalogue: many books at once (here or on a Dask cluster), a site and OPDS feeds"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="press catalogue", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="build every book of the catalogue, then its site and feeds")
    b.add_argument("catalogue", type=Path, help="the catalogue file (CATALOGUE.yaml)")
    b.add_argument("-o", "--output", type=Path, default=Path(os.environ.get("CATALOGUE_DIST", "dist/catalogue")),
                   help="the output folder: site, feeds and each book's editions (default dist/catalogue)")
    b.add_argument("--cache", type=Path, default=None,
                   help="the books' caches and git checkouts (default: PRESS_CACHE/catalogue)")
    b.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="books built at once on this machine (default: every core)")
    b.add_argument("--scheduler", help="a Dask scheduler's address (tcp://HOST:8786): each book is a task there")
    b.add_argument("--shared", action="store_true",
                   help="with --scheduler: the workers write into --output and --cache themselves (the same "
                        "path on every machine); otherwise the editions come back to this machine as bytes")
    b.add_argument("-q", "--quiet", action="store_true", help="only the summary table")
    sub.add_parser("bench", help="measure a generated catalogue: one at a time, in parallel, on a LocalCluster",
                   add_help=False)
    return ap


def main(argv: list[str]) -> int:
    if argv[:1] == ["bench"]:
        from .bench import main as bench
        return bench(argv[1:])
    args = _parser().parse_args(argv)
    return build(args.catalogue, args.output, args.cache, args.jobs, args.scheduler, args.shared, args.quiet)


def build(file: Path, output: Path, cache: Path | None = None, jobs: int | None = None, scheduler: str | None = None,
          shared: bool = False, quiet: bool = False, out=None, warm: bool = True) -> int:
    """``warm``: on this machine, each book forked from a warm server (else a ``press build`` each)."""
    from . import config, runner, site
    out = out or sys.stdout
    started = time.perf_counter()
    catalogue = config.load(file)
    cache = cache or Path(os.environ.get("PRESS_CACHE", ".cache")) / "catalogue"
    jobs = max(1, jobs or os.cpu_count() or 1)
    results: list[runner.Result] = []
    todo: list[runner.Job] = []
    for source in catalogue.books:
        try:
            manuscript = config.checkout(source, cache)
        except (RuntimeError, OSError, FileNotFoundError) as e:
            results.append(runner.Result(source.name, "failed", 0.0, message=str(e)))
            continue
        todo.append(runner.Job(source.name, manuscript, output / "books" / source.name, cache / "books" / source.name))

    finished: list[str] = []

    def done(result: runner.Result):
        if result.status != "failed":
            finished.append(result.name)
        if not quiet:
            print(f"  {result.name}: {result.status} in {result.seconds:.1f} s"
                  + (f" ({result.where})" if result.where not in ("", "local") else ""), file=out, flush=True)

    where = f"on the Dask cluster at {scheduler}" if scheduler else f"here, {min(jobs, len(todo))} at a time"
    if not quiet:
        print(f"Building {len(todo)} books {where}:", file=out, flush=True)
    try:
        if scheduler:
            results += runner.run_dask(todo, scheduler, shared=shared, on_done=done)
        else:
            results += runner.run_local(todo, jobs, on_done=done, warm=warm)
    except BaseException as e:  # interrupted: say what the output folder holds (the command line prints it)
        e.failed = (f"{len(finished)} of {len(todo)} books were built or up to date before it stopped "
                    f"({', '.join(finished) or 'none'}); every other book, the site and the feeds in "
                    f"{output}/ are as they were.")
        raise
    listed = site.write(catalogue, [(j.name, j.manuscript, j.dist) for j in todo], output)
    retired = site.retire(output, [s.name for s in catalogue.books])
    order = {s.name: i for i, s in enumerate(catalogue.books)}
    results.sort(key=lambda r: order.get(r.name, 0))
    print(summary(results), file=out)
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        print(f"\n{r.name} failed:\n" + "\n".join(f"  {line}" for line in r.message.splitlines()), file=out)
    if retired:
        print(f"\nNo longer in the catalogue, taken off the site with their editions: {', '.join(retired)}", file=out)
    print(f"\n{len(results) - len(failed)} of {len(results)} books built or up to date, {len(failed)} failed, "
          f"in {time.perf_counter() - started:.1f} s; site and feeds ({len(listed)} books): {output}/index.html, "
          f"{output}/opds.xml, {output}/opds.json", file=out)
    return 1 if failed else 0


def summary(results) -> str:
    """The table: each book, its status, its build time and its editions."""
    rows = [("book", "status", "seconds", "editions")]
    rows += [(r.name, r.status, f"{r.seconds:.1f}", ", ".join(r.editions) or "-") for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    line = lambda row: "  ".join(c.rjust(w) if i == 2 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    return "\n".join([line(rows[0]).rstrip(), "  ".join("-" * w for w in widths)] + [line(r).rstrip() for r in rows[1:]])


__all__ = ["main", "build", "summary", "ManuscriptError"]
