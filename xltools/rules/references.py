"""References between list tables: a column declared with ref = "<table>.<column>" must name a value
present there (an indicator's project), and every value there should be named at least once."""

from __future__ import annotations

from collections.abc import Iterator

from ..book import Book
from ..edition.model import Table
from ..findings import ERROR, WARNING, Finding, finding
from .labels import quoted

RULES = ("cell.unknown-reference", "table.project-no-indicators")


def check(book: Book) -> Iterator[Finding]:
    for t in book.edition.tables:
        if t.kind == "list" and t.id not in book.missing_tables:
            yield from check_references(book, t)


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
                    label=quoted(c.title),
                    raw=cell.value,
                    target=target.sheet,
                )
        # every value of the target (a project) should be named at least once (its indicators)
        used = {book.text(t.id, r, c.key) for r in book.rows(t.id)}
        for r in book.rows(target_t):
            code = book.text(target_t, r, target_c)
            cell = book.cell(target_t, r, target_c)
            if code and code not in used and cell is not None:
                name = book.text(target_t, r, "name") if target.has_column("name") else ""
                yield finding(
                    "table.project-no-indicators", WARNING, target.sheet, cell.a1, table=target_t, code=code, name=name
                )
