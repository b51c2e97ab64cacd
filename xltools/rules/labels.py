"""Human names for cells and references, used in finding messages (words in xltools/texts/rules.toml)."""

from __future__ import annotations

from .. import texts
from ..book import Book
from ..edition.expr import Ref, Side
from ..edition.model import Edition, Table


def short(t: Table) -> str:
    """'表1' from '表1 收支总表', else the sheet name."""
    return t.sheet.split(" ")[0]


def quoted(name: str) -> str:
    return texts.text("rules.label.quoted", name=name)


def cell_label(ed: Edition, table: str, row: str, col: str, book: Book | None = None) -> str:
    t = ed.table(table)
    c = t.column(col)
    if t.kind == "fixed":
        r = t.row(row)
        if len(t.value_columns(r.side)) == 1:
            key = "fixed_row_is_table" if r.label == short(t) else "fixed_row"
            return texts.text(f"rules.label.{key}", table=short(t), row=r.label)
        return texts.text("rules.label.fixed_cell", table=short(t), row=r.label, col=c.title)
    if row == "total":
        return texts.text("rules.label.total_cell", table=short(t), col=c.title)
    code = book.code(table, row) if book is not None and t.code_list else ""
    if code:
        return texts.text("rules.label.coded_cell", table=short(t), code=code, col=c.title)
    return texts.text("rules.label.row_cell", table=short(t), col=c.title)


def ref_label(ed: Edition, ref: Ref, row: str = "", book: Book | None = None) -> str:
    t = ed.table(ref.table)
    c = t.column(ref.col)
    if ref.kind == "current":
        return cell_label(ed, ref.table, row, ref.col, book)
    if ref.kind == "cell":
        return cell_label(ed, ref.table, ref.row, ref.col, book)
    if ref.kind == "code":
        return texts.text("rules.label.coded_cell", table=short(t), code=ref.row, col=c.title)
    if ref.kind == "prefix":
        return texts.text("rules.label.prefix", table=short(t), col=c.title)
    first, last = t.row(ref.row).label, t.row(ref.last).label
    return texts.text("rules.label.range", table=short(t), first=first, last=last)


def side_label(ed: Edition, side: Side, row: str = "", book: Book | None = None) -> str:
    parts = []
    for sign, term in side.terms:
        text = ref_label(ed, term, row, book) if isinstance(term, Ref) else format(term.value, "f")
        joiner = texts.text("rules.label.minus") if sign < 0 else (texts.text("rules.label.plus") if parts else "")
        parts.append(joiner + text)
    return "".join(parts)


def relation(op: str) -> str:
    return texts.text(f"rules.relation.{op}")
