"""The catalogue for readers' apps: an OPDS 1.2 acquisition feed (Atom) and an OPDS 2.0 feed (JSON).

Takes the catalogue and its entries (one per book with editions, see press.catalogue.site.entries);
returns the feeds' bytes. Links to the books' files are relative to the feeds (which sit at the
top of the output folder), so the folder can be served from anywhere; the feeds' own ``self``
links and identifiers are absolute under the catalogue's ``base_url``.

- OPDS 1.2 (https://specs.opds.io/opds-1.2): ``opds.xml``, an Atom feed of kind ``acquisition``;
  each entry has Dublin Core terms (language, identifier, publisher, issued), its cover as
  ``http://opds-spec.org/image`` and ``…/image/thumbnail``, and an ``http://opds-spec.org/acquisition``
  link per edition (``application/epub+zip``, ``application/pdf``).
- OPDS 2.0 (https://drafts.opds.io/opds-2.0): ``opds.json``, ``application/opds+json`` with
  ``metadata``, ``links`` (``self``) and ``publications``, each with its own metadata, links and images;
  a publication's ``self`` is its own publication document, ``books/<name>.json``
  (``application/opds-publication+json``), as the published schema asks.
"""
from __future__ import annotations

import json

from lxml import etree

ATOM, DC, OPDS = "http://www.w3.org/2005/Atom", "http://purl.org/dc/terms/", "http://opds-spec.org/2010/catalog"
ACQUISITION = "http://opds-spec.org/acquisition"
IMAGE, THUMBNAIL = "http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"
ATOM_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
JSON_TYPE = "application/opds+json"
MEDIA = {"epub": "application/epub+zip", "pdf": "application/pdf"}


def _el(parent, tag: str, text: str | None = None, ns: str = ATOM, **attrs):
    e = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        e.text = text
    return e


def opds1(catalogue, entries: list[dict], updated: str) -> bytes:
    """The OPDS 1.2 acquisition feed."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "dc": DC, "opds": OPDS})
    _el(feed, "id", catalogue.id)
    _el(feed, "title", catalogue.title)
    _el(feed, "updated", updated)
    _el(_el(feed, "author"), "name", catalogue.publisher)
    _el(feed, "link", rel="self", href=catalogue.base_url + "opds.xml", type=ATOM_TYPE)
    _el(feed, "link", rel="start", href=catalogue.base_url + "opds.xml", type=ATOM_TYPE)
    _el(feed, "link", rel="alternate", href="opds.json", type=JSON_TYPE)
    _el(feed, "link", rel="alternate", href="index.html", type="text/html")
    for b in entries:
        entry = _el(feed, "entry")
        _el(entry, "title", b["title"])
        _el(entry, "id", b["identifier"])
        _el(entry, "updated", b["updated"])
        for name in b["authors"]:
            _el(_el(entry, "author"), "name", name)
        _el(entry, "language", b["lang"], ns=DC)
        _el(entry, "identifier", b["identifier"], ns=DC)
        _el(entry, "publisher", b["publisher"], ns=DC)
        if b["date"]:
            _el(entry, "issued", b["date"], ns=DC)
        if b["description"]:
            _el(entry, "summary", b["description"], type="text")
        if b["cover"]:
            _el(entry, "link", rel=IMAGE, href=b["cover"], type="image/png")
            _el(entry, "link", rel=THUMBNAIL, href=b["thumbnail"], type="image/png")
        _el(entry, "link", rel="alternate", href=b["page"], type="text/html", title=b["title"])
        for kind, href in b["files"]:
            _el(entry, "link", rel=ACQUISITION, href=href, type=MEDIA[kind])
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


PUBLICATION_TYPE = "application/opds-publication+json"


def publication(b: dict, root: str = "") -> dict:
    """One book as an OPDS 2.0 publication; ``root`` is put before every link (the feed's ``""``,
    or ``"../"`` in the book's own publication document, ``books/<name>.json``, its ``self``)."""
    metadata = {"@type": "http://schema.org/Book", "title": b["title"], "identifier": b["identifier"],
                "author": [{"name": n} for n in b["authors"]], "language": b["lang"],
                "publisher": {"name": b["publisher"]}, "modified": b["updated"]}
    if b["subtitle"]:
        metadata["subtitle"] = b["subtitle"]
    if b["date"]:
        metadata["published"] = b["date"]
    if b["description"]:
        metadata["description"] = b["description"]
    links = [{"rel": "self", "href": root + b["opds"], "type": PUBLICATION_TYPE}]
    links += [{"rel": ACQUISITION, "href": root + href, "type": MEDIA[kind]} for kind, href in b["files"]]
    links.append({"rel": "alternate", "href": root + b["page"], "type": "text/html"})
    pub = {"metadata": metadata, "links": links}
    if b["cover"]:
        pub["images"] = [
            {"href": root + b["cover"], "type": "image/png", "width": b["cover_size"][0], "height": b["cover_size"][1]},
            {"href": root + b["thumbnail"], "type": "image/png", "width": b["thumbnail_size"][0],
             "height": b["thumbnail_size"][1], "rel": "thumbnail"}]
    return pub


def publication_document(b: dict) -> bytes:
    """The book's own OPDS 2.0 publication document (``books/<name>.json``, beside its page)."""
    return (json.dumps(publication(b, "../"), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def opds2(catalogue, entries: list[dict], updated: str) -> bytes:
    """The OPDS 2.0 feed."""
    publications = [publication(b) for b in entries]
    feed = {
        "metadata": {"title": catalogue.title, "modified": updated, "numberOfItems": len(entries)},
        "links": [{"rel": "self", "href": catalogue.base_url + "opds.json", "type": JSON_TYPE},
                  {"rel": "alternate", "href": "opds.xml", "type": ATOM_TYPE},
                  {"rel": "alternate", "href": "index.html", "type": "text/html"}],
        "publications": publications,
    }
    return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
