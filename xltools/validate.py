"""The library entry point for checking a workbook: read, normalise, run every rule, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .book import Book
from .edition.model import Edition
from .errors import UnreadableError
from .findings import Finding, Verdict


@dataclass
class FileReport(Verdict):
    path: str
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    book: Book | None = None
    edition: str = ""
    year: int = 0
    diagnosis: object = None  # xltools.diagnose.Diagnosis when identities were checked
    # validate_file(keep_grids=True): the values and merged areas of the sheets that carry findings, as read, and
    # the workbook's sheet order, for the HTML report to draw without reading the file again.
    grids: dict[str, tuple[list[list[Any]], list[Any]]] | None = None
    sheet_names: list[str] = field(default_factory=list)


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.sheet, f.cell, f.check)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return sorted(out, key=Finding.sort_key)


def validate_file(
    path: str | Path, edition: Edition | None = None, data: bytes | None = None, keep_grids: bool = False
) -> FileReport:
    """Never raises for bad input: an unusable file gives a report with unreadable=True. With `data` (the
    file's bytes, already read and hashed by the caller) those bytes are checked, not the file again.
    keep_grids (one file's HTML report): keep the grids of the sheets with findings (FileReport.grids)."""
    from .reader.read import read_workbook
    from .rules.check import check_book

    try:
        result = read_workbook(path if data is None else data, edition, name=path, keep_grids=keep_grids)
    except UnreadableError as e:
        return FileReport(str(path), [e.finding], unreadable=True)
    from .diagnose.rule import with_diagnosis

    findings, diagnosis = with_diagnosis(result.book, dedupe(list(result.findings) + check_book(result.book)))
    ed = result.book.edition
    report = FileReport(str(path), dedupe(findings), book=result.book, edition=ed.id, year=ed.year, diagnosis=diagnosis)
    if result.grids is not None:
        shown = {f.sheet for f in report.findings}
        report.grids = {n: g for n, g in result.grids.items() if n in shown}
        report.sheet_names = result.sheet_names
    return report
