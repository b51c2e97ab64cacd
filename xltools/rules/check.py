"""check_book(book) -> findings: every rule of the edition, in a fixed order."""

from __future__ import annotations

from ..book import Book
from ..findings import Finding
from .cells import check_fixed, check_magnitude, check_references
from .codes import check_codes, check_stale_text, check_total_row
from .columns import check_columns
from .identities import check_identities


def check_book(book: Book) -> list[Finding]:
    out: list[Finding] = []
    for t in book.edition.tables:
        if t.id in book.missing_tables:
            continue
        if t.kind == "fixed":
            out.extend(check_fixed(book, t))
        else:
            out.extend(check_columns(book, t))
            if t.code_list:
                out.extend(check_codes(book, t))
            if t.total_row:
                out.extend(check_total_row(book, t))
            out.extend(check_references(book, t))
    out.extend(check_identities(book))
    out.extend(check_magnitude(book))
    out.extend(check_stale_text(book))
    return out
