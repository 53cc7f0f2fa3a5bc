"""What `make`, `make proofs` and `make offprints` leave in dist/: modes a web server can read, and
a manifest that knows which tool versions laid the book out."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE, ROOT, press

EPOCH = {"SOURCE_DATE_EPOCH": "1714521600"}


def _press_with_umask(umask: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "press.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, **EPOCH), preexec_fn=lambda: os.umask(umask))


@pytest.mark.parametrize("umask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)])
def test_every_output_has_the_mode_the_umask_asks_for(tmp_path, umask, file_mode, dir_mode):
    dist = tmp_path / "dist"
    for command in (["build"], ["proofs"], ["offprints"]):
        proc = _press_with_umask(umask, *command, "-m", str(FIXTURE), "-d", str(dist))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    paths = [dist, *dist.rglob("*")]
    kinds = {p.suffix for p in paths if p.is_file()}
    assert {".pdf", ".epub", ".html", ".png", ".json", ".txt", ".woff2"} <= kinds, kinds  # all writers ran
    wrong = [f"{p.relative_to(tmp_path)} {stat.S_IMODE(p.stat().st_mode):o}" for p in paths
             if stat.S_IMODE(p.stat().st_mode) != (dir_mode if p.is_dir() else file_mode)]
    assert not wrong, f"expected files {file_mode:o} and folders {dir_mode:o}: {wrong}"
    assert not [p for p in paths if p.name.endswith(".part")], "a temporary file was left behind"


def test_a_changed_tool_version_rebuilds_everything_with_a_whole_layout(tmp_path, fixture_copy):
    dist = tmp_path / "dist"
    assert press("build", "-m", str(fixture_copy), "-d", str(dist), env=EPOCH).returncode == 0
    manifest = json.loads((dist / ".press-manifest.json").read_text())
    assert manifest["toolchain"]["weasyprint"] and manifest["toolchain"]["pango"] and manifest["toolchain"]["pandoc"]
    chapter = fixture_copy / "02-harbours.md"
    chapter.write_text(chapter.read_text().replace("twice a day", "three times a day"))
    edited = press("build", "-m", str(fixture_copy), "-d", str(dist), env=EPOCH)
    assert "laid out again: harbours" in edited.stdout, edited.stdout  # an edit alone: one chapter spliced
    manifest = json.loads((dist / ".press-manifest.json").read_text())
    manifest["toolchain"]["weasyprint"] = "69.0"
    (dist / ".press-manifest.json").write_text(json.dumps(manifest))
    proc = press("build", "-m", str(fixture_copy), "-d", str(dist), env=EPOCH)
    assert proc.returncode == 0, proc.stderr
    assert "Up to date" not in proc.stdout and "weasyprint 69.0 → " in proc.stdout
    assert "laid out again" not in proc.stdout  # the whole book, not a splice
    assert "PDF" in proc.stdout and "EPUB" in proc.stdout and "HTML" in proc.stdout
    again = press("build", "-m", str(fixture_copy), "-d", str(dist), env=EPOCH)
    assert "Up to date" in again.stdout


def test_the_package_runs_from_an_installed_copy_without_the_repository(tmp_path):
    """Styles, templates, assets and locales are package data: a non-editable install builds a book
    from a working folder that is not the repository."""
    site, source = tmp_path / "site", tmp_path / "source"
    # from a copy without setuptools' build/ and egg-info folders: files an earlier install left there would be
    # installed again and hide a file the package data no longer lists
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "dist", ".venv", ".git", ".cache", "node_modules", ".hypothesis", "*_cache", "manuscript",
        "docs"))
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
                          "--target", str(site), str(source)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), **EPOCH)  # ahead of the editable install's path
    proc = subprocess.run([sys.executable, "-m", "press.cli", "build", "-m", str(FIXTURE), "-d", "out"],
                          cwd=work, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    located = subprocess.run([sys.executable, "-c", "import press; print(press.PACKAGE)"],
                             cwd=work, capture_output=True, text=True, env=env).stdout.strip()
    assert Path(located).is_relative_to(site), located  # the installed copy, not the repository
    assert (work / "out" / "html" / "assets").is_dir() and (work / "out" / "tides-and-harbours.epub").exists()
