"""Where a finding is shown in a workbook-shaped report (the annotated copy, the HTML grid).

A finding names a cell, a range, a whole table (no cell) or a sheet that is missing. The annotated
copy and the HTML report must point at the same cells, so both ask this module.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .. import texts
from ..cells import a1, parse_a1
from ..edition.model import Edition
from ..findings import ERROR, NOTICE, SEVERITY_ZH, WARNING, Finding

MAX_RANGE_CELLS = 2000  # a finding on a huge range marks its first cells only


@dataclass(frozen=True)
class Place:
    sheet: str  # a sheet present in the workbook, or "" when the finding has no place in it
    anchor: str  # the cell that carries the comment and the link target ("" when sheet is "")
    cells: tuple[str, ...]  # every cell to mark (a range expanded)
    label: str  # what the 单元格 column / the HTML list shows
    link: str  # hyperlink target within the sheet: a cell or a range


def title_cell(ed: Edition | None, table: str) -> str:
    """The table's title cell (from the layout when the table is known)."""
    if ed is not None and table:
        try:
            from ..edition.layout import table_layout

            return table_layout(ed, table).title_cell
        except KeyError:
            pass
    return "A1"


def expand(ref: str) -> tuple[str, ...]:
    """'C5:D6' -> ('C5', 'D5', 'C6', 'D6'); 'C5' -> ('C5',). Raises ValueError on a bad reference."""
    if ":" not in ref:
        parse_a1(ref)
        return (ref.replace("$", "").upper(),)
    first, last = ref.split(":", 1)
    r0, c0 = parse_a1(first)
    r1, c1 = parse_a1(last)
    r0, r1 = min(r0, r1), max(r0, r1)
    c0, c1 = min(c0, c1), max(c0, c1)
    out: list[str] = []
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            out.append(a1(r, c))
            if len(out) >= MAX_RANGE_CELLS:
                return tuple(out)
    return tuple(out)


def place(f: Finding, present: Collection[str], ed: Edition | None = None) -> Place:
    if not f.sheet:
        return Place("", "", (), texts.text("report.place.whole_file"), "")
    if f.sheet not in present:
        return Place("", "", (), texts.text("report.place.missing_sheet"), "")
    if f.cell:
        try:
            cells = expand(f.cell)
            return Place(f.sheet, cells[0], cells, f.cell, f.cell.replace("$", "").upper())
        except ValueError:
            pass
    anchor = title_cell(ed, f.table)
    return Place(f.sheet, anchor, (anchor,), texts.text("report.place.whole_table", cell=anchor), anchor)


# How a marked cell looks, strongest first: the cell the diagnosis says to change, an error, a warning, a
# total that the diagnosed cell breaks (lighter: it follows once that cell is fixed), a notice.
CHANGE, BROKEN = "change", "broken"
MARK_ORDER = (CHANGE, ERROR, WARNING, BROKEN, NOTICE)


def mark(f: Finding) -> str:
    """The mark a finding gives its cells."""
    if f.rule.startswith("diagnosis.") and f.sheet:
        return CHANGE
    if f.severity == ERROR and "target" in f.params and f.params["target"] is None:
        return BROKEN
    return f.severity


def worst(severities: Collection[str]) -> str:
    return min(severities, key=lambda s: MARK_ORDER.index(s) if s in MARK_ORDER else len(MARK_ORDER))


def expected_actual(j: dict[str, Any]) -> str:
    """'应为：…；实际：…' of a finding's JSON, naming only what it has ('' when neither): a total whose 应为 the
    diagnosis withholds (it is not the cell to change) shows its actual value alone, not an empty 应为."""
    has_e, has_a = "expected" in j, "actual" in j
    if has_e and has_a:
        return texts.text("report.html.expected_actual", expected=j["expected"], actual=j["actual"])
    if has_a:
        return texts.text("report.html.actual_only", actual=j["actual"])
    if has_e:
        return texts.text("report.html.expected_only", expected=j["expected"])
    return ""


def comment_text(f: Finding) -> str:
    """The note on a marked cell: severity, message, expected/actual, fix."""
    j = f.to_json()
    lines = [
        texts.text("report.place.comment_head", severity=SEVERITY_ZH.get(f.severity, f.severity), message=f.message)
    ]
    ea = expected_actual(j)
    if ea:
        lines.append(ea)
    if f.hint:
        lines.append(texts.text("report.html.hint", hint=f.hint))
    return "\n".join(lines)
