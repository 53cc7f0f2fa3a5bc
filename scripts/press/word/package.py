"""An author's .docx opened as untrusted input: a file from outside, which may be damaged, renamed
or made to hurt (a zip bomb, XML entity expansion, a huge file).

Takes the file's path (or bytes); returns its parts by name, or raises :class:`PackageError` with
the finding's code and the reason in an editor's words — never a traceback:

- the file is refused unread over ``MAX_DOCX_MB`` (WORD-009);
- the zip's directory is read first: more than ``MAX_PARTS`` parts, more than ``MAX_UNPACKED_MB``
  unpacked, or a part unpacking to more than ``MAX_RATIO`` times its packed size (a zip bomb) is
  refused before anything is unpacked (WORD-009). A part is never unpacked beyond the size the
  directory declares (``zipfile`` stops there and checks the CRC), so a directory that lies is a
  damaged file (WORD-006);
- every XML part is parsed without DTDs, entities or network, at libxml2's default depth and size
  limits; a part that is not well-formed, or declares a DTD (Office Open XML forbids them, so only a
  crafted file has one), is not a Word document the press can read (WORD-006).

pandoc only ever reads the copy the press writes from these parts (``docxprep``), with its own
memory and time bounded (``PANDOC_LIMITS``).
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from lxml import etree

MAX_DOCX_MB = 100        # a 300-page book with photographs is about 40 MB
MAX_UNPACKED_MB = 250    # all parts unpacked: text XML is 10–20 × its packed size, pictures 1 ×
MAX_PARTS = 5_000        # a document has a few dozen; one per picture, chart or embedded object
MAX_RATIO = 200          # unpacked : packed for one part over 1 MB; Word's XML stays under 30
PANDOC_TIMEOUT = 300     # seconds for pandoc to read or write one document
PANDOC_MEMORY = "2g"     # pandoc's heap (its runtime's -M): a Word document of the limits above reads in far less
XML_SUFFIXES = (".xml", ".rels", ".vml")
DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)  # markup only: '<' in text is always written &lt;
DTD_REFUSED = ("its part {name} declares a DTD or entities, which Word documents never do "
               "(a file made to look like one)")


class PackageError(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def parser() -> etree.XMLParser:
    """lxml without DTDs, entities or network, within libxml2's default limits (no huge_tree)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, collect_ids=False)


def parse(data: bytes, name: str) -> etree._Element:
    """A part's XML root; PackageError (WORD-006) for XML a Word document never holds."""
    if DECLARATION.search(data):  # refused before libxml2 sees it (it would refuse the expansion too)
        raise PackageError("WORD-006", DTD_REFUSED.format(name=name))
    try:
        tree = etree.fromstring(data, parser()).getroottree()
    except (etree.XMLSyntaxError, ValueError) as e:
        msg = getattr(e, "msg", None) or str(e) or type(e).__name__
        raise PackageError("WORD-006", f"its part {name} is not well-formed XML ({msg})") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise PackageError("WORD-006", DTD_REFUSED.format(name=name))
    return tree.getroot()


def read(path: Path) -> bytes:
    """The file's bytes, refused unread when too large."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCX_MB * 1_000_000:
            raise PackageError("WORD-009", f"the file is {size / 1e6:.0f} MB; a Word document may be at most "
                                           f"{MAX_DOCX_MB} MB (save its pictures smaller, or split it)")
        return path.read_bytes()
    except OSError as e:
        raise PackageError("WORD-006", f"it cannot be read ({e.strerror or e})") from None


def unpack(data: bytes) -> tuple[list[str], dict[str, bytes]]:
    """The package's part names in their order and the parts by name, each XML part checked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            _check_directory(infos)
            parts = {i.filename: z.read(i) for i in infos}
    except PackageError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as e:
        raise PackageError("WORD-006", f"it is not a readable zip package ({e or type(e).__name__})") from None
    if "word/document.xml" not in parts:
        raise PackageError("WORD-006", "it has no word/document.xml (an old .doc, or not a Word document at all)")
    for name, part in parts.items():
        if name.lower().endswith(XML_SUFFIXES):
            parse(part, name)
    return [i.filename for i in infos], parts


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_PARTS:
        raise PackageError("WORD-009", f"it has {len(infos):,} parts; a Word document may have at most {MAX_PARTS:,}")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_MB * 1_000_000:
        raise PackageError("WORD-009", f"it unpacks to {total / 1e6:,.0f} MB; a Word document may unpack to at most "
                                       f"{MAX_UNPACKED_MB} MB")
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise PackageError("WORD-009", f"its part {i.filename} unpacks to {i.file_size / i.compress_size:,.0f} "
                                           f"times its packed size (a zip bomb); at most {MAX_RATIO} times")


def pandoc_limits() -> list[str]:
    """pandoc's runtime options bounding its heap."""
    return ["+RTS", f"-M{PANDOC_MEMORY}", "-RTS"]
