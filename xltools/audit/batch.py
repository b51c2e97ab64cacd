"""A folder is a batch: every document audited in worker processes, a progress bar on a terminal, and one
summary table (xlsx and csv) of every document with its counts and first findings."""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..book import Book
from ..edition.model import Edition
from ..findings import Finding
from ..outputs import atomic_write, atomic_write_bytes
from ..texts import raw, text
from . import AuditReport, audit_path
from .readers import SUFFIXES


def discover(paths: Iterable[Path]) -> list[Path]:
    """Documents in the given files and folders (folders searched recursively; hidden and lock files skipped)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith((".", "~$")) or Path(f).suffix.lower() not in SUFFIXES:
                        continue
                    found.append(Path(root) / f)
            out.extend(found)
        else:
            out.append(p)
    return out


_ED: Edition | None = None
_BOOK: Book | None = None
_COMPLETE = False


def _init(edition_id: str, year: int, book_path: str, complete: bool) -> None:
    global _ED, _BOOK, _COMPLETE
    from ..edition import load_edition

    _ED = load_edition(edition_id, year)
    _COMPLETE = complete
    if book_path:
        from ..validate import validate_file

        _BOOK = validate_file(book_path, _ED).book


def _one(path: str) -> AuditReport:
    assert _ED is not None
    return audit_path(path, _ED, _BOOK, _COMPLETE)


def run_batch(
    paths: list[Path],
    ed: Edition,
    book: Book | None = None,
    book_path: str = "",
    complete: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    workbook_findings: list[Finding] | None = None,
) -> list[AuditReport]:
    jobs = jobs or os.cpu_count() or 1
    reports: list[AuditReport] = []
    if jobs <= 1 or len(paths) < 4:
        for i, p in enumerate(paths, 1):
            reports.append(audit_path(p, ed, book, complete, workbook_findings))
            if progress:
                progress(i, len(paths))
        return reports
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_init, initargs=(ed.id, ed.year, book_path, complete)
    ) as pool:
        chunk = max(1, min(16, len(paths) // (jobs * 4)))
        for i, r in enumerate(pool.map(_one, [str(p) for p in paths], chunksize=chunk), 1):
            if workbook_findings:
                r.findings = r.findings + list(workbook_findings)
            reports.append(r)
            if progress:
                progress(i, len(paths))
    return reports


def terminal_progress() -> Callable[[int, int], None] | None:
    """A one-line bar on stderr when it is a terminal (none in pipes or under CI)."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    label = text("audit.batch.progress")

    def show(i: int, n: int) -> None:
        width = 30
        done = width * i // n
        sys.stderr.write(f"\r{label} [{'#' * done}{'.' * (width - done)}] {i}/{n}")
        if i == n:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _status(r: AuditReport) -> str:
    if r.unreadable:
        return text("audit.batch.status_unreadable")
    return text("audit.batch.status_failed") if r.errors else text("audit.batch.status_passed")


def rows(reports: list[AuditReport]) -> list[list[object]]:
    out: list[list[object]] = []
    for r in reports:
        first = "；".join(f"{f.cell} {f.title}".strip() for f in r.findings[:3])
        out.append(
            [
                r.path,
                r.kind,
                _status(r),
                len(r.errors),
                len(r.warnings),
                len(r.notices),
                r.paragraphs,
                r.pages,
                r.claims,
                first,
            ]
        )
    return out


def _csv_text(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_summary(reports: list[AuditReport], xlsx: Path, csv_path: Path) -> None:
    """Both files or neither: the csv is rendered in memory first, then each is written atomically."""
    header = list(raw("audit.batch.columns"))
    body = rows(reports)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in body:
        w.writerow([_csv_text(v) for v in row])
    data = ("\ufeff" + buf.getvalue()).encode("utf-8")

    def write_xlsx(tmp: Path) -> None:
        import datetime as dt

        import xlsxwriter

        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties({"created": dt.datetime(2000, 1, 1)})
        ws = wb.add_worksheet(text("audit.batch.summary_sheet"))
        bold = wb.add_format({"bold": True, "bg_color": "#F3F3F3", "border": 1})
        for c, h in enumerate(header):
            ws.write_string(0, c, h, bold)
        for r_i, row in enumerate(body, 1):
            for c, v in enumerate(row):
                if isinstance(v, int):
                    ws.write_number(r_i, c, v)
                else:
                    ws.write_string(r_i, c, str(v))
        ws.set_column(0, 0, 50)
        ws.set_column(9, 9, 80)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(1, len(body)), len(header) - 1)
        wb.close()

    atomic_write(xlsx, write_xlsx)
    atomic_write_bytes(csv_path, data)
