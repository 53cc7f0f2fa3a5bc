"""Word documents as an author's word processor writes them, made with python-docx (not with the
press or pandoc): real Word styles, footnotes, text boxes, a shaded "Kader" paragraph style,
pictures with alt text, comments, tables, language marks and tracked changes. python-docx has no
API for footnotes, text boxes, language marks or revisions; those are written as the WordprocessingML
Word itself writes."""
from __future__ import annotations

import io
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt
from lxml import etree
from PIL import Image

FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
SEPARATORS = (f'<w:footnote {nsdecls("w")} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
              f'<w:footnote {nsdecls("w")} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
              "</w:r></w:p></w:footnote>")


def png(width: int = 120, height: int = 80, colour: str = "#8a3b12") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


class AuthorDocument:
    """A Word document built paragraph by paragraph, the way an author's Word file looks."""

    def __init__(self, lang: str = "nl-NL"):
        self.doc = docx.Document()
        self._footnotes = None
        self._next_note = 1
        self._revision = 100
        styles = self.doc.styles
        # the document's language, as Word stores it: the default run properties
        rpr = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        lang_el = rpr.find(qn("w:lang"))
        if lang_el is None:
            lang_el = parse_xml(f'<w:lang {nsdecls("w")}/>')
            rpr.append(lang_el)
        lang_el.set(qn("w:val"), lang)

    # -- metadata and structure ----------------------------------------------------------------
    def properties(self, title: str = "", author: str = "", subject: str = "") -> None:
        cp = self.doc.core_properties
        cp.title, cp.author, cp.subject = title, author, subject

    def heading(self, text: str, level: int):
        return self.doc.add_heading(text, level)

    def styled(self, text: str, style: str):
        return self.doc.add_paragraph(text, style=style)

    def paragraph(self, *parts):
        """A paragraph from parts: plain strings, or (text, {"italic": True, "bold": True,
        "lang": "en-GB"}) tuples; returns the paragraph and its runs."""
        p = self.doc.add_paragraph()
        runs = [self._run(p, part) for part in parts]
        return p, runs

    def _run(self, p, part):
        text, fmt = (part, {}) if isinstance(part, str) else part
        run = p.add_run(text)
        run.italic = fmt.get("italic") or None
        run.bold = fmt.get("bold") or None
        if fmt.get("lang"):
            run._r.get_or_add_rPr().append(parse_xml(f'<w:lang {nsdecls("w")} w:val="{fmt["lang"]}"/>'))
        return run

    def kader_style(self, name: str = "Kader") -> None:
        """A custom paragraph style with grey shading and a border: the publisher's box."""
        style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = self.doc.styles["Normal"]
        style.font.size = Pt(10)
        ppr = style.element.get_or_add_pPr()
        ppr.append(parse_xml(f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="4" w:space="4" w:color="999999"/>'
                             '<w:bottom w:val="single" w:sz="4" w:space="4" w:color="999999"/></w:pBdr>'))
        ppr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="E7E6E6"/>'))

    # -- notes ---------------------------------------------------------------------------------
    def footnote(self, paragraph, text: str) -> None:
        """A real Word footnote: a reference run at the end of ``paragraph``, its text in footnotes.xml."""
        if self._footnotes is None:
            self._footnotes = Part(PackURI("/word/footnotes.xml"), FOOTNOTES_CT,
                                   b"", self.doc.part.package)
            self._footnote_xml = parse_xml(f"<w:footnotes {nsdecls('w')}>{SEPARATORS}</w:footnotes>")
            self.doc.part.relate_to(self._footnotes, RT.FOOTNOTES)
            self._ensure_style("FootnoteReference", "footnote reference", WD_STYLE_TYPE.CHARACTER, superscript=True)
            self._ensure_style("FootnoteText", "footnote text", WD_STYLE_TYPE.PARAGRAPH)
        n = self._next_note
        self._next_note += 1
        self._footnote_xml.append(parse_xml(
            f'<w:footnote {nsdecls("w")} w:id="{n}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
            '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
            f'<w:r><w:t xml:space="preserve"> {_esc(text)}</w:t></w:r></w:p></w:footnote>'))
        paragraph._p.append(parse_xml(
            f'<w:r {nsdecls("w")}><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="{n}"/></w:r>'))

    def _ensure_style(self, style_id: str, name: str, kind, superscript: bool = False) -> None:
        if any(s.style_id == style_id for s in self.doc.styles):
            return
        style = self.doc.styles.add_style(name, kind)
        style.element.set(qn("w:styleId"), style_id)
        if superscript:
            style.font.superscript = True

    # -- boxes, pictures, tables ----------------------------------------------------------------
    def text_box(self, paragraphs: list[str], anchor_text: str = "") -> None:
        """A floating text box (DrawingML, with the VML fallback Word writes) anchored in a paragraph."""
        inner = "".join(f'<w:p><w:r><w:t xml:space="preserve">{_esc(t)}</w:t></w:r></w:p>' for t in paragraphs)
        p = self.doc.add_paragraph(anchor_text)
        p._p.append(parse_xml(TEXT_BOX.format(ns=f'{nsdecls("w", "wp", "a")} {EXTRA_NS}', inner=inner)))

    def picture(self, data: bytes, alt: str = "", caption: str = "", name: str = "picture.png"):
        stream = io.BytesIO(data)
        self.doc.add_picture(stream)
        inline = self.doc.inline_shapes[-1]._inline
        docpr = inline.find(qn("wp:docPr"))
        docpr.set("name", name)
        if alt:
            docpr.set("descr", alt)
        elif "descr" in docpr.attrib:
            del docpr.attrib["descr"]
        if caption:
            self.doc.add_paragraph(caption, style="Caption")

    def table(self, rows: list[list[str]], caption: str = "") -> None:
        if caption:
            self.doc.add_paragraph(caption, style="Caption")
        t = self.doc.add_table(rows=len(rows), cols=len(rows[0]))
        t.style = self.doc.styles["Table Grid"]
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                t.cell(r, c).text = text

    # -- review ---------------------------------------------------------------------------------
    def comment(self, runs, text: str, author: str = "Redactie") -> None:
        self.doc.add_comment(runs, text=text, author=author, initials=author[:2].upper())

    def tracked_insertion(self, paragraph, text: str, author: str = "Auteur") -> None:
        self._revision += 1
        paragraph._p.append(parse_xml(
            f'<w:ins {nsdecls("w")} w:id="{self._revision}" w:author="{author}" w:date="2024-05-01T10:00:00Z">'
            f'<w:r><w:t xml:space="preserve">{_esc(text)}</w:t></w:r></w:ins>'))

    def tracked_deletion(self, paragraph, text: str, author: str = "Auteur") -> None:
        self._revision += 1
        paragraph._p.append(parse_xml(
            f'<w:del {nsdecls("w")} w:id="{self._revision}" w:author="{author}" w:date="2024-05-01T10:00:00Z">'
            f'<w:r><w:delText xml:space="preserve">{_esc(text)}</w:delText></w:r></w:del>'))

    def save(self, path: Path) -> Path:
        if self._footnotes is not None:
            self._footnotes._blob = etree.tostring(self._footnote_xml, xml_declaration=True, encoding="UTF-8", standalone=True)
        self.doc.save(str(path))
        return path


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


EXTRA_NS = ('xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:w10="urn:schemas-microsoft-com:office:word"')
TEXT_BOX = """<w:r {ns}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>
<wp:anchor distT="45720" distB="45720" distL="114300" distR="114300" simplePos="0" relativeHeight="251659264"
 behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>
<wp:extent cx="5400000" cy="1000000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/>
<wp:docPr id="900" name="Tekstvak 1"/><wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="1000000"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="F2F2F2"/></a:solidFill></wps:spPr>
<wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>
</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>
<mc:Fallback><w:pict><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"
><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>
<v:shape id="Tekstvak 1" o:spid="_x0000_s1026" type="#_x0000_t202" style="width:425pt;height:79pt" fillcolor="#f2f2f2"
><v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox>
<w10:wrap type="topAndBottom"/></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"""

