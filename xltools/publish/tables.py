"""One publication sheet per table, at the template's own positions (edition.layout.table_layout), so the
template's formulas (edition.formulas.excel_formula) are valid here unchanged; they are written with
their computed cached values. List tables print only their filled rows, packed from the first input
row: row formulas follow the row, 合计 and SUMIFS formulas cover the whole input area either way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import texts
from ..book import Book
from ..edition.formulas import excel_formula, formula_spec, is_formula
from ..edition.layout import INFO_ROW, TITLE_ROW, TableLayout, table_layout
from ..edition.model import Column, Edition, Row, Table
from ..template.fit import fit_row, info_fits, line_count, row_height
from ..template.frame import table_width, write_fixed_rows, write_header, write_total_row
from .styles import PubStyles


def _float(v: Decimal | None) -> float:
    return float(v) if v is not None else 0.0


def formula_inputs_published(ed: Edition, t: Table, row: str, col: str, published: set[str]) -> bool:
    """True when every sheet a formula reads is in the publication workbook (else write the value)."""
    if t.kind == "list" and row == "total":
        return True
    spec = formula_spec(ed, t.id, row, col)
    if spec is None:
        return False
    return all(ref.table in published for _, ref in spec[1].terms if hasattr(ref, "table"))


class SheetWriter:
    def __init__(self, wb: Any, st: PubStyles, book: Book, published: set[str], unit_line: str, year: int) -> None:
        self.wb, self.st, self.book, self.ed = wb, st, book, book.edition
        self.published, self.unit_line, self.year = published, unit_line, year

    def write(self, t: Table, title: str = "", empty_note: str = "") -> None:
        ws = self.wb.add_worksheet(t.sheet)
        lay = table_layout(self.ed, t.id)
        last_col = lay.n_cols - 1
        st = self.st
        ws.merge_range(TITLE_ROW - 1, 0, TITLE_ROW - 1, last_col, title or t.title, st.title)
        ws.set_row(TITLE_ROW - 1, 30)
        self._info(ws, t, last_col)
        write_header(ws, t, lay, st.header)
        if lay.column_numbers:
            self._column_numbers(ws, t, lay)
        self.texts: dict[int, list[tuple[str, float]]] = {}  # 0-based row -> its wrapped texts and widths
        last = self._fixed(ws, t, lay) if t.kind == "fixed" else self._list(ws, t, lay)
        for row, cells in sorted(self.texts.items()):
            fit_row(ws, row, cells)
        if empty_note:
            last += 2
            ws.merge_range(last - 1, 0, last - 1, last_col, texts.text("publish.table_note", note=empty_note), st.note)
            ws.set_row(last - 1, 30)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
        ws.center_horizontally()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, lay.data_start - 2)
        ws.print_area(0, 0, last - 1, last_col)
        ws.set_footer(texts.text("publish.footer"))
        ws.freeze_panes(lay.data_start - 1, 0)

    def _info(self, ws: Any, t: Table, last_col: int) -> None:
        st = self.st
        right = t.info.replace("{prior_year}", str(self.year - 1)).replace("{year}", str(self.year))
        parts = "    ".join(
            p
            for p in (
                right,
                texts.text("publish.table_year", year=self.year),
                texts.text("publish.money_unit", unit=t.unit) if t.unit else "",
            )
            if p
        )
        width = table_width(t, table_layout(self.ed, t.id))
        if last_col >= 1 and info_fits(self.unit_line, parts, width):
            ws.write_string(INFO_ROW - 1, 0, self.unit_line, st.info)
            ws.write_string(INFO_ROW - 1, last_col, parts, st.info_right)
        else:  # too narrow for both halves side by side: 编制单位 above, the rest below, over the whole width
            text = f"{self.unit_line}\n{parts}" if parts else self.unit_line
            if last_col >= 1:
                ws.merge_range(INFO_ROW - 1, 0, INFO_ROW - 1, last_col, text, st.info_wrap)
            else:
                ws.write_string(INFO_ROW - 1, 0, text, st.info_wrap)
            ws.set_row(INFO_ROW - 1, row_height(line_count(text, width)))

    def _column_numbers(self, ws: Any, t: Table, lay: TableLayout) -> None:
        row = lay.data_start - 2
        if lay.serial:
            ws.write_string(row, 0, texts.text("template.info.column_numbers"), self.st.numbers_row)
        for col, n in lay.column_numbers_row():  # numbered as the template numbers them
            ws.write_number(row, col, n, self.st.numbers_row)

    # ---- fixed tables: every declared row, at its template position ----
    def _fixed(self, ws: Any, t: Table, lay: TableLayout) -> int:
        labels = write_fixed_rows(
            ws,
            t,
            lay,
            self.st.text,
            self.st.center,
            lambda r, c: self._cell(ws, t, r, c, r.id, lay.excel_row(r.id) - 1, lay.col_index[c.key]),
        )
        for row, cells in labels.items():
            self.texts.setdefault(row, []).extend(cells)
        return lay.last_row

    # ---- list tables: 合计 row, then the filled rows packed ----
    def _list(self, ws: Any, t: Table, lay: TableLayout) -> int:
        st = self.st
        last = lay.data_start - 1
        if t.total_row:
            write_total_row(ws, self.ed, t, lay, self.book, st.text_bold, st.money_bold, st.center)
            last = lay.excel_row("total")
        for k, key in enumerate(self.book.rows(t.id)):
            out_key = f"r{k}"
            row = lay.excel_row(out_key) - 1
            if lay.serial:
                ws.write_number(row, 0, k + 1, st.center)
            for c in t.columns:
                self._cell(ws, t, None, c, key, row, lay.col_index[c.key], out_key)
            last = row + 1
        return last

    def _cell(
        self, ws: Any, t: Table, r: Row | None, c: Column, key: str, row: int, col: int, out_key: str | None = None
    ) -> None:
        """key: the row in the Book; out_key: the row whose position formulas refer to (packed list rows)."""
        st, ed, book = self.st, self.ed, self.book
        if r is not None and c.key in r.na:
            ws.write_string(row, col, "——", st.center)
            return
        ctype = t.cell_type(r, c)
        numeric = ctype in ("money", "number", "percent", "year")
        fmt = self._format(ctype, r, t)
        out_key = out_key or key
        if is_formula(ed, t, key, c.key):
            value = book.amount(t.id, key, c.key)
            if formula_inputs_published(ed, t, out_key, c.key, self.published):
                ws.write_formula(row, col, excel_formula(ed, t, out_key, c.key), fmt, _float(value))
            else:
                ws.write_number(row, col, _float(value), fmt)
            return
        if c.type == "name" and t.code_list:
            name = book.code_name(t.id, key)
            ws.write_string(row, col, name, st.text)
            self.texts.setdefault(row, []).append((name, c.width))
            return
        cell = book.cell(t.id, key, c.key)
        value = cell.value if cell is not None else None
        if numeric:
            # A blank stays blank (a 0 is only printed where someone typed it or a formula gives it).
            amount = book.amount(t.id, key, c.key) if value is not None else None
            if amount is None:
                ws.write_blank(row, col, None, fmt)
            else:
                if ctype == "number" and amount == amount.to_integral_value():
                    fmt = st.count  # a whole quantity (车辆 0 台) prints without decimals
                ws.write_number(row, col, float(amount), fmt)
        elif value is None:
            ws.write_blank(row, col, None, st.text)
        else:
            text = value if isinstance(value, str) else format(value, "f")
            ws.write_string(row, col, text, st.text)
            self.texts.setdefault(row, []).append((text, c.width))

    def _format(self, ctype: str, r: Row | None, t: Table | None = None) -> Any:
        st = self.st
        if ctype == "money":
            # Rows generated from a code list (all 功能分类 类 are listed) hide their zeros, and so do the other
            # item rows of the same table (表1's 收入 side), so one side does not show 0.00 against blanks.
            coded = r is not None and (r.code or (t is not None and not r.bottom and any(x.code for x in t.rows)))
            return st.money_hide_zero if coded else st.money
        return {"number": st.number, "percent": st.percent, "year": st.year}.get(ctype, st.text)
