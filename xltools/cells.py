"""A1 references: the only place that turns (row, column) into Excel's letters and back."""

from __future__ import annotations

import re

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


def col_letter(col: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    if col < 0:
        raise ValueError(col)
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """Letters -> 0-based column index."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def a1(row: int, col: int) -> str:
    """1-based Excel row and 0-based column -> 'C12'."""
    return f"{col_letter(col)}{row}"


def parse_a1(ref: str) -> tuple[int, int]:
    """'C12' -> (12, 2): 1-based row, 0-based column."""
    m = _A1.match(ref.upper())
    if not m:
        raise ValueError(f"not an A1 reference: {ref!r}")
    return int(m.group(2)), col_index(m.group(1))


def quote_sheet(name: str) -> str:
    """Sheet name as it must appear in a formula or a hyperlink."""
    return "'" + name.replace("'", "''") + "'"


def sheet_ref(sheet: str, cell: str) -> str:
    """'表1 收支总表'!C5: a cell of another sheet in a formula."""
    return f"{quote_sheet(sheet)}!{cell}"
