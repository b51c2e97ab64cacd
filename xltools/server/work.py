"""The checking work of one version, free of the web framework so it runs in a worker process:
validate exactly as `xltools validate` does, write the HTML report and the annotated copy, and compare
with the previous version (已修复/新增/剩余, as `validate --since`).

Further checks plug in through `STAGES`: dotted names "module:function" of callables
`(path: Path, report: FileReport) -> list[Finding]`, imported once per worker process when present; their
findings join the version's report, its counts and its HTML page. None is registered: the 情况说明 is audited
where it is written (`xltools compile`) and where it is published (`xltools audit`), not in the workbook."""

from __future__ import annotations

import dataclasses
import importlib
import multiprocessing
import multiprocessing.connection
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..findings import Finding
from ..validate import FileReport, dedupe


# The checker processes run a little below the server's priority: the request threads (a clerk's page, the
# hand-off of the next upload to an idle checker) are never queued behind a check; the checks take the rest.
def _nice_setting(default: int = 5) -> int:
    raw = os.environ.get("XLTOOLS_CHECKER_NICE", "")
    try:
        return max(0, min(19, int(raw))) if raw.strip() else default
    except ValueError:  # not a number: the default, rather than a server that cannot start
        return default


CHECKER_NICE = _nice_setting()


def background() -> None:
    """A checker process's start (this module, free of the web framework, is what a fresh worker imports):
    below the server's priority, and gone with the server however it ends (a stop, a kill, a crash), never
    left behind holding memory."""
    try:
        os.nice(CHECKER_NICE)
    except (AttributeError, OSError):  # no nice() (Windows): the checkers keep the server's priority
        pass
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="xltools-server-watch", daemon=True).start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # ready when the server process has ended
    os._exit(0)


# The hook for further checks of an upload.
STAGES: list[str] = []
_RESOLVED: dict[tuple[str, ...], list[Any]] = {}


def _stages() -> list[Any]:
    """The callables STAGES names, resolved once per process (a failed import searches the whole path: it
    cost a millisecond on every upload)."""
    key = tuple(STAGES)
    if key not in _RESOLVED:
        out = []
        for name in key:
            module, _, fn = name.partition(":")
            try:
                out.append(getattr(importlib.import_module(module), fn))
            except (ImportError, AttributeError):
                continue  # not installed
        _RESOLVED[key] = out
    return _RESOLVED[key]


def _relabel(report: FileReport, real: Path, shown: str) -> FileReport:
    """Messages name the file as the clerk knows it, never the server's own path."""
    real_s = str(real)

    def fix(f: Finding) -> Finding:
        if any(isinstance(v, str) and real_s in v for v in f.params.values()):
            params = {k: (v.replace(real_s, shown) if isinstance(v, str) else v) for k, v in f.params.items()}
            return dataclasses.replace(f, params=params)
        return f

    return dataclasses.replace(report, findings=[fix(f) for f in report.findings])


def staged_copy(source: Path, display: str, folder: Path) -> Path:
    """A copy of `source` named `display` inside `folder` (the report shows this name)."""
    dest = folder / display
    shutil.copyfile(source, dest)
    return dest


def read_guard(path: str | Path, display: str, edition_id: str, year: int) -> dict[str, Any] | None:
    """The reader's guards on a fresh upload: None when the workbook can be read, else the refusal
    (rule and message, naming the file as the clerk named it). Bounded by the reader's own limits."""
    from ..edition import load_edition
    from ..errors import UnreadableError
    from ..reader.read import read_workbook

    path = Path(path)
    try:
        read_workbook(path, load_edition(edition_id, year))
    except UnreadableError as e:
        f = _relabel(FileReport(str(path), [e.finding], unreadable=True), path, display).findings[0]
        return {"rule": f.rule, "message": f.message, "hint": f.hint}
    return None


def warm(edition_id: str, year: int) -> None:
    """Ready a fresh worker before the first upload needs it: one whole check of the edition's own blank
    template (read, validate, the HTML report), so the lazy imports, the report's compiled template and the
    edition's check plans are made now. Without it the first check in each process cost 166 ms, not 29."""
    from ..edition import load_edition
    from ..report import annotate, html, since  # noqa: F401
    from ..template.write import write_template

    ed = load_edition(edition_id, year)
    with tempfile.TemporaryDirectory(prefix="xltools-warm-") as tmp:
        blank = Path(tmp) / "warm.xlsx"
        write_template(ed, blank)
        intake(str(blank), blank.name, edition_id, year, str(Path(tmp) / "warm.html"), None)


def annotate(stored: str, display: str, edition_id: str, year: int, out: str) -> bool:
    """The annotated copy of a stored version, made when first asked for (most clerks fix from the report,
    so the check itself does not pay for it). False when the file cannot be annotated."""
    from ..edition import load_edition
    from ..report.annotate import annotate_report
    from ..validate import validate_file

    with tempfile.TemporaryDirectory(prefix="xltools-annotate-") as tmp:
        path = staged_copy(Path(stored), display, Path(tmp))
        report = validate_file(path, load_edition(edition_id, year))
        for stage in _stages():
            report.findings = dedupe(report.findings + list(stage(path, report)))
        if report.unreadable:
            return False
        annotate_report(report, Path(out))
    return True


def publication(stored: str, display: str, edition_id: str, year: int, prefix: str) -> dict[str, Any] | None:
    """The 情况说明 (Word) and the 公开表 of a stored version, exactly as `xltools compile` writes them, made when
    first asked for (750 ms: not part of every check). Written to prefix + ".docx" / ".tables.xlsx", then
    prefix + ".publication.json" last (its presence says both are there): the files' own names, the
    【请填写】 places the narrative still has, and the self-audit of its text against the workbook (the clerk's
    文字说明 included). None when the workbook has errors: compile refuses it too."""
    import json

    from ..edition import load_edition
    from ..outputs import atomic_write_bytes
    from ..publish import compile_book
    from ..validate import validate_file

    target = Path(prefix)
    with tempfile.TemporaryDirectory(prefix="xltools-publish-") as tmp:
        path = staged_copy(Path(stored), display, Path(tmp))
        report = validate_file(path, load_edition(edition_id, year))
        if report.unreadable or report.errors or report.book is None:
            return None
        # Written beside the target (the same file system), then moved into place.
        with tempfile.TemporaryDirectory(prefix=".publish-", dir=target.parent) as out:
            result = compile_book(report.book, Path(out), [path])
            facts = {
                "docx": result.docx.name,
                "tables": result.tables.name,
                "placeholders": [{"sheet": p.sheet, "cell": p.cell, "label": p.label} for p in result.placeholders],
                "audit": [f.to_json() for f in _relabel(FileReport(str(path), result.audit), path, display).findings],
            }
            os.replace(result.docx, f"{prefix}.docx")
            os.replace(result.tables, f"{prefix}.tables.xlsx")
    done = Path(f"{prefix}.publication.json")
    if done.exists():  # made at the same moment for another click: the same bytes (outputs are deterministic)
        return dict(json.loads(done.read_text(encoding="utf-8")))
    atomic_write_bytes(done, json.dumps(facts, ensure_ascii=False).encode("utf-8"))
    return facts


def _report(path: Path, edition_id: str, year: int) -> FileReport:
    from ..edition import load_edition
    from ..validate import validate_file

    report = validate_file(path, load_edition(edition_id, year), keep_grids=True)  # the HTML report draws them
    if not report.unreadable:
        for stage in _stages():
            report.findings = dedupe(report.findings + list(stage(path, report)))
    return report


def _results(
    report: FileReport, path: Path, display: str, html_out: str, previous: list[dict[str, Any]] | None
) -> dict[str, Any]:
    from ..report.html import write_html
    from ..report.since import compare
    from .prefill import submitted_unit

    report = _relabel(report, path, display)
    write_html(report, Path(html_out))
    progress = None
    if previous is not None:
        p = compare(report, {"files": [{"path": str(path), "findings": previous}]})
        if p is not None:
            progress = (len(p.fixed), len(p.new), len(p.remaining))
    return {
        "errors": len(report.errors) + (1 if report.unreadable and not report.errors else 0),
        "warnings": len(report.warnings),
        "notices": len(report.notices),
        "findings": [f.to_json() for f in report.findings],
        "progress": progress,
        "unit_code": submitted_unit(report.book)[0] if report.book is not None else "",
        "unreadable": report.unreadable,
    }


def intake(
    staged: str, display: str, edition_id: str, year: int, html_out: str, previous: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """A fresh upload, read once: {"refusal": {...}} when the reader's guards refuse it (nothing is to be
    stored), else {"refusal": None, ...the check's results} with the HTML report written to html_out."""
    path = Path(staged)
    report = _report(path, edition_id, year)
    if report.unreadable:
        f = _relabel(report, path, display).findings[0]
        return {"refusal": {"rule": f.rule, "message": f.message, "hint": f.hint}}
    return {"refusal": None, **_results(report, path, display, html_out, previous)}


def check(
    stored: str,
    display: str,
    edition_id: str,
    year: int,
    html_out: str,
    previous: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """Check a stored version again (a retry, or a version left queued by a stopped server)."""
    with tempfile.TemporaryDirectory(prefix="xltools-check-") as tmp:
        path = staged_copy(Path(stored), display, Path(tmp))
        return _results(_report(path, edition_id, year), path, display, html_out, previous)
