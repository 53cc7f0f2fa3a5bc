"""The versions of the tools that decide what the editions look like: pandoc, WeasyPrint, pydyf,
fontTools and uharfbuzz (Python packages, pinned in requirements.lock), and HarfBuzz and Pango (the
system libraries WeasyPrint loads). They are recorded in the build manifest and folded into the
print layout's cache key: after an upgrade of any of them the next build rebuilds every edition
and lays the whole book out again, instead of reporting "Up to date" or splicing pages laid out
by two versions.

Takes nothing; returns ``{tool: version}``. Cheap enough for a no-op build (package metadata,
two C calls, and ``pandoc --version`` once per process).
"""
from __future__ import annotations

import ctypes
from functools import cache
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("weasyprint", "pydyf", "fonttools", "uharfbuzz", "pypandoc-binary")
LIBRARIES = {"harfbuzz": ("libharfbuzz.so.0", "hb_version_string"),
             "pango": ("libpango-1.0.so.0", "pango_version_string")}


def _library_version(soname: str, function: str) -> str:
    try:
        fn = getattr(ctypes.CDLL(soname), function)
    except (OSError, AttributeError):
        return "absent"
    fn.restype = ctypes.c_char_p
    return fn().decode()


@cache
def versions() -> dict[str, str]:
    from .pandoc import pandoc_version
    out = {"pandoc": pandoc_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    for name, (soname, function) in LIBRARIES.items():
        out[name] = _library_version(soname, function)
    return out
