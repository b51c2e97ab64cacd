"""OUT.xlsx of a merge, in two steps.

1. xlsxwriter (constant_memory mode) writes the package and every sheet but the bulk: 名单核对, the
   classification sheets, 说明, the heads and totals of 汇总 and 校验结果 (with 校验结果's first row), and for
   each stacked sheet its header row, its autofilter and a placeholder cell in its last row (so xlsxwriter
   states the sheet's true dimension).
2. The stacked sheets' rows, which workers already rendered as worksheet XML (render.py), are concatenated in
   单位编码 order, numbered, and put in place of each placeholder, and so are 汇总's and 校验结果's rows,
   rendered here the same way (xlsxwriter costs ~0.1 ms a cell); every other part is copied as it is. The
   bytes are those xlsxwriter alone would write (tests compare cell XML with xlsxwriter's own). With more
   than one local job the stacked sheets are written by a forked process (beside.py) while this one writes
   汇总 and 校验结果; the files and bytes are the same, and any failure there is redone here.

Deterministic: fixed document dates, departments ordered by 单位编码 then path. Every text cell is text, so a
unit name such as =HYPERLINK(...) stays text (no formula injection). County totals are formulas (SUM on 汇总,
SUMIFS over the stacked sheets on the classification sheets), each written with its value computed in
Decimal as the cached result, so every reader sees the right number without recalculating.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.parsers import expat

from .. import __version__, texts
from ..cells import col_letter, quote_sheet
from ..edition.model import Edition, Table
from ..findings import SEVERITY_ZH
from ..outputs import atomic_write, work_folder
from ..template.fit import line_count, row_height
from . import spec
from .beside import Beside, can_fork
from .export import details
from .model import INCLUDED, InputEntry, MergeResult
from .render import NEXT, ROW, STYLE_MONEY, first_value_col, num_cell, str_cell, table_columns, xml_text
from .spool import Spool
from .zipout import Deflated, Deflater, Finished, add_deflated, raw_copy

CREATED = dt.datetime(2000, 1, 1)  # fixed, so the same inputs give the same bytes
MONEY = "#,##0.00"


def _sheet_class() -> type:
    """xlsxwriter's worksheet, with a quicker formula preparation for the formulas this writer uses.

    xlsxwriter runs ~30 regular-expression substitutions over every formula (dynamic-array function names),
    which made the classification sheets' thousands of SUMIFS the slowest part of OUT.xlsx. When every
    parenthesis of a formula opens a SUM or a SUMIFS, none of those substitutions can match, and the result
    is the formula without its '=': the bytes are the same (anything else takes xlsxwriter's own path)."""
    from xlsxwriter.worksheet import Worksheet

    class Sheet(Worksheet):  # type: ignore[misc]
        def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
            if (
                formula.startswith("=")
                and not expand_future_functions
                and not self.use_future_functions
                and not formula.endswith("}")
                and "_xlfn." not in formula
                and formula.count("(") == formula.count("SUM(") + formula.count("SUMIFS(")
            ):
                return formula[1:]
            out: str = super()._prepare_formula(formula, expand_future_functions)
            return out

    return Sheet


def _num(v: Decimal | str | None) -> float:
    return float(v) if v is not None else 0.0


_first_value_col = first_value_col


class _Writer:
    def __init__(
        self,
        result: MergeResult,
        spool: Spool,
        path: Path,
        rows: dict[str, int],
        before_inputs: Callable[[], None] | None = None,
    ) -> None:
        import xlsxwriter

        self.r, self.spool, self.ed, self.stacked_rows = result, spool, result.edition, rows
        self.streamed: dict[str, int] = {}  # stacked table id -> its worksheet index (its part in the package)
        self.summary_index = -1  # 汇总's worksheet index when its department rows are streamed
        self.inputs_index = -1  # 校验结果's, when it has rows (all of them streamed)
        self.before_inputs = before_inputs
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        wb = self.wb
        self.sheet_class = _sheet_class()
        self.f_head = wb.add_format(
            {
                "bold": True,
                "border": 1,
                "bg_color": "#DDEBF7",
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
            }
        )
        self.f_money = wb.add_format({"num_format": MONEY})
        self.f_total = wb.add_format({"num_format": MONEY, "bold": True, "top": 1})
        self.f_total_label = wb.add_format({"bold": True, "top": 1})
        self.f_wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.f_top = wb.add_format({"valign": "top"})
        self.f_title = wb.add_format({"bold": True, "font_size": 14})
        self.f_bold = wb.add_format({"bold": True})

    # ---- helpers ----
    def _header(self, ws: Any, labels: list[str], widths: list[float]) -> None:
        for i, (label, width) in enumerate(zip(labels, widths, strict=True)):
            ws.set_column(i, i, width)
            ws.write_string(0, i, label, self.f_head)
        ws.freeze_panes(1, 0)

    def _text(self, ws: Any, row: int, col: int, value: str | None, fmt: Any = None) -> None:
        if value:
            ws.write_string(row, col, value, fmt)

    # ---- the workbook ----
    def write(self) -> None:
        """Step 1: the package, with a placeholder for each stacked sheet's rows."""
        ed, wb = self.ed, self.wb
        year = ed.year if ed is not None else ""
        wb.set_properties(
            {
                "title": spec.text("doc_title", year=year),
                "subject": spec.text("doc_subject"),
                "author": "xltools",
                "comments": f"xltools {__version__} merge",
                "created": CREATED,
            }
        )
        wb.set_custom_property("xltools_output", "merge")
        summary = wb.add_worksheet(spec.text("sheet_summary"), self.sheet_class) if ed is not None else None
        inputs = wb.add_worksheet(spec.text("sheet_inputs"))
        roster = wb.add_worksheet(spec.text("sheet_roster"))
        classes = (
            {c.id: wb.add_worksheet(c.sheet, self.sheet_class) for c in spec.classifications(ed)}
            if ed is not None
            else {}
        )
        stacked = {t.id: wb.add_worksheet(t.sheet) for t in spec.stacked_tables(ed)} if ed is not None else {}
        about = wb.add_worksheet(spec.text("sheet_about"))
        if ed is not None and summary is not None:
            last_rows = self._departments(ed, summary, stacked)
            for c in spec.classifications(ed):
                self._classification(ed, classes[c.id], c, last_rows)
        self._inputs(inputs)
        self._roster(roster)
        self._about(about)
        units = {stacked[t.id].get_name(): t.unit for t in spec.stacked_tables(ed)} if ed is not None else {}
        for ws in wb.worksheets():
            print_setup(ws, units.get(ws.get_name(), ed.money_unit if ed is not None else ""), ws is not about)
        wb.close()

    # ---- one pass over the included departments: 汇总 rows and every stacked table ----
    def _departments(self, ed: Edition, summary: Any, stacked: dict[str, Any]) -> dict[str, int]:
        figs = spec.figures(ed)
        head = [spec.text("col_seq"), spec.text("col_unit_code"), spec.text("col_unit_name")] + [f.label for f in figs]
        self._header(summary, head, [6, 12, 30] + [14] * len(figs))
        summary.set_row(0, 45)
        tables = {t.id: t for t in spec.stacked_tables(ed)}
        cols = {tid: table_columns(t) for tid, t in tables.items()}
        for tid, t in tables.items():
            labels = [spec.text("col_unit_code"), spec.text("col_unit_name")]
            widths: list[float] = [12, 30]
            if t.kind == "fixed":
                labels.append(spec.text("col_item"))
                widths.append(30)
            for c in cols[tid]:
                labels.append(spec.text("col_subunit") if c.type == "unit" else spec.header_text(t, c.key))
                widths.append(max(c.width, 12))
            self._header(stacked[tid], labels, widths)
        included = self.r.included
        last = len(included)
        if last:  # the departments' rows are rendered in step 2, in place of this placeholder (see _summary_rows)
            summary.write_string(1, 0, "")
            self.summary_index = summary.index
        summary.write_string(last + 1, 2, spec.text("total_label"), self.f_total_label)
        summary.write_blank(last + 1, 0, None, self.f_total_label)
        summary.write_blank(last + 1, 1, None, self.f_total_label)
        for i, f in enumerate(figs):
            col = col_letter(3 + i)
            formula = f"=SUM({col}2:{col}{last + 1})" if last else "=0"
            summary.write_formula(last + 1, 3 + i, formula, self.f_total, _num(self.r.totals.figures.get(f.id)))
        if last:
            summary.autofilter(0, 0, last, 2 + len(figs))
        rows = self.stacked_rows
        for tid, ws in stacked.items():
            if rows.get(tid):
                ws.write_string(rows[tid], 0, "")  # the placeholder: its row is replaced by the rendered rows
                ws.autofilter(0, 0, rows[tid], _first_value_col(tables[tid]) + len(cols[tid]) - 1)
                self.streamed[tid] = ws.index
        return rows

    # ---- county totals by classification: SUMIFS over the stacked sheets, cached values from Decimal sums ----
    def _classification(self, ed: Edition, ws: Any, c: spec.Classification, last_rows: dict[str, int]) -> None:
        labels = [spec.text("col_code"), spec.text("col_code_name"), spec.text("col_level"), spec.text("col_depts")]
        self._header(ws, labels + [col.label for col in c.columns], [12, 30, 6, 8] + [16] * len(c.columns))
        ws.set_row(0, 30)
        levels = spec.text_list("levels")
        sources = []
        for col in c.columns:
            t: Table = ed.table(col.table)
            keys = [x.key for x in table_columns(t)]
            n = last_rows.get(col.table, 0)
            sheet = quote_sheet(t.sheet)
            if n:
                first = _first_value_col(t)
                v, k = col_letter(first + keys.index(col.col)), col_letter(first + keys.index("code"))
                sources.append((f"{sheet}!${v}$2:${v}${n + 1}", f"{sheet}!${k}$2:${k}${n + 1}"))
            else:
                sources.append(None)
        rows = self.r.totals.classes.get(c.id, [])
        for y, row in enumerate(rows, start=1):
            ws.write_string(y, 0, row.code)
            self._text(ws, y, 1, row.name)
            if 0 < row.level <= len(levels):
                ws.write_string(y, 2, levels[row.level - 1])
            ws.write_number(y, 3, row.depts)
            for i, src in enumerate(sources):
                value = _num(row.values[i])
                if src is None:
                    ws.write_number(y, 4 + i, value, self.f_money)
                else:
                    crit = row.code.replace('"', '""')
                    ws.write_formula(y, 4 + i, f'=SUMIFS({src[0]},{src[1]},"{crit}")', self.f_money, value)
        y = len(rows) + 1
        ws.write_string(y, 1, spec.text("total_label"), self.f_total_label)
        top = levels[0]
        for i in range(len(c.columns)):
            total = sum((row.values[i] for row in rows if row.level == 1), Decimal(0))
            if rows:
                rng, lv = f"{col_letter(4 + i)}2:{col_letter(4 + i)}{y}", f"C2:C{y}"
                ws.write_formula(y, 4 + i, f'=SUMIFS({rng},{lv},"{top}")', self.f_total, _num(total))
            else:
                ws.write_number(y, 4 + i, 0, self.f_total)
        if rows:
            ws.autofilter(0, 0, len(rows), 3 + len(c.columns))

    # ---- 校验结果: every input, one row each ----
    def _inputs(self, ws: Any) -> None:
        t = spec.text
        labels = [
            t("col_seq"),
            t("col_status"),
            t("col_unit_code"),
            t("col_unit_name"),
            t("col_path"),
            t("col_errors"),
            t("col_warnings"),
            t("col_reason"),
            t("col_findings"),
            t("col_edition"),
            t("col_year"),
            t("col_mtime"),
            t("col_size"),
            t("col_sha256"),
        ]
        self._header(ws, labels, [6, 14, 12, 26, 40, 7, 7, 50, 70, 18, 8, 19, 10, 66])
        inputs = self.r.inputs
        if not inputs:
            return
        # Every input's row is rendered in step 2 (_input_rows), in place of rows 2 … N + 1, once the county checks
        # (which add findings) are in: they run while the stacked sheets are written. xlsxwriter writes a
        # stand-in first row with 校验结果's two formats in the order the first input's row uses them, so they get
        # the indices they always had, and a placeholder in the last row, so it states the sheet's dimension.
        ws.write_number(1, 0, 1, self.f_top)
        ws.write_blank(1, 4, None, self.f_wrap)
        if len(inputs) > 1:
            ws.write_string(len(inputs), 0, "")
        self.inputs_index = ws.index
        ws.autofilter(0, 0, len(inputs), len(labels) - 1)

    # ---- 名单核对: every roster entry with its status, then the submitted codes the roster lacks ----
    def _roster(self, ws: Any) -> None:
        t = spec.text
        roster = self.r.roster
        if roster is None:
            ws.set_column(0, 0, 60)
            ws.write_string(0, 0, t("roster_none"))
            return
        labels = [t("col_seq"), t("col_unit_code"), t("col_unit_name"), t("col_status"), t("col_files")]
        self._header(ws, labels, [6, 12, 30, 14, 60])
        by_code: dict[str, list[InputEntry]] = defaultdict(list)
        for e in self.r.inputs:
            if e.unit_code and (m := roster.lookup(e.unit_code)) is not None:
                by_code[m.code].append(e)
        y = 0
        for y, entry in enumerate(roster.entries, start=1):
            files = by_code.get(entry.code, [])
            ws.write_number(y, 0, y)
            ws.write_string(y, 1, entry.code)
            self._text(ws, y, 2, entry.name)
            ws.write_string(y, 3, roster_status(files))
            self._text(ws, y, 4, "\n".join(e.path for e in files), self.f_wrap)
        if self.r.not_on_roster:
            y += 2
            ws.write_string(y, 0, t("roster_not_on"), self.f_bold)
            for n, e in enumerate(self.r.not_on_roster, start=1):
                y += 1
                ws.write_number(y, 0, n)
                ws.write_string(y, 1, e.unit_code)
                self._text(ws, y, 2, e.unit_name)
                ws.write_string(y, 3, e.status)
                ws.write_string(y, 4, e.path, self.f_wrap)
        for note in roster.notes:
            y += 2
            ws.write_string(y, 0, note)

    def _about(self, ws: Any) -> None:
        ed, r = self.ed, self.r
        ws.set_column(0, 0, 110)
        ws.write_string(0, 0, spec.text("about_title"), self.f_title)
        lines = spec.text_list(
            "about_lines",
            edition=ed.id if ed else "",
            edition_title=ed.title if ed else "",
            version=ed.version if ed else "",
            year=ed.year if ed else "",
            money_unit=ed.money_unit if ed else "",
            inputs=len(r.inputs),
            summary=r.summary_line(),
            generator=f"xltools {__version__}",
        )
        for i, line in enumerate(lines, start=2):
            ws.write_string(i, 0, line)


def print_setup(ws: Any, unit: str, header_row: bool) -> None:
    """A4 landscape, one page wide, the header row repeated, 金额单位 and the sheet's name above each page."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.8, bottom=0.7)
    if header_row:
        ws.repeat_rows(0)
    left = texts.text("publish.money_unit", unit=unit).replace("&", "&&") if unit else ""
    ws.set_header(f"&L{left}&C&A")
    ws.set_footer(texts.text("publish.footer"))


def roster_status(files: list[InputEntry]) -> str:
    if not files:
        return spec.text("status_missing")
    for e in files:
        if e.status_key == INCLUDED:
            return e.status
    return files[0].status


def findings_text(findings: list[dict[str, str]]) -> str:
    lines = []
    for f in findings:
        where = "!".join(x for x in (f["sheet"], f["cell"]) if x)
        sev = SEVERITY_ZH.get(f["severity"], "")
        lines.append(f"{where + ' ' if where else ''}{sev}：{f['message']}")
    return "\n".join(lines)


def mtime_text(mtime: float) -> str:
    return dt.datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M:%S")


# ---- step 2: the stacked sheets' rows, streamed into the package ----


def _placeholder(xml: bytes, row: int, first: int | None = None) -> tuple[int, int]:
    """Byte offsets of the placeholder row (the <row> element numbered `row`; with `first`, of the row numbered
    `first`, the rows up to `row` replaced with it) and of what follows it (the next <row>, or the </sheetData>
    end tag), found by an XML parser in the sheet xlsxwriter wrote."""
    parser = expat.ParserCreate()
    where = {"row": -1, "end": -1}
    number, start_at = str(row), str(row if first is None else first)
    seen_last = False

    def start(name: str, attrs: Any) -> None:
        nonlocal seen_last
        if name == "row":
            if seen_last and where["end"] < 0:
                where["end"] = parser.CurrentByteIndex
                return
            r = attrs.get("r")
            if r == start_at and where["row"] < 0:
                where["row"] = parser.CurrentByteIndex
            if r == number and where["row"] >= 0:
                seen_last = True

    def end(name: str) -> None:
        if name == "sheetData" and seen_last and where["end"] < 0:
            where["end"] = parser.CurrentByteIndex

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(xml, True)
    if where["row"] < 0 or where["end"] < where["row"]:
        raise RuntimeError("streamed sheet without its placeholder row")
    return where["row"], where["end"]


def _summary_rows(w: _Writer) -> Iterator[str]:
    """汇总's department rows (rows 2 … N + 1), as xlsxwriter writes them: 序号, 单位编码, 单位名称 (when
    there is one), then every key figure as a money number (0 when not provided)."""
    assert w.ed is not None
    figs = spec.figures(w.ed)
    places = [(col_letter(3 + i), f.id) for i, f in enumerate(figs)]
    for n, e in enumerate(w.r.included, start=1):
        figures = w.spool.sums(e.key).figures
        y = str(n + 1)
        parts = [f'<row r="{y}"><c r="A{y}"><v>{n:.16G}</v></c>', str_cell("B", e.unit_code)]
        if e.unit_name:
            parts.append(str_cell("C", e.unit_name))
        parts.extend(num_cell(x, _num(figures.get(fid)), STYLE_MONEY) for x, fid in places)
        parts.append("</row>")
        yield "".join(parts).replace(ROW, y)


def _cell_s(col: str, text: str, style: int) -> str:
    return f'<c r="{col}{ROW}" s="{style}" t="inlineStr"><is>{xml_text(text)}</is></c>'


def _fitted(e: InputEntry, findings: list[dict[str, str]]) -> list[tuple[str, float]]:
    """校验结果's wrapped cells of an input (text, column width): its row is as high as they need."""
    return [(e.path, 40), (e.reason or "", 50), (findings_text(findings), 70)]


def _row_tag(cells: list[tuple[str, float]]) -> str:
    """A row's start tag as xlsxwriter writes it after template.fit.fit_row (a height only past one line)."""
    lines = max([1, *(line_count(t, width) for t, width in cells if t)])
    if lines <= 1:
        return f'<row r="{ROW}">'
    pixels = int(row_height(lines) * 4.0 / 3.0 + 0.5)  # xlsxwriter's set_row keeps pixels, writes points
    return f'<row r="{ROW}" ht="{pixels * 0.75:.16g}" customHeight="1">'


def _input_rows(w: _Writer) -> Iterator[str]:
    """校验结果's rows (rows 2 … N + 1), as xlsxwriter writes them (a test compares the cells' XML)."""
    top, wrap = w.f_top.xf_index, w.f_wrap.xf_index
    for y, e in enumerate(w.r.inputs, start=1):
        facts, findings = details(w.spool, e)
        parts = [_row_tag(_fitted(e, findings)), num_cell("A", y, top), _cell_s("B", e.status, top)]
        if e.unit_code:
            parts.append(_cell_s("C", e.unit_code, top))
        if e.unit_name:
            parts.append(_cell_s("D", e.unit_name, top))
        parts += [_cell_s("E", e.path, wrap), num_cell("F", e.errors, top), num_cell("G", e.warnings, top)]
        for x, text, style in (("H", e.reason, wrap), ("I", findings_text(findings), wrap), ("J", e.edition, top)):
            if text:
                parts.append(_cell_s(x, text, style))
        if e.year:
            parts.append(num_cell("K", e.year, top))
        if facts.mtime is not None:
            parts.append(_cell_s("L", mtime_text(facts.mtime), top))
        if facts.size is not None:
            parts.append(num_cell("M", facts.size, top))
        if facts.sha256:
            parts.append(_cell_s("N", facts.sha256, top))
        parts.append("</row>")
        yield "".join(parts).replace(ROW, str(y + 1))


def _stream(w: _Writer, skeleton: Path, out: Path, work: Path, parallel: bool) -> None:
    """Copy the package, putting each streamed sheet's rendered rows in place of its placeholder row: the
    stacked sheets' (rendered by the workers), 汇总's and 校验结果's. Those parts are deflated on a second
    thread while their rows are rendered (zipout.py); every other part is copied still deflated. With
    `parallel`, the stacked sheets are numbered and deflated in a forked process (beside.py) while this one
    renders 汇总 and 校验结果: the same files, on the core the workers have left idle."""
    parts = {f"xl/worksheets/sheet{index + 1}.xml": tid for tid, index in w.streamed.items()}
    summary = f"xl/worksheets/sheet{w.summary_index + 1}.xml" if w.summary_index >= 0 else ""
    if (parts or summary) and w.f_money.xf_index != STYLE_MONEY:  # the rendered rows name the money format by its index
        raise RuntimeError(f"money format has xf index {w.f_money.xf_index}, rendered rows say {STYLE_MONEY}")
    done: dict[str, Deflated | Finished] = {}  # part name -> its deflated bytes
    side = None
    if parallel and parts and can_fork():  # forked before this process opens the skeleton or starts a thread
        w.spool.commit()  # every result visible to the child's own connection
        side = Beside(lambda: _stacked_apart(w, skeleton, parts, work))
    deflater = Deflater()
    try:
        with zipfile.ZipFile(skeleton) as zin:
            if side is None:
                _stacked_rows(w, zin, parts, deflater, done, work)
            _other_rows(w, zin, summary, deflater, done, work)
            deflater.finish()
            if side is not None:
                got, side = side.result(), None
                # the child failed: the same work in line, as without it (an error is then met here)
                done.update(got if got is not None else _stacked_apart(w, skeleton, parts, work))
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=w.wb.allow_zip64) as zout:
                for info in zin.infolist():
                    # each part keeps the name, date and attributes xlsxwriter gave it
                    copy = zipfile.ZipInfo(info.filename, info.date_time)
                    copy.external_attr = info.external_attr
                    d = done.get(info.filename)
                    if d is not None:
                        copy.compress_type = zipfile.ZIP_DEFLATED

                        def deflated(fp: Any, d: Deflated | Finished = d) -> None:
                            with d.path.open("rb") as src:
                                shutil.copyfileobj(src, fp, 1 << 20)

                        add_deflated(zout, copy, d.crc, d.size, d.compress_size, deflated)
                    else:  # as xlsxwriter deflated it (zipfile's settings: the same bytes as deflating it again)
                        copy.compress_type = info.compress_type
                        add_deflated(
                            zout,
                            copy,
                            info.CRC,
                            info.file_size,
                            info.compress_size,
                            lambda fp, info=info: raw_copy(zin, info, fp),
                        )
    finally:
        if side is not None:
            side.stop()
        if deflater.thread.is_alive():
            deflater.finish_quietly()


def _stacked_apart(w: _Writer, skeleton: Path, parts: dict[str, str], work: Path) -> dict[str, Finished]:
    """The stacked parts' files, and what the package needs to know of each: in the forked process, or here
    when it failed."""
    deflater = Deflater()
    done: dict[str, Deflated | Finished] = {}
    try:
        with zipfile.ZipFile(skeleton) as zin:
            _stacked_rows(w, zin, parts, deflater, done, work)
        deflater.finish()
    finally:
        if deflater.thread.is_alive():
            deflater.finish_quietly()
    return {name: Finished(d.path, d.crc, d.size, d.compress_size) for name, d in done.items()}


def _stacked_rows(
    w: _Writer,
    zin: zipfile.ZipFile,
    parts: dict[str, str],
    deflater: Deflater,
    done: dict[str, Deflated | Finished],
    work: Path,
) -> None:
    """Every stacked part into its Deflated file, in one pass over the included departments."""
    pieces: dict[str, tuple[bytes, bytes]] = {}
    files: dict[str, Deflated] = {}
    for name, tid in parts.items():
        xml = zin.read(name)
        a, b = _placeholder(xml, w.stacked_rows[tid] + 1)
        pieces[tid] = (xml[:a], xml[b:])
        files[tid] = deflater.part(work / f"{tid}.xml.deflated")
        done[name] = files[tid]
        files[tid].write(xml[:a])
    y = dict.fromkeys(files, 1)  # last row written per sheet (the header is row 1)
    for blocks in w.spool.xml_all([e.key for e in w.r.included]) if files else ():
        for tid, block in blocks.items():
            fh = files.get(tid)
            if fh is None:
                continue
            n = y[tid]
            out_rows = []
            for row in block.split(NEXT):
                n += 1
                out_rows.append(row.replace(ROW, str(n)))
            fh.write("".join(out_rows).encode("utf-8"))
            y[tid] = n
    for tid, fh in files.items():
        fh.write(pieces[tid][1])
        fh.close()
    for tid, n in y.items() if files else ():
        if n - 1 != w.stacked_rows[tid]:
            raise RuntimeError(f"stacked sheet {tid}: {n - 1} rows written, {w.stacked_rows[tid]} counted")


def _other_rows(
    w: _Writer,
    zin: zipfile.ZipFile,
    summary: str,
    deflater: Deflater,
    done: dict[str, Deflated | Finished],
    work: Path,
) -> None:
    """汇总's and 校验结果's rows into their Deflated files (校验结果's after the county checks' findings)."""
    # (part, placeholder row and first row replaced, its rows, temporary file name: no table id starts with _)
    streamed: list[tuple[str, int, int | None, Callable[[], Iterator[str]], str]] = []
    if summary:
        streamed.append((summary, 2, None, lambda: _summary_rows(w), "_summary"))
    if w.inputs_index >= 0:
        part = f"xl/worksheets/sheet{w.inputs_index + 1}.xml"
        streamed.append((part, len(w.r.inputs) + 1, 2, lambda: _input_rows(w), "_inputs"))
    waited = False
    for part, at, first, rendered, name in streamed:
        if name == "_inputs" and w.before_inputs is not None:
            w.before_inputs()  # the county checks' findings: they ran while the sheets above were written
            waited = True
        xml = zin.read(part)
        a, b = _placeholder(xml, at, first)
        d = done[part] = deflater.part(work / f"{name}.xml.deflated")
        d.write(xml[:a])
        for row in rendered():
            d.write(row.encode("utf-8"))
        d.write(xml[b:])
        d.close()
    if not waited and w.before_inputs is not None:
        w.before_inputs()


def write_xlsx(
    result: MergeResult,
    spool: Spool,
    out: Path,
    rows: dict[str, int],
    before_inputs: Callable[[], None] | None = None,
    parallel: bool = False,
) -> None:
    """`before_inputs` runs before the 校验结果 sheet's rows are written (the county checks add findings there),
    after the stacked sheets' (it is called once, also when there is no input). `parallel`: the stacked sheets
    are written in a second process (more than one job: a core is free at the end)."""

    def write(tmp: Path) -> None:
        with work_folder(tmp.parent, "merge") as work:
            skeleton = work / "skeleton.xlsx"
            w = _Writer(result, spool, skeleton, rows, before_inputs)
            w.write()
            _stream(w, skeleton, tmp, work, parallel)

    atomic_write(out, write)
