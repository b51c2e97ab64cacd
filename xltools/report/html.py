"""The offline HTML report: one self-contained file (inline CSS and JS, no network, no assets) that a
clerk can open from a USB stick. A pass/fail banner, the findings grouped by sheet, and every affected
sheet drawn as a grid with the offending cells highlighted (message on hover and listed below).

This module builds the view (which sheets, which cells, what each says); the page itself is the Jinja2
template `templates/report.html.j2`, and its words are `xltools/texts/report.toml`. Autoescaping escapes
everything that comes from the workbook or a message: a cell holding `<script>` or `=cmd|...` is shown as text.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__, texts
from ..cells import col_letter, parse_a1
from ..findings import ERROR, SEVERITY_ZH, WARNING, Finding
from ..validate import FileReport
from .places import Place, expected_actual, mark, place, worst

MAX_ROWS = 500  # the grid shows at most this many rows and columns
MAX_COLS = 60
MAX_TEXT = 80  # characters of a cell shown in the grid (the whole text is in the tooltip)


def default_output(path: Path) -> Path:
    return path.with_name(texts.text("report.output_name", stem=path.stem, suffix=".html"))


def _t(key: str, **params: Any) -> str:
    return texts.text(f"report.html.{key}", **params)


def _show(v: Any) -> str:
    """A cell value as the clerk typed or saw it."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


@dataclass
class _Sheet:
    name: str
    findings: list[tuple[Finding, Place]] = field(default_factory=list)
    grid: list[list[Any]] | None = None
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    error: str = ""


def _load(path: str, names: Sequence[str]) -> tuple[list[str], dict[str, _Sheet]]:
    """The workbook's sheet names and the grids of the sheets named; never raises. The file is read once:
    the package layer checks its bytes and measures each sheet before calamine reads the same bytes."""
    sheets = {n: _Sheet(n) for n in names}
    try:
        import io

        from python_calamine import CalamineWorkbook

        from ..ooxml.package import MAX_GRID, open_package

        pkg = open_package(path)
        try:
            # calamine builds a dense grid: a stray cell at XFD1048576 would exhaust memory, so the extent is
            # measured in the XML first (as the reader does).
            extents = {n: pkg.extent(n) for n in names if n in pkg.sheets}
            wb = CalamineWorkbook.from_filelike(io.BytesIO(pkg.value_bytes()))
        finally:
            pkg.close()
        order = list(wb.sheet_names)
    except Exception:  # an unreadable file still gets a report: banner and findings only
        return [], sheets
    for n, s in sheets.items():
        if n not in order:
            continue
        rows, cols, far = extents.get(n, (0, 0, ""))
        if rows * cols > MAX_GRID:
            s.error = _t("too_large", far=far)
            continue
        try:
            ws = wb.get_sheet_by_name(n)
            s.grid = ws.to_python(skip_empty_area=False)
            s.merges = list(getattr(ws, "merged_cell_ranges", None) or [])
        except Exception as e:  # one damaged sheet must not lose the others
            s.error = _t("cannot_show", error=type(e).__name__)
    return order, sheets


def _sheets(report: FileReport, names: Sequence[str]) -> tuple[list[str], dict[str, _Sheet]]:
    """The sheet order and the grids of the sheets named: those the check kept (validate_file's keep_grids)
    as they were read, the others read from the file again (`_load`)."""
    kept = report.grids or {}
    rest = [n for n in names if n not in kept]
    if rest or not report.sheet_names:
        order, sheets = _load(report.path, rest)
        if not order:  # the file cannot be read again: as if nothing had been kept
            return order, {n: _Sheet(n) for n in names}
    else:
        order, sheets = list(report.sheet_names), {}
    for n in names:
        if n in kept:
            grid, merges = kept[n]
            sheets[n] = _Sheet(n, grid=grid, merges=list(merges))
    return order, {n: sheets[n] for n in names}


def _cell_title(items: list[Finding], ref: str) -> str:
    parts = []
    for f in items:
        text = _t("cell_title", ref=ref, severity=SEVERITY_ZH.get(f.severity, f.severity), message=f.message)
        if f.hint:
            text += "\n" + _t("hint", hint=f.hint)
        parts.append(text)
    return "\n\n".join(parts)


@dataclass
class _Grid:
    sid: str
    error: str = ""
    empty: bool = False
    rows: list[dict[str, Any]] | None = None
    letters: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _grid(s: _Sheet, sid: str) -> _Grid:
    if s.error:
        return _Grid(sid, error=s.error)
    if s.grid is None:
        return _Grid(sid)
    grid = s.grid
    flagged: dict[tuple[int, int], list[Finding]] = defaultdict(list)
    for f, p in s.findings:
        for ref in p.cells:
            r, c = parse_a1(ref)
            flagged[(r, c)].append(f)
    # Extent: the used area (capped) and every flagged cell. Trailing rows holding only blanks and
    # zeros (a list table's unused rows, whose formulas show 0) are left out.
    used_rows = 0
    used_cols = 0
    for i, row in enumerate(grid, start=1):
        last = max((j for j, v in enumerate(row) if v not in ("", None)), default=-1)
        if last >= 0:
            used_cols = max(used_cols, last + 1)
            if any(v not in ("", None, 0) for v in row):
                used_rows = i
    n_rows = min(max(used_rows, max((r for r, _ in flagged), default=0)), MAX_ROWS)
    n_cols = min(max(used_cols, max((c + 1 for _, c in flagged), default=0)), MAX_COLS)
    outside = sorted((k for k in flagged if k[0] > n_rows or k[1] >= n_cols), key=lambda k: k)
    if n_rows == 0 or n_cols == 0:
        return _Grid(sid, empty=True)
    # Merged areas drawn as one cell, unless a flagged cell would disappear inside one.
    span: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for (r0, c0), (r1, c1) in s.merges:
        r0, r1, c0, c1 = r0 + 1, min(r1 + 1, n_rows), c0, min(c1, n_cols - 1)
        if r0 > n_rows or c0 >= n_cols:
            continue
        inside = {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        if any(k in flagged for k in inside - {(r0, c0)}):
            continue
        span[(r0, c0)] = (r1 - r0 + 1, c1 - c0 + 1)
        covered |= inside - {(r0, c0)}
    rows = []
    for r in range(1, n_rows + 1):
        row = grid[r - 1] if r <= len(grid) else []
        cells = []
        for c in range(n_cols):
            if (r, c) in covered:
                continue
            text = _show(row[c]) if c < len(row) else ""
            shown = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
            attrs = ""
            if (r, c) in span:
                rs, cs = span[(r, c)]
                attrs += (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            ref = f"{col_letter(c)}{r}"
            items = flagged.get((r, c))
            cell: dict[str, Any] = {"shown": shown, "attrs": _markup(attrs), "severity": "", "title": None, "ref": ref}
            if items:
                cell["severity"] = worst({mark(f) for f in items})
                cell["title"] = _cell_title(items, ref)
            elif shown != text:
                cell["title"] = text
            cells.append(cell)
        rows.append({"n": r, "flagged": any((r, c) in flagged for c in range(n_cols)), "cells": cells})
    out = _Grid(sid, rows=rows, letters=[col_letter(c) for c in range(n_cols)])
    rest = sum(1 for row in grid[n_rows:] if any(v not in ("", None) for v in row))
    if rest and used_rows <= MAX_ROWS:
        out.notes.append(_t("rest", n=rest))
    if used_rows > MAX_ROWS or used_cols > MAX_COLS:
        out.notes.append(_t("capped", rows=MAX_ROWS, cols=MAX_COLS))
    if outside:
        refs = "、".join(f"{col_letter(c)}{r}" for r, c in outside[:20]) + (_t("and_more") if len(outside) > 20 else "")
        out.notes.append(_t("outside", refs=refs))
    return out


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)  # attributes we built from numbers only


def _finding_view(f: Finding, p: Place) -> dict[str, Any]:
    j = f.to_json()
    return {
        "severity": f.severity,
        "severity_zh": SEVERITY_ZH.get(f.severity, f.severity),
        "anchor": p.anchor,
        "placed": bool(p.sheet),
        "label": p.label,
        "message": f.message,
        "ea": expected_actual(j),
        "hint": f.hint,
        "rule": f.rule,
    }


def _counts(findings: Sequence[Finding]) -> list[tuple[str, int]]:
    n_err = sum(1 for f in findings if f.severity == ERROR)
    n_warn = sum(1 for f in findings if f.severity == WARNING)
    return [(sev, n) for sev, n in ((ERROR, n_err), (WARNING, n_warn)) if n]


def _js_string(text: str) -> Any:
    """A catalogue text as a single-quoted JavaScript string literal inside the page's script."""
    from markupsafe import Markup

    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("<", "\\x3c")
    return Markup(f"'{escaped}'")


def _escape(value: Any) -> Any:
    """Every value the page shows, escaped as the HTML standard library does (quotes included); what the
    template or this module built as markup passes as it is."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


@lru_cache(maxsize=1)
def _template() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("xltools.report", "templates"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        finalize=_escape,
    )
    env.filters["js_string"] = _js_string
    env.globals["t"] = _t
    return env.get_template("report.html.j2")


def render(report: FileReport) -> str:
    name = Path(report.path).name
    order: list[str] = []
    sheets: dict[str, _Sheet] = {}
    wanted = sorted({f.sheet for f in report.findings if f.sheet}) if not report.unreadable else []
    if wanted:  # findings without a sheet are placed without reading the workbook
        order, sheets = _sheets(report, wanted)
    ed = report.book.edition if report.book is not None else None
    present = set(order)
    groups: dict[str, _Sheet] = {}
    for f in report.findings:
        p = place(f, present, ed)
        key = p.sheet if p.sheet else ""
        if key not in groups:
            groups[key] = sheets.get(key) or _Sheet(key)
        groups[key].findings.append((f, p))
    # Findings with no place first, then the sheets in workbook order.
    keys = sorted(groups, key=lambda k: (k != "", order.index(k) if k in order else -1))

    n_err, n_warn = len(report.errors), len(report.warnings)
    if report.unreadable:
        state = "unreadable"
        summary = _t("summary_unreadable")
    elif n_err:
        state = "fail"
        summary = _t("summary_fail", errors=n_err, warnings=n_warn)
    else:
        state = "pass"
        summary = _t("summary_pass_warnings", warnings=n_warn) if n_warn else _t("summary_pass")
    meta = []
    if report.edition:
        meta.append(_t("meta_edition", edition=report.edition))
    if report.year:
        meta.append(_t("meta_year", year=report.year))
    meta.append(f"xltools {__version__}")
    sections = []
    for i, k in enumerate(keys):
        s = groups[k]
        sid = f"s{i}"
        sections.append(
            {
                "sid": sid,
                "key": k,
                "label": k or _t("no_sheet"),
                "counts": _counts([f for f, _ in s.findings]),
                "grid": _grid(s, sid) if k else None,
                "findings": [_finding_view(f, p) for f, p in s.findings],
            }
        )
    return str(
        _template().render(
            name=name,
            version=__version__,
            state=state,
            head=_t(f"head_{state}"),
            summary=summary,
            n_err=n_err,
            n_warn=n_warn,
            all_counts=_counts(report.findings),
            meta=" · ".join(meta),
            sections=sections,
        )
    )


def write_html(report: FileReport, out: Path) -> Path:
    from ..outputs import atomic_write

    text = render(report)
    return atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
