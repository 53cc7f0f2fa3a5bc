"""YAML's errors in an editor's words.

Takes a PyYAML error and the text it was parsing; returns the line the editor should look at
(1-based, in that text) and what is wrong there, said the way an editor would say it ("this line
is indented deeper than the one above it") instead of the parser's ("expected <block end>, but
found '<block mapping start>'"). A problem not recognised keeps the parser's words.
"""
from __future__ import annotations

import re

import yaml


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _previous(lines: list[str], index: int) -> int | None:
    """The index of the nearest line above ``index`` that holds YAML (not blank, not a comment)."""
    for i in range(index - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i
    return None


def explain(error: yaml.YAMLError, text: str) -> tuple[int, str]:
    """(line, what is wrong there) for a YAML error in ``text``."""
    lines = text.split("\n")
    problem = (getattr(error, "problem", None) or str(error)).strip()
    context = (getattr(error, "context", None) or "").strip()
    pmark, cmark = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    pline = pmark.line if pmark is not None else 0
    cline = cmark.line if cmark is not None else pline
    at = lambda i: lines[i] if 0 <= i < len(lines) else ""  # noqa: E731

    if ("\t" in problem or "'\\t'" in problem) and "cannot start any token" in problem:
        return pline + 1, "a tab character: YAML is indented with spaces only; replace the tab with spaces"
    m = re.search(r"found character '(.)' that cannot start any token", problem)
    if m:
        return pline + 1, f"a value cannot start with '{m.group(1)}': put the whole value in quotes"
    if context.startswith("while scanning a quoted scalar"):
        quote = at(cline)[cmark.column] if cmark is not None and cmark.column < len(at(cline)) else '"'
        return cline + 1, f"the quote {quote} opened on this line is never closed"
    if context.startswith("while parsing a flow sequence"):
        return cline + 1, "the '[' on this line is never closed with ']', or a ',' is missing between its items"
    if context.startswith("while parsing a flow mapping"):
        return cline + 1, "the '{' on this line is never closed with '}', or a ',' is missing between its items"
    if context.startswith("while scanning a simple key") and "could not find expected ':'" in problem:
        return cline + 1, "this line has no ':' between its key and its value"
    if "found undefined alias" in problem:
        return pline + 1, "a value cannot start with '*': put the whole value in quotes"
    if problem == "mapping values are not allowed here":
        line, prev = at(pline), _previous(lines, pline)
        if prev is not None and ":" not in at(prev) and not at(prev).lstrip().startswith("-"):
            return prev + 1, "this line has no ':' between its key and its value"
        if prev is not None and _indent(line) > _indent(at(prev)):
            return pline + 1, "this line is indented deeper than the one above it"
        return pline + 1, "a ': ' inside a value: put the whole value in quotes"
    m = re.match(r"expected <block end>, but found '(.*)'", problem)
    if m:
        found = m.group(1)
        line, prev = at(pline), _previous(lines, pline)
        if found == "<scalar>":
            for q in ('"', "'"):  # a quote left open on the line above ran on into this one
                if prev is not None and at(prev).count(q) % 2 == 1:
                    return prev + 1, f"the quote {q} opened on this line is never closed"
            return pline + 1, "text after a closing quote: put the whole value inside the quotes"
        if prev is not None and _indent(line) > _indent(at(prev)):
            return pline + 1, "this line is indented deeper than the one above it"
        if prev is not None and _indent(line) < _indent(at(prev)):
            return pline + 1, ("this line is indented less than the one above it, but not as far back as the "
                               "key it belongs to: line up the items of a list (and the keys of a mapping)")
        if found == "-" or found == "<block sequence start>":
            return pline + 1, "a list item where a 'key: value' line was expected: indent the list under its key"
        return pline + 1, "this line does not line up with the ones above it: check its indentation"
    if "expected <block end>, but found '?'" in problem or "expected a mapping" in context:
        return pline + 1, "this line does not line up with the ones above it: check its indentation"
    return pline + 1, f"{problem} (the YAML parser's words)"
