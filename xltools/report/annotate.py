"""The annotated copy: the clerk's workbook with every finding shown in place.

Each cell with a finding gets a red (error) or yellow (warning) fill and a comment (message,
expected/actual, fix); a first sheet 错误清单 lists every finding with a hyperlink to its cell.

The copy is made by editing the package at the XML level, not by re-saving it with openpyxl
(which empties cached formula values and drops extensions it does not model). Only these parts
change: the styles (fills and cell formats appended, nothing renumbered), the sheets that get
marks (an `s` attribute per marked cell, a <legacyDrawing> when comments are added, tabSelected
cleared), their relationships, the workbook (the new sheet first, localSheetId shifted by one,
activeTab), its relationships, [Content_Types].xml and docProps/app.xml (sheet titles). New
parts: the 错误清单 sheet, comments and VML drawings. Every other part is copied byte for byte.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .. import texts
from ..cells import col_letter, parse_a1, quote_sheet
from ..edition.model import Edition
from ..findings import ERROR, NOTICE, SEVERITY_ZH, WARNING, Finding
from ..ooxml.edit import (
    ContentTypes,
    EditablePackage,
    EditError,
    Rels,
    child,
    clean,
    dump,
    insert_ordered,
    local,
    ns_of,
    parse,
    parser,
    qname,
)
from ..stamp import FINDINGS_SHEET
from .places import BROKEN, CHANGE, Place, comment_text, mark, place, worst

LIST_SHEET = FINDINGS_SHEET
# red, gold: distinct from the template's pale input yellow; the diagnosed cell deep red, the totals it
# breaks pale pink, a notice pale blue.
FILLS = {ERROR: "FFFF8080", WARNING: "FFFFD54F", CHANGE: "FFFF4D4D", BROKEN: "FFFFD6D6", NOTICE: "FFDCE9F7"}
AUTHOR = "xltools"

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
RT_WORKSHEET = NS_R + "/worksheet"
RT_COMMENTS = NS_R + "/comments"
RT_VML = NS_R + "/vmlDrawing"
RT_STYLES = NS_R + "/styles"
RT_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

# Child order of <worksheet> (ECMA-376 CT_Worksheet): new children must go in their place.
WORKSHEET_ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]
STYLES_ORDER = [
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
]
AnnotateError = EditError  # the workbook could be read but its package cannot be annotated (exit 3)


def _t(key: str, **params: Any) -> str:
    return texts.text(f"report.annotate.{key}", **params)


@dataclass
class AnnotateResult:
    path: Path
    marked: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> cell -> severity
    rows: int = 0  # findings listed in 错误清单
    lost: list[str] = field(default_factory=list)  # what the copy could not keep (shown as warnings)


def default_output(path: Path) -> Path:
    suffix = path.suffix.lower() if path.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return path.with_name(texts.text("report.output_name", stem=path.stem, suffix=suffix))


# ---------------------------------------------------------------- styles
_MIN_STYLES = (
    f'<styleSheet xmlns="{NS_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
).encode()


class _Styles:
    """xl/styles.xml: new fills, fonts, borders and cell formats are appended; existing indexes never move."""

    def __init__(self, pkg: EditablePackage, wb_rels: Rels, ct: ContentTypes) -> None:
        self.pkg = pkg
        part = wb_rels.of_type(RT_STYLES)
        if part is None or not pkg.has(part):
            part = "xl/styles.xml"
            pkg.write(part, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + _MIN_STYLES)
            wb_rels.add(RT_STYLES, part)
            ct.override(part, CT_STYLES)
        self.part = part
        self.raw = pkg.read(part)
        self.root = parse(self.raw, part)
        self.ns = ns_of(self.root) or NS_MAIN
        self.cell_xfs = child(self.root, "cellXfs", STYLES_ORDER)
        self._marked: dict[tuple[int, str], int] = {}
        self._fills: dict[str, int] = {}

    def _append(self, container: str, xml: str) -> int:
        from lxml import etree

        parent = child(self.root, container, STYLES_ORDER)
        el = etree.fromstring(f'<x xmlns="{self.ns}">{xml}</x>', parser())[0]
        parent.append(el)
        n = len([c for c in parent if isinstance(c.tag, str)])
        parent.set("count", str(n))
        return n - 1

    def fill(self, rgb: str) -> int:
        if rgb not in self._fills:
            self._fills[rgb] = self._append(
                "fills",
                f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor indexed="64"/>'
                "</patternFill></fill>",
            )
        return self._fills[rgb]

    def _xfs(self) -> list[Any]:
        return [c for c in self.cell_xfs if isinstance(c.tag, str)]

    def marked(self, base: int, severity: str) -> int:
        """A cell format equal to `base` (number format, font, border, alignment, protection) but filled."""
        key = (base, severity)
        if key not in self._marked:
            xfs = self._xfs()
            if not xfs:
                self._append("cellXfs", '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>')
                xfs = self._xfs()
            src = xfs[base] if 0 <= base < len(xfs) else xfs[0]
            xf = copy.deepcopy(src)
            xf.set("fillId", str(self.fill(FILLS[severity])))
            xf.set("applyFill", "1")
            self.cell_xfs.append(xf)
            self.cell_xfs.set("count", str(len(self._xfs())))
            self._marked[key] = len(self._xfs()) - 1
        return self._marked[key]

    def list_formats(self) -> dict[str, int]:
        """Cell formats of the 错误清单 sheet."""
        font = '<sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/>'
        f_plain = self._append("fonts", f"<font>{font}</font>")
        f_bold = self._append("fonts", f"<font><b/>{font}</font>")
        f_title = self._append(
            "fonts", '<font><b/><sz val="14"/><name val="黑体"/><family val="3"/><charset val="134"/></font>'
        )
        f_link = self._append(
            "fonts",
            '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="宋体"/>'
            '<family val="3"/><charset val="134"/></font>',
        )
        border = self._append(
            "borders",
            '<border><left style="thin"><color auto="1"/></left><right style="thin">'
            '<color auto="1"/></right><top style="thin"><color auto="1"/></top>'
            '<bottom style="thin"><color auto="1"/></bottom><diagonal/></border>',
        )
        head_fill = self.fill("FFD9E1F2")

        def xf(font: int, fill: int = 0, bordered: bool = True, align: str = 'vertical="top" wrapText="1"') -> int:
            b = border if bordered else 0
            return self._append(
                "cellXfs",
                f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="{b}" xfId="0" '
                f'applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">'
                f"<alignment {align}/></xf>",
            )

        return {
            "title": xf(f_title, bordered=False, align='vertical="center"'),
            "note": xf(f_plain, bordered=False, align='vertical="top" wrapText="1"'),
            "head": xf(f_bold, head_fill, align='horizontal="center" vertical="center" wrapText="1"'),
            "text": xf(f_plain),
            "link": xf(f_link),
            ERROR: xf(f_bold, self.fill(FILLS[ERROR]), align='horizontal="center" vertical="top"'),
            WARNING: xf(f_bold, self.fill(FILLS[WARNING]), align='horizontal="center" vertical="top"'),
            NOTICE: xf(f_bold, self.fill(FILLS[NOTICE]), align='horizontal="center" vertical="top"'),
        }

    def save(self) -> None:
        self.pkg.write(self.part, dump(self.root, self.raw))


# ---------------------------------------------------------------- marking a sheet
def _cols_style(root: Any, ns: str) -> list[tuple[int, int, int]]:
    cols = root.find(qname(ns, "cols"))
    out = []
    if cols is not None:
        for c in cols.iter(qname(ns, "col")):
            try:
                out.append((int(c.get("min", "0")), int(c.get("max", "0")), int(c.get("style", "0"))))
            except ValueError:
                continue
    return out


def _index_rows(sheet_data: Any, ns: str) -> dict[int, Any]:
    """Row number -> <row>; rows without r= get their implied number written out."""
    rows: dict[int, Any] = {}
    last = 0
    for row in sheet_data.iter(qname(ns, "row")):
        r = row.get("r")
        n = int(r) if r and r.isdigit() else last + 1
        if not r:
            row.set("r", str(n))
        rows[n] = row
        last = n
    return rows


def _index_cells(row: Any, ns: str, row_n: int) -> dict[int, Any]:
    cells: dict[int, Any] = {}
    last = -1
    for c in row.iter(qname(ns, "c")):
        r = c.get("r")
        try:
            col = parse_a1(r)[1] if r else last + 1
        except ValueError:
            col = last + 1
        if not r:
            c.set("r", f"{col_letter(col)}{row_n}")
        cells[col] = c
        last = col
    return cells


def _widen_dimension(root: Any, ns: str, refs: list[str]) -> None:
    dim = root.find(qname(ns, "dimension"))
    if dim is None or not refs:
        return
    try:
        parts = [parse_a1(p) for p in dim.get("ref", "A1").split(":")]
    except ValueError:
        return
    points = parts + [parse_a1(r) for r in refs]
    r0, r1 = min(p[0] for p in points), max(p[0] for p in points)
    c0, c1 = min(p[1] for p in points), max(p[1] for p in points)
    new = f"{col_letter(c0)}{r0}:{col_letter(c1)}{r1}"
    if new != dim.get("ref"):
        dim.set("ref", new)


def _mark_cells(root: Any, marks: dict[str, str], styles: _Styles) -> None:
    from lxml import etree

    ns = ns_of(root)
    sheet_data = child(root, "sheetData", WORKSHEET_ORDER)
    rows = _index_rows(sheet_data, ns)
    col_styles = _cols_style(root, ns)
    created: list[str] = []
    for ref in sorted(marks, key=parse_a1):
        row_n, col = parse_a1(ref)
        row = rows.get(row_n)
        if row is None:
            row = etree.Element(qname(ns, "row"), r=str(row_n))
            after = [n for n in rows if n < row_n]
            if after:
                rows[max(after)].addnext(row)
            else:
                sheet_data.insert(0, row)
            rows[row_n] = row
        cells = _index_cells(row, ns, row_n)
        c = cells.get(col)
        if c is None:
            # An empty cell with no <c>: its look came from the row or the column.
            if row.get("customFormat") in ("1", "true") and row.get("s"):
                base = int(row.get("s", "0"))
            else:
                base = next((s for lo, hi, s in col_styles if lo <= col + 1 <= hi), 0)
            c = etree.Element(qname(ns, "c"), r=ref, s=str(base))
            before = [k for k in cells if k > col]
            ext = row.find(qname(ns, "extLst"))
            if before:
                cells[min(before)].addprevious(c)
            elif ext is not None:  # <c> elements come before a row's extLst
                ext.addprevious(c)
            else:
                row.append(c)
            row.attrib.pop("spans", None)  # an optional hint; dropping it is always valid
            created.append(ref)
        try:
            base = int(c.get("s", "0"))
        except ValueError:
            base = 0
        c.set("s", str(styles.marked(base, marks[ref])))
    _widen_dimension(root, ns, created)


# ---------------------------------------------------------------- comments
_VML_NS = (
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel"'
)
_SHAPETYPE = (
    f'<v:shapetype {_VML_NS} id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)


def _vml_shape(shape_id: int, ref: str, text: str, z: int) -> str:
    row, col = parse_a1(ref)
    lines = sum(1 + len(line) // 22 for line in text.split("\n"))
    height_rows = max(4, min(24, lines + 1))
    anchor = f"{col + 1}, 15, {max(row - 2, 0)}, 10, {col + 5}, 15, {max(row - 2, 0) + height_rows}, 4"
    return (
        f'<v:shape {_VML_NS} id="_x0000_s{shape_id}" type="#_x0000_t202" '
        f'style="position:absolute;margin-left:80pt;margin-top:2pt;width:260pt;height:{14 * height_rows}pt;'
        f'z-index:{z};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row - 1}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>"
    )


def _used_idmaps(pkg: EditablePackage) -> set[int]:
    used: set[int] = set()
    for name in list(pkg.data) + list(pkg.new):
        if name.lower().endswith(".vml"):
            for m in re.finditer(rb'data="([0-9, ]+)"', pkg.read(name)):
                used.update(int(x) for x in m.group(1).replace(b" ", b"").split(b",") if x)
    return used


def _comment_runs(text: str, bold_head: str) -> str:
    rpr = '<rPr><sz val="9"/><color indexed="81"/><rFont val="宋体"/><family val="3"/><charset val="134"/></rPr>'
    rpr_b = rpr.replace("<rPr>", "<rPr><b/>")
    return (
        f'<r>{rpr_b}<t xml:space="preserve">{escape(clean(bold_head))}</t></r>'
        f'<r>{rpr}<t xml:space="preserve">{escape(clean(text))}</t></r>'
    )


def _add_comments(
    pkg: EditablePackage, ct: ContentTypes, root: Any, rels: Rels, notes: dict[str, str], lost: list[str], sheet: str
) -> None:
    from lxml import etree

    ns = ns_of(root) or NS_MAIN
    # -- the comments part
    cpart = rels.of_type(RT_COMMENTS)
    if cpart and pkg.has(cpart):
        craw = pkg.read(cpart)
        croot = parse(craw, cpart)
    else:
        cpart = pkg.unused("xl/comments{}.xml")
        craw = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        croot = etree.Element(qname(ns, "comments"), nsmap={None: ns})
        rels.add(RT_COMMENTS, cpart)
        ct.override(cpart, CT_COMMENTS)
    cns = ns_of(croot) or ns
    authors = child(croot, "authors", ["authors", "commentList", "extLst"])
    names = [a.text or "" for a in authors.iter(qname(cns, "author"))]
    if AUTHOR not in names:
        etree.SubElement(authors, qname(cns, "author")).text = AUTHOR
        names.append(AUTHOR)
    author_id = str(names.index(AUTHOR))
    clist = child(croot, "commentList", ["authors", "commentList", "extLst"])
    existing = {(c.get("ref") or "").upper(): c for c in clist.iter(qname(cns, "comment"))}
    threaded = rels.of_type(RT_THREADED) is not None
    new_refs: list[str] = []
    for ref in sorted(notes, key=parse_a1):
        runs = etree.fromstring(f'<text xmlns="{cns}">{_comment_runs(notes[ref], _t("comment_head"))}</text>', parser())
        if ref in existing:
            # Keep the clerk's own note and add ours under it.
            text_el = child(existing[ref], "text")
            sep = etree.fromstring(f'<r xmlns="{cns}"><t xml:space="preserve">\n\n</t></r>', parser())
            plain = [c for c in text_el if local(c) == "t"]
            for p in plain:  # a plain <t> cannot sit next to runs: wrap it
                r = etree.Element(qname(cns, "r"))
                p.addprevious(r)
                r.append(p)
            text_el.append(sep)
            for r in list(runs):
                text_el.append(r)
            if threaded:
                lost.append(_t("lost_threaded", sheet=sheet, ref=ref))
        else:
            c = etree.SubElement(clist, qname(cns, "comment"), ref=ref, authorId=author_id)
            c.append(runs)
            new_refs.append(ref)
    pkg.write(cpart, dump(croot, craw))
    if not new_refs:
        return
    # -- the VML drawing that shows the new comments
    legacy = root.find(qname(ns, "legacyDrawing"))
    vpart = rels.target(legacy.get(qname(NS_R, "id"), "")) if legacy is not None else None
    if vpart and pkg.has(vpart):
        data = pkg.read(vpart)
        ids = [int(x) for x in re.findall(rb"_x0000_s(\d+)", data)]
        blocks = [
            int(x)
            for m in re.finditer(rb'data="([0-9, ]+)"', data)
            for x in m.group(1).replace(b" ", b"").split(b",")
            if x
        ]
        next_id = max(ids + [(blocks[0] if blocks else 1) * 1024]) + 1
        shapes = "" if b'id="_x0000_t202"' in data else _SHAPETYPE
        shapes += "".join(_vml_shape(next_id + i, ref, notes[ref], i + 1) for i, ref in enumerate(new_refs))
        end = data.rfind(b"</xml>")
        if end < 0:
            lost.append(_t("lost_drawing", sheet=sheet))
            return
        pkg.write(vpart, data[:end] + shapes.encode() + data[end:])
        return
    vpart = pkg.unused("xl/drawings/vmlDrawing{}.vml")
    used = _used_idmaps(pkg)
    block = next(n for n in range(1, 10000) if n not in used)
    body = "".join(_vml_shape(block * 1024 + i + 1, ref, notes[ref], i + 1) for i, ref in enumerate(new_refs))
    vml = (
        f'<xml {_VML_NS}><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        f"{_SHAPETYPE.replace(' ' + _VML_NS, '')}{body.replace(' ' + _VML_NS, '')}</xml>"
    )
    pkg.write(vpart, vml.encode())
    ct.default("vml", CT_VML)
    rid = rels.add(RT_VML, vpart)
    if legacy is None:
        legacy = etree.Element(qname(ns, "legacyDrawing"))
        insert_ordered(root, legacy, WORKSHEET_ORDER)
    legacy.set(qname(NS_R, "id"), rid)


def _clear_tab_selected(root: Any) -> bool:
    ns = ns_of(root)
    changed = False
    for view in root.iter(qname(ns, "sheetView")):
        if view.get("tabSelected") in ("1", "true"):
            view.attrib.pop("tabSelected")
            changed = True
    return changed


# ---------------------------------------------------------------- the 错误清单 sheet
@dataclass
class _ListRow:
    table: str
    label: str
    severity: str
    message: str
    hint: str
    location: str  # hyperlink location (quoted sheet!cell), filled for rows without a place later


def _cell_xml(ref: str, text: str, style: int) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(clean(text))}</t></is></c>'


def _text_lines(text: str, width: int) -> int:
    """Lines a wrapped cell needs. A CJK character, and the curly quotes a CJK font draws full width, take
    two units; a column of width w holds about 1.1·w units of 11-point 宋体 (measured on LibreOffice renders:
    width 60 holds about 70 units), wrapping at word ends costs a little more."""
    lines = 0
    for part in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E7F or ch in "“”‘’…—" else 1 for ch in part)
        lines += max(1, -(-units // max(int(width * 1.1) - 2, 1)))
    return lines


def _list_sheet(rows: list[_ListRow], head: str, styles: dict[str, int], list_name: str) -> bytes:
    widths = {"A": 22, "B": 16, "C": 10, "D": 60, "E": 50}
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}">',
        '<sheetPr><tabColor rgb="FFC00000"/><pageSetUpPr fitToPage="1"/></sheetPr>',
        f'<dimension ref="A1:E{max(len(rows) + 3, 3)}"/>',
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="B4" sqref="B4"/></sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/><cols>',
    ]
    for i, w in enumerate(widths.values(), start=1):
        out.append(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>')
    out.append("</cols><sheetData>")
    note = _t("list_note")
    out.append(f'<row r="1" ht="24" customHeight="1">{_cell_xml("A1", head, styles["title"])}</row>')
    out.append(f'<row r="2" ht="32" customHeight="1">{_cell_xml("A2", note, styles["note"])}</row>')
    out.append(
        '<row r="3">'
        + "".join(
            _cell_xml(f"{c}3", t, styles["head"])
            for c, t in zip("ABCDE", texts.text_list("report.annotate.list_columns"), strict=True)
        )
        + "</row>"
    )
    links = []
    for i, r in enumerate(rows, start=4):
        lines = max(
            _text_lines(r.message, widths["D"]), _text_lines(r.hint, widths["E"]), _text_lines(r.table, widths["A"])
        )
        location = r.location or f"{quote_sheet(list_name)}!B{i}"
        out.append(
            f'<row r="{i}" ht="{15 * lines + 4}" customHeight="1">'
            + _cell_xml(f"A{i}", r.table, styles["text"])
            + _cell_xml(f"B{i}", r.label, styles["link"])
            + _cell_xml(f"C{i}", SEVERITY_ZH.get(r.severity, r.severity), styles.get(r.severity, styles["text"]))
            + _cell_xml(f"D{i}", r.message, styles["text"])
            + _cell_xml(f"E{i}", r.hint, styles["text"])
            + "</row>"
        )
        tip = _t("link_tip") if r.location else _t("link_tip_none")
        links.append(
            f'<hyperlink ref="B{i}" location={quoteattr(clean(location))} '
            f"display={quoteattr(clean(r.label))} tooltip={quoteattr(tip)}/>"
        )
    out.append("</sheetData>")
    out.append('<mergeCells count="2"><mergeCell ref="A1:E1"/><mergeCell ref="A2:E2"/></mergeCells>')
    if links:
        out.append("<hyperlinks>" + "".join(links) + "</hyperlinks>")
    out.append(
        '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>'
    )
    return "".join(out).encode()


def _insert_list_sheet(
    pkg: EditablePackage, ct: ContentTypes, wb_root: Any, wb_raw: bytes, wb_rels: Rels, name: str, sheet_xml: bytes
) -> None:
    from lxml import etree

    ns = ns_of(wb_root) or NS_MAIN
    part = pkg.unused("xl/worksheets/sheet{}.xml")
    pkg.write(part, sheet_xml)
    ct.override(part, CT_WORKSHEET)
    rid = wb_rels.add(RT_WORKSHEET, part)
    sheets = wb_root.find(qname(ns, "sheets"))
    ids = [int(s.get("sheetId", "0")) for s in sheets if isinstance(s.tag, str) and s.get("sheetId", "").isdigit()]
    el = etree.Element(qname(ns, "sheet"), name=name, sheetId=str(max(ids, default=0) + 1))
    el.set(qname(NS_R, "id"), rid)
    sheets.insert(0, el)
    # Sheet-scoped names refer to sheets by position: everything moved one place right.
    names = wb_root.find(qname(ns, "definedNames"))
    if names is not None:
        for dn in names:
            lid = dn.get("localSheetId") if isinstance(dn.tag, str) else None
            if lid is not None and lid.isdigit():
                dn.set("localSheetId", str(int(lid) + 1))
    views = wb_root.find(qname(ns, "bookViews"))
    if views is not None:
        for v in views:
            if isinstance(v.tag, str):
                v.set("activeTab", "0")
                v.attrib.pop("firstSheet", None)
    pkg.write("xl/workbook.xml", dump(wb_root, wb_raw))


def _app_titles(pkg: EditablePackage, name: str) -> None:
    """docProps/app.xml lists the worksheet names; add ours first (left alone if its shape is unusual)."""
    from lxml import etree

    part = "docProps/app.xml"
    if not pkg.has(part):
        return
    raw = pkg.read(part)
    try:
        root = parse(raw, part)
    except AnnotateError:
        return
    ns = ns_of(root)
    pairs = root.find(f"{qname(ns, 'HeadingPairs')}/{{{NS_VT}}}vector")
    titles = root.find(f"{qname(ns, 'TitlesOfParts')}/{{{NS_VT}}}vector")
    if pairs is None or titles is None:
        return
    variants = list(pairs)
    offset = 0
    for i in range(0, len(variants) - 1, 2):
        label = "".join(variants[i].itertext()).strip()
        count_el = next(iter(variants[i + 1]), None)
        if count_el is None or not (count_el.text or "").strip().isdigit():
            return
        if label in texts.text_list("report.annotate.worksheets_heading"):
            count_el.text = str(int(count_el.text) + 1)
            item = etree.Element(f"{{{NS_VT}}}lpstr")
            item.text = name
            titles.insert(offset, item)
            titles.set("size", str(len(titles)))
            pkg.write(part, dump(root, raw))
            return
        offset += int(count_el.text)


# ---------------------------------------------------------------- entry point
def _workbook_sheets(pkg: EditablePackage, wb_root: Any, wb_rels: Rels) -> dict[str, str]:
    ns = ns_of(wb_root) or NS_MAIN
    out: dict[str, str] = {}
    sheets = wb_root.find(qname(ns, "sheets"))
    if sheets is None:
        raise AnnotateError(_t("no_sheet_list"))
    for s in sheets:
        if not isinstance(s.tag, str):
            continue
        target = wb_rels.target(s.get(qname(NS_R, "id"), ""))
        if target and pkg.has(target):
            out[s.get("name", "")] = target
    return out


def annotate_workbook(
    src: str | Path | bytes,
    findings: Sequence[Finding],
    dest: str | Path,
    ed: Edition | None = None,
    title: str | None = None,
) -> AnnotateResult:
    """Write to `dest` a copy of `src` (a path, or the file's bytes already read) with `findings` marked in
    place. `src` is only read; `title` names it in the 错误清单 heading (default: the file name).

    The caller writes atomically (dest is normally a temporary file next to the final name).
    """
    dest = Path(dest)
    pkg = EditablePackage(src if isinstance(src, bytes) else Path(src))
    if "xl/workbook.xml" not in pkg.data:
        raise AnnotateError(_t("not_workbook"))
    result = AnnotateResult(dest)
    if any(n.startswith("_xmlsignatures/") for n in pkg.data):
        result.lost.append(_t("lost_signature"))
    ct = ContentTypes(pkg)
    wb_raw = pkg.read("xl/workbook.xml")
    wb_root = parse(wb_raw, "xl/workbook.xml")
    wb_rels = Rels(pkg, "xl/workbook.xml")
    sheets = _workbook_sheets(pkg, wb_root, wb_rels)
    styles = _Styles(pkg, wb_rels, ct)

    # Where every finding goes.
    places: list[tuple[Finding, Place]] = [(f, place(f, sheets, ed)) for f in findings]
    marks: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    notes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f, p in places:
        if not p.sheet:
            continue
        for cell in p.cells:
            marks[p.sheet][cell].add(mark(f))
        notes[p.sheet][p.anchor].append(comment_text(f))

    # Mark the sheets.
    for sheet, part in sheets.items():
        raw = pkg.read(part)
        if sheet not in marks and b"tabSelected" not in raw:
            continue
        try:
            root = parse(raw, part)
        except AnnotateError:
            # A damaged sheet the reader could still read: the copy keeps it as it is, unmarked.
            if sheet in marks:
                result.lost.append(_t("lost_damaged", sheet=sheet))
            pkg.write(part, raw.replace(b' tabSelected="1"', b""))
            continue
        changed = _clear_tab_selected(root)
        if sheet in marks:
            if local(root) != "worksheet":  # a chart sheet or dialog sheet has no cells to fill
                result.lost.append(_t("lost_not_worksheet", sheet=sheet))
            else:
                severity = {ref: worst(s) for ref, s in marks[sheet].items()}
                _mark_cells(root, severity, styles)
                rels = Rels(pkg, part)
                _add_comments(
                    pkg, ct, root, rels, {ref: "\n\n".join(t) for ref, t in notes[sheet].items()}, result.lost, sheet
                )
                rels.save()
                result.marked[sheet] = severity
                changed = True
        if changed:
            pkg.write(part, dump(root, raw))

    # The 错误清单 sheet, first.
    ns = ns_of(wb_root) or NS_MAIN
    taken = {el.get("name", "").lower() for el in wb_root.iter(qname(ns, "sheet"))}
    list_name = LIST_SHEET
    n = 2
    while list_name.lower() in taken:
        list_name = f"{LIST_SHEET}{n}"
        n += 1
    rows = []
    for f, p in places:
        location = f"{quote_sheet(p.sheet)}!{p.link}" if p.sheet else ""
        rows.append(_ListRow(f.sheet or _t("whole_file"), p.label, f.severity, f.message, f.hint, location))
    n_err = sum(1 for f in findings if f.severity == ERROR)
    n_warn = sum(1 for f in findings if f.severity == WARNING)
    name = title or ("" if isinstance(src, bytes) else Path(src).name)
    if n_err:
        head = _t("head_fail", name=name, errors=n_err, warnings=n_warn)
    else:
        head = _t("head_pass_warnings", name=name, warnings=n_warn) if n_warn else _t("head_pass", name=name)
    list_styles = styles.list_formats()
    styles.save()
    _insert_list_sheet(pkg, ct, wb_root, wb_raw, wb_rels, list_name, _list_sheet(rows, head, list_styles, list_name))
    wb_rels.save()
    _app_titles(pkg, list_name)
    ct.save()
    result.rows = len(rows)
    pkg.save(dest)
    return result


def annotate_report(report: Any, out: Path) -> AnnotateResult:
    """Annotate a validated file (a FileReport) into `out`, atomically. The input is only read."""
    from ..outputs import atomic_write

    if report.unreadable:
        raise AnnotateError(_t("unreadable", path=report.path))
    ed = report.book.edition if report.book is not None else None
    holder: list[AnnotateResult] = []
    atomic_write(out, lambda tmp: holder.append(annotate_workbook(report.path, report.findings, tmp, ed)))
    result = holder[0]
    result.path = out
    return result
