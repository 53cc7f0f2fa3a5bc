"""``make check``: every finding about the manuscript and the built editions, in one report.

Runs the same rule engine as the build (the pipeline's findings), then the checks on the outputs
in ``DIST`` (``press.validate``: EPUBCheck, Ace, axe-core, the Nu checker, links and navigation).
Prints ``path:line: CODE message`` grouped by file and a summary by severity; ``--json`` for
machines. Exit status 0 only without errors. A finding can be accepted in the manuscript's
``suppressions.yaml`` with a written reason; the report lists every suppression used.
"""
from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from itertools import groupby
from pathlib import Path

from . import schema
from .book import _load_yaml, display_path, load_book, read_text
from .rules import ERROR, RULES, WARNING, Finding, ManuscriptError, finding

SUPPRESSIONS = "suppressions.yaml"


def load_suppressions(root: Path) -> tuple[list[dict], list[Finding]]:
    """The entries ``{code, file?, line?, reason}`` of the manuscript's ``suppressions.yaml``, and
    the findings about the file itself (SUPP-00x: not YAML, an unknown key, a wrong value, a code
    the press does not have, an entry without a reason). A file with any of those suppresses
    nothing."""
    path = root / SUPPRESSIONS
    if not path.is_file():
        return [], []
    rel = display_path(path)
    try:
        data, node = _load_yaml(read_text(path, rel), rel, "SUPP-001")
    except ManuscriptError as e:
        return [], e.findings
    if data is None:
        return [], []
    found = []
    for p in schema.validate(data, node, "suppressions.yaml", known_codes=set(RULES)):
        if p.kind == "yaml" or not p.key:
            found.append(finding("SUPP-001", rel, p.line, detail=p.detail))
        elif p.kind == "unknown":
            found.append(finding("SUPP-002", rel, p.line, key=p.key, hint=p.detail))
        else:
            entry = next((s + 1 for s in p.path if isinstance(s, int)), 0)
            name = f"'{p.path[-1]}'" if p.path and isinstance(p.path[-1], str) else "it"
            if p.kind == "missing":
                detail = f"{name} is missing: every suppression needs one"
            elif p.kind == "empty":
                detail = f"{name} is empty"
            elif p.expected:
                detail = f"{name} must be {p.expected}, not {p.found}"
            else:
                detail = p.detail
            found.append(finding("SUPP-003", rel, p.line, detail=f"suppression {entry}: {detail}" if entry else detail))
    if found:
        return [], found
    return (data if isinstance(data, list) else data.get("suppress") or []), []


def _matches(entry: dict, f: Finding) -> bool:
    if entry["code"] != f.code:
        return False
    if entry.get("file") and not f.path.endswith(str(entry["file"])):
        return False
    return not entry.get("line") or int(entry["line"]) == f.line


def collect(manuscript: Path, dist: Path | None = None, validators: bool = True, progress: bool = False) -> list[Finding]:
    """All findings: the manuscript's (book.yaml, chapters, filters, spelling) and, if built, the
    editions'. The findings about ``suppressions.yaml`` itself come first. The spelling check and
    the checks of the editions run side by side (they are mostly other programs: hunspell, Java,
    the browsers); with ``progress`` each one's time is printed on stderr as it ends."""
    _, found = load_suppressions(manuscript)
    started = time.perf_counter()
    try:
        book = load_book(manuscript)
    except ManuscriptError as e:
        return found + e.findings
    from . import pipeline
    try:
        results, findings = pipeline.process(book)
    except ManuscriptError as e:
        return found + e.findings
    _say(progress, "the manuscript (pandoc and filters)", time.perf_counter() - started)
    from . import fonts
    from .writers.common import STYLES
    findings = found + findings + fonts.problems(STYLES)  # missing (PDF-003), damaged or not embeddable faces
    from . import spelling
    todo: list = [("spelling (hunspell)", lambda: spelling.check(book))]
    if dist is not None:
        from . import validate
        now, more = validate.tasks(book, results, dist, external=validators)
        findings += now
        todo += more
    return findings + side_by_side(todo, progress)


def _say(progress: bool, what: str, took: float, extra: str = "") -> None:
    if progress:
        print(f"  {what:<38} {took:6.1f} s{extra}", file=sys.stderr, flush=True)


def side_by_side(todo: list, progress: bool = False) -> list[Finding]:
    """Run (name, function returning findings) tasks in threads; a task that raises did not run
    (CHECK-001), it never passes."""
    if progress:
        print(f"check: {', '.join(name for name, _ in todo)} (side by side)…", file=sys.stderr, flush=True)

    def timed(name, task):
        t = time.perf_counter()
        try:
            found = task()
        except Exception as e:  # whatever went wrong, the check did not happen
            found = [finding("CHECK-001", "check", 0, tool=name, detail=f"{type(e).__name__}: {e}")]
        return found, time.perf_counter() - t

    out: list[Finding] = []
    with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
        futures = {pool.submit(timed, name, task): name for name, task in todo}
        for future in as_completed(futures):
            found, took = future.result()
            failed = sum(1 for f in found if f.code.startswith("CHECK-"))
            _say(progress, futures[future], took, f"  ({'did not run' if failed else f'{len(found)} finding(s)'})")
            out += found
    return out


def check(manuscript: Path, dist: Path | None, as_json: bool = False, release: bool = False,
          validators: bool = True, progress: bool = False) -> int:
    suppressions, _ = load_suppressions(manuscript)
    started = time.perf_counter()
    findings = collect(manuscript, dist, validators, progress=progress)
    kept, suppressed = [], []
    for f in sorted(set(findings)):
        entry = next((e for e in suppressions if _matches(e, f)), None)
        (suppressed if entry else kept).append((f, entry))
    severity = lambda f: ERROR if release and f.code in ("NOTE-004", "TEXT-001") else f.severity  # noqa: E731
    errors = sum(1 for f, _ in kept if severity(f) == ERROR)
    warnings = sum(1 for f, _ in kept if severity(f) == WARNING)
    if as_json:
        json.dump({"findings": [dict(f.as_dict(), severity=severity(f)) for f, _ in kept],
                   "suppressed": [dict(f.as_dict(), reason=e["reason"]) for f, e in suppressed],
                   "summary": {"errors": errors, "warnings": warnings, "suppressed": len(suppressed)}},
                  sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for path, group in groupby(kept, key=lambda fe: fe[0].path):
            print(path)
            for f, _ in group:
                print(f"  {f}  [{severity(f)}]")
        if suppressed:
            print("Suppressed (accepted in suppressions.yaml):")
            for f, e in suppressed:
                print(f"  {f}  — {e['reason']}")
        print(f"check: {errors} error(s), {warnings} warning(s), {len(suppressed)} suppressed"
              + (f" in {time.perf_counter() - started:.0f} s" if progress else ""))
    return 1 if errors else 0
