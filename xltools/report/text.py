"""The terminal report, grouped by sheet, readable by a clerk."""

from __future__ import annotations

from itertools import groupby

from ..findings import SEVERITY_ZH
from ..validate import FileReport


def render(report: FileReport) -> str:
    n_err, n_warn = len(report.errors), len(report.warnings)
    if report.unreadable:
        head = f"{report.path}：无法读取"
    elif n_err:
        head = f"{report.path}：未通过（{n_err} 个错误，{n_warn} 个提醒）"
    else:
        head = f"{report.path}：通过" + (f"（{n_warn} 个提醒）" if n_warn else "")
    lines = [head]
    ordered = sorted(report.findings, key=lambda f: (f.sheet, f.sort_key()))
    for sheet, group in groupby(ordered, key=lambda f: f.sheet):
        if sheet:
            lines.append(f"  【{sheet}】")
        for f in group:
            where = f.cell or "—"
            lines.append(f"    {where:<6} {SEVERITY_ZH[f.severity]}  {f.message}")
            if f.hint:
                lines.append(f"           怎么改：{f.hint}")
    return "\n".join(lines)
