"""Numbers, sizes and dates as the book's language writes them, by Babel (the Unicode CLDR's
data) rather than by hand: "210.7 kB" in an English book, "210,7 kB" in a Dutch one, "4 April
2025" and "4 april 2025". Takes a BCP 47 tag (the book's ``lang``); an unknown tag falls back to
its primary language, then to English."""
from __future__ import annotations

import datetime as dt
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.units import format_unit

UNITS = (("digital-byte", 1), ("digital-kilobyte", 1e3), ("digital-megabyte", 1e6), ("digital-gigabyte", 1e9))


@cache
def locale(lang: str) -> Locale:
    for tag in (str(lang), str(lang).split("-")[0], "en"):
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def size(n: int, lang: str) -> str:
    """A file size: "210.7 kB" (decimal units, one decimal from kilobytes up)."""
    unit, factor = next(((u, f) for u, f in reversed(UNITS) if n >= f), UNITS[0])
    pattern = "#,##0" if unit == "digital-byte" else "#,##0.0"
    return format_unit(n / factor, unit, length="short", format=pattern, locale=locale(lang))


def date(value: str | dt.date, lang: str) -> str:
    """A date written out in the book's language: "4 April 2025", "4 april 2025"."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value, format="long", locale=locale(lang))
