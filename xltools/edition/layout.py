"""Where every declared cell sits: (table, row, column) -> sheet + A1.

The template writer, the reader, the findings, the annotated copy and the merge all ask this module;
no other code computes a row or column position.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..cells import col_letter
from .model import Edition, Table

TITLE_ROW = 1
INFO_ROW = 2
HEADER_TOP = 3


@dataclass(frozen=True)
class TableLayout:
    table: Table
    serial: bool  # a 序号 column in front
    column_numbers: bool  # a 栏次 row under the header
    depth: int
    data_start: int
    col_index: dict[str, int]
    row_index: dict[str, int]  # fixed rows: id -> Excel row; list tables: "total" -> Excel row
    first_input: int  # list tables: first input row
    last_row: int
    n_cols: int

    col_letters: dict[str, str]

    # ---- addressing ----
    def cell(self, row_key: str, col: str) -> str:
        return f"{self.col_letters[col]}{self.excel_row(row_key)}"

    def excel_row(self, row_key: str) -> int:
        row = self.row_index.get(row_key)
        if row is not None:
            return row
        if row_key[:1] == "r" and row_key[1:].isdigit():
            return self.first_input + int(row_key[1:])
        raise KeyError(f"{self.table.id}: no row {row_key!r}")

    def input_rows(self) -> range:
        """Excel rows of a list table's input area."""
        return range(self.first_input, self.first_input + self.table.rows_max)

    def col_range(self, col: str) -> str:
        """A list table's input area of one column, e.g. D7:D46."""
        c = col_letter(self.col_index[col])
        rows = self.input_rows()
        return f"{c}{rows.start}:{c}{rows.stop - 1}"

    def column_numbers_row(self) -> tuple[tuple[int, int], ...]:
        """The 栏次 row, written alike by the template and the publication tables: (0-based column, number)
        for every column, 1, 2, … left to right (平山2025 T1: 序号 | 项目 | 预算数 | 项目 | 预算数 over
        栏次 | 1 | 2 | 3 | 4). Empty for a table without the row."""
        if not self.column_numbers:
            return ()
        return tuple((self.col_index[c.key], n) for n, c in enumerate(self.table.columns, start=1))

    @property
    def title_cell(self) -> str:
        return "A1"

    def header_cells(self) -> list[tuple[int, int, int, int, str]]:
        """Merged header blocks: (first_row, first_col, last_row, last_col, text)."""
        out: list[tuple[int, int, int, int, str]] = []
        cols = self.table.columns
        if self.serial:
            out.append((HEADER_TOP, 0, HEADER_TOP + self.depth - 1, 0, "序号"))
        for level in range(self.depth):
            i = 0
            while i < len(cols):
                col = cols[i]
                if level >= len(col.header):
                    i += 1
                    continue
                prefix = col.header[: level + 1]
                j = i
                while (
                    j + 1 < len(cols)
                    and cols[j + 1].header[: level + 1] == prefix
                    and len(cols[j + 1].header) > level
                    and cols[j + 1].side == col.side
                ):
                    j += 1
                last_row = HEADER_TOP + (self.depth - 1 if level == len(col.header) - 1 else level)
                out.append(
                    (
                        HEADER_TOP + level,
                        self.col_index[col.key],
                        last_row,
                        self.col_index[cols[j].key],
                        col.header[level],
                    )
                )
                i = j + 1
        return out


def _fixed_rows(table: Table, start: int) -> tuple[dict[str, int], int]:
    index: dict[str, int] = {}
    sides = table.sides
    top = {s: [r for r in table.rows if r.side == s and not r.bottom] for s in sides}
    bottom = {s: [r for r in table.rows if r.side == s and r.bottom] for s in sides}
    n_top = max((len(v) for v in top.values()), default=0)
    n_bottom = max((len(v) for v in bottom.values()), default=0)
    for s in sides:
        for i, r in enumerate(top[s]):
            index[r.id] = start + i
        for i, r in enumerate(bottom[s]):
            index[r.id] = start + n_top + i
    return index, start + n_top + n_bottom - 1


@lru_cache(maxsize=256)
def table_layout(edition: Edition, table_id: str) -> TableLayout:
    table = edition.table(table_id)
    serial = bool(edition.options.get("serial")) and table.official
    numbers = bool(edition.options.get("column_numbers")) and table.official
    depth = max(len(c.header) for c in table.columns)
    data_start = HEADER_TOP + depth + (1 if numbers else 0)
    offset = 1 if serial else 0
    col_index = {c.key: offset + i for i, c in enumerate(table.columns)}
    if table.kind == "fixed":
        row_index, last = _fixed_rows(table, data_start)
        first_input = data_start
    else:
        row_index = {"total": data_start} if table.total_row else {}
        first_input = data_start + (1 if table.total_row else 0)
        last = first_input + table.rows_max - 1
    return TableLayout(
        table,
        serial,
        numbers,
        depth,
        data_start,
        col_index,
        row_index,
        first_input,
        last,
        offset + len(table.columns),
        {k: col_letter(v) for k, v in col_index.items()},
    )
