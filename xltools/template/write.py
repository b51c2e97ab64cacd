"""Write the edition's workbook with xlsxwriter: titles, merged headers, unit labels, protected
formulas with their computed cached values, unlocked input cells, dropdowns from a hidden code
sheet through defined names, an instructions sheet and the edition stamp. Byte-deterministic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from .. import __version__, texts
from ..book import OVERWRITTEN, Book, Data, book_from_data
from ..cells import a1, col_letter, quote_sheet
from ..edition.formulas import excel_formula, is_formula
from ..edition.layout import INFO_ROW, TITLE_ROW, table_layout
from ..edition.model import BUDGET_YEAR, MONEY_UNIT, UNIT_NAME, Column, Edition, Row, Table
from ..stamp import CODE_SHEET, GUIDE_SHEET, STAMP_SHEET
from .fit import fit_row, info_fits, row_height
from .frame import cached_value, table_width, write_fixed_rows, write_header, write_total_row
from .styles import Styles

NAME_ROOM = 22  # characters of 单位名称 the info line keeps room for
GUIDE_WIDTH = (
    78  # the 填报说明 column, in column units: narrower than A4 portrait at 100% (LibreOffice does not shrink it)
)


class TemplateWriter:
    def __init__(self, ed: Edition, path: Path, data: Data | None = None, stamp: dict[str, str] | None = None) -> None:
        self.ed = ed
        self.extra_stamp = dict(sorted((stamp or {}).items()))
        self.book: Book = book_from_data(ed, _with_cover_defaults(ed, data or {}))
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.st = Styles(self.wb)
        self.names: dict[str, str] = {}  # dropdown source id -> defined name

    # ---- whole workbook ----
    def write(self) -> None:
        ed, wb = self.ed, self.wb
        created = dt.datetime(ed.year - 1, 12, 1)  # fixed, so the file is byte-deterministic
        wb.set_properties(
            {
                "title": text("properties", "title", title=ed.title, year=ed.year),
                "subject": text("properties", "subject"),
                "author": "xltools",
                "company": "",
                "comments": f"edition={ed.id} version={ed.version}",
                "created": created,
            }
        )
        for name, value in self.stamp().items():
            wb.set_custom_property(f"xltools_{name}", value)
        guide = wb.add_worksheet(GUIDE_SHEET)
        sheets = {t.id: wb.add_worksheet(t.sheet) for t in ed.tables}
        codes = wb.add_worksheet(CODE_SHEET)
        stamp = wb.add_worksheet(STAMP_SHEET)
        self._code_sheet(codes)
        for t in ed.tables:
            self._table(sheets[t.id], t)
        self._guide(guide)
        self._stamp_sheet(stamp)
        wb.define_name("_xltools_edition", f'="{ed.id}"')
        wb.close()

    def stamp(self) -> dict[str, str]:
        ed = self.ed
        return {
            "edition": ed.id,
            "version": ed.version,
            "year": str(ed.year),
            "fingerprint": ed.fingerprint,
            "generator": f"xltools {__version__}",
            **self.extra_stamp,
        }

    def _stamp_sheet(self, ws: Any) -> None:
        for i, (k, v) in enumerate(self.stamp().items()):
            ws.write_string(i, 0, k)
            ws.write_string(i, 1, v)
        ws.very_hidden()
        ws.protect()

    def _code_sheet(self, ws: Any) -> None:
        col = 0
        for cid, cl in sorted(self.ed.codes.items()):
            ws.write_string(0, col, text("code_sheet", "code", list=cl.title))
            ws.write_string(0, col + 1, text("code_sheet", "name"))
            ws.write_string(0, col + 2, text("code_sheet", "status"))
            entries = sorted(cl.entries.values(), key=lambda e: e.code)
            for i, e in enumerate(entries, start=1):
                ws.write_string(i, col, e.code)
                ws.write_string(i, col + 1, e.name)
                ws.write_string(i, col + 2, e.status)
            last = len(entries) + 1
            sheet = quote_sheet(CODE_SHEET)
            self.wb.define_name(f"codes_{cid}", f"={sheet}!${col_letter(col)}$2:${col_letter(col)}${last}")
            self.wb.define_name(f"names_{cid}", f"={sheet}!${col_letter(col)}$2:${col_letter(col + 1)}${last}")
            ws.set_column(col, col + 1, 14)
            col += 4
        for eid, values in sorted(self.ed.enums.items()):
            ws.write_string(0, col, eid)
            for i, v in enumerate(values, start=1):
                ws.write_string(i, col, v)
            self.wb.define_name(
                f"enum_{eid}", f"={quote_sheet(CODE_SHEET)}!${col_letter(col)}$2:${col_letter(col)}${len(values) + 1}"
            )
            col += 1
        ws.hide()
        ws.protect()

    def _guide(self, ws: Any) -> None:
        ed = self.ed
        path = ed.file("instructions.txt")
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        subs = {
            "title": ed.title,
            "year": str(ed.year),
            "money_unit": ed.money_unit,
            "edition": ed.id,
            "version": ed.version,
        }
        ws.set_column(0, 0, GUIDE_WIDTH)
        row = 0
        for line in lines:
            filled = line
            for k, v in subs.items():
                filled = filled.replace("{" + k + "}", v)
            heading = line.startswith("#")
            if heading:  # a heading line of instructions.txt: the mark is not part of the text
                filled = filled.lstrip("#").strip()
            ws.write_string(row, 0, filled, self.st.plain_bold if heading else self.st.plain)
            fit_row(ws, row, [(filled, GUIDE_WIDTH * (0.85 if heading else 1.0))])
            row += 1
        row += 1
        ws.write_string(row, 0, text("guide", "heading"), self.st.plain_bold)
        for t in ed.tables:
            row += 1
            unit = text("guide", "unit", unit=t.unit) if t.unit else ""
            kind = text("guide", "list" if t.kind == "list" else "fixed", rows=t.rows_max)
            line = text("guide", "line", sheet=t.sheet, title=t.title, unit=unit, kind=kind)
            ws.write_string(row, 0, line, self.st.plain)
            fit_row(ws, row, [(line, GUIDE_WIDTH)])
        ws.set_paper(9)  # A4, portrait: the column is one page wide
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
        ws.activate()
        ws.protect()

    # ---- one table ----
    def _table(self, ws: Any, t: Table) -> None:
        ed, st, lay = self.ed, self.st, table_layout(self.ed, t.id)
        last_col = lay.n_cols - 1
        ws.merge_range(TITLE_ROW - 1, 0, TITLE_ROW - 1, last_col, t.title, st.title)
        ws.set_row(TITLE_ROW - 1, 30)
        unit = ed.text_cell(UNIT_NAME)
        if t.id != unit.table:  # every other sheet shows the 单位名称 typed once, on its own sheet
            name_cell = table_layout(ed, unit.table).cell(unit.row, unit.col)
            name = self.book.text(unit.table, unit.row, unit.col)
            label = text("info", "unit_name")
            sheet = quote_sheet(ed.table(unit.table).sheet)
            right = t.info.replace("{prior_year}", str(ed.year - 1)).replace("{year}", str(ed.year))
            if t.unit:
                right = (right + "    " if right else "") + text("info", "money_unit", unit=t.unit)
            left = f"{label}{name}"
            width = table_width(t, lay)
            # room for a long 单位名称 typed later, not only the one known now
            if not right or (last_col >= 1 and info_fits(left.ljust(len(label) + NAME_ROOM, "　"), right, width)):
                ws.write_formula(INFO_ROW - 1, 0, f'="{label}"&{sheet}!{name_cell}', st.info, left)
                if right:
                    ws.write_string(INFO_ROW - 1, last_col, right, st.info_right)
            else:  # too narrow for both halves side by side: 编制单位 above, the rest below
                formula = f'="{label}"&{sheet}!{name_cell}&CHAR(10)&"{right}"'
                if last_col >= 1:
                    ws.merge_range(INFO_ROW - 1, 0, INFO_ROW - 1, last_col, "", st.info_wrap)
                ws.write_formula(INFO_ROW - 1, 0, formula, st.info_wrap, f"{left}\n{right}")
                ws.set_row(INFO_ROW - 1, row_height(2))
        write_header(ws, t, lay, st.header)
        if lay.column_numbers:
            # 栏次: every column numbered 1, 2, … left to right, as in 平山2025 T1 (序号 | 项目 | 预算数 | 项目 |
            # 预算数 over 栏次 | 1 | 2 | 3 | 4); the 序号 column holds the word 栏次.
            row = lay.data_start - 2
            if lay.serial:
                ws.write_string(row, 0, text("info", "column_numbers"), st.numbers_row)
            for col, n in lay.column_numbers_row():
                ws.write_number(row, col, n, st.numbers_row)
        if t.kind == "fixed":
            self._fixed(ws, t)
        else:
            self._list(ws, t)
        ws.freeze_panes(lay.data_start - 1, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, lay.data_start - 2)
        ws.protect("", {"format_columns": True, "format_rows": True})

    def _fixed(self, ws: Any, t: Table) -> None:
        lay = table_layout(self.ed, t.id)
        labels = write_fixed_rows(ws, t, lay, self.st.label, self.st.na, lambda r, c: self._cell(ws, t, r, c, r.id))
        for row, cells in labels.items():
            fit_row(ws, row, cells)

    def _list(self, ws: Any, t: Table) -> None:
        lay, st = table_layout(self.ed, t.id), self.st
        if t.total_row:
            write_total_row(ws, self.ed, t, lay, self.book, st.label_bold, st.f_money_total, st.na)
        for i in range(t.rows_max):
            key = f"r{i}"
            row = lay.excel_row(key) - 1
            if lay.serial:
                ws.write_number(row, 0, i + 1, st.na)
            for c in t.columns:
                self._cell(ws, t, None, c, key)
        for c in t.columns:
            self._validation(ws, t, None, c, lay.col_range(c.key))

    def _cell(self, ws: Any, t: Table, r: Row | None, c: Column, key: str) -> None:
        ed, st = self.ed, self.st
        lay = table_layout(ed, t.id)
        row, col = lay.excel_row(key) - 1, lay.col_index[c.key]
        if r is not None and c.key in r.na:
            ws.write_string(row, col, "——", st.na)
            return
        cell = self.book.cell(t.id, key, c.key)
        if is_formula(ed, t, key, c.key) and not (cell is not None and cell.state == OVERWRITTEN):
            value = self.book.amount(t.id, key, c.key)
            ws.write_formula(row, col, excel_formula(ed, t, key, c.key), st.f_money, cached_value(value))
            return
        ctype = t.cell_type(r, c)
        value = cell.value if cell is not None else None
        if c.type == "name" and t.code_list and (value is None or cell is None):
            code_cell = a1(row + 1, lay.col_index["code"])
            code = self.book.text(t.id, key, "code")
            entry = ed.codes[t.code_list].entries.get(code)
            cached = entry.name if entry else ""
            ws.write_formula(
                row,
                col,
                f'=IF({code_cell}="","",IFERROR(VLOOKUP({code_cell}&"",names_{t.code_list},'
                f'2,FALSE),"{text("info", "unknown_code")}"))',
                st.in_name,
                cached,
            )
            return
        fmt = st.input_for(ctype, c.wrap)
        if value is None:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, Decimal) and ctype in ("money", "number", "percent", "year"):
            ws.write_number(row, col, float(value), fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
        if r is not None:
            self._validation(ws, t, r, c, a1(row + 1, col))

    def _validation(self, ws: Any, t: Table, r: Row | None, c: Column, rng: str) -> None:
        ctype = t.cell_type(r, c)
        enum = (r.enum if r is not None and r.enum else "") or c.enum
        if t.kind == "list" and is_formula(self.ed, t, "r0", c.key):
            return
        unit = t.unit or ""
        opts: dict[str, Any] | None = None
        if ctype == "money":
            opts = {
                "validate": "decimal",
                "criteria": "between",
                "minimum": -1e13,
                "maximum": 1e13,
                **prompts("money", unit=unit),
            }
        elif ctype == "number":
            opts = {"validate": "decimal", "criteria": ">=", "value": 0, **prompts("number")}
        elif ctype == "percent":
            opts = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100, **prompts("percent")}
        elif ctype == "year":
            opts = {"validate": "integer", "criteria": "between", "minimum": 2000, "maximum": 2100, **prompts("year")}
        elif ctype == "code" and t.code_list:
            # Until the list is declared complete, Excel warns about an unlisted code instead of refusing it.
            done = self.ed.codes[t.code_list].complete
            kind = "code" if done else "code_open"
            opts = {"validate": "list", "source": f"=codes_{t.code_list}", "error_type": "stop" if done else "warning"}
            opts.update(prompts(kind))
        elif enum:
            opts = {
                "validate": "list",
                "source": f"=enum_{enum}",
                "error_type": "stop" if (r.enum if r is not None and r.enum else "") or c.strict else "information",
                **prompts("enum"),
            }
        if opts is not None:
            ws.data_validation(rng, opts)


def text(section: str, key: str, **values: object) -> str:
    """A word of the template (xltools/texts/template.toml), with its named placeholders filled."""
    return texts.text(f"template.{section}.{key}", **values)


def prompts(kind: str, **values: object) -> dict[str, str]:
    """The data-validation titles and messages for one cell type."""
    return {k: str(v).format(**values) for k, v in texts.raw(f"template.validation.{kind}").items()}


def _with_cover_defaults(ed: Edition, data: Data) -> Data:
    """A template is for one year and one money unit: pre-fill the 预算年度 and 金额单位 text cells unless
    the data says otherwise."""
    out = dict(data)
    for text_id, value in ((BUDGET_YEAR, ed.year), (MONEY_UNIT, ed.money_unit)):
        if not ed.has_text_cell(text_id):
            continue
        tc = ed.text_cell(text_id)
        table = dict(out.get(tc.table, {}))
        if tc.col not in table.get(tc.row, {}):
            table[tc.row] = {**table.get(tc.row, {}), tc.col: value}
        out[tc.table] = table
    return out


def write_template(ed: Edition, path: Path, data: Data | None = None, stamp: dict[str, str] | None = None) -> None:
    """Write the template (or, with data, a filled workbook) to path. Callers handle atomicity. stamp: more
    entries for the _xltools sheet (migrate's marks of carried texts)."""
    TemplateWriter(ed, Path(path), data, stamp).write()
