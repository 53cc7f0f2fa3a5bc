"""SVG images rewritten through an allowlist before any edition sees them.

Takes an SVG file's bytes; returns the cleaned document's bytes and a list of what was removed
(for the IMG-005 warning), or raises :class:`Refused` with the reason (IMG-006). The file is
parsed by lxml (libxml2) without resolving entities, loading a DTD or touching the network, and
within libxml2's default limits (no ``huge_tree``: text nodes up to 10 MB, 256 levels deep). What
survives: SVG elements that draw, group, define paint servers, clip, mask and filter, and their
presentation and geometry attributes. What goes: scripts, event handlers, ``foreignObject``,
animation (``<set>`` and ``<animate>`` can rewrite a link into ``javascript:``), ``<image>`` and
``<feImage>``, links, and every reference that is not to an element of the same file (``href``
and ``url(…)`` other than ``#id``: no ``javascript:``, ``data:``, web addresses or other files),
``@import`` and non-local ``url()`` in style sheets (read by tinycss2, WeasyPrint's own CSS
tokenizer, so escapes cannot hide a ``url``). Editors' metadata (Inkscape, Sodipodi, Illustrator,
RDF), comments and processing instructions are dropped without a word. A drawing that would
expand, through ``<use>`` and ``url(#…)`` references, into more than ``MAX_DRAWN`` elements is
refused (a "billion laughs" made of ``<use>``).
"""
from __future__ import annotations

import re

import tinycss2
from lxml import etree

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
MAX_DRAWN = 100_000  # elements drawn once <use> and url(#…) references are followed

ELEMENTS = {
    "svg", "g", "defs", "desc", "title", "symbol", "use", "switch", "view",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "clipPath", "mask", "marker", "pattern", "linearGradient", "radialGradient", "stop", "style",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
    "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA",
    "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology",
    "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
}
UNWRAP = {"a"}  # a link: the drawing inside it stays, the link goes
# The presentation attributes: an element may carry them as attributes or in style="…".
PRESENTATION = set("""
fill fill-opacity fill-rule stroke stroke-width stroke-dasharray stroke-dashoffset stroke-linecap
stroke-linejoin stroke-miterlimit stroke-opacity opacity color display visibility overflow clip
clip-path clip-rule mask marker marker-start marker-mid marker-end filter flood-color flood-opacity
lighting-color stop-color stop-opacity font font-family font-size font-size-adjust font-stretch
font-style font-variant font-weight text-anchor text-decoration text-rendering dominant-baseline
alignment-baseline baseline-shift letter-spacing word-spacing writing-mode direction unicode-bidi
color-interpolation color-interpolation-filters color-rendering image-rendering shape-rendering
paint-order vector-effect mix-blend-mode isolation transform transform-origin kerning
enable-background x y cx cy r rx ry d
""".split())
ATTRIBUTES = PRESENTATION | set("""
id class style lang role aria-label aria-labelledby aria-describedby aria-hidden x1 y1 x2 y2 fx fy
fr width height points pathLength viewBox preserveAspectRatio version baseProfile dx dy rotate
textLength lengthAdjust startOffset method spacing side gradientUnits gradientTransform spreadMethod
offset patternUnits patternContentUnits patternTransform clipPathUnits maskUnits maskContentUnits
markerUnits markerWidth markerHeight refX refY orient filterUnits primitiveUnits zoomAndPan
glyph-orientation-horizontal glyph-orientation-vertical systemLanguage media type in in2 result mode
values operator k1 k2 k3 k4 order kernelMatrix divisor bias targetX targetY edgeMode
kernelUnitLength preserveAlpha surfaceScale diffuseConstant specularConstant specularExponent scale
xChannelSelector yChannelSelector stdDeviation radius azimuth elevation z pointsAtX pointsAtY
pointsAtZ limitingConeAngle baseFrequency numOctaves seed stitchTiles tableValues slope intercept
amplitude exponent
""".split())
PROPERTIES = PRESENTATION | set("""
transform-box line-height white-space text-transform text-align font-feature-settings font-kerning
font-variant-ligatures font-variant-numeric font-variant-caps inline-size
""".split())  # CSS properties a style= or <style> may set
LINKING = {"use", "textPath", "linearGradient", "radialGradient", "pattern", "filter"}  # href="#id" allowed
XML_ATTRIBUTES = {f"{{{XML}}}space", f"{{{XML}}}lang"}
SILENT_NAMESPACES = {  # editors' bookkeeping: dropped without a warning
    "http://www.inkscape.org/namespaces/inkscape", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#", "http://web.resource.org/cc/", "http://www.bohemiancoding.com/sketch/ns",
    "http://ns.adobe.com/AdobeIllustrator/10.0/", "http://ns.adobe.com/AdobeSVGViewerExtensions/3.0/",
    "http://ns.adobe.com/Extensibility/1.0/", "http://ns.adobe.com/Flows/1.0/", "http://ns.adobe.com/ImageReplacement/1.0/",
    "http://ns.adobe.com/GenericCustomNamespace/1.0/", "http://ns.adobe.com/XPath/1.0/", "http://ns.adobe.com/SaveForWeb/1.0/",
    "http://ns.adobe.com/Variables/1.0/", "http://ns.adobe.com/Graphs/1.0/",
}
BAD_FUNCTIONS = {"expression", "image", "image-set", "-webkit-image-set", "cross-fade", "element", "paint"}
LOCAL = re.compile(r"\s*#[^\s\"'()\\]+\s*\Z")
SCHEME = re.compile(r"^[\x00-\x20]*([a-z][a-z0-9+.\-]*)\s*:", re.I)


class Refused(Exception):
    """The file cannot be used as an image; the message says why."""


def parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False)


def _local(name: str) -> str:
    return etree.QName(name).localname


def _namespace(name: str) -> str | None:
    return etree.QName(name).namespace


def _describe_reference(value: str) -> str:
    m = SCHEME.match(value)
    if m:
        scheme = m.group(1).lower()
        if scheme in ("javascript", "vbscript", "data"):
            return f"{scheme}: address"
        return f"external reference '{value.strip()[:60]}'"
    return f"reference to another file '{value.strip()[:60]}'"


def _css_problem(tokens) -> str | None:
    """What in these CSS component values reaches outside the file, or None."""
    for token in tokens:
        if token.type == "url" and not LOCAL.match("" + token.value):
            return _describe_reference(token.value)
        if token.type == "function":
            if token.lower_name in BAD_FUNCTIONS:
                return f"CSS {token.lower_name}()"
            if token.lower_name == "url":
                arg = "".join(t.value for t in token.arguments if t.type == "string")
                if not LOCAL.match(arg):
                    return _describe_reference(arg)
            found = _css_problem(token.arguments)
            if found:
                return found
        if token.type in ("() block", "[] block", "{} block"):
            found = _css_problem(token.content)
            if found:
                return found
        if token.type == "ident" and token.lower_value.startswith("javascript"):
            return "javascript: address"
    return None


def clean_declarations(text: str, removed: list[str], where: str) -> str:
    """A ``style`` attribute's declarations without the ones that load or run anything."""
    kept = []
    for decl in tinycss2.parse_declaration_list(text, skip_comments=True, skip_whitespace=True):
        if decl.type != "declaration":
            removed.append(f"unreadable CSS in {where}")
            continue
        known = decl.lower_name in PROPERTIES or decl.lower_name.startswith("--")
        problem = _css_problem(decl.value) if known else f"CSS property {decl.lower_name[:30]}"
        if problem:
            removed.append(f"{problem} in {where}")
            continue
        kept.append(f"{decl.name}:{tinycss2.serialize(decl.value).strip()}{' !important' if decl.important else ''}")
    return ";".join(kept)


def clean_stylesheet(text: str, removed: list[str]) -> str:
    """A ``<style>`` element's rules without @import and without rules that load or run anything."""
    kept = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type == "error":
            removed.append("unreadable CSS in <style>")
            continue
        if rule.type == "at-rule" and rule.lower_at_keyword in ("import", "charset", "namespace"):
            removed.append(f"@{rule.lower_at_keyword} in <style>")
            continue
        problem = _css_problem(list(rule.prelude) + list(rule.content or []))
        if rule.type == "qualified-rule" and not problem:
            for decl in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
                if decl.type != "declaration":  # an at-rule or junk inside the block (``{ x; @import …; }``)
                    problem = "unreadable CSS"
                elif not (decl.lower_name in PROPERTIES or decl.lower_name.startswith("--")):
                    problem = f"CSS property {decl.lower_name[:30]}"
        if problem:
            removed.append(f"{problem} in <style>")
            continue
        kept.append(rule.serialize())
    return "\n".join(kept)


def _clean_attributes(el, removed: list[str]) -> None:
    tag = _local(el.tag)
    for name in list(el.attrib):
        value = el.attrib[name]
        ns, local = _namespace(name), _local(name)
        keep = True
        if ns in SILENT_NAMESPACES:
            del el.attrib[name]
            continue
        if local.lower().startswith("on") and ns is None:
            removed.append(f"event handler {local}=")
            keep = False
        elif local == "href" and ns in (None, XLINK):
            if tag not in LINKING or not LOCAL.match(value):
                removed.append(f"{_describe_reference(value)} (href on <{tag}>)")
                keep = False
        elif ns == XLINK or (ns is None and local not in ATTRIBUTES) or (ns not in (None, XLINK) and name not in XML_ATTRIBUTES):
            removed.append(f"attribute {local}= on <{tag}>")
            keep = False
        elif local == "style":
            cleaned = clean_declarations(value, removed, f"style= on <{tag}>")
            if cleaned != value:
                el.attrib[name] = cleaned
        elif SCHEME.match(value):  # an address where a colour or a length belongs: nothing to keep
            removed.append(f"{_describe_reference(value)} ({local}= on <{tag}>)")
            keep = False
        elif "url(" in value.lower() or "javascript" in value.lower() or "\\" in value:
            problem = _css_problem(tinycss2.parse_component_value_list(value)) or (
                "javascript: address" if "javascript" in value.lower() else None)
            if problem:
                removed.append(f"{problem} ({local}= on <{tag}>)")
                keep = False
        if not keep:
            del el.attrib[name]


def _unwrap(el) -> None:
    """Replace ``el`` by its children (and keep the text around it)."""
    parent = el.getparent()
    index = parent.index(el)
    if el.text:
        _append_text(parent, index, el.text)
    tail, el.tail = el.tail, None
    for child in reversed(list(el)):
        parent.insert(index, child)
    index = parent.index(el)
    parent.remove(el)
    if tail:
        _append_text(parent, index, tail)


def _append_text(parent, index: int, text: str) -> None:
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + text


def _remove(el) -> None:
    """Remove ``el`` and its subtree, keeping the text that follows it."""
    parent = el.getparent()
    if el.tail:
        _append_text(parent, parent.index(el), el.tail)
    parent.remove(el)


def clean(data: bytes) -> tuple[bytes, list[str]]:
    """The cleaned SVG and a list of what was removed (empty when nothing was)."""
    try:
        tree = etree.ElementTree(etree.fromstring(data, parser()))
    except etree.XMLSyntaxError as e:
        raise Refused(f"it is not well-formed XML ({e.msg})") from None
    except ValueError as e:
        raise Refused(f"it is not well-formed XML ({e})") from None
    root = tree.getroot()
    if not isinstance(root.tag, str) or root.tag != f"{{{SVG}}}svg":
        raise Refused("it is not an SVG document (the root must be <svg xmlns=\"http://www.w3.org/2000/svg\">)")
    removed: list[str] = []
    if tree.docinfo.internalDTD is not None:
        removed.append("the DOCTYPE's entity declarations")
    for node in list(root.iter()):
        if node is not root and not _attached(node, root):
            continue  # inside a subtree removed already
        if isinstance(node, etree._Entity):
            removed.append(f"entity reference {node.text}")
            _remove(node)
            continue
        if not isinstance(node.tag, str):  # comments and processing instructions (parser drops most)
            _remove(node)
            continue
        ns, local = _namespace(node.tag), _local(node.tag)
        if ns in SILENT_NAMESPACES or (ns == SVG and local == "metadata"):
            _remove(node)
            continue
        if ns != SVG:
            removed.append(f"<{local}> element from another vocabulary")
            _remove(node)
            continue
        if local in UNWRAP:
            removed.append(f"<{local}> link")
            _clean_attributes(node, [])
            _unwrap(node)
            continue
        if local not in ELEMENTS:
            removed.append(f"<{local}> element")
            _remove(node)
            continue
        _clean_attributes(node, removed)
        if local == "style":
            for child in list(node):
                _remove(child)
            css = node.text or ""
            node.text = clean_stylesheet(css, removed)
    _check_expansion(root)
    etree.cleanup_namespaces(root, top_nsmap={"xlink": XLINK} if _uses_xlink(root) else None)
    out = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return out, _summary(removed)


def _attached(node, root) -> bool:
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def _uses_xlink(root) -> bool:
    return any(f"{{{XLINK}}}href" in el.attrib for el in root.iter() if isinstance(el.tag, str))


REF = re.compile(r"url\(\s*['\"]?#([^'\")\s]+)")


def _check_expansion(root) -> None:
    """Refuse a drawing that references ``<use>`` and ``url(#…)`` into more than MAX_DRAWN
    elements; a reference cycle is refused too. Counts bottom-up without recursion."""
    ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}

    def refs(el) -> list:
        out = []
        for name, value in el.attrib.items():
            if _local(name) == "href" and value.strip().startswith("#"):
                out.append(ids.get(value.strip()[1:]))
            elif "url(" in value:
                out += [ids.get(m) for m in REF.findall(value)]
        return [r for r in out if r is not None]

    counts: dict = {}
    on_path: set = set()
    stack = [(root, False)]
    while stack:
        el, done = stack.pop()
        if done:
            on_path.discard(el)
            total = 1 + sum(counts[c] for c in el if isinstance(c.tag, str)) + sum(counts[r] for r in refs(el))
            if total > MAX_DRAWN:
                raise Refused(f"it would draw more than {MAX_DRAWN:,} elements once its <use> and url(#…) "
                              "references are followed")
            counts[el] = total
            continue
        if el in counts:
            continue
        if el in on_path:
            raise Refused(f"its <{_local(el.tag)}> elements reference each other in a circle")
        on_path.add(el)
        stack.append((el, True))
        for nxt in [c for c in el if isinstance(c.tag, str)] + refs(el):
            if nxt in on_path:
                raise Refused(f"its <{_local(nxt.tag)}> elements reference each other in a circle")
            if nxt not in counts:
                stack.append((nxt, False))


def _summary(removed: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    for item in removed:
        counts[item] = counts.get(item, 0) + 1
    return [f"{item} ×{n}" if n > 1 else item for item, n in counts.items()]
