"""The cover's checks: the 预算年度 and the 金额单位 a clerk typed (the edition's named text cells, wherever
they lie) must be the template's."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..book import Book, Cell
from ..edition.model import BUDGET_YEAR, MONEY_UNIT, Table
from ..findings import ERROR, Finding, finding
from ..money import UNIT_FACTORS

RULES = ("cell.wrong-year", "cell.wrong-unit")


def check(book: Book) -> Iterator[Finding]:
    for t in book.edition.tables:
        if t.kind == "fixed" and t.id not in book.missing_tables:
            yield from _cover(book, t)


def _named(book: Book, t: Table, text_id: str) -> Cell | None:
    """The edition's named text cell (figures.toml) when it lies in table t."""
    ed = book.edition
    if not ed.has_text_cell(text_id):
        return None
    tc = ed.text_cell(text_id)
    return book.cell(tc.table, tc.row, tc.col) if tc.table == t.id else None


def _cover(book: Book, t: Table) -> Iterator[Finding]:
    """The 预算年度 and 金额单位 cells (wherever the edition names them) must be the edition's."""
    ed = book.edition
    year = _named(book, t, BUDGET_YEAR)
    if year is not None and isinstance(year.value, Decimal) and year.value != ed.year:
        yield finding(
            "cell.wrong-year", ERROR, t.sheet, year.a1, table=t.id, actual=format(year.value, "f"), expected=ed.year
        )
    unit = _named(book, t, MONEY_UNIT)
    if unit is not None and isinstance(unit.value, str) and unit.value in UNIT_FACTORS and unit.value != ed.money_unit:
        yield finding("cell.wrong-unit", ERROR, t.sheet, unit.a1, table=t.id, actual=unit.value, expected=ed.money_unit)
