"""Proofs that show what changed (``press proofs --since last``, press.proofdiff), on a copy of the
fixture book: a one-word edit names exactly the page it is on; a larger text size reports the new
page count and the openings that moved, as the two builds' page maps have them; the side-by-side
PNGs mark the differences in red."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import press
from PIL import Image

from press import proofdiff


def build_and_proof(book: Path, dist: Path, *extra: str) -> dict:
    proc = press("build", "-m", str(book), "-d", str(dist), env={"SOURCE_DATE_EPOCH": "1714521600"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = press("proofs", "-m", str(book), "-d", str(dist), *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((dist / "reports" / "pagemap.json").read_text())


def red_pixels(path: Path) -> int:
    image = Image.open(path).convert("RGB")
    return sum(n for n, (r, g, b) in image.getcolors(1 << 24) if r > 180 and g < 120 and b < 120)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, request):
    import shutil

    from conftest import FIXTURE
    book = tmp_path_factory.mktemp("proofdiff") / "book"
    shutil.copytree(FIXTURE, book)
    dist = book.parent / "dist"
    first = build_and_proof(book, dist)
    assert (dist / "proofs-last" / "book.pdf").exists()   # make proofs keeps its set
    return book, dist, first


def test_a_one_word_edit_names_exactly_its_page(baseline):
    book, dist, first = baseline
    preface = book / "00-preface.md"
    preface.write_text(preface.read_text().replace("collected in one part", "gathered in one part"))
    second = build_and_proof(book, dist, "--since", "last")
    report = json.loads((dist / "proofs-diff" / "report.json").read_text())
    page = second["anchors"]["preface"]
    assert [(c["page"], c["kind"]) for c in report["changes"]] == [(page, "changed")]
    assert report["pages_before"] == report["pages_after"] == first["pages"]
    assert report["openings"] == []
    png = dist / "proofs-diff" / f"page-{page:03d}.png"
    assert red_pixels(png) > 50
    assert f"p. {page:>4}  changed" in (dist / "proofs-diff" / "report.txt").read_text()
    assert sorted(p.name for p in (dist / "proofs-diff").glob("*.png")) == [png.name]


def test_a_larger_text_size_reports_the_page_count_and_the_moved_openings(baseline):
    book, dist, _ = baseline
    before = json.loads((dist / "reports" / "pagemap.json").read_text())
    (book / "design").mkdir(exist_ok=True)
    (book / "design" / "tokens.css").write_text(":root { --size-text: 16pt; }\n")
    after = build_and_proof(book, dist, "--since", "last")
    report = json.loads((dist / "proofs-diff" / "report.json").read_text())
    assert (report["pages_before"], report["pages_after"]) == (before["pages"], after["pages"])
    assert after["pages"] > before["pages"]
    chapters = ("preface", "tides", "harbours", "people")
    moved = {c: (before["anchors"][c], after["anchors"][c]) for c in chapters if before["anchors"][c] != after["anchors"][c]}
    assert moved, "the larger size moved no opening: the test proves nothing"
    assert {o["id"]: (o["before"], o["after"]) for o in report["openings"] if o["kind"] == "chapter"} == moved
    text = (dist / "proofs-diff" / "report.txt").read_text()
    assert f"{before['pages']} → {after['pages']} pages" in text
    assert {c["page"] for c in report["changes"] if c["kind"] == "added"} == set(range(before["pages"] + 1, after["pages"] + 1))


def test_without_kept_proofs_there_is_nothing_to_compare(tmp_path):
    assert proofdiff.write(tmp_path, tmp_path / "book.pdf", {}) is None
