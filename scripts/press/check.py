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
from itertools import groupby
from pathlib import Path

import yaml

from .book import display_path, load_book
from .rules import ERROR, RULES, WARNING, Finding, ManuscriptError, finding

SUPPRESSIONS = "suppressions.yaml"
# Warnings that are errors for a release: text the source lost, and author queries still open.
RELEASE_BLOCKERS = ("NOTE-004", "TEXT-001", "QUERY-001")


def load_suppressions(root: Path) -> list[dict]:
    """Entries ``{code, file?, line?, reason}``; an entry without a reason is itself an error."""
    path = root / SUPPRESSIONS
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    entries = data.get("suppress", []) if isinstance(data, dict) else data
    out = []
    for i, e in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(e, dict) or e.get("code") not in RULES:
            raise ManuscriptError([finding("BOOK-009", display_path(path), 0, key=f"suppress[{i + 1}]",
                                           detail="each entry needs a known 'code'")])
        if not str(e.get("reason", "")).strip():
            raise ManuscriptError([finding("BOOK-009", display_path(path), 0, key=f"suppress[{i + 1}]",
                                           detail="a suppression needs a written 'reason'")])
        out.append(e)
    return out


def _matches(entry: dict, f: Finding) -> bool:
    if entry["code"] != f.code:
        return False
    if entry.get("file") and not f.path.endswith(str(entry["file"])):
        return False
    return not entry.get("line") or int(entry["line"]) == f.line


def collect(manuscript: Path, dist: Path | None = None, validators: bool = True) -> list[Finding]:
    """All findings: the manuscript's (book.yaml, chapters, filters, spelling) and, if built, the
    editions'."""
    try:
        book = load_book(manuscript)
    except ManuscriptError as e:
        return e.findings
    from . import pipeline
    try:
        results, findings = pipeline.process(book)
    except ManuscriptError as e:
        return e.findings
    from . import spelling
    findings += spelling.check(book)
    if dist is not None:
        from . import validate
        findings += validate.outputs(book, results, dist, external=validators)
    return findings


def check(manuscript: Path, dist: Path | None, as_json: bool = False, release: bool = False,
          validators: bool = True) -> int:
    suppressions = load_suppressions(manuscript)
    findings = collect(manuscript, dist, validators)
    kept, suppressed = [], []
    for f in sorted(set(findings)):
        entry = next((e for e in suppressions if _matches(e, f)), None)
        (suppressed if entry else kept).append((f, entry))
    severity = lambda f: ERROR if release and f.code in RELEASE_BLOCKERS else f.severity  # noqa: E731
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
        print(f"check: {errors} error(s), {warnings} warning(s), {len(suppressed)} suppressed")
    return 1 if errors else 0
