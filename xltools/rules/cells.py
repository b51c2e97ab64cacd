"""Cell rules for fixed tables and forms (rows may carry their own types), the cover, references
between tables and projects without indicators. List tables are checked by their pandera schemas."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from ..book import INPUT, Book, Cell
from ..edition.expr import Ref, parse_ref
from ..edition.model import BUDGET_YEAR, MONEY_UNIT, Edition, Table
from ..findings import ERROR, WARNING, Finding, finding
from ..money import UNIT_FACTORS
from .labels import cell_label


def check_fixed(book: Book, t: Table) -> Iterator[Finding]:
    ed = book.edition
    for r in t.rows:
        for c in t.value_columns(r.side):
            if c.key in r.na:
                continue
            cell = book.cell(t.id, r.id, c.key)
            if cell is None or cell.state != INPUT:
                continue
            ctype = t.cell_type(r, c)
            label = cell_label(ed, t.id, r.id, c.key)
            required = r.required or c.required
            v = cell.value
            if v is None:
                if required in ("error", "warning") and ctype not in ("money", "number"):
                    yield finding("cell.required", required, t.sheet, cell.a1, table=t.id, label=label)
                continue
            if ctype in ("money", "number") and isinstance(v, Decimal) and v < 0:
                yield finding("cell.negative", ERROR, t.sheet, cell.a1, table=t.id, label=label, raw=format(v, "f"))
            enum = r.enum or c.enum
            if ctype == "enum" and enum and str(v) not in ed.enums[enum]:
                yield finding(
                    "cell.not-in-list",
                    ERROR,
                    t.sheet,
                    cell.a1,
                    table=t.id,
                    label=label,
                    raw=v,
                    allowed="、".join(ed.enums[enum]),
                )
            pattern = r.pattern or c.pattern
            if pattern and not re.match(pattern, str(v)):
                hint = r.pattern_hint or c.pattern_hint
                yield finding(
                    "cell.bad-pattern",
                    ERROR,
                    t.sheet,
                    cell.a1,
                    table=t.id,
                    label=label,
                    raw=v,
                    pattern_hint="default",
                    **({"hint": hint} if hint else {}),
                )
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


def check_references(book: Book, t: Table) -> Iterator[Finding]:
    """A column declared with ref = "<table>.<column>" must name a value present there."""
    ed = book.edition
    for c in t.columns:
        if not c.ref:
            continue
        target_t, target_c = c.ref.split(".", 1)
        if target_t in book.missing_tables:
            continue
        target = ed.table(target_t)
        known = {book.text(target_t, r, target_c) for r in book.rows(target_t)}
        for row in book.rows(t.id):
            cell = book.cell(t.id, row, c.key)
            if cell is not None and isinstance(cell.value, str) and cell.value not in known:
                yield finding(
                    "cell.unknown-reference",
                    ERROR,
                    t.sheet,
                    cell.a1,
                    table=t.id,
                    label=f"“{c.title}”",
                    raw=cell.value,
                    target=target.sheet,
                )
        # every project should have at least one indicator
        used = {book.text(t.id, r, c.key) for r in book.rows(t.id)}
        for r in book.rows(target_t):
            code = book.text(target_t, r, target_c)
            cell = book.cell(target_t, r, target_c)
            if code and code not in used and cell is not None:
                name = book.text(target_t, r, "name") if target.has_column("name") else ""
                yield finding(
                    "table.project-no-indicators", WARNING, target.sheet, cell.a1, table=target_t, code=code, name=name
                )


def check_magnitude(book: Book) -> Iterator[Finding]:
    """A value about 10,000 times its prior-year or sibling figure: 元 typed as 万元 or the reverse."""
    ed = book.edition
    low, high, _ = ed.magnitude
    for a, b in _magnitude_pairs(ed):
        if {a.table, b.table} & book.missing_tables:
            continue
        if book.is_blank(a) or book.is_blank(b):
            continue
        va, vb = book.eval_ref(a), book.eval_ref(b)
        if not va or not vb:
            continue
        ratio = abs(va / vb)
        big = ratio if ratio >= 1 else 1 / ratio
        if low <= big <= high:
            t = ed.table(a.table)
            cell = book.cell(a.table, a.row, a.col)
            yield finding(
                "cross.unit-magnitude",
                WARNING,
                t.sheet,
                cell.a1 if cell else "A1",
                table=t.id,
                label=cell_label(ed, a.table, a.row, a.col),
                actual=va,
                other=cell_label(ed, b.table, b.row, b.col),
                expected=vb,
                ratio=f"{ratio:.4g}" if ratio >= 1 else f"1/{1 / ratio:.4g}",
                unit=t.unit,
            )


@lru_cache(maxsize=16)
def _magnitude_pairs(ed: Edition) -> tuple[tuple[Ref, Ref], ...]:
    """The edition's magnitude pairs as references, parsed once rather than per workbook."""
    return tuple((parse_ref(a, None), parse_ref(b, None)) for a, b in ed.magnitude[2])
