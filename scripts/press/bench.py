"""``press bench``: how fast the press builds, against what the bare tools cost on the same book.

Takes a manuscript folder (``-m``), copies it, the styles and an empty cache into a temporary
folder, and runs in one session, each as a fresh child process: a clean build, a no-op build, a
CSS edit rebuilt (all editions, then the PDF only), one WeasyPrint render of the press's own print
HTML, a one-essay text edit rebuilt, the baseline a user would get from the bare tools (pandoc
→ one standalone HTML, WeasyPrint on that HTML with tokens.css, base.css and print.css, pandoc's
own EPUB writer), how soon ``press preview`` shows a style and a text edit (bench_preview), and a
long book, the manuscript's parts repeated to about 1,000 pages, built clean with one worker and
with two (bench_long; ``--no-long`` leaves it out).
Prints wall time, CPU time (user+sys of the child and everything it waited for), peak memory and
the ratios against the floors, and writes them with the machine to
``docs/performance.md`` (``--no-write``: print only). The real manuscript and styles are never
touched. Returns 0, or 1 when a measured command failed.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

SUMMARY = "measure build speed and memory against the bare tools"

GIB = 1024 ** 3
WRAPPER = "import sys; from press.bench import measured; sys.exit(measured(sys.argv[1:]))"
STAGE = re.compile(r"^  (\S.*?)\s+(\d+\.\d+) s$")

# name, what it is (the table's first column)
MEASURES = [
    ("base_html", "baseline: pandoc → one standalone HTML"),
    ("base_pdf", "baseline: WeasyPrint on that HTML (print CSS)"),
    ("base_epub", "baseline: pandoc's EPUB writer"),
    ("baseline", "baseline total (the three above)"),
    ("clean", "press build, clean (empty cache and dist)"),
    ("noop", "press build, nothing changed"),
    ("css_all", "press build after a print.css edit"),
    ("css_pdf", "press build --only pdf after a print.css edit"),
    ("render1", "one WeasyPrint render of the press's print HTML"),
    ("essay", "press build after a one-essay text edit"),
]


# ---------------------------------------------------------------- the measuring child

def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (from /proc); scripts/peak.py uses it too."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measured(argv: list[str]) -> int:
    """Run ``argv[3:]`` with its output in the file ``argv[1]``; write its figures to ``argv[0]`` as
    JSON. ``argv[2]``: "time", or "sample" to sample the process tree's memory meanwhile (its peak
    PSS; a run that is timed is never sampled, see ``session``). Runs in a fresh process of its own,
    so the rusage of its children is this command's."""
    out, log, sampling, cmd = Path(argv[0]), argv[1], argv[2] == "sample", argv[3:]
    peak = [0]
    with open(log, "wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample():  # the summed PSS of the whole process tree (shared pages counted once)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
            while True:
                peak[0] = max(peak[0], sum(_pss_kb(p) for p in process_tree(proc.pid)))
                if done.wait(0.05):
                    break
        sampler = threading.Thread(target=sample, daemon=True)
        if sampling:
            sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        if sampling:
            sampler.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.write_text(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024,
                               "tree": peak[0] * 1024 if sampling else None, "rc": rc}))
    return 0


# ---------------------------------------------------------------- the session

class Session:
    def __init__(self, manuscript: Path, work: Path):
        from .design import press_styles
        self.work, self.ms, self.styles = work, work / "manuscript", work / "styles"
        self.dist, self.cache, self.base = work / "dist", work / "cache", work / "baseline"
        shutil.copytree(manuscript, self.ms)
        shutil.copytree(press_styles(), self.styles)
        self.base.mkdir()
        self.env = dict(os.environ, PRESS_STYLES=str(self.styles), PRESS_CACHE=str(self.cache))
        self.results: dict[str, list[dict]] = {}
        self.memory: dict[str, list[dict]] = {}  # the figures of the sampled runs (``sampling``)
        self.sampling = False  # runs now sample the process tree's memory: their figures go to ``memory``
        self.logs: dict[str, str] = {}
        self.n = 0
        self.notes: list[str] = []
        self.chapters = 0
        self.load = [os.getloadavg()]
        self.preview: dict[str, list[float]] = {}  # press preview's figures (bench_preview)
        self.long: dict = {}  # the long book's figures (bench_long)
        self.last_log = ""

    def run(self, name: str, cmd: list[str], cwd: Path | None = None, keep: bool = True, env=None) -> dict:
        self.n += 1
        out, log = self.work / f"m{self.n}.json", self.work / f"m{self.n}.log"
        subprocess.run([sys.executable, "-c", WRAPPER, str(out), str(log), "sample" if self.sampling else "time",
                        *cmd], cwd=cwd or self.work, env=env or self.env, check=True)
        fig = json.loads(out.read_text())
        text = self.last_log = log.read_text(encoding="utf-8", errors="replace")
        if fig["rc"] != 0:
            raise RuntimeError(f"{name}: `{' '.join(cmd)}` exited {fig['rc']}:\n{text[-3000:]}")
        if keep and self.sampling:
            self.memory.setdefault(name, []).append(fig)
        elif keep:
            self.results.setdefault(name, []).append(fig)
            self.logs[name] = text
        return fig

    def press(self, name: str, *args: str) -> dict:
        return self.run(name, [sys.executable, "-m", "press.cli", "build", "-m", str(self.ms),
                               "-d", str(self.dist), *args])

    def python(self, name: str, code: str, *args: str, keep: bool = True) -> dict:
        return self.run(name, [sys.executable, "-c", code, *args], keep=keep)


BASE_PDF = """import sys
from weasyprint import CSS, HTML
html, base, out, styles = sys.argv[1:5]
sheets = [CSS(filename=f"{styles}/{n}") for n in ("tokens.css", "base.css", "print.css")]
HTML(filename=html, base_url=base).write_pdf(out, stylesheets=sheets)
"""
PRINT_HTML = """import sys
from pathlib import Path
from press import pipeline
from press.book import load_book
from press.writers import printhtml
book = load_book(Path(sys.argv[1]))
results, findings = pipeline.process(book)
Path(sys.argv[2]).write_text(printhtml.book_html(book, results)[0], encoding="utf-8")
"""
RENDER_ONE = """import hashlib, sys
from pathlib import Path
from press.book import load_book
from press.writers import pdfrender
book = load_book(Path(sys.argv[1]))
ident = hashlib.sha256(book.meta["identifier"].encode()).hexdigest()[:32].encode()
html = Path(sys.argv[2]).read_text(encoding="utf-8")
r = pdfrender.render(html, str(book.root.resolve()) + "/", "screen", sys.argv[3], ident)
sys.exit(1 if r["log"] else 0)
"""


def _edit_essay(book, n: int) -> Path:
    """Append a sentence to the first prose paragraph of an essay in the middle of the book."""
    essays = [c for c in book.chapters if c.authors] or book.chapters
    path = essays[len(essays) // 2].path
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), 0) + 1
    for i in range(start, len(lines)):
        if re.match(r"^[A-Za-zÀ-ÿ‘“]", lines[i]) and len(lines[i]) > 40:
            lines[i] += f" Bewerkt voor meting {n}."
            break
    else:
        lines.append(f"\nBewerkt voor meting {n}.\n")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def session(manuscript: Path, runs: int, work: Path, long: int = 0) -> Session:
    """``long``: how many times the long book repeats the parts (0: no long book)."""
    import pypandoc

    from .book import load_book
    s = Session(manuscript, work)
    book = load_book(s.ms)
    s.chapters = len(book.chapters)
    files = [str(c.path.relative_to(s.ms)) for c in book.chapters]
    title = ["--metadata", f"title={book.meta['title']}"]
    pandoc = pypandoc.get_pandoc_path()
    paths = s.base / "book.html", s.base / "book.pdf", s.base / "book.epub"
    for n in range(runs):  # timed: nothing else runs beside the command
        _sequence(s, n, book, [pandoc, *title], files, paths)
    # memory: the same commands once more, the process tree's PSS sampled meanwhile; reading every
    # process's memory maps slows what it reads (a clean build by 0.2–0.3 s of 6), so these runs
    # give the memory figures only
    s.sampling = True
    _sequence(s, runs, book, [pandoc, *title], files, paths)
    s.sampling = False
    for name, figs in s.results.items():
        sampled = s.memory.get(name, [])
        for fig in figs:
            fig["tree"] = max((m["tree"] for m in sampled), default=None)
            fig["rss"] = max([fig["rss"]] + [m["rss"] for m in sampled])
    from . import bench_preview
    s.preview = bench_preview.measure(s.work, s.ms, s.styles, s.env, runs, _edit_essay, s.notes)
    if long:
        from . import bench_long
        s.sampling = True  # the long book's runs give its time and its memory (see the method)
        s.long = bench_long.measure(s, long)
        s.sampling = False
    s.load.append(os.getloadavg())
    s.results["baseline"] = [{k: (max if k in ("rss", "tree") else sum)(s.results[m][i][k]
                                                                          for m in ("base_html", "base_pdf", "base_epub"))
                              for k in ("wall", "cpu", "rss", "tree")} for i in range(runs)]
    return s


def _sequence(s: Session, n: int, book, pandoc: list[str], files: list[str], paths: tuple) -> None:
    """One run of the session's commands: the baseline, then the press clean, unchanged, after a
    print.css edit (all editions, then the PDF only), one render of its print HTML, after an essay edit."""
    html, pdf_out, epub = paths
    s.run("base_html", [pandoc[0], "-s", "-f", "markdown", "-t", "html5", *pandoc[1:], "-o", str(html), *files], s.ms)
    s.python("base_pdf", BASE_PDF, str(html), str(s.ms) + "/", str(pdf_out), str(s.styles))
    s.run("base_epub", [pandoc[0], "-f", "markdown", "-t", "epub3", *pandoc[1:], "-o", str(epub), *files], s.ms)
    shutil.rmtree(s.dist, ignore_errors=True)
    shutil.rmtree(s.cache, ignore_errors=True)
    s.press("clean")
    for attempt in range(3):  # a no-op only if nothing the build fingerprints changed meanwhile
        s.press("noop")
        if "Up to date" in s.last_log:
            break
        s.notes.append(f"run {n + 1}: a no-op build rebuilt (something the build fingerprints — the "
                       "manuscript, styles, templates or the press's own files — changed meanwhile)")
        if attempt < 2:
            (s.memory if s.sampling else s.results)["noop"].pop()
    css = s.styles / "print.css"
    css.write_text(css.read_text() + f"\nh1 {{ color: #1a1a{n % 100:02d}; }}\n")
    s.press("css_all")
    css.write_text(css.read_text() + f"\nh2 {{ color: #1b1b{n % 100:02d}; }}\n")
    s.press("css_pdf", "--only", "pdf")
    if n == 0:
        s.python("print_html", PRINT_HTML, str(s.ms), str(s.base / "print.html"), keep=False)
    s.python("render1", RENDER_ONE, str(s.ms), str(s.base / "print.html"), str(s.base / "one.pdf"))
    _edit_essay(book, n)
    s.press("essay")


# ---------------------------------------------------------------- the report

def summary(results: dict[str, list[dict]]) -> dict[str, dict]:
    return {name: {"wall": statistics.median(r["wall"] for r in runs), "cpu": statistics.median(r["cpu"] for r in runs),
                   "rss": max(r["rss"] for r in runs), "tree": max(r["tree"] for r in runs),
                   "walls": [r["wall"] for r in runs]}
            for name, runs in results.items()}


def floors(f: dict[str, dict]) -> list[tuple[str, str, float, str, bool, str]]:
    """(floor, measured as, value, limit, met, the same ratio in CPU time) for each floor of the issue."""
    peak = max(max(f[k]["rss"], f[k]["tree"]) for k in ("clean", "noop", "css_all", "css_pdf", "essay"))

    def ratio(a: str, b: str) -> tuple[float, str]:
        return f[a]["wall"] / f[b]["wall"], f"{f[a]['cpu'] / f[b]['cpu']:.2f}"
    rows = [
        ("full clean build", "clean ÷ baseline", *ratio("clean", "baseline"), "≤ 1 ×", 1.0),
        ("no-op build", "wall, s", f["noop"]["wall"], "", "< 1 s", 1.0),
        ("CSS-only rebuild of the PDF", "css_pdf ÷ render1", *ratio("css_pdf", "render1"), "≤ 1.2 ×", 1.2),
        ("one-essay text edit", "essay ÷ clean", *ratio("essay", "clean"), "≤ 0.6 ×", 0.6),
        ("peak memory", "largest of any press build, GiB", peak / GIB, "", "< 1 GiB", 1.0),
    ]
    return [(a, b, v, lim, v < top if lim.startswith("<") else v <= top, cpu) for a, b, v, cpu, lim, top in rows]


def cpu_bound(f: dict[str, dict], cores: int) -> list[str]:
    """What the clean build's CPU time allows: no schedule on ``cores`` cores finishes in less than
    the CPU time divided by the cores, however well the work is spread."""
    cpu, base = f["clean"]["cpu"], f["baseline"]["wall"]
    least = cpu / cores
    return [f"The clean build used {cpu:.2f} s of CPU (all its processes). On {cores} core(s) no schedule "
            f"finishes that in less than {least:.2f} s: {least / base:.2f} × the baseline's {base:.2f} s, "
            f"against {f['clean']['wall'] / base:.2f} × measured. The clean-build floor (≤ 1 ×) needs the build's "
            f"CPU time below {cores * base:.2f} s ({cores} × the baseline's wall time) and that time spread over "
            f"every core the whole time (see How it is measured).", ""]


def machine() -> dict[str, str]:
    import pypandoc
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown")
    mem = next((int(ln.split()[1]) * 1024 for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")), 0)
    return {"nproc": f"{len(os.sched_getaffinity(0))} (os.cpu_count() = {os.cpu_count()})", "CPU": cpu,
            "memory": f"{mem / GIB:.1f} GiB", "OS": platform.platform(), "Python": platform.python_version(),
            "pandoc": pypandoc.get_pandoc_version(), "WeasyPrint": metadata.version("weasyprint")}


def stages(log: str) -> list[tuple[str, float]]:
    return [(m.group(1), float(m.group(2))) for m in map(STAGE.match, log.splitlines()) if m]


def table(f: dict[str, dict]) -> list[str]:
    base = f["baseline"]["wall"]
    rows = ["| measure | wall | CPU | peak RSS (largest process) | peak PSS (whole tree) | wall ÷ baseline |",
            "|---|---:|---:|---:|---:|---:|"]
    for name, text in MEASURES:
        x = f[name]
        walls = "" if len(x["walls"]) < 2 else " (" + ", ".join(f"{w:.2f}" for w in x["walls"]) + ")"
        rows.append(f"| {text} | {x['wall']:.2f} s{walls} | {x['cpu']:.2f} s | {x['rss'] / 2**20:.0f} MiB | "
                    f"{x['tree'] / 2**20:.0f} MiB | {x['wall'] / base:.2f} |")
    return rows


def report(s: Session, manuscript: Path, runs: int, command: str) -> str:
    from . import bench_long, bench_preview
    f = summary(s.results)
    out = ["# Performance", "",
           "Written by `press bench` (scripts/press/bench.py); do not edit by hand, run it again.", "",
           f"Command: `{command}` (`press bench -m {manuscript} --runs {runs}`), "
           f"{_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC, manuscript `{manuscript}` "
           f"({s.chapters} chapters).", "",
           "## Machine", "", "| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in machine().items()], "",
           "## Floors", "", "Measured, never asserted in tests.", "",
           "| floor | measured as | value (wall) | limit | met | the same ratio in CPU time (preview pages: CPU s) |",
           "|---|---|---:|---|---|---:|"]
    for what, how, v, lim, ok, cpu in floors(f) + bench_preview.floors(s.preview, f["css_all"]):
        out.append(f"| {what} | {how} | {v:.2f} | {lim} | {'yes' if ok else '**no**'} | {cpu} |")
    out += ["", "### The clean build's CPU time", "", *cpu_bound(f, len(os.sched_getaffinity(0))),
            "## Figures", "",
            f"Median of {runs} run(s) (every run listed when more than one); memory is the maximum.", "",
            *table(f), "",
            "## The preview", "",
            "`press preview` on the same copy: from a save to the new image of the page in view, and "
            "until the whole book is updated (see How it is measured).", "",
            *bench_preview.table(s.preview), "",
            "## A long book", "", *bench_long.table(s.long, stages), "",
            "## Where a build spends its time", "",
            "The stages the build itself reports (last run).", "",
            "| stage | clean | one-essay edit | print.css edit |", "|---|---:|---:|---:|"]
    cols = [dict(stages(s.logs.get(k, ""))) for k in ("clean", "essay", "css_all")]
    for name in dict.fromkeys(n for c in cols for n in c):
        out.append(f"| {name} | " + " | ".join(f"{c[name]:.2f} s" if name in c else "" for c in cols) + " |")
    load = ", ".join(f"{a:.2f}" for a in s.load[0]) + " at the start, " + ", ".join(f"{a:.2f}" for a in s.load[-1])
    out += ["", "## Notes", "", f"- Load average (1, 5, 15 min): {load} at the end of the session.",
            *[f"- {n}" for n in s.notes]]
    out += ["", "## How it is measured", "",
            "- Everything runs on a copy of the manuscript and of `styles/` in a temporary folder "
            "(`PRESS_STYLES`), with an empty `PRESS_CACHE`; the real files are never changed.",
            "- Each command runs as a fresh child of a small wrapper process: wall time is its elapsed "
            "time, CPU time is `getrusage(RUSAGE_CHILDREN)` user + system (the command and every process "
            "it waited for), peak RSS is `ru_maxrss` (the largest single process), peak PSS sums the "
            "proportional set size of the whole process tree, sampled every 0.05 s from `/proc` "
            "(a command shorter than that may show none) by a thread at the lowest priority.",
            "- Time and memory come from different runs. Reading a process's memory maps slows the "
            "process read (the kernel walks its page tables under its memory-map lock; a clean build "
            "sampled this way took 6.1–6.3 s against 5.9–6.0 s unsampled), and it slows a build of "
            "many processes more than the one-process baseline. So every command runs first timed, "
            "with nothing sampling it (the runs above), then once more, in the same order, sampled: "
            "that run gives the memory figures only. The long book's runs are sampled; their "
            "times carry that cost (more for two workers than for one).",
            "- Baseline: `pandoc -s -f markdown -t html5` on the chapter files in reading order, "
            "WeasyPrint's `HTML(...).write_pdf` with `tokens.css`, `base.css` and `print.css`, and "
            "`pandoc -t epub3` on the same files; its figure is the sum of the three (memory: the largest).",
            "- The press builds two PDFs (screen PDF/UA-1 and print PDF/X-4), the EPUB (with a page list "
            "from the PDF) and the HTML site with subset web fonts; the baseline builds one plain PDF, "
            "a plain EPUB and one HTML page.",
            "- The long book (scripts/press/bench_long.py): the manuscript's front and back matter once and its "
            "parts repeated, each copy's ids suffixed so they stay unique; built clean with `press build -j 1` "
            "and `-j 2` in fresh processes, once each. `-j` sets the workers: chapters through pandoc and the "
            "filters, and the chunks a clean build lays the book out in (one with `-j 1`; see docs/architecture.md, "
            "\"A clean build lays out in parallel\"), each chunk writing its two PDFs.",
            "- `one WeasyPrint render` renders the press's own print HTML once (the screen variant, "
            "in a fresh process) with the press's stylesheets: the floor for a CSS-only rebuild.",
            "- The one-essay edit appends a sentence to one paragraph of an essay in the middle of the book; "
            "the build parses that essay again, lays out only its pages and splices them into the last PDFs "
            "(a print.css edit lays out the whole book, in chunks like a clean build; see docs/architecture.md).",
            "- The preview: `press preview` runs on the copy and is told the page shows the opening page of "
            "that essay; each run saves a `--colour-ink` change (the PDFs' text colour) to `tokens.css` "
            "(a rename, as editors save), "
            "then the one-essay edit. *Visible page*: from the save until the PNG of that page, changed, has "
            "been fetched from the preview's server as the page fetches it after the server-sent event "
            "(the browser's paint is not counted). *Whole book*: until the build with the edit has finished "
            "(the preview builds the PDF and the HTML edition, not the EPUB). *CPU*: user + system time of all "
            "the preview's processes from the save until then (`/proc`, the jobs' children included), the whole "
            "build running beside the visible part included.",
            ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from . import bench_long, bench_preview
    ap = argparse.ArgumentParser(prog="press bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("-m", "--manuscript", type=Path, default=Path(os.environ.get("MANUSCRIPT", "manuscript")))
    ap.add_argument("--runs", type=int, default=3,
                    help="repeat every measure N times and report the median (default 3: one run's wall "
                         "time moves by a few per cent from run to run)")
    ap.add_argument("--out", type=Path, default=Path("docs/performance.md"))
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    ap.add_argument("--no-long", action="store_true", help="leave out the long book (about 4 minutes on 2 cores)")
    ap.add_argument("--long-repeats", type=int, default=bench_long.REPEATS,
                    help=f"the long book: the parts this many times (default {bench_long.REPEATS}: about 1,000 pages)")
    args = ap.parse_args(argv)
    if not (args.manuscript / "book.yaml").is_file():
        print(f"press bench: {args.manuscript}/book.yaml not found", file=sys.stderr)
        return 2
    runs = max(1, args.runs)
    with tempfile.TemporaryDirectory(prefix="press-bench-") as tmp:
        print(f"press bench: {args.manuscript}, {runs} run(s), in {tmp} …", flush=True)
        busy, cpus = os.getloadavg()[0], len(os.sched_getaffinity(0))
        if busy > cpus / 2:
            print(f"press bench: the machine is busy (load average {busy:.1f} on {cpus} CPUs); wall times "
                  "will be longer than on a quiet machine", file=sys.stderr)
        try:
            s = session(args.manuscript, runs, Path(tmp), long=0 if args.no_long else max(1, args.long_repeats))
        except RuntimeError as e:
            print(f"press bench: {e}", file=sys.stderr)
            return 1
        f = summary(s.results)
        print("\n".join(table(f)))
        print()
        print("\n".join(bench_preview.table(s.preview)))
        print()
        print("\n".join(bench_long.table(s.long, stages)))
        print()
        print(f"{'floor':<40} {'measured as':<34} {'wall':>8}  {'limit':<8} {'':<8} {'CPU':>6}")
        for what, how, v, lim, ok, cpu in floors(f) + bench_preview.floors(s.preview, f["css_all"]):
            print(f"{what:<40} {how:<34} {v:8.2f}  {lim:<8} {'met' if ok else 'NOT met':<8} {cpu:>6}")
        for note in s.notes:
            print(f"note: {note}")
        print("load average: " + " → ".join(f"{load[0]:.2f}" for load in s.load))
        if not args.no_write:
            command = "make bench" if args.manuscript == Path("manuscript") else f"make bench MANUSCRIPT={args.manuscript}"
            text = report(s, args.manuscript, runs, command)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            tmp_out = args.out.with_name(f".{args.out.name}.part")
            tmp_out.write_text(text, encoding="utf-8")
            os.replace(tmp_out, args.out)
            print(f"\nwritten: {args.out}")
    return 0
