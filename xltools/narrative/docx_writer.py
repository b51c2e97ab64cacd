"""Lay the parsed narrative out as a Word document (python-docx).

Headings use Word's "Heading 1/2/3" styles (a table of contents works), tables are real Word tables
with a repeated header row, and every style and run names its East-Asian font (w:eastAsia) so Word
and WPS do not fall back to a Latin theme font. The file is byte-deterministic: fixed core
properties and fixed zip entry dates (python-docx would stamp the current time on both)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .. import __version__, texts
from .config import DocxStyle
from .context import placeholder_pattern
from .markdown import Block, Heading, Paragraph, Run, Table, runs_text

TEXT_STYLE = "Table Text"
CAPTION_STYLE = "Table Caption"
_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER}
PLACEHOLDER = re.compile(placeholder_pattern(")"))
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(rpr_parent: Any, east_asia: str, latin: str) -> None:
    """Name the fonts explicitly on an element with (or needing) w:rPr, dropping theme fonts."""
    rpr = rpr_parent.get_or_add_rPr() if hasattr(rpr_parent, "get_or_add_rPr") else rpr_parent
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(1 if rpr.find(qn("w:rStyle")) is not None else 0, fonts)  # schema order: rStyle, rFonts
    for attr in _THEME_ATTRS:
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _style_font(style: Any, east_asia: str, latin: str, size: float, bold: bool | None = None) -> None:
    set_fonts(style.element, east_asia, latin)
    style.font.size = Pt(size)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if bold is not None:
        style.font.bold = bold


def _setup_styles(doc: Any, st: DocxStyle) -> None:
    # Document defaults carry theme fonts in python-docx's template: replace them.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, st.body_font, st.latin_font)
    lang = rpr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")

    normal = doc.styles["Normal"]
    _style_font(normal, st.body_font, st.latin_font, st.body_size)
    pf = normal.paragraph_format
    pf.first_line_indent = Pt(st.body_size * 2)  # 首行缩进两字
    pf.space_before, pf.space_after = Pt(0), Pt(0)
    pf.line_spacing = 1.5

    title = doc.styles["Title"]
    _style_font(title, st.heading_font, st.latin_font, st.title_size, bold=False)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):  # the template's blue rule under the title
        ppr.remove(border)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.space_after = Pt(6)
    title.paragraph_format.line_spacing = 1.25

    for level, size in enumerate(st.heading_sizes, start=1):
        h = doc.styles[f"Heading {level}"]
        _style_font(h, st.heading_font, st.latin_font, size, bold=False)
        h.font.italic = False
        f = h.paragraph_format
        f.first_line_indent = Pt(0)
        f.space_before, f.space_after = Pt(12 if level == 1 else 6), Pt(6 if level == 1 else 3)
        f.keep_with_next = True
        f.line_spacing = 1.25

    text = doc.styles.add_style(TEXT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    text.base_style = normal
    _style_font(text, st.table_font, st.latin_font, st.table_size)
    text.paragraph_format.first_line_indent = Pt(0)
    text.paragraph_format.line_spacing = 1.0

    cap = doc.styles.add_style(CAPTION_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cap.base_style = normal
    _style_font(cap, st.heading_font, st.latin_font, st.body_size)
    cap.paragraph_format.first_line_indent = Pt(0)
    cap.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap.paragraph_format.space_before = Pt(6)
    cap.paragraph_format.keep_with_next = True


def _page(doc: Any, st: DocxStyle) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)  # A4
    sec.top_margin, sec.right_margin, sec.bottom_margin, sec.left_margin = (Cm(v) for v in st.margins_cm)
    # Page number, centred in the footer.
    p = sec.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    p._p.append(fld)


def _add_runs(par: Any, runs: tuple[Run, ...], east_asia: str, latin: str, bold: bool = False) -> None:
    for r in runs:
        if r.br:
            par.add_run().add_break()
            continue
        for piece in PLACEHOLDER.split(r.text):
            if not piece:
                continue
            run = par.add_run(piece)
            set_fonts(run._r, east_asia, latin)
            if r.bold or bold:
                run.bold = True
            if PLACEHOLDER.fullmatch(piece):  # a missing text: impossible to overlook in Word
                run.bold = True
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _half_widths(runs: tuple[Run, ...]) -> int:
    """Width of a cell's longest line in half-width units (CJK and full-width signs count 2)."""
    lines = runs_text(runs).split("\n")
    return max(sum(2 if ord(ch) > 0x7F else 1 for ch in line) for line in lines)


def column_widths(table: Table, usable_cm: float, font_pt: float) -> list[float]:
    """Auto-fit: columns that fit in a fair share get what they need, the others share the rest in
    proportion to their needs (they wrap). Headers may wrap onto two lines."""
    half_cm = font_pt / 2 * 2.54 / 72  # a half-width character
    pad = 0.45  # cell margins
    n = len(table.header)
    needs = []
    for j in range(n):
        body = max([_half_widths(row[j]) for row in table.rows] or [0])
        head = (_half_widths(table.header[j]) + 1) // 2
        needs.append(max(body, head, 4) * half_cm + pad)
    if sum(needs) <= usable_cm:
        return [w * usable_cm / sum(needs) for w in needs]
    widths: list[float | None] = [None] * n
    remaining = usable_cm
    while True:
        open_cols = [j for j in range(n) if widths[j] is None]
        share = remaining / len(open_cols)
        small = [j for j in open_cols if needs[j] <= share]
        if not small or len(small) == len(open_cols):
            break
        for j in small:
            widths[j] = needs[j]
            remaining -= needs[j]
    open_cols = [j for j in range(n) if widths[j] is None]
    total = sum(needs[j] for j in open_cols)
    for j in open_cols:
        widths[j] = remaining * needs[j] / total
    return [float(w) for w in widths if w is not None]


def _cell_shading(cell: Any, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


KEEP_WHOLE_ROWS = 15  # a table of at most this many rows is kept on one page
KEEP_FIRST_ROWS = 3  # a longer table keeps its header with this many rows


def _table(doc: Any, t: Table, st: DocxStyle) -> None:
    ncols = len(t.header)
    table = doc.add_table(rows=1 + len(t.rows), cols=ncols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    usable = 21.0 - st.margins_cm[1] - st.margins_cm[3]
    widths = [Cm(w) for w in column_widths(t, usable, st.table_size)]
    for j, col in enumerate(table.columns):
        col.width = widths[j]
    last = len(t.rows)  # index of the last row (the header is row 0)
    for i, cells in enumerate([t.header, *t.rows]):
        row = table.rows[i]
        # Word keeps a row with the next one when its paragraphs keep with next: a short table stays whole,
        # a long one keeps its header with the first rows and never leaves its last row alone on a page.
        keep = i < last and (last <= KEEP_WHOLE_ROWS or i < 1 + KEEP_FIRST_ROWS or i >= last - 1)
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
        if i == 0:
            trpr.append(OxmlElement("w:tblHeader"))  # the header row repeats on every page (after cantSplit)
        for j in range(ncols):
            cell = row.cells[j]
            cell.width = widths[j]
            par = cell.paragraphs[0]
            par.style = doc.styles[TEXT_STYLE]
            par.alignment = _ALIGN["center"] if i == 0 else _ALIGN[t.align[j] if j < len(t.align) else "left"]
            _add_runs(par, cells[j], st.table_font, st.latin_font, bold=(i == 0))
            par.paragraph_format.keep_with_next = keep
            if i == 0:
                _cell_shading(cell, "E7E6E6")


def build_docx(blocks: list[Block], st: DocxStyle, title: str, author: str, when: dt.datetime) -> bytes:
    doc = Document()
    _setup_styles(doc, st)
    _page(doc, st)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):  # the template's empty first paragraph
        body.remove(p)
    for block in blocks:
        if isinstance(block, Heading):
            par = doc.add_paragraph(style=doc.styles["Title" if block.level == 0 else f"Heading {block.level}"])
            font = st.heading_font
            _add_runs(par, (Run(block.text),), font, st.latin_font)
        elif isinstance(block, Paragraph):
            par = doc.add_paragraph(style=doc.styles[CAPTION_STYLE if block.caption else "Normal"])
            font = st.heading_font if block.caption else st.body_font
            runs = tuple(Run(r.text, False, r.br) for r in block.runs) if block.caption else block.runs
            _add_runs(par, runs, font, st.latin_font)
        elif isinstance(block, Table):
            _table(doc, block, st)
            doc.add_paragraph(style=doc.styles[TEXT_STYLE])  # keeps consecutive tables apart
    props = doc.core_properties
    props.title, props.subject, props.author = title, texts.text("publish.subject"), author
    props.last_modified_by, props.comments = "xltools", f"xltools {__version__}"
    props.keywords, props.category, props.revision = texts.text("narrative.docx_keywords"), "", 1
    props.created = props.modified = when
    props.last_printed = when
    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue(), when)


def fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip with fixed entry dates and attributes (python-docx stamps the current time)."""
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
