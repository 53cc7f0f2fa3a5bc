"""The Van Vieren press: one Markdown manuscript in, EPUB 3, print-ready PDF and HTML out.

The press's own files travel with the package (installed with or without ``-e``): the style
layers in ``styles/``, the page templates in ``templates/``, the HTML edition's scripts in
``assets/`` and the reader-facing labels in ``locales/``. ``PRESS_STYLES`` and
``PRESS_TEMPLATES`` point the press at other folders (tests and the benchmark use copies).
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
STYLES = Path(os.environ.get("PRESS_STYLES", PACKAGE / "styles"))
TEMPLATES = Path(os.environ.get("PRESS_TEMPLATES", PACKAGE / "templates"))
ASSETS = PACKAGE / "assets"
