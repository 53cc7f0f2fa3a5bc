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


def collect(manuscript: Path, dist: Path | None = None, validators: bool = True) -> list[Finding]:
    """All findings: the manuscript's (book.yaml, chapters, filters, spelling) and, if built, the
    editions'. The findings about ``suppressions.yaml`` itself come first."""
    _, found = load_suppressions(manuscript)
    try:
        book = load_book(manuscript)
    except ManuscriptError as e:
        return found + e.findings
    from . import pipeline
    try:
        results, findings = pipeline.process(book)
    except ManuscriptError as e:
        return found + e.findings
    findings = found + findings
    from . import spelling
    findings += spelling.check(book)
    if dist is not None:
        from . import validate
        findings += validate.outputs(book, results, dist, external=validators)
    return findings


def check(manuscript: Path, dist: Path | None, as_json: bool = False, release: bool = False,
          validators: bool = True) -> int:
    suppressions, _ = load_suppressions(manuscript)
    findings = collect(manuscript, dist, validators)
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
        print(f"check: {errors} error(s), {warnings} warning(s), {len(suppressed)} suppressed")
    return 1 if errors else 0
