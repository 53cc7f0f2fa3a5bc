"""Property-based variants of the hostile SVG and YAML cases (hypothesis): whatever mixture of
scripts, handlers, foreign elements, entities, references and style sheets an SVG holds, the
cleaned file has none of them left and cleaning it again removes nothing; whatever YAML a
manuscript holds, anchors and aliases are refused at the line of the first one, deep nesting
is refused, and everything else loads as PyYAML's safe loader reads it."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_hostile import _svg_problems

from press import svgclean
from press.book import MAX_YAML_DEPTH, _load_yaml
from press.rules import ManuscriptError

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XHTML = "http://www.w3.org/1999/xhtml"

ELEMENTS = [f"{{{SVG}}}{n}" for n in ("g", "rect", "circle", "path", "text", "tspan", "use", "defs", "symbol",
                                      "linearGradient", "stop", "clipPath", "pattern", "filter", "feGaussianBlur",
                                      "a", "script", "foreignObject", "animate", "set", "image", "feImage",
                                      "iframe", "handler", "style", "switch", "blink")]
ELEMENTS += [f"{{{XHTML}}}script", f"{{{XHTML}}}body", "{http://www.inkscape.org/namespaces/inkscape}layer", "script"]
ATTRIBUTES = ["fill", "x", "width", "id", "class", "transform", "style", "onload", "onclick", "OnMouseOver",
              "href", f"{{{XLINK}}}href", f"{{{XLINK}}}title", "{http://www.w3.org/XML/1998/namespace}base",
              "filter", "clip-path", "mask", "values", "attributeName", "to", "begin", "requiredExtensions"]
VALUES = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "\tjavascript:alert(1)", "data:text/html,<script>x</script>",
          "data:image/png;base64,AAAA", "http://evil.example/x", "//evil.example/x", "file:///etc/passwd",
          "other.svg#a", "#a", "#b", "url(http://evil.example/p)", "url(#a)", "url( 'http://e.example/' )",
          "u\\72l(http://evil.example/e)", "expression(alert(1))", "red", "10", "rotate(45)",
          "fill: url(http://e.example/); stroke: red", "fill: red", "behavior: url(x.htc)", "&lt;script&gt;", ""]
CSS = ["@import url(http://evil.example/x.css);", "@import 'x.css';", ".a { fill: red }", ".b { fill: url(#a) }",
       ".c { background: url(http://evil.example/t.png) }", ".d { fill: u\\72l(http://evil.example/) }",
       "@font-face { src: url(http://evil.example/f.woff) }", ".e { -moz-binding: url(x.xml#b) }",
       "@media print { .f { background-image: url('data:image/png;base64,AA') } }", ".g { width: expression(1) }",
       "</style><script>alert(1)</script>", "}{ broken ;", ".h { fill: image-set('x.png' 1x) }"]
TEXTS = ["", "moon", "<script>alert(1)</script>", "ENTITY", "javascript:alert(1)"]


@st.composite
def svg_documents(draw) -> bytes:
    def element(depth: int):
        tag = draw(st.sampled_from(ELEMENTS))
        el = etree.Element(tag, nsmap={None: SVG, "xlink": XLINK})
        for name in draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=4, unique=True)):
            el.set(name, draw(st.sampled_from(VALUES)))
        if tag.endswith("}style"):
            el.text = " ".join(draw(st.lists(st.sampled_from(CSS), max_size=3)))
        else:
            el.text = draw(st.sampled_from(TEXTS))
        if depth < 4:
            for _ in range(draw(st.integers(0, 3))):
                child = element(depth + 1)
                child.tail = draw(st.sampled_from(TEXTS))
                el.append(child)
        return el

    root = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG, "xlink": XLINK})
    for name in draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3, unique=True)):
        root.set(name, draw(st.sampled_from(VALUES)))
    for _ in range(draw(st.integers(1, 4))):
        root.append(element(1))
    text = etree.tostring(root, encoding="unicode").replace("ENTITY", "&e;")
    entity = draw(st.sampled_from(['<!ENTITY e "internal">', '<!ENTITY e SYSTEM "file:///etc/passwd">',
                                   '<!ENTITY e SYSTEM "http://evil.example/e">']))
    return f'<?xml version="1.0"?>\n<!DOCTYPE svg [ {entity} ]>\n{text}\n'.encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(svg_documents())
@example(b'<?xml version="1.0"?>\n<!DOCTYPE svg [ <!ENTITY e "internal"> ]>\n<svg xmlns="http://www.w3.org/2000/svg">'
         b"<style>}{ broken ; @import 'x.css';</style></svg>\n")  # an @import inside a rule's block (found by hypothesis)
def test_cleaned_svg_has_nothing_active_left(data):
    try:
        cleaned, removed = svgclean.clean(data)
    except svgclean.Refused as e:  # a reference cycle, for instance: refused, with a reason
        assert str(e)
        return
    root = etree.fromstring(cleaned, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    assert _svg_problems(root, "cleaned.svg") == []
    assert b"<!DOCTYPE" not in cleaned and b"<!ENTITY" not in cleaned and b"passwd" not in cleaned
    for el in root.iter():
        if isinstance(el.tag, str):
            assert etree.QName(el).namespace == SVG and etree.QName(el).localname in svgclean.ELEMENTS
    again, removed_again = svgclean.clean(cleaned)
    assert removed_again == [] and again == cleaned  # a fixed point: nothing more to remove


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufeff\x85\u2028\u2029"),
                            max_size=20))


def nested(leaves):
    return st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text("abcxyz", min_size=1, max_size=5),
                                                                          inner, max_size=4)), max_leaves=30)


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 1


@settings(max_examples=300, deadline=None)
@given(nested(scalars))
def test_yaml_without_aliases_loads_as_written(data):
    text = yaml.safe_dump({"key": data}, allow_unicode=True)
    assume("&id0" not in text)  # hypothesis happened to share a value
    if _depth({"key": data}) > MAX_YAML_DEPTH:
        try:
            _load_yaml(text, "book.yaml", "BOOK-002")
        except ManuscriptError as e:
            assert [f.code for f in e.findings] == ["YAML-002"]
            return
        raise AssertionError("deep YAML was accepted")
    loaded, _ = _load_yaml(text, "book.yaml", "BOOK-002")
    assert loaded == yaml.safe_load(text) == {"key": data}


@settings(max_examples=300, deadline=None)
@given(nested(scalars), st.lists(st.sampled_from(["list", "dict"]), min_size=1, max_size=3), st.integers(0, 5))
def test_yaml_with_an_alias_is_refused_at_the_anchor(data, kinds, offset):
    shared = [data, "again"] if kinds[0] == "list" else {"inner": data}
    document = {"title": "x", "first": shared, "second": {"nested": shared}}
    for kind in kinds[1:]:
        document = [document, shared] if kind == "list" else {"wrap": document, "also": shared}
    text = yaml.safe_dump(document, allow_unicode=True)
    assert "&id001" in text and "*id001" in text  # PyYAML wrote the shared value as an anchor and aliases
    anchor_line = next(i for i, line in enumerate(text.split("\n"), 1) if "&id001" in line) + offset
    try:
        _load_yaml(text, "03-chapter.md", "FILE-002", offset=offset)
    except ManuscriptError as e:
        assert [(f.path, f.line, f.code) for f in e.findings] in (
            [("03-chapter.md", anchor_line, "YAML-001")], [("03-chapter.md", e.findings[0].line, "YAML-002")])
        return
    raise AssertionError("an alias was accepted")
