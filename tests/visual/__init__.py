"""Pixel comparisons for the visual tests: what a reader sees, against approved images.

``assert_looks_like(image, "name", regen)`` compares a rendered page (a Pillow image) with the
approved ``tests/visual/approved/name.png``. Pixels whose colour differs by more than ``THRESHOLD``
in some channel count as changed; more than ``tolerance`` of them (a fraction) fails the test,
which writes ``name.new.png`` (the new rendering) and ``name.diff.png`` (the approved image, faded,
with the changed pixels in red) beside the approved one. ``pytest --regen`` approves the new look:
review the images (``git diff --stat tests/visual``) before committing them.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops

APPROVED = Path(__file__).resolve().parent / "approved"
THRESHOLD = 48        # per channel, 0–255: anti-aliasing noise stays below this
TOLERANCE = 0.002     # fraction of pixels allowed to change


def changed_mask(a: Image.Image, b: Image.Image) -> Image.Image:
    """A 1-bit mask of the pixels that differ by more than THRESHOLD in some channel."""
    r, g, b_ = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).split()
    strongest = ImageChops.lighter(ImageChops.lighter(r, g), b_)
    return strongest.point(lambda v: 255 if v > THRESHOLD else 0, mode="1")


def highlight(approved: Image.Image, mask: Image.Image) -> Image.Image:
    faded = Image.blend(approved.convert("RGB"), Image.new("RGB", approved.size, "white"), 0.7)
    faded.paste(Image.new("RGB", approved.size, (230, 0, 0)), (0, 0), mask)
    return faded


def assert_looks_like(image: Image.Image, name: str, regen: bool, tolerance: float = TOLERANCE) -> None:
    approved_path = APPROVED / f"{name}.png"
    new_path, diff_path = approved_path.with_suffix(".new.png"), approved_path.with_suffix(".diff.png")
    image = image.convert("RGB")
    approved_path.parent.mkdir(parents=True, exist_ok=True)
    if regen:
        image.save(approved_path)
        new_path.unlink(missing_ok=True)
        diff_path.unlink(missing_ok=True)
        return
    if not approved_path.exists():
        image.save(new_path)
        raise AssertionError(f"no approved image {approved_path.name}; the rendering is in {new_path}: "
                             "review it and run pytest --regen to approve it")
    approved = Image.open(approved_path).convert("RGB")
    if approved.size != image.size:
        image.save(new_path)
        raise AssertionError(f"{name}: the rendering is {image.size[0]}×{image.size[1]} px, the approved image "
                             f"{approved.size[0]}×{approved.size[1]} px (new rendering: {new_path})")
    mask = changed_mask(approved, image)
    changed = mask.convert("L").histogram()[255] / (image.size[0] * image.size[1])
    if changed > tolerance:
        image.save(new_path)
        highlight(approved, mask).save(diff_path)
        raise AssertionError(f"{name}: {changed:.2%} of the pixels changed (at most {tolerance:.2%}); "
                             f"see {new_path.name} and {diff_path.name} in {approved_path.parent}")
    new_path.unlink(missing_ok=True)
    diff_path.unlink(missing_ok=True)
