"""No false alarms: generated valid departments (xltools.synth, seeded) must validate with 0 errors.
Shared by test_valid.py and bench/robustness_bench.py."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from xltools.book import book_from_data
from xltools.edition.model import Edition
from xltools.rules.check import check_book
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file


@dataclass
class FalseAlarms:
    checked: int = 0
    failures: dict[int, list[str]] = field(default_factory=dict)  # seed -> "rule sheet!cell" of each error

    @property
    def clean(self) -> int:
        return self.checked - len(self.failures)


def through_files(ed: Edition, seeds: range | list[int], folder: Path | None = None) -> FalseAlarms:
    """Write each department with the template writer and validate the file (the clerk's path)."""
    out = FalseAlarms()
    with tempfile.TemporaryDirectory(dir=folder) as d:
        for seed in seeds:
            path = Path(d) / f"seed-{seed}.xlsx"
            write_template(ed, path, department(ed, seed))
            report = validate_file(path)
            out.checked += 1
            if report.errors or report.unreadable:
                out.failures[seed] = [f"{f.rule} {f.sheet}!{f.cell}" for f in report.findings if f.severity == "error"]
            path.unlink()
    return out


def in_memory(ed: Edition, seeds: range | list[int]) -> FalseAlarms:
    """The same data checked as a Book built in memory (no writer, no reader): fast, for many seeds."""
    out = FalseAlarms()
    for seed in seeds:
        errors = [f for f in check_book(book_from_data(ed, department(ed, seed))) if f.severity == "error"]
        out.checked += 1
        if errors:
            out.failures[seed] = [f"{f.rule} {f.sheet}!{f.cell}" for f in errors]
    return out
