"""Human names for cells and references, used in finding messages."""

from __future__ import annotations

from ..book import Book
from ..edition.expr import Ref, Side
from ..edition.model import Edition, Table


def short(t: Table) -> str:
    """'表1' from '表1 收支总表', else the sheet name."""
    return t.sheet.split(" ")[0]


def cell_label(ed: Edition, table: str, row: str, col: str, book: Book | None = None) -> str:
    t = ed.table(table)
    c = t.column(col)
    if t.kind == "fixed":
        r = t.row(row)
        if len(t.value_columns(r.side)) == 1:
            return f"“{r.label}”" if r.label == short(t) else f"{short(t)}“{r.label}”"
        return f"{short(t)}“{r.label}”的“{c.title}”"
    if row == "total":
        return f"{short(t)}合计行的“{c.title}”"
    code = book.code(table, row) if book is not None and t.code_list else ""
    where = f"科目{code}" if code else "本行"
    return f"{short(t)}{where}的“{c.title}”"


def ref_label(ed: Edition, ref: Ref, row: str = "", book: Book | None = None) -> str:
    t = ed.table(ref.table)
    c = t.column(ref.col)
    if ref.kind == "current":
        return cell_label(ed, ref.table, row, ref.col, book)
    if ref.kind == "cell":
        return cell_label(ed, ref.table, ref.row, ref.col, book)
    if ref.kind == "code":
        return f"{short(t)}科目{ref.row}的“{c.title}”"
    if ref.kind == "prefix":
        return f"{short(t)}各类的“{c.title}”"
    first, last = t.row(ref.row).label, t.row(ref.last).label
    return f"{short(t)}“{first}”至“{last}”"


def side_label(ed: Edition, side: Side, row: str = "", book: Book | None = None) -> str:
    parts = []
    for sign, term in side.terms:
        text = ref_label(ed, term, row, book) if isinstance(term, Ref) else format(term.value, "f")
        parts.append(("减" if sign < 0 else ("加" if parts else "")) + text)
    return "".join(parts)
