"""The print edition's style: its layers (``tokens.css``, ``base.css``, ``print.css``; the
printer's bleed in ``print-bleed.css``), the @font-face rules of the faces ``fonts.yaml`` declares,
the font configuration WeasyPrint lays out with, and the PDF options of each variant."""
from __future__ import annotations

import os
import re
import weakref

from .. import fonts, weasy
from ..design import styles

LAYERS = ["tokens.css", "base.css", "print.css"]
BLEED_LAYER = ["print-bleed.css"]
VARIANT_OPTIONS = {"print": {"pdf_variant": "pdf/x-4", "output_intent": "srgb"},
                   "screen": {"pdf_variant": "pdf/ua-1"}}

_CONFIGS: weakref.WeakSet = weakref.WeakSet()  # this process's font configurations still in use


def font_configuration():
    """A WeasyPrint font configuration in which the styles' family names mean the faces
    ``fonts.yaml`` declares and no other installed file (see ``press.fonts``: two optical sizes of
    EB Garamond under one name drew every bullet as a raised "A")."""
    from weasyprint.text.fonts import FontConfiguration
    config = str(fonts.fontconfig_file(styles()))
    before = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = config   # fontconfig reads it when the configuration is made
    try:
        made = FontConfiguration()
        _CONFIGS.add(made)
        return made
    finally:
        if before is None:
            os.environ.pop("FONTCONFIG_FILE", None)
        else:
            os.environ["FONTCONFIG_FILE"] = before


LANG_ATTRIBUTE = re.compile(r"""\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)""")


def preload_hyphenation(lang: str, texts) -> None:
    """Read the hyphenation patterns of the book's language and of every ``lang=`` the ``texts``
    name, as WeasyPrint would on the first word it breaks (pyphen keeps them per process): read
    once here, before the layout workers are forked, every worker shares them."""
    import pyphen
    langs = {lang} | {m.group(1).replace("_", "-") for text in texts for m in LANG_ATTRIBUTE.finditer(text)}
    for name in sorted(langs):
        if pyphen.language_fallback(name) is not None:
            pyphen.Pyphen(lang=name)


def release_fonts() -> None:
    """Remove the copies of the @font-face files WeasyPrint made for this process's layouts (a
    ``weasyprint-*`` folder in the temporary folder per configuration). WeasyPrint removes them
    when the configuration is collected, which never happens in a worker that ends with
    ``os._exit``: without this every build left ~2 MB in /tmp, and a preview session hundreds."""
    for made in list(_CONFIGS):
        weasy.drop_font_copies(made)
    _CONFIGS.clear()


def stylesheets(variant: str = "screen", font_config=None) -> list:
    """The print edition's style layers for WeasyPrint, fonts first; the printer variant adds bleed.
    The @font-face rules load only through ``font_config`` (WeasyPrint ignores them without one)."""
    from weasyprint import CSS
    layers = LAYERS + (BLEED_LAYER if variant == "print" else [])
    faces = fonts.font_face_css(styles(), lambda f: f.path.as_uri())
    return [CSS(string=faces, font_config=font_config)] + [CSS(filename=str(styles() / name)) for name in layers]


def stylesheet_text() -> str:
    """Every style rule the print layouts read, as one text (what a unit's layout depends on)."""
    faces = fonts.font_face_css(styles(), lambda f: f"{f.path.as_uri()}#{f.path.stat().st_size}")
    faces += "".join(f"/* masked: {p} */" for p in fonts.masked(styles()))
    return faces + "".join((styles() / name).read_text(encoding="utf-8") for name in LAYERS + BLEED_LAYER)
