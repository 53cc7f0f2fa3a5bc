"""Listing a new chapter in ``book.yaml`` without disturbing the editor's file.

The file is edited as text, one insertion at a place found in its YAML node tree (PyYAML's marks
give each entry's exact position): comments, quoting, flow lists and blank lines stay as they were,
which a load-and-dump (even ruamel.yaml's round trip, which re-wraps long flow lists) would not
guarantee. After a chapter listed as ``- file: X.md`` comes a line ``- file: NEW.md`` at the same
indentation; after a chapter in a part's ``files: [A.md, B.md]`` comes ``, NEW.md`` in that list
(or a line ``- NEW.md`` in a block list); ``before`` likewise; without either, a ``- file:`` line ends ``contents``.
The result is parsed again and must list the new file exactly once, where asked."""
from __future__ import annotations

import yaml


class ListingError(Exception):
    """``after`` names no file that ``contents`` lists (or the file cannot be edited safely)."""


def _contents(text: str):
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        raise ListingError("book.yaml is not a mapping")
    node = next((v for k, v in root.value if k.value == "contents"), None)
    if not isinstance(node, yaml.SequenceNode):
        raise ListingError("book.yaml has no contents list")
    return node


def _line_end(text: str, index: int) -> int:
    """The index just after the line that holds ``index`` (its newline included)."""
    nl = text.find("\n", index)
    return len(text) if nl < 0 else nl + 1


def _after_entry(text: str, item, new: str, as_file: bool, before: bool = False) -> str:
    """A new line after (or before) the block sequence entry ``item`` (mapping or scalar), at the
    same indentation."""
    line_start = text.rfind("\n", 0, item.start_mark.index) + 1
    dash = text.rfind("-", line_start, item.start_mark.index)
    if dash < 0:
        raise ListingError("cannot find the entry's dash")
    indent = " " * (dash - line_start)
    entry = f"- file: {new}" if as_file else f"- {new}"
    if before:
        return text[:line_start] + f"{indent}{entry}\n" + text[line_start:]
    at = _line_end(text, _last(item) - 1)
    prefix = "" if text[:at].endswith("\n") else "\n"
    return text[:at] + f"{prefix}{indent}{entry}\n" + text[at:]


def _last(node) -> int:
    """Where the text of an entry ends: its last scalar's end (a block mapping's or list's own end
    mark stands at the start of whatever follows, comments and blank lines included)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    if isinstance(node, yaml.MappingNode) and node.value:
        return _last(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value:
        return _last(node.value[-1])
    return node.end_mark.index


def insert(text: str, new: str, after: str | None = None, before: str | None = None) -> str:
    """``book.yaml``'s text with ``new`` listed after ``after``, or before ``before``, or at the end
    of contents."""
    contents = _contents(text)
    if before is not None:
        return _beside(text, contents, new, before, before=True)
    if after is None:
        if not contents.value:
            raise ListingError("contents is empty")
        return _check(_after_entry(text, contents.value[-1], new, as_file=True), new, after)
    return _beside(text, contents, new, after, before=False)


def _beside(text: str, contents, new: str, name: str, before: bool) -> str:
    """``new`` listed right after (or ``before``) the file ``name``, wherever contents lists it."""
    def check(result: str) -> str:
        return _check(result, new, None, name) if before else _check(result, new, name)

    for item in contents.value:
        if isinstance(item, yaml.ScalarNode) and item.value == name:
            return check(_after_entry(text, item, new, as_file=False, before=before))
        if not isinstance(item, yaml.MappingNode):
            continue
        fields = {k.value: v for k, v in item.value}
        f = fields.get("file")
        if isinstance(f, yaml.ScalarNode) and f.value == name:
            return check(_after_entry(text, item, new, as_file=True, before=before))
        files = fields.get("files")
        if isinstance(files, yaml.SequenceNode):
            for entry in files.value:
                if isinstance(entry, yaml.ScalarNode) and entry.value == name:
                    if files.flow_style and before:
                        at = entry.start_mark.index
                        return check(text[:at] + f"{new}, " + text[at:])
                    if files.flow_style:
                        at = entry.end_mark.index
                        return check(text[:at] + f", {new}" + text[at:])
                    return check(_after_entry(text, entry, new, as_file=False, before=before))
    raise ListingError(name)


def listed(data) -> list[str]:
    out = []
    for item in data.get("contents") or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            if isinstance(item.get("file"), str):
                out.append(item["file"])
            out += [f for f in item.get("files") or [] if isinstance(f, str)]
    return out


def _check(result: str, new: str, after: str | None, before: str | None = None) -> str:
    names = listed(yaml.safe_load(result))
    if names.count(new) != 1 or (after is not None and names.index(new) != names.index(after) + 1) \
            or (before is not None and names.index(new) + 1 != names.index(before)):
        raise ListingError("the edited book.yaml does not list the chapter where asked")
    return result
