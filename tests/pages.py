"""Reading page-break markers back: the words on either side of an EPUB marker, and the words at
the top and the foot of a printed page (pypdf), so a test can say whether a marker stands where
its page begins. Shared by the press's tests and the acceptance tests."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from conftest import NS
from lxml import etree

PAGEBREAK_X = "//x:*[@role='doc-pagebreak']"



def _words(text: str) -> list[str]:
    return [w for w in (re.sub(r"\W+", "", w).lower() for w in text.split()) if w]


def around(span, n: int = 1) -> tuple[list[str], list[str]]:
    """The n words before an EPUB page-break marker in its document, and the n words after it
    (a table's caption left out: print sets it under the table)."""
    before = " ".join(span.xpath("preceding::text()[not(ancestor::x:head)]", namespaces=NS)[-40:])
    after = " ".join(span.xpath("following::text()[not(ancestor::x:caption)]", namespaces=NS)[:40])
    return _words(before)[-n:] if n else [], _words(after)[:n]


def page_words(reader, number: int) -> list[str]:
    """The words of a printed page (running head and folio included), in reading order."""
    return _words(reader.pages[number - 1].extract_text())


def near_start(word: str, words: list[str], within: int = 12) -> bool:
    """``word`` (the whole word, in the EPUB) opens one of the first words of a page; a page that
    begins with the second half of a hyphenated word shows only that half."""
    return any(w == word or (len(w) > 1 and word.endswith(w)) for w in words[:within])


def near_end(word: str, words: list[str], within: int = 12) -> bool:
    """``word`` ends the page: among its last words (the folio comes after), or hyphenated there."""
    return any(w == word or (len(w) > 1 and word.startswith(w)) for w in words[-within:])


def markers(epub: Path) -> list[tuple[int, str, object]]:
    """(page number, document name, marker element) of every page-break marker, in page order."""
    out = []
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if name.endswith(".xhtml") and not name.endswith("nav.xhtml"):
                doc = etree.fromstring(z.read(name))
                out += [(int(s.get("id").removeprefix("page-")), name, s) for s in doc.xpath(PAGEBREAK_X, namespaces=NS)]
    return sorted(out, key=lambda m: m[0])

