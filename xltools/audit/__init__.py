"""xltools audit: check the numbers of a published disclosure document, in itself and against its workbook.

readers.py / pdftext.py turn .txt/.md/.docx/.html/.pdf into one Document (document.py: numbered blocks with
their heading path and page); claims.py extracts typed claims (amounts bound to the edition's named figures,
其中 lists, shares, year-on-year statements) with the wording patterns of phrases.toml; checks.py,
tables.py and completeness.py compare them; report.py renders text, JSON and HTML. No network, no model:
the same document gives the same findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..book import Book
from ..edition.model import Edition
from ..errors import UnreadableError
from ..findings import SEVERITIES, Finding, Verdict
from .document import Document, finish
from .phrases import Phrases, load_phrases

__all__ = ["AuditReport", "audit_document", "audit_path", "audit_text", "document_year"]


@dataclass
class AuditReport(Verdict):
    path: str
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    edition: str = ""
    year: int = 0
    kind: str = ""
    paragraphs: int = 0
    pages: int = 0
    claims: int = 0
    whole: bool = False


_YEAR = re.compile(r"(20\d\d)\s*年(?:度)?[^。]{0,12}?(?:部门|单位)?预算")


def document_year(doc: Document, default: int) -> int:
    for b in doc.blocks[:6]:
        m = _YEAR.search(b.text)
        if m:
            return int(m.group(1))
    return default


def _order(f: Finding) -> tuple[int, int, str]:
    return (int(f.params.get("paragraph", 0) or 0), SEVERITIES.index(f.severity), f.rule)


def audit_document(
    doc: Document,
    ed: Edition,
    book: Book | None = None,
    complete: bool = False,
    phrases: Phrases | None = None,
    pairs: bool = True,
) -> AuditReport:
    """pairs=False leaves out the comparison of a stated figure with a different workbook figure (checks.check_pairs):
    in a narrative generated from the workbook it says nothing about the text."""
    from . import checks
    from .claims import Extractor
    from .completeness import check_empty_notes, check_sections, is_whole
    from .figures import values as figure_values
    from .tables import check_tables

    year = document_year(doc, book.edition.year if book is not None else ed.year)
    ph = phrases or load_phrases(ed.file("audit/phrases.toml").parents[1], year)
    finish(doc, ph)
    ext = Extractor(ed, ph).run(doc)
    values: dict[str, Decimal | None] | None = figure_values(book) if book is not None else None
    out: list[Finding] = []
    out += checks.check_placeholders(doc, ph)
    out += checks.check_lists(ext, ph)
    out += checks.check_shares(ext, ed, values)
    out += checks.check_yoys(ext, ed, values)
    out += checks.check_values(ext, ed)
    out += checks.check_units(ext)
    out += checks.check_reasons(ext, ed, ph, values)
    table_findings, _ = check_tables(doc, ed, ph, ext)
    out += table_findings
    whole = complete or is_whole(doc, ph)
    if whole:
        out += check_sections(doc, ph)
        if book is not None:
            out += check_empty_notes(doc, ph, book)
    if book is not None and values is not None:
        cells = _figure_cells(book)
        out += checks.check_workbook(ext, ed, values, cells)
        if pairs:
            out += checks.check_pairs(ext, ed, ph, values, cells)
        out += checks.check_records(ext, ed, ph, book)
    seen: set[tuple[str, str, str, str]] = set()
    unique = []
    for f in sorted(out, key=_order):
        key = (f.rule, f.sheet, f.cell, str(f.params.get("sentence", "")))
        if key not in seen:
            seen.add(key)
            unique.append(f)
    pages = max((b.page for b in doc.blocks), default=0)
    return AuditReport(doc.path, unique, False, ed.id, year, doc.kind, len(doc.blocks), pages, len(ext.claims), whole)


def _figure_cells(book: Book) -> dict[str, str]:
    """Figure id -> 'sheet!A1' of its cell in the workbook (single-cell figures)."""
    from ..edition.layout import table_layout
    from . import figures as figs

    out = {}
    for f in figs.lexicon(book.edition):
        ref = figs.single_cell(f)
        if ref is None or not book.edition.has_table(ref[0]):
            continue
        t = book.edition.table(ref[0])
        try:
            out[f.id] = f"{t.sheet}!{table_layout(book.edition, t.id).cell(ref[1], ref[2])}"
        except KeyError:
            continue
    return out


def audit_path(
    path: str | Path,
    ed: Edition,
    book: Book | None = None,
    complete: bool = False,
    workbook_findings: list[Finding] | None = None,
) -> AuditReport:
    """Never raises for bad input: an unusable document gives a report with unreadable=True."""
    from .readers import read_document

    try:
        doc = read_document(Path(path))
    except UnreadableError as e:
        return AuditReport(str(path), [e.finding], unreadable=True, edition=ed.id)
    report = audit_document(doc, ed, book, complete)
    if workbook_findings:
        report.findings = report.findings + list(workbook_findings)
    return report


def audit_text(
    text: str,
    ed: Edition,
    kind: str = "md",
    book: Book | None = None,
    complete: bool = False,
    path: str = "",
    pairs: bool = True,
) -> AuditReport:
    """Audit a document given as text (the narrative compile has just rendered)."""
    from .readers import _text

    doc = _text(Path(path or f"document.{kind}"), kind, text.encode("utf-8"))
    return audit_document(doc, ed, book, complete, pairs=pairs)
