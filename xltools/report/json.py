"""The machine-readable report. Documented in docs/report-json.md; bump VERSION on any breaking change."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..validate import FileReport

SCHEMA = "xltools-validate-report"
VERSION = 1


def file_json(r: FileReport) -> dict[str, Any]:
    return {
        "path": r.path,
        "valid": r.valid,
        "unreadable": r.unreadable,
        "edition": r.edition or None,
        "year": r.year or None,
        "errors": len(r.errors),
        "warnings": len(r.warnings),
        "findings": [f.to_json() for f in r.findings],
        "diagnosis": diagnosis_json(r),
    }


def diagnosis_json(r: FileReport) -> dict[str, Any] | None:
    """The cells to change (docs/report-json.md, "diagnosis"); None when the identities were not checked."""
    from ..diagnose.rule import diagnosis_json as block

    return block(r.book, r.diagnosis) if r.book is not None and r.diagnosis is not None else None


def render(reports: list[FileReport]) -> str:
    doc = {
        "schema": SCHEMA,
        "version": VERSION,
        "generator": f"xltools {__version__}",
        "files": [file_json(r) for r in reports],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False)
