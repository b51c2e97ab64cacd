"""check_book(book) -> findings: every check module of the registry, in its order."""

from __future__ import annotations

from ..book import Book
from ..findings import Finding
from .registry import CHECKS


def check_book(book: Book) -> list[Finding]:
    out: list[Finding] = []
    for module in CHECKS:
        out.extend(module.check(book))
    return out
