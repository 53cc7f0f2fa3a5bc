"""The long book of ``press bench``: the book's parts repeated until it is about 1,000 pages, built
clean with one worker and with two.

Takes the bench's session (its copy of the manuscript and its environment) and writes the long
manuscript beside that copy: the front matter and back matter once, every part ``repeats`` times,
each copy of a chapter a file of its own whose ids — given as ``{#id}`` or ``{.class #id}``, and
linked as ``](#id)`` — end in ``-rK``, so the book's ids stay unique and its links keep their
targets. Then it builds that manuscript from an empty cache and output folder twice, with
``press build -j 1`` and ``-j 2``, through the session's measuring wrapper (wall, CPU, memory).
Returns what the report needs: the Markdown's size, the screen PDF's page count, both runs'
figures and the build's stages (``table``).
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import yaml

REPEATS = 10   # this book (125 pages) becomes about 1,070 pages
ATTRIBUTES = re.compile(r"\{[^{}\n]*\}")  # {#id .class key=value}: pandoc's attributes, where ids are given
LINKED = re.compile(r"\]\(#([^)\s]+)\)")


def generate(manuscript: Path, folder: Path, repeats: int = REPEATS) -> int:
    """The long manuscript in ``folder``; returns the size of its chapters' Markdown in bytes."""
    from .book import load_book
    from .filters import ids  # ids.GIVEN: an id an editor gave, as the press reads it
    shutil.copytree(manuscript, folder)
    meta = yaml.safe_load((folder / "book.yaml").read_text(encoding="utf-8"))
    items = meta["contents"]
    parts = [i for i, item in enumerate(items) if "part" in item] or [0]
    front, middle, back = items[:parts[0]], items[parts[0]:parts[-1] + 1], items[parts[-1] + 1:]

    def copy(name: str, r: int) -> str:
        if r == 1:
            return name
        text = (manuscript / name).read_text(encoding="utf-8")
        text = ATTRIBUTES.sub(lambda a: ids.GIVEN.sub(lambda m: f"#{m.group(1)}-r{r}", a.group(0)), text)
        text = LINKED.sub(lambda m: f"](#{m.group(1)}-r{r})", text)
        (folder / f"{Path(name).stem}-r{r}.md").write_text(text, encoding="utf-8")
        return f"{Path(name).stem}-r{r}.md"

    repeated = []
    for r in range(1, repeats + 1):
        for item in middle:
            if "part" in item:
                repeated.append({**item, "part": item["part"] + (f" ({r})" if r > 1 else ""),
                                 "files": [copy(name, r) for name in item["files"]]})
            else:
                repeated.append({**item, "file": copy(item["file"], r)})
    meta["contents"] = front + repeated + back
    (folder / "book.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    book = load_book(folder)
    return sum(len((c.source or c.body).encode("utf-8")) for c in book.chapters)


def measure(session, repeats: int = REPEATS) -> dict:
    """Generate the long book beside ``session``'s copy and build it clean with 1 and with 2 workers."""
    import pypdf
    folder = session.work / "long"
    size = generate(session.ms, folder / "manuscript", repeats)
    out = {"bytes": size, "repeats": repeats, "runs": {}, "stages": {}}
    for workers in (1, 2):
        dist, cache = folder / f"dist-{workers}", folder / f"cache-{workers}"
        env = dict(session.env, PRESS_CACHE=str(cache))
        fig = session.run(f"long_j{workers}", [sys.executable, "-m", "press.cli", "build", "-m",
                                                str(folder / "manuscript"), "-d", str(dist), "-j", str(workers)],
                          keep=False, env=env)
        out["runs"][workers] = fig
        out["stages"][workers] = session.last_log
        if workers == 1:
            pdf = next(p for p in dist.glob("*.pdf") if not p.name.endswith("-print.pdf"))
            out["pages"] = len(pypdf.PdfReader(pdf).pages)
        shutil.rmtree(dist, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    return out


def table(long: dict, stages) -> list[str]:
    """The report's section rows: each run's wall, CPU and memory, and the build's own stages."""
    if not long:
        return ["Not measured (`--no-long`)."]
    one, two = long["runs"][1], long["runs"][2]
    rows = [f"This book's {long['repeats']} × its parts: {long['bytes'] / 1e6:.2f} MB of Markdown, "
            f"{long['pages']} pages in the screen PDF; built clean (empty cache and output folder), once each.", "",
            "| workers (`press build -j N`) | wall | CPU | peak RSS (largest process) | peak PSS (whole tree) | "
            "wall ÷ one worker |", "|---|---:|---:|---:|---:|---:|"]
    for n, fig in ((1, one), (2, two)):
        rows.append(f"| {n} | {fig['wall']:.1f} s | {fig['cpu']:.1f} s | {fig['rss'] / 2**20:.0f} MiB | "
                    f"{fig['tree'] / 2**20:.0f} MiB | {fig['wall'] / one['wall']:.2f} |")
    cols = [dict(stages(long["stages"][n])) for n in (1, 2)]
    rows += ["", "| stage | 1 worker | 2 workers |", "|---|---:|---:|"]
    for name in dict.fromkeys(n for c in cols for n in c):
        rows.append(f"| {name} | " + " | ".join(f"{c[name]:.2f} s" if name in c else "" for c in cols) + " |")
    return rows
