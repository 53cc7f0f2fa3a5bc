"""WebKit renders for the tests: pages of an unpacked EPUB drawn and measured by WebKit2GTK.

``render(jobs, folder)`` runs ``webkit_render.py`` (next to this file) in Debian's own Python
under Xvfb — PyGObject and WebKit2GTK come from Debian (``gir1.2-webkit2-4.1``, ``python3-gi``,
``python3-gi-cairo``, ``xvfb``; ``scripts/setup.sh test`` installs them) and cannot be imported by
the venv's Python. A job is a dict (see ``webkit_render.py``); each result is what the page
measured, or ``{"error": ...}``.

Reading systems' themes, as the renders apply them: ``NIGHT`` is a night theme's page (light text
on a near-black page, as Apple Books' and Foliate's night themes), ``GRAY`` a gray one; the
``SIGNALS`` are the ways a reading system tells a book it is dark.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageChops, ImageDraw, ImageFilter

SCRIPT = Path(__file__).resolve().parent / "webkit_render.py"
SYSTEM_PYTHON = "/usr/bin/python3"
NIGHT = {"fg": "#e6e6e6", "bg": "#121212"}
GRAY = {"fg": "#d7d7d8", "bg": "#5a5a5c"}
SIGNALS = {  # name → what the job sets
    "prefers-color-scheme": {"scheme": "dark", "theme": NIGHT},
    "apple-books-night": {"root_attrs": {"__ibooks_internal_theme": "BKNightStyleTheme"}, "theme": NIGHT},
    "apple-books-gray": {"root_attrs": {"__ibooks_internal_theme": "BKGrayStyleTheme"}, "theme": GRAY},
    "readium-night": {"root_style": "--USER__appearance: readium-night-on", "theme": NIGHT},
}


def available() -> str | None:
    """Why WebKit renders cannot run here, or None when they can."""
    if not shutil.which("xvfb-run"):
        return "xvfb-run is missing"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('WebKit2', '4.1'); "
                            "gi.require_version('Gtk', '3.0'); from gi.repository import WebKit2; import cairo"],
                           capture_output=True, text=True)
    if probe.returncode:
        return f"{SYSTEM_PYTHON} cannot load WebKit2GTK 4.1: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def render(jobs: list[dict], folder: Path) -> list[dict]:
    missing = available()
    if missing:
        pytest.fail(f"WebKit renders need Debian's WebKit2GTK ({missing}): run scripts/setup.sh test")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", SYSTEM_PYTHON, str(SCRIPT),
                           str(folder / "jobs.json"), str(folder / "results.json")],
                          capture_output=True, text=True, timeout=1200)
    if proc.returncode:
        raise AssertionError(f"the WebKit renderer failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert len(results) == len(jobs)
    return results


def luminance(rgb) -> float:
    def channel(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = rgb[:3]
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a, b) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


SVG = "{http://www.w3.org/2000/svg}"


def _contours(d: str) -> list[list[tuple[float, float]]]:
    """The contours of an SVG path of absolute commands (M L H V C Q Z: what press.svgtext
    writes), curves flattened to points."""
    out, current, pos = [], [], (0.0, 0.0)
    for cmd, args in re.findall(r"([MLHVCQZ])([^MLHVCQZ]*)", d):
        n = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if cmd == "M":
            if current:
                out.append(current)
            pos = (n[0], n[1])
            current = [pos]
            n = n[2:]
            cmd = "L"
        if cmd == "L":
            for i in range(0, len(n), 2):
                pos = (n[i], n[i + 1])
                current.append(pos)
        elif cmd in "HV":
            for v in n:
                pos = (v, pos[1]) if cmd == "H" else (pos[0], v)
                current.append(pos)
        elif cmd in "CQ":
            k = 6 if cmd == "C" else 4
            for i in range(0, len(n), k):
                pts = [pos] + [(n[i + j], n[i + j + 1]) for j in range(0, k, 2)]
                for t in (s / 8 for s in range(1, 9)):
                    current.append(_bezier(pts, t))
                pos = pts[-1]
        elif cmd == "Z" and current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _bezier(pts, t):
    while len(pts) > 1:
        pts = [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for a, b in zip(pts, pts[1:])]
    return pts[0]


def figure_labels(svg: Path) -> tuple[tuple[float, ...], list[list[list[tuple[float, float]]]]]:
    """An SVG's view box and, for each of its labels (text drawn as outlines by press.svgtext),
    the contours of its glyphs in the SVG's user units."""
    root = etree.parse(str(svg)).getroot()
    view = tuple(float(v) for v in re.split(r"[\s,]+", root.get("viewBox").strip()))
    labels = []
    for group in root.iter(f"{SVG}g"):
        if "press-text" in (group.get("class") or "").split():
            labels.append([c for path in group.iter(f"{SVG}path") for c in _contours(path.get("d"))])
    return view, labels


def label_contrast(shot: Image.Image, contours, place: tuple[float, float, float, float, float]) -> tuple:
    """How one label reads in a rendering: ``place`` = (left, top, view x, view y, scale) maps the
    SVG's user units to the image's pixels. The label's ink is the pixel inside its glyphs that stands out most from the
    ground; the ground is the commonest colour just around the glyphs (the page, or a backdrop the
    figure puts under them). Returns (contrast, ink, ground)."""
    left, top, vx, vy, scale = place
    pts = [[(left + (x - vx) * scale, top + (y - vy) * scale) for x, y in c] for c in contours]
    xs, ys = [x for c in pts for x, _ in c], [y for c in pts for _, y in c]
    box = (int(min(xs)) - 3, int(min(ys)) - 3, int(max(xs)) + 4, int(max(ys)) + 4)
    size = (box[2] - box[0], box[3] - box[1])
    mask = Image.new("1", size, 0)
    for c in pts:  # even-odd: a counter drawn over its glyph cuts it out
        one = Image.new("1", size, 0)
        ImageDraw.Draw(one).polygon([(x - box[0], y - box[1]) for x, y in c], fill=1)
        mask = ImageChops.logical_xor(mask, one)
    raw = shot.crop(box).convert("RGB").tobytes()
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    around = mask.convert("L").filter(ImageFilter.MaxFilter(5)).tobytes()
    ground_pixels = [p for p, m in zip(pixels, around) if not m]
    ground = max(set(ground_pixels), key=ground_pixels.count)
    inside = [p for p, m in zip(pixels, mask.convert("L").tobytes()) if m] or pixels
    ink = max(inside, key=lambda c: contrast(c, ground))
    return contrast(ink, ground), ink, ground
