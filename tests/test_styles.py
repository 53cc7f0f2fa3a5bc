"""The style layers (scripts/press/styles/) keep their own rules: every rule is alive, every shared
value is a token.

- Alive: every selector of every layer matches an element of a document that layer is read for —
  the print book, an offprint, the EPUB's and the HTML edition's pages, the author queries' proof,
  its list and its marks — made by the press's own writers from the fixture books and a chapter
  made here that uses what they do not (parts, a query, a pending note). The matching is
  WeasyPrint's own (cssselect2 on tinyhtml5's tree). What cannot match a static document is
  stripped first (pseudo-elements, states such as :focus); what is matched by something outside the
  press (a reading system's theme attribute, the search script) is listed in EXCEPTIONS with why.
- Tokens: outside tokens.css no layer writes a colour or a font stack; a letter-spacing or an
  absolute length that is not a stroke (borders, outlines, radii) is written once or is a token;
  and a measure written in two layers is a token, unless SAME_BY_CHANCE says why the two are alike
  only by chance. Keywords (display: block, font-style: italic) are not values to share.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import cssselect2
import pytest
import tinycss2
import tinyhtml5
from conftest import APPARATUS, EDGES, FIXTURE
from PIL import Image

from press import offprints, pandoc, queries
from press.book import load_book
from press.pipeline import process
from press.writers import epub, pdfprint
from press.writers import html as html_writer
from press.writers.common import environment, markup
from press.writers.pdf import book_html

STYLES = Path(__file__).resolve().parents[1] / "scripts" / "press" / "styles"

# Which documents each layer is read for (writers/pdf.py, epub.py, html.py, offprints.py, queries.py)
READ_FOR = {
    "base.css": ("print", "offprint", "proof", "queries-list", "epub", "html"),
    "print.css": ("print", "offprint", "proof", "queries-list"),
    "epub.css": ("epub",),
    "html.css": ("html",),
    "proof.css": ("proof", "queries-list", "marks"),
}
LAYERS = ("tokens.css", "base.css", "print.css", "print-bleed.css", "epub.css", "html.css", "proof.css")

# Selectors matched by something outside the press's documents: {prefix or selector: why}. A listed
# prefix is removed and the rest of the selector must still match.
EXCEPTIONS = {
    ':root[__ibooks_internal_theme*="Night"]': "Apple Books (and Foliate) set this on the root in a night theme",
    ':root[__ibooks_internal_theme*="Gray"]': "Apple Books (and Foliate) set this on the root in a gray theme",
    ':root[style*="readium-night-on"]': "Readium sets its night flag in the root's style attribute",
}
# Selectors for what is made where this test does not look: {selector: (the file that makes it, why)};
# the class or tag must stand in that file.
PRESS = STYLES.parent
MADE_ELSEWHERE = {
    "#search-results li": (PRESS / "assets" / "search.js", "the search script lists its results"),
    "#search-results .snippet": (PRESS / "assets" / "search.js", "the search script lists its results"),
    "#search-results .authors": (PRESS / "assets" / "search.js", "the search script lists its results"),
    ".pagebreak": (PRESS / "writers" / "epub.py", "the EPUB's page markers need the PDF's layout (press build)"),
}

# Pseudo-elements and states no static document shows; stripped before matching
UNMATCHABLE = re.compile(r"::?(before|after|marker|first-line|first-letter)\b|"
                         r":(hover|focus-visible|focus-within|focus|active|visited|link)\b")

FEATURES = """\
---
title: "Made for the style test"
author: [Ada Writer]
---

::: sidebar
## A box before the first section

Text in a box: its title is a second-level heading.
:::

A paragraph after a box.

::: sidebar
An untitled box.
:::

A paragraph after an untitled box.

## Headings in a row

### Kept with the one above

::: sidebar
### A box in a third-level section

- an item in a box
- and another
:::

#### A fourth level

A paragraph after it.

::: sidebar
### A box in a fourth-level section

Text.
:::

##### A fifth level

::: sidebar
### A box in a fifth-level section

Text.
:::

###### A sixth level

![A photograph](images/photo.png){alt="Grey."}

A paragraph after a figure, with a question [here]{.query text="Is this right?"} and a note still to come.[^p]

::: {.query text="Should this paragraph stay?"}
A queried paragraph.
:::

[^p]: The source is []{.pending}
"""


def _features_book(tmp: Path) -> Path:
    """The fixture book with one chapter more: what the other fixtures do not have (headings at
    every level, boxes in sections of each level, a raster figure, author queries, a pending note)."""
    root = tmp / "features"
    shutil.copytree(FIXTURE, root)
    (root / "04-features.md").write_text(FEATURES, encoding="utf-8")
    Image.new("RGB", (60, 40), (128, 128, 128)).save(root / "images" / "photo.png")
    yaml = (root / "book.yaml").read_text(encoding="utf-8")
    (root / "book.yaml").write_text(yaml.rstrip("\n") + "\n  - file: 04-features.md\n", encoding="utf-8")
    return root


def _parse(text: str | bytes) -> cssselect2.ElementWrapper:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return cssselect2.ElementWrapper.from_html_root(tinyhtml5.parse(text))


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, list]:
    return make_documents(tmp_path_factory.mktemp("styles"))


def make_documents(tmp: Path) -> dict[str, list]:
    """{kind: [parsed documents]} as the writers make them, for every fixture book."""
    docs: dict[str, list] = defaultdict(list)
    for root in (FIXTURE, APPARATUS, EDGES, _features_book(tmp)):
        book = load_book(root)
        results, _ = process(book)
        docs["print"].append(_parse(book_html(book, results)[0]))
        docs["offprint"] += [_parse(offprints.offprint_html(book, r, {})) for r in offprints.essays(results)]
        out = tmp / book.slug
        epub.write(book, results, out / "book.epub", None)
        with zipfile.ZipFile(out / "book.epub") as z:
            docs["epub"] += [_parse(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")]
        download = out / "book.pdf"
        download.write_bytes(b"%PDF-1.7")
        html_writer.write(load_book(root), results, out / "html", [(download, "PDF")])
        docs["html"] += [_parse(p.read_bytes()) for p in sorted((out / "html").glob("*.html"))]
        proof, _ = process(load_book(root), proof=True)
        docs["proof"].append(_parse(book_html(book, proof)[0]))
        listed = queries.chapters(proof, {})
        md = queries.markdown(book, listed, proof[0].ctx.labels, "proof.pdf")
        body = pandoc.ast_to_html(pandoc.markdown_to_ast(md, "queries.md"), "queries.md")
        docs["queries-list"].append(_parse(environment().get_template("print/queries.html").render(
            lang=book.lang, title="queries", body=markup(body))))
    docs["print"].append(_parse(pdfprint.BLANK_LEAF))  # the printer's PDF ends on blank leaves
    drawn = {1: [{"kind": "label", "x": 1, "y": 1, "text": "Q 1"}, {"kind": "caret", "x": 1, "y": 1},
                 {"kind": "bar", "x": 1, "y": 1, "h": 9}], 2: [{"kind": "label", "x": 1, "y": 1, "text": "Q 2"}]}
    docs["marks"].append(_parse(queries.overlay_html(book, drawn, [{"width": 100, "height": 100}] * 2)))
    return docs


def _rules(tokens, at=()):
    """(at-rule context, qualified rule) for every style rule, inside @media too."""
    for rule in tokens:
        if rule.type == "qualified-rule":
            yield at, rule
        elif rule.type == "at-rule" and rule.at_keyword == "media" and rule.content is not None:
            yield from _rules(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True),
                              at + ("media",))


def _sheet(name: str) -> list:
    return tinycss2.parse_stylesheet((STYLES / name).read_text(encoding="utf-8"), skip_comments=True,
                                     skip_whitespace=True)


def selectors(name: str) -> list[str]:
    """Every selector of a layer, one per comma-separated item."""
    out = []
    for _, rule in _rules(_sheet(name)):
        items: list[list] = [[]]
        for token in rule.prelude:  # a comma inside :not(…) or [attr="…"] is inside one token
            if token.type == "literal" and token.value == ",":
                items.append([])
            else:
                items[-1].append(token)
        out += [tinycss2.serialize(item).strip() for item in items if tinycss2.serialize(item).strip()]
    return out


def test_every_named_page_is_used():
    """A named @page rule (print.css, proof.css) is alive when some rule puts elements on it."""
    named, used = set(), set()
    for name in READ_FOR:
        for rule in _sheet(name):
            if rule.type == "at-rule" and rule.at_keyword == "page":
                tokens = [t for t in rule.prelude if t.type != "whitespace"]
                named |= {t.value for i, t in enumerate(tokens) if t.type == "ident"
                          and not (i and tokens[i - 1].type == "literal" and tokens[i - 1].value == ":")}
        used |= {tinycss2.serialize(d.value).strip() for _, d in _declarations(name) if d.name == "page"}
    assert named and named <= used, named - used


def dead(name: str, documents: dict[str, list]) -> list[str]:
    """The selectors of ``name`` that match nothing in the documents it is read for."""
    trees = [d for kind in READ_FOR[name] for d in documents[kind]]
    out = []
    for selector in selectors(name):
        if selector in MADE_ELSEWHERE:
            assert selector.split()[-1].lstrip(".#") in MADE_ELSEWHERE[selector][0].read_text(encoding="utf-8")
            continue
        for prefix in EXCEPTIONS:
            if selector.startswith(prefix + " "):
                selector = ":root " + selector[len(prefix):].strip()
        static = UNMATCHABLE.sub("", selector).strip() or "*"
        compiled = cssselect2.compile_selector_list(static)[0]
        if not any(compiled.test(e) for tree in trees for e in tree.iter_subtree()):
            out.append(selector)
    return out


@pytest.mark.parametrize("name", sorted(READ_FOR))
def test_every_selector_matches_what_the_writers_make(name, documents):
    assert dead(name, documents) == []


def test_every_exception_is_still_needed():
    every = [s for name in READ_FOR for s in selectors(name)]
    for prefix in EXCEPTIONS:
        assert any(s.startswith(prefix) for s in every), prefix
    for selector in MADE_ELSEWHERE:
        assert selector in every, selector
    for name, prop, value in LITERALS_ALLOWED:
        assert any(d.name == prop and tinycss2.serialize(d.value).strip() == value for _, d in _declarations(name))
    for prop, value in SAME_BY_CHANCE:  # still written in two layers
        assert len({name for name in LAYERS for _, d in _declarations(name)
                    if d.name == prop and tinycss2.serialize(d.value).strip() == value}) > 1, (prop, value)


def test_the_layers_say_what_they_are_for():
    for name in LAYERS:
        text = (STYLES / name).read_text(encoding="utf-8")
        assert text.startswith("/* "), name
        assert len(text.split("*/")[0].strip().splitlines()) >= 2, name  # two lines at least


# --- tokens --------------------------------------------------------------------------------------

COLOUR_WORDS = {"white", "black", "red", "green", "blue", "gray", "grey", "yellow"}
STROKES = re.compile(r"^(border|outline)")  # stroke weights and radii are set per element
ABSOLUTE = {"pt", "px", "mm", "cm", "in", "q", "pc"}
# Literals a layer may write, with why: {(layer, property, value)}
LITERALS_ALLOWED = {
    ("epub.css", "background-color", "#ffffff"):
        "the fallback before var(--figure-paper, …) for a reading system without custom properties",
}


# A measure written in two layers is one decision (a token) unless the layers size different things
# alike by chance: {(property, value): why}
SAME_BY_CHANCE = {
    ("font-size", "1em"): "the surrounding size: no decision to share",
    ("max-width", "100%"): "as wide as the container: no decision to share",
    ("font-size", "0.75em"): "a note call (base) and the EPUB contents' part number",
    ("font-size", "0.85em"): "the colophon (base) and the web edition's small lines (search results, contents authors)",
    ("font-size", "0.9em"): "tables (base) and the print contents' page numbers",
    ("font-size", "2em"): "the EPUB's book title and the print part title",
    ("margin", "0 0 0.4em"): "a bibliography entry (base) and the print title page's title",
    ("margin-top", "2em"): "the EPUB contents page and the print title page's author and publisher lines",
}


def _declarations(name: str):
    """(selector text, declaration) for every declaration of a layer, @page margin boxes included."""
    for rule in _sheet(name):
        if rule.type == "at-rule" and rule.at_keyword == "page" and rule.content is not None:
            prelude = "@page " + tinycss2.serialize(rule.prelude).strip()
            for item in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
                if item.type == "declaration":
                    yield prelude, item
                elif item.type == "at-rule" and item.content is not None:
                    for d in tinycss2.parse_declaration_list(item.content, skip_comments=True, skip_whitespace=True):
                        if d.type == "declaration":
                            yield f"{prelude} @{item.at_keyword}", d
    for at, rule in _rules(_sheet(name)):
        for d in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
            if d.type == "declaration":
                yield " ".join(("@media",) * len(at) + (tinycss2.serialize(rule.prelude).strip(),)), d


def _flat(values):
    for t in values:
        yield t
        if t.type == "function" and t.lower_name != "var":
            yield from _flat(t.arguments)


def literal_problems(styles: Path = STYLES) -> list[str]:
    problems, uses, where = [], Counter(), defaultdict(set)
    for name in LAYERS:
        if name == "tokens.css":
            continue
        for selector, d in _declarations(name):
            value = tinycss2.serialize(d.value).strip()
            if d.name.startswith("--"):
                continue
            if (name, d.name, value) in LITERALS_ALLOWED:
                continue
            for t in _flat(d.value):
                colour = t.type == "hash" or (t.type == "function" and t.lower_name in ("rgb", "rgba", "hsl", "hsla")) \
                    or (t.type == "ident" and t.lower_value in COLOUR_WORDS)
                if colour:
                    problems.append(f"{name}: {selector} {{ {d.name}: {value} }}: a colour outside tokens.css")
                if t.type == "dimension" and t.value != 0 and not STROKES.match(d.name) and \
                        (t.lower_unit in ABSOLUTE or d.name == "letter-spacing"):
                    uses[t.serialize()] += 1
                    where[t.serialize()].add(f"{name}: {selector} {{ {d.name} }}")
            if d.name == "font-family" and any(t.type in ("string", "ident") for t in d.value):
                problems.append(f"{name}: {selector} {{ font-family: {value} }}: a font stack outside tokens.css")
            if any(t.type in ("dimension", "percentage") and t.value != 0 for t in _flat(d.value)) \
                    and (d.name, value) not in SAME_BY_CHANCE:
                where[(d.name, value)].add(f"{name}: {selector}")
    problems += [f"{length} written {n} times, make it a token: {sorted(where[length])}"
                 for length, n in uses.items() if n > 1]
    problems += [f"{{ {key[0]}: {key[1]} }} in {sorted(rules)}: a token (or base.css), or SAME_BY_CHANCE"
                 for key, rules in where.items()
                 if isinstance(key, tuple) and len({r.split(":")[0] for r in rules}) > 1]
    return problems


def test_no_layer_repeats_a_literal_instead_of_a_token():
    assert literal_problems() == []
