"""A check never passes without running: each validator is broken in turn — no Java, a jar or a
browser that crashes, a missing program, output that is not the report — and ``press check``
(what ``make check`` runs after building) must fail with a CHECK-001 "did not run" finding for
it, remove the old report first, and say nothing passed. An edition left over from an older
build is not checked but reported (CHECK-002)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE, press
from test_rules import covers

TOOLS = {"EPUBCheck", "Ace by DAISY", "axe-core", "the Nu HTML Checker"}


@pytest.fixture
def dist(fixture_book, tmp_path) -> Path:
    out = tmp_path / "dist"
    shutil.copytree(fixture_book.dist, out)
    (out / "reports").mkdir(exist_ok=True)
    # a report from an earlier, good run: it must not count for this one
    (out / "reports" / "epubcheck.json").write_text('{"messages": []}', encoding="utf-8")
    (out / "reports" / "vnu.json").write_text('{"messages": []}', encoding="utf-8")
    return out


def fake(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)


def path_with(tmp_path: Path, *programs: str) -> Path:
    """A PATH folder holding only the named programs of this machine."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for program in programs:
        found = shutil.which(program)
        if found:
            (folder / program).symlink_to(found)
    return folder


def check(dist: Path, env: dict) -> tuple[int, list[dict], str]:
    proc = press("check", "-m", str(FIXTURE), "-d", str(dist), "--json", env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"], proc.stderr


def did_not_run(findings: list[dict]) -> dict[str, str]:
    out = {}
    for f in findings:
        if f["code"] == "CHECK-001":
            tool = f["message"].split(" did not run")[0]
            out[tool] = f["message"]
    return out


@covers("CHECK-001")
def test_no_java_and_no_node(dist, tmp_path):
    """Java and Node.js missing: the two jars and the two browser tools did not run."""
    bin_dir = path_with(tmp_path, "hunspell")
    status, findings, _ = check(dist, {"PATH": str(bin_dir)})
    assert status == 1
    failed = did_not_run(findings)
    assert set(failed) == TOOLS, failed
    assert "Java is not installed" in failed["EPUBCheck"] and "Java is not installed" in failed["the Nu HTML Checker"]
    assert "node" in failed["Ace by DAISY"] and "node" in failed["axe-core"]
    assert all(f["severity"] == "error" for f in findings if f["code"] == "CHECK-001")
    assert not (dist / "reports" / "epubcheck.json").exists() and not (dist / "reports" / "vnu.json").exists()


@covers("CHECK-001")
def test_crashing_jar_and_browser(dist, tmp_path):
    """Java that crashes on the jar, a browser and a driver that crash at start."""
    bin_dir = path_with(tmp_path, "hunspell", "node")
    fake(bin_dir, "java", 'echo "Error: Invalid or corrupt jarfile" >&2; exit 1')
    fake(bin_dir, "crash", 'echo "crashed" >&2; exit 1')
    status, findings, _ = check(dist, {"PATH": str(bin_dir), "PRESS_CHROMIUM": str(bin_dir / "crash"),
                                       "PRESS_CHROMEDRIVER": str(bin_dir / "crash")})
    assert status == 1
    failed = did_not_run(findings)
    assert set(failed) == TOOLS, failed
    assert "corrupt jarfile" in failed["EPUBCheck"] and "corrupt jarfile" in failed["the Nu HTML Checker"]
    assert not [f for f in findings if f["code"] in ("EPUB-001", "HTML-003")]


@covers("CHECK-001")
def test_output_that_is_not_the_report(dist, tmp_path):
    """A Java that exits 0 and prints something other than the JSON report: not a pass."""
    bin_dir = path_with(tmp_path, "hunspell")  # and no node: Ace and axe-core stop at once
    fake(bin_dir, "java", 'echo "Picked up JAVA_TOOL_OPTIONS: nothing to see" >&2; exit 0')
    status, findings, _ = check(dist, {"PATH": str(bin_dir)})
    assert status == 1
    failed = did_not_run(findings)
    assert set(failed) == TOOLS
    assert "no report" in failed["EPUBCheck"] and "no report" in failed["the Nu HTML Checker"]


@covers("CHECK-001")
def test_a_missing_jar(dist, tmp_path):
    status, findings, _ = check(dist, {"PRESS_EPUBCHECK_JAR": str(tmp_path / "gone.jar"),
                                       "PRESS_VNU_JAR": str(tmp_path / "gone.jar"),
                                       "PRESS_NODE_MODULES": str(tmp_path / "none")})
    assert status == 1
    assert {"EPUBCheck", "the Nu HTML Checker"} <= set(did_not_run(findings))


@covers("CHECK-001")
def test_spelling_check_that_fails(dist, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake(bin_dir, "hunspell", 'echo "hunspell: cannot open dictionary" >&2; exit 2')
    proc = press("check", "-m", str(FIXTURE), "--manuscript-only", "--json",
                 env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    failed = did_not_run(json.loads(proc.stdout)["findings"])
    assert "cannot open dictionary" in failed["the spelling check (hunspell)"]


@covers("CHECK-002")
def test_editions_of_an_older_manuscript_are_not_checked(dist, fixture_copy):
    """The build failed after an edit, so dist/ still holds the last good editions: the check
    must not report on them as if they were this manuscript's."""
    chapter = fixture_copy / "03-people.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new sentence.\n", encoding="utf-8")
    proc = press("check", "-m", str(fixture_copy), "-d", str(dist), "--json", "--no-validators")
    findings = json.loads(proc.stdout)["findings"]
    assert proc.returncode == 1
    assert sorted(f["path"] for f in findings if f["code"] == "CHECK-002") == \
        sorted(["tides-and-harbours.epub", "tides-and-harbours.pdf", "html"])


def test_progress_names_each_check_and_its_time(fixture_book, tmp_path):
    proc = press("check", "-m", str(FIXTURE), "--manuscript-only", "--progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "spelling (hunspell)" in proc.stderr and " s" in proc.stderr
