"""The terminal report, grouped by sheet, readable by a clerk (words in xltools/texts/textreport.toml)."""

from __future__ import annotations

from itertools import groupby

from .. import texts
from ..findings import SEVERITY_ZH
from ..validate import FileReport


def headline(report: FileReport) -> str:
    n_err, n_warn = len(report.errors), len(report.warnings)
    if report.unreadable:
        return texts.text("textreport.unreadable", path=report.path)
    if n_err:
        return texts.text("textreport.failed", path=report.path, errors=n_err, warnings=n_warn)
    return texts.text(
        "textreport.passed_with_warnings" if n_warn else "textreport.passed", path=report.path, warnings=n_warn
    )


def render(report: FileReport) -> str:
    lines = [headline(report)]
    # The diagnosis first: the cell to change, before the totals it breaks.
    lines.extend(f"  {f.message}" for f in report.findings if f.rule.startswith("diagnosis."))
    rest = [f for f in report.findings if not f.rule.startswith("diagnosis.")]
    ordered = sorted(rest, key=lambda f: (f.sheet, f.sort_key()))
    for sheet, group in groupby(ordered, key=lambda f: f.sheet):
        if sheet:
            lines.append(texts.text("textreport.sheet", sheet=sheet))
        for f in group:
            where = f.cell or texts.text("textreport.no_cell")
            lines.append(f"    {where:<6} {SEVERITY_ZH[f.severity]}  {f.message}")
            if f.hint:
                lines.append(texts.text("textreport.how_to_fix", hint=f.hint))
    return "\n".join(lines)
