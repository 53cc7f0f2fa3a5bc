"""What the press needs from the operating system, named once: every external program it runs,
every shared library its Python packages load, the fonts' packages and the spelling dictionaries,
each with the Debian package that provides it.

``scripts/setup.sh`` asks this module which packages to install (it runs before the Python
environment exists, so this file uses the standard library only and runs as a script);
``tests/test_setup.py`` checks that every program the code calls and every library WeasyPrint
loads is named here, and that the named package really provides it.

    python3 scripts/press/system.py packages build|tools|test [BOOK.yaml ...]
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

# Programs the press runs, by stage: "build" (make), "tools" (make check: the validators),
# "test" (make test only).
PROGRAMS: dict[str, tuple[str, str]] = {
    "fc-list": ("fontconfig", "build"),              # finding the installed font files (press.fonts)
    "rsvg-convert": ("librsvg2-bin", "build"),       # pandoc's PNG beside each SVG in the Word documents (old Word)
    "hunspell": ("hunspell", "tools"),               # the spelling check (press.spelling)
    "git": ("git", "build"),                         # press catalogue: books named by a git URL and ref
    "java": ("default-jre-headless", "tools"),       # EPUBCheck and the Nu HTML Checker
    "node": ("nodejs", "tools"),                     # Ace by DAISY and axe-core
    "npm": ("npm", "tools"),                         # installs them (package.json)
    "chromium": ("chromium", "tools"),               # the browser Ace and axe-core drive
    "chromedriver": ("chromium-driver", "tools"),    # axe-core's driver for it
    "soffice": ("libreoffice-core-nogui", "test"),   # LibreOffice headless: opens every Word document press docx writes
    "xvfb-run": ("xvfb", "test"),                    # a display for the WebKit renders (tests/visual/webkit.py)
}

# Packages that add to a program rather than provide one, by stage.
COMPONENTS: dict[str, tuple[str, str]] = {
    "libreoffice-writer-nogui": ("test", "soffice"),  # LibreOffice's Writer: without it soffice cannot read .docx
}

# Data the press reads, by stage: folder → (package, stage).
DATA: dict[str, tuple[str, str]] = {
    # CSL citation styles by name (press.library); pandoc's citeproc carries the CSL locales itself
    "/usr/share/citation-style-language/styles": ("citation-style-language-styles", "build"),
}

# What the WebKit renders of the tests load besides programs, by stage: introspection data and
# bindings for Debian's own Python (/usr/bin/python3; the venv has no PyGObject), and the one system
# face the renders may fall back to (they see no other, as a reader's device has not the book's).
# Keyed by a file of the package (a dpkg -S pattern).
WEBKIT: dict[str, tuple[str, str]] = {
    "*/WebKit2-4.1.typelib": ("gir1.2-webkit2-4.1", "test"),      # WebKit2GTK, the engine of Apple Books' family
    "*/gi/__init__.py": ("python3-gi", "test"),                   # PyGObject
    "*/gi/_gi_cairo.*.so": ("python3-gi-cairo", "test"),          # snapshots as cairo surfaces
    "*/DejaVuSans.ttf": ("fonts-dejavu-core", "test"),            # the renders' only system font
}

# Shared libraries loaded at run time (WeasyPrint opens them with cffi): soname → package.
LIBRARIES: dict[str, str] = {
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libpango-1.0.so.0": "libpango-1.0-0",
    "libpangoft2-1.0.so.0": "libpangoft2-1.0-0",
    "libharfbuzz.so.0": "libharfbuzz0b",
    "libharfbuzz-subset.so.0": "libharfbuzz-subset0",  # font subsetting; without it WeasyPrint warns
    "libfontconfig.so.1": "libfontconfig1",
}

# Libraries WeasyPrint may load but can do without, with the reason they are not installed.
OPTIONAL_LIBRARIES: dict[str, str] = {
    "libharfbuzz-vector.so.0": "not packaged in Debian 12; WeasyPrint draws without it",
}

# hunspell dictionaries by language tag (lower case; the most specific tag wins).
DICTIONARIES: dict[str, str] = {
    "nl": "hunspell-nl", "en": "hunspell-en-us", "en-us": "hunspell-en-us", "en-gb": "hunspell-en-gb",
    "en-au": "hunspell-en-au", "en-ca": "hunspell-en-ca", "en-za": "hunspell-en-za",
    "de": "hunspell-de-de", "de-de": "hunspell-de-de", "de-at": "hunspell-de-at", "de-ch": "hunspell-de-ch",
    "fr": "hunspell-fr", "es": "hunspell-es", "it": "hunspell-it", "pt": "hunspell-pt-pt",
    "pt-br": "hunspell-pt-br", "pt-pt": "hunspell-pt-pt", "da": "hunspell-da", "sv": "hunspell-sv",
    "nb": "hunspell-no", "nn": "hunspell-no", "no": "hunspell-no", "pl": "hunspell-pl", "cs": "hunspell-cs",
    "hu": "hunspell-hu", "ru": "hunspell-ru", "uk": "hunspell-uk", "ro": "hunspell-ro",
}

STAGES = ("build", "tools", "test")
HERE = Path(__file__).resolve().parent


def dictionary_package(lang: str) -> str | None:
    """The Debian package with the hunspell dictionary for a BCP 47 tag, or None."""
    parts = lang.lower().replace("_", "-").split("-")
    for n in range(len(parts), 0, -1):
        found = DICTIONARIES.get("-".join(parts[:n]))
        if found:
            return found
    return None


def font_packages(fonts_yaml: Path) -> list[str]:
    """The font packages styles/fonts.yaml names (read without PyYAML: one face per line)."""
    text = fonts_yaml.read_text(encoding="utf-8") if fonts_yaml.exists() else ""
    return sorted(set(re.findall(r"\bpackage:\s*([a-z0-9.+-]+)", text)))


def book_lang(book_yaml: Path) -> str | None:
    """The ``lang:`` of a book.yaml, read without PyYAML (set-up runs before the environment)."""
    try:
        text = book_yaml.read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(r"^lang:\s*[\"']?([A-Za-z0-9_-]+)", text, re.M)
    return m.group(1) if m else None


def packages(stage: str, books: list[Path]) -> list[str]:
    """Every Debian package a stage needs; later stages include the earlier ones. A program
    already on PATH needs no package (Node.js may come with its own npm, from another source)."""
    upto = STAGES[: STAGES.index(stage) + 1]
    out = set(LIBRARIES.values()) | set(font_packages(HERE / "styles" / "fonts.yaml"))
    out |= {pkg for prog, (pkg, when) in PROGRAMS.items() if when in upto and not shutil.which(prog)}
    out |= {pkg for pkg, (when, _prog) in COMPONENTS.items() if when in upto}
    out |= {pkg for _, (pkg, when) in DATA.items() if when in upto}
    if stage == "test":  # the tests build the example books too
        books = [*books, *sorted((HERE.parents[1] / "examples").glob("*/book.yaml"))]
    for book in books:  # a book's own design may name Debian font packages too (press.design)
        out |= set(font_packages(book.parent / "design" / "fonts.yaml"))
    out |= {pkg for pkg, when in WEBKIT.values() if when in upto}
    if stage != "build":
        for book in books:
            lang = book_lang(book)
            pkg = dictionary_package(lang) if lang else None
            if pkg:
                out.add(pkg)
    return sorted(out)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "packages" or argv[1] not in STAGES:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    print(" ".join(packages(argv[1], [Path(p) for p in argv[2:]])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
