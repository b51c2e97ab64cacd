"""The parts of a table sheet that the template and the publication tables write alike: fixed rows with
their labels and 序号, the bordered blanks of two-sided tables, and a list table's 合计 row."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..book import Book
from ..edition.formulas import excel_formula, total_columns
from ..edition.layout import TableLayout
from ..edition.model import Column, Edition, Row, Table
from .fit import line_count, row_height


def cached_value(value: Decimal | None) -> float:
    """A formula's cached value as written beside it (0 when there is none)."""
    return float(value) if value is not None else 0.0


def write_fixed_rows(
    ws: Any, t: Table, lay: TableLayout, label_fmt: Any, serial_fmt: Any, cell: Callable[[Row, Column], None]
) -> dict[int, list[tuple[str, float]]]:
    """序号 on every printed row, each row's label, its value cells (through `cell`), and bordered blanks
    where one side of a two-sided table is shorter than the other. Returns the labels (text, column width)
    by 0-based row, for fitting the row heights."""
    labels: dict[int, list[tuple[str, float]]] = {}
    if lay.serial:  # 序号 numbers every printed row, whichever side holds it (平山2025)
        for row in range(lay.data_start, lay.last_row + 1):
            ws.write_number(row - 1, 0, row - lay.data_start + 1, serial_fmt)
    for r in t.rows:
        label = t.label_column(r.side)
        if label is not None:
            ws.write_string(lay.excel_row(r.id) - 1, lay.col_index[label.key], r.label, label_fmt)
            labels.setdefault(lay.excel_row(r.id) - 1, []).append((r.label, label.width))
        for c in t.value_columns(r.side):
            cell(r, c)
    for side in t.sides:
        used = {lay.excel_row(r.id) for r in t.rows if r.side == side}
        for row in range(lay.data_start, lay.last_row + 1):
            if row not in used:
                for c in t.columns:
                    if c.side == side:
                        ws.write_blank(row - 1, lay.col_index[c.key], None, label_fmt)
    return labels


def write_total_row(
    ws: Any, ed: Edition, t: Table, lay: TableLayout, book: Book, label_fmt: Any, money_fmt: Any, serial_fmt: Any
) -> None:
    """A list table's 合计 row: its formulas with their computed cached values, and the word 合计."""
    row = lay.excel_row("total") - 1
    if lay.serial:
        ws.write_blank(row, 0, None, serial_fmt)
    label_col = next((c for c in t.columns if c.type in ("name", "text")), t.columns[0])
    totals = total_columns(t)
    for c in t.columns:
        col = lay.col_index[c.key]
        if c.key in totals:
            ws.write_formula(
                row,
                col,
                excel_formula(ed, t, "total", c.key),
                money_fmt,
                cached_value(book.amount(t.id, "total", c.key)),
            )
        else:
            ws.write_string(row, col, "合计" if c is label_col else "", label_fmt)


def write_header(ws: Any, t: Table, lay: TableLayout, header_fmt: Any) -> None:
    """The multi-row header with its merged blocks, and the column widths the edition declares."""
    for r0, c0, r1, c1, head in lay.header_cells():
        if (r0, c0) == (r1, c1):
            ws.write_string(r0 - 1, c0, head, header_fmt)
        else:
            ws.merge_range(r0 - 1, c0, r1 - 1, c1, head, header_fmt)
    for c in t.columns:
        ws.set_column(lay.col_index[c.key], lay.col_index[c.key], c.width)
    if lay.serial:
        ws.set_column(0, 0, 5)
    _fit_header(ws, t, lay)


def _fit_header(ws: Any, t: Table, lay: TableLayout) -> None:
    """Header rows tall enough for their wrapped headings, so no heading spills into the row below."""
    widths = {lay.col_index[c.key]: c.width for c in t.columns}
    if lay.serial:
        widths[0] = 5
    cells = lay.header_cells()
    lines: dict[int, int] = {}
    for r0, c0, r1, c1, head in sorted(cells, key=lambda cell: cell[2] - cell[0]):
        need = line_count(head, sum(widths.get(c, 0) for c in range(c0, c1 + 1)))
        if r0 == r1:
            lines[r0] = max(lines.get(r0, 1), need)
        else:  # a block over several rows: the rows under it share its lines
            have = sum(lines.get(r, 1) for r in range(r0, r1 + 1))
            if need > have:
                lines[r1] = lines.get(r1, 1) + need - have
    for r, n in lines.items():
        if n > 1:
            ws.set_row(r - 1, row_height(n))


def table_width(t: Table, lay: TableLayout) -> float:
    """The printed width of a table in column units (the widths write_header sets)."""
    return sum(c.width for c in t.columns) + (5 if lay.serial else 0)
