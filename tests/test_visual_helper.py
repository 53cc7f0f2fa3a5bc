"""The pixel comparison itself: a changed glyph fails and leaves the new and the diff image; noise passes."""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

import visual


@pytest.fixture
def approved_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(visual, "APPROVED", tmp_path)
    return tmp_path


def _page(text: str, shift: int = 0) -> Image.Image:
    image = Image.new("RGB", (200, 100), "white")
    ImageDraw.Draw(image).text((20 + shift, 40), text, fill="black")
    return image


def test_a_changed_glyph_fails_and_writes_the_new_and_the_diff_image(approved_dir):
    visual.assert_looks_like(_page("• item"), "list", regen=True)
    visual.assert_looks_like(_page("• item"), "list", regen=False)
    with pytest.raises(AssertionError, match="pixels changed"):
        visual.assert_looks_like(_page("A item"), "list", regen=False)
    assert (approved_dir / "list.new.png").exists() and (approved_dir / "list.diff.png").exists()
    diff = Image.open(approved_dir / "list.diff.png").convert("RGB")
    assert (230, 0, 0) in {c for _, c in diff.getcolors(100000)}


def test_a_missing_approval_fails_and_a_size_change_fails(approved_dir):
    with pytest.raises(AssertionError, match="no approved image"):
        visual.assert_looks_like(_page("x"), "absent", regen=False)
    visual.assert_looks_like(_page("x"), "sized", regen=True)
    with pytest.raises(AssertionError, match="px"):
        visual.assert_looks_like(_page("x").resize((201, 100)), "sized", regen=False)
