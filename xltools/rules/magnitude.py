"""A figure about 10,000 times its prior-year or sibling figure: 元 typed as 万元 or the reverse."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from ..book import Book
from ..edition.expr import Ref, parse_ref
from ..edition.model import Edition
from ..findings import WARNING, Finding, finding
from .labels import cell_label

RULES = ("cross.unit-magnitude",)


def check(book: Book) -> Iterator[Finding]:
    return check_magnitude(book)


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
                ratio=f"{ratio:.0f}" if ratio >= 1 else f"1/{1 / ratio:.0f}",
                unit=t.unit,
            )


@lru_cache(maxsize=16)
def _magnitude_pairs(ed: Edition) -> tuple[tuple[Ref, Ref], ...]:
    """The edition's magnitude pairs as references, parsed once rather than per workbook."""
    return tuple((parse_ref(a, None), parse_ref(b, None)) for a, b in ed.magnitude[2])
