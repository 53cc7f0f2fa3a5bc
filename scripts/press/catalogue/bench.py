"""``press catalogue bench``: how much faster a catalogue builds on this machine's cores and on a
Dask cluster than book after book. A benchmark, not a test: it prints what it measured.

It generates ``--books`` books (24 by default) into a temporary folder: each is the fixture book
(tests/fixtures/book) with one of this book's shorter essays (manuscript/) added, under its own
title, identifier and language (Dutch and English in turn); one of them is broken on purpose (its
contents names a file that is not there) and must be reported while the others build. Then it
builds the catalogue four times from empty output and cache folders:

1. book after book, each a ``press build`` process of its own using every core, as ``make`` in
   each book's folder would (the baseline),
2. one book at a time, each forked from the warm server (``--jobs 1``),
3. in parallel (``--jobs`` = the number of cores; each book forked from the warm server, one
   process each),
4. on a ``distributed.LocalCluster`` with one single-threaded worker per core (``--scheduler``;
   each book a ``press build`` process on its worker),

and reports each wall time and the ratios to the first. The machine's load (``os.getloadavg``)
before and after each run is printed too: on a shared machine the numbers say what was seen.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "book"
MANUSCRIPT = ROOT / "manuscript"
ESSAYS = ["06-ruimte-voor-elkaar.md", "08-next-step.md", "11-kracht-van-onzekerheid.md",
          "01-beleidsinfarct.md", "10-verandermanager.md"]  # the shorter essays: a book of ~30 pages


def generate(folder: Path, count: int, broken: int | None = None) -> Path:
    """``count`` books in ``folder``/books and ``folder``/catalogue.yaml naming them; book number
    ``broken`` (1-based) is broken. Returns the catalogue file."""
    fixture_meta = yaml.safe_load((FIXTURE / "book.yaml").read_text(encoding="utf-8"))
    names = []
    for i in range(1, count + 1):
        lang = "nl" if i % 2 else "en-GB"
        name = f"book-{i:02d}"
        book = folder / "books" / name
        shutil.copytree(FIXTURE, book)
        for img in (MANUSCRIPT / "images").iterdir():
            shutil.copy2(img, book / "images" / img.name)
        essays = [ESSAYS[i % len(ESSAYS)]]
        for essay in essays:
            shutil.copy2(MANUSCRIPT / essay, book / essay)
        title = f"{'Deel' if lang == 'nl' else 'Volume'} {i}: " + ("Getijden en beleid" if lang == "nl" else "Tides and policy")
        meta = {**fixture_meta, "title": title, "lang": lang, "identifier": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, title)}",
                "contents": [*fixture_meta["contents"], *({"file": e} for e in essays)]}
        meta.pop("subtitle", None)
        if i == broken:
            meta["contents"].append({"file": "99-not-written-yet.md"})
        (book / "book.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
        names.append(name)
    catalogue = folder / "catalogue.yaml"
    catalogue.write_text(yaml.safe_dump({
        "title": "Benchmark catalogue", "publisher": "Fixture Press", "base_url": "https://books.example.org/",
        "lang": "en", "books": [{"path": f"books/{n}"} for n in names]}, sort_keys=False), encoding="utf-8")
    return catalogue


def _run(label: str, catalogue: Path, work: Path, **kw) -> tuple[float, str]:
    import io

    from . import build
    out, cache = work / f"out-{label}", work / f"cache-{label}"
    shutil.rmtree(out, ignore_errors=True), shutil.rmtree(cache, ignore_errors=True)
    before = os.getloadavg()[0]
    log = io.StringIO()
    started = time.perf_counter()
    status = build(catalogue, out, cache, quiet=True, out=log, **kw)
    took = time.perf_counter() - started
    text = log.getvalue()
    (work / f"{label}.log").write_text(text, encoding="utf-8")  # every book's line, a failure's own words
    failed = re.findall(r"^(\S+) failed:$", text, re.M)
    built = len(re.findall(r"^book-\d+\s+built\s", text, re.M))
    print(f"{label:<28} {took:7.1f} s   built {built}, failed {', '.join(failed) or 'none'} (exit {status}); "
          f"load {before:.1f} → {os.getloadavg()[0]:.1f}", flush=True)
    for name in failed:  # what each failed book's build said (the catalogue's own report of it)
        said = text.split(f"\n{name} failed:\n", 1)[-1].split("\n\n", 1)[0]
        print(f"  {name} failed:\n{said}", flush=True)
    return took, text


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="press catalogue bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--books", type=int, default=24)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="books at once in the parallel run")
    ap.add_argument("--skip-serial", action="store_true", help="leave out the two one-at-a-time runs")
    ap.add_argument("--skip-dask", action="store_true", help="leave out the LocalCluster run")
    ap.add_argument("--keep", type=Path, help="generate and build in this folder and keep it")
    args = ap.parse_args(argv)
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        print(f"press catalogue bench: {args.keep} is not empty (an earlier run's books and logs?); "
              "name a new folder with --keep, or remove that one", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="press-catalogue-bench-"))
    try:
        catalogue = generate(work, args.books, broken=max(1, args.books // 2))
        cores = os.cpu_count()
        print(f"{args.books} generated books in {work} (one broken), {cores} cores, Python {sys.version.split()[0]}")
        times = {}
        if not args.skip_serial:
            times["book after book (press build each)"] = _run("cold", catalogue, work, jobs=1, warm=False)[0]
            times["one at a time, warm (--jobs 1)"] = _run("serial", catalogue, work, jobs=1)[0]
        times[f"parallel (--jobs {args.jobs})"] = _run("parallel", catalogue, work, jobs=args.jobs)[0]
        if not args.skip_dask:
            from distributed import LocalCluster
            with LocalCluster(n_workers=cores, threads_per_worker=1, host="127.0.0.1", processes=True,
                              dashboard_address=":0") as cluster:
                times[f"LocalCluster ({cores} workers × 1 thread)"] = _run(
                    "dask", catalogue, work, scheduler=cluster.scheduler_address)[0]
        base = next(iter(times.values()))
        print("\n| run | wall time | × the first |\n| --- | ---: | ---: |")
        for label, t in times.items():
            print(f"| {label} | {t:.1f} s | {t / base:.2f} |")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0
