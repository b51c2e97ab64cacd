"""Classification codes in list tables: names, stale names, 类/款/项 hierarchy sums, orphans and
duplicates (spec I11–I13); stale classification names in free text."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import lru_cache

from ..book import FORMULA, INPUT, Book
from ..cells import parse_a1
from ..edition.formulas import total_columns
from ..edition.model import Edition, Table
from ..findings import ERROR, WARNING, Finding, finding
from ..money import ZERO
from .labels import cell_label, quoted
from .printed import differs

RULES = (
    "cell.code-unlisted",
    "cell.code-name-mismatch",
    "cell.stale-name",
    "cell.stale-name-text",
    "table.hierarchy",
    "table.code-orphan",
    "table.duplicate-code",
)


def check(book: Book) -> Iterator[Finding]:
    for t in book.edition.tables:
        if t.kind == "list" and t.code_list and t.id not in book.missing_tables:
            yield from check_codes(book, t)
    yield from check_stale_text(book)


def check_codes(book: Book, t: Table) -> Iterator[Finding]:
    ed = book.edition
    cl = ed.codes[t.code_list]
    by_unit: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in book.rows(t.id):
        code = book.code(t.id, row)
        if not code:
            continue  # a present row without its code: cell.required (rules/columns.py)
        by_unit[book.unit_of_row(t.id, row)][code].append(row)
        entry = cl.entries.get(code)
        if entry is None and not cl.complete and cl.fits(code):
            # The list is not yet complete: a well-formed code it lacks may be real (cell.code-not-in-list
            # is then not raised by the column checks).
            cell = book.cell(t.id, row, "code")
            yield finding(
                "cell.code-unlisted",
                WARNING,
                t.sheet,
                cell.a1 if cell else "A1",
                table=t.id,
                code=code,
                year=ed.year,
                list_title=cl.title,
            )
        name_cell = book.cell(t.id, row, "name")
        if (
            entry is not None
            and name_cell is not None
            and name_cell.state != FORMULA
            and isinstance(name_cell.value, str)
            and name_cell.value != entry.name
        ):
            stale = ed.stale_names.get(name_cell.value)
            if stale is not None and stale[0] == code[: len(stale[0])]:
                yield finding(
                    "cell.stale-name",
                    WARNING,
                    t.sheet,
                    name_cell.a1,
                    table=t.id,
                    actual=name_cell.value,
                    expected=entry.name,
                    since=stale[2],
                    year=ed.year,
                )
            else:
                yield finding(
                    "cell.code-name-mismatch",
                    WARNING,
                    t.sheet,
                    name_cell.a1,
                    table=t.id,
                    code=code,
                    expected=entry.name,
                    actual=name_cell.value,
                )
    cols = total_columns(t)
    # the level of each code, by its length (once per length, not per code and use)
    by_len: dict[int, int] = {}
    for i, n in enumerate(cl.levels):
        by_len.setdefault(n, i + 1)  # level_of: the first level of that length
    # each row's amounts, (amount or 0) per total column, read once: a row is summed as a parent and as a child
    amounts: dict[str, list[Decimal]] = {}
    amount, tid = book.amount, t.id

    def row_amounts(r: str) -> list[Decimal]:
        got = amounts.get(r)
        if got is None:
            got = amounts[r] = [amount(tid, r, col) or ZERO for col in cols]
        return got

    for codes in by_unit.values():
        # Each code's children listed once (one pass over the unit's codes, not one per parent code).
        kids: dict[str, list[str]] = defaultdict(list)
        for c in codes:
            lvl = by_len.get(len(c), 0)
            if lvl > 1:
                kids[c[: cl.levels[lvl - 2]]].append(c)
        for code, rows in codes.items():
            if len(rows) > 1:
                cells = [book.cell(t.id, r, "code") for r in rows]
                yield finding(
                    "table.duplicate-code",
                    ERROR,
                    t.sheet,
                    cells[1].a1 if cells[1] else "A1",  # type: ignore[union-attr]
                    table=t.id,
                    code=code,
                    rows="、".join(str(parse_a1(c.a1)[0]) for c in cells if c is not None),
                )
            level = by_len.get(len(code), 0)
            if level > 1:
                parent = code[: cl.levels[level - 2]]  # cl.parent(code)
                if parent not in codes:
                    pe = cl.entries.get(parent)
                    cell = book.cell(t.id, rows[0], "code")
                    yield finding(
                        "table.code-orphan",
                        ERROR,
                        t.sheet,
                        cell.a1 if cell else "A1",
                        table=t.id,
                        code=code,
                        parent=parent,
                        parent_name=pe.name if pe else "",
                    )
            if 0 < level < len(cl.levels):
                children = sorted(c for c in kids.get(code, ()) if by_len.get(len(c), 0) == level + 1)
                if not children:
                    continue
                parts = [row_amounts(r) for r in rows]
                kid_parts = [row_amounts(r) for c in children for r in codes[c]]
                figures = len(rows) + len(kid_parts)
                tolerance = ed.tolerance_for(figures)
                for i, col in enumerate(cols):
                    # summed from zero in order, as sum() would: the same Decimal results
                    actual = ZERO
                    for v in parts:
                        actual = actual + v[i]
                    expected = ZERO
                    for v in kid_parts:
                        expected = expected + v[i]
                    if differs(ed, actual, expected, tolerance):
                        cell = book.cell(t.id, rows[0], col)
                        entry = cl.entries.get(code)
                        yield finding(
                            "table.hierarchy",
                            ERROR,
                            t.sheet,
                            cell.a1 if cell else "A1",
                            table=t.id,
                            code=code,
                            name=entry.name if entry else "",
                            column=quoted(t.column(col).title),
                            actual=actual,
                            expected=expected,
                            diff=actual - expected,
                            children="、".join(children[:5]),
                        )


def check_stale_text(book: Book) -> Iterator[Finding]:
    """Free text (文字说明, project names, the cover…) naming a classification by a name renamed before the
    budget year, e.g. 医疗卫生与计划生育支出 in a 2021 workbook (spec §2, SH-checker R33227). Name cells of
    coded list tables are checked against their code by check_codes instead."""
    ed = book.edition
    stale = _stale_names(ed)
    if not stale:
        return
    any_old, is_text = _stale_search(ed), _text_cells(ed)
    for cell in book.cells.values():
        if cell.state != INPUT or not isinstance(cell.value, str) or any_old(cell.value) is None:
            continue  # most cells: one search for every old name at once
        if not is_text(cell.table, cell.row, cell.col):
            continue
        t = ed.table(cell.table)
        for old, new, since in stale:
            if old in cell.value:
                yield finding(
                    "cell.stale-name-text",
                    WARNING,
                    t.sheet,
                    cell.a1,
                    table=t.id,
                    label=cell_label(ed, t.id, cell.row, cell.col, book),
                    actual=old,
                    expected=new,
                    since=since,
                    year=ed.year,
                )


@lru_cache(maxsize=16)
def _stale_names(ed: Edition) -> tuple[tuple[str, str, int], ...]:
    """(old name, new name, since) of the renames in force in the budget year, leaving out an old name that is
    part of a current one (it would match correct text). Depends on the edition only: computed once."""
    current = [e.name for cl in ed.codes.values() for e in cl.entries.values()]
    return tuple(
        (old, new, since)
        for old, (_code, new, since) in ed.stale_names.items()
        if since <= ed.year and not any(old in name for name in current)
    )


@lru_cache(maxsize=16)
def _stale_search(ed: Edition) -> Callable[[str], re.Match[str] | None]:
    """A search for any of the edition's old names (a cell holding none of them needs no further look)."""
    return re.compile("|".join(re.escape(old) for old, _new, _since in _stale_names(ed))).search


@lru_cache(maxsize=16)
def _text_cells(ed: Edition) -> Callable[[str, str, str], bool]:
    """Whether (table, row, column) is a free-text cell: a fixed table's by row and column, a list table's by
    column (computed once per edition)."""
    fixed: set[tuple[str, str, str]] = set()
    listed: set[tuple[str, str]] = set()
    for t in ed.tables:
        if t.kind == "fixed":
            fixed.update((t.id, r.id, c.key) for r in t.rows for c in t.columns if t.cell_type(r, c) == "text")
        else:
            listed.update((t.id, c.key) for c in t.columns if t.cell_type(None, c) == "text")
    return lambda table, row, col: (table, row, col) in fixed or (table, col) in listed
