"""Value checks declared by the edition: required cells, signs, ranges, code and enumeration membership,
patterns and uniqueness, for a list table's columns and a fixed table's cells.

A list table's checks are derived once per edition (`column_checks`) and run on two backends:
`check_columns` evaluates them in plain Python (a single workbook: no pandas import, so `xltools validate`
starts fast); pandera runs the same list as a DataFrameSchema, over one workbook's table (`pandera_schema`,
`check_columns(engine="pandera")`) or over a table stacked across workbooks (`stacked_schema`,
`stacked_findings`), which the merge runs over its included departments (merge/county.py). Tests keep the
backends' findings identical (tests/robustness/test_valid.py, tests/test_county.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..book import INPUT, Book
from ..cells import parse_a1
from ..edition.layout import table_layout
from ..edition.model import Column, Edition, Row, Table
from ..findings import ERROR, Finding, finding
from .labels import cell_label, quoted

RULES = (
    "cell.required",
    "cell.negative",
    "cell.not-in-list",
    "cell.bad-pattern",
    "cell.code-not-in-list",
    "cell.code-format",
    "cell.duplicate",
    "table.plan-range",
)


def check(book: Book) -> Iterator[Finding]:
    for t in book.edition.tables:
        if t.id in book.missing_tables:
            continue
        if t.kind == "fixed":
            yield from check_fixed(book, t)
        else:
            yield from check_columns(book, t)


@dataclass(frozen=True)
class ColumnCheck:
    column: str
    rule: str  # the finding's rule id, also the pandera Check name
    ok: Callable[[Any], bool]  # value -> passes (None is never passed: blanks are the 'required' check)


def _non_negative(v: Any) -> bool:
    return not (isinstance(v, Decimal) and v < 0)


def _percent(v: Any) -> bool:
    return not isinstance(v, Decimal) or 0 <= v <= 100


@lru_cache(maxsize=128)
def column_checks(ed: Edition, table_id: str) -> tuple[ColumnCheck, ...]:
    t = ed.table(table_id)
    out: list[ColumnCheck] = []
    for c in t.columns:
        if c.type in ("money", "number"):
            out.append(ColumnCheck(c.key, "cell.negative", _non_negative))
        elif c.type == "percent":
            out.append(ColumnCheck(c.key, "table.plan-range", _percent))
        elif c.type == "code" and t.code_list:
            out.append(ColumnCheck(c.key, "cell.code-not-in-list", ed.codes[t.code_list].accepts))
        elif c.type == "enum" and c.strict and c.enum:
            allowed = frozenset(ed.enums[c.enum])
            out.append(ColumnCheck(c.key, "cell.not-in-list", allowed.__contains__))
        if c.pattern:
            rx = re.compile(c.pattern)
            out.append(ColumnCheck(c.key, "cell.bad-pattern", lambda v, rx=rx: bool(rx.match(str(v)))))
    return tuple(out)


def value(book: Book, t: Table, row: str, col: str) -> Any:
    """The value a column check sees: a numeric cell's effective amount (a formula recomputed), else the cell's."""
    return _value(book, t, row, col)


def _value(book: Book, t: Table, row: str, col: str) -> Any:
    cell = book.cell(t.id, row, col)
    if cell is None:
        return None
    if t.column(col).is_numeric and cell.state != INPUT:
        return book.amount(t.id, row, col)
    return cell.value


def failures(book: Book, t: Table) -> list[tuple[str, str, str]]:
    """(rule, row, column) of every failing cell, plain-Python backend (check_columns sorts them)."""
    rows = book.rows(t.id)
    plan, unique = _row_plan(book.edition, t.id)
    cells, tid, amount = book.cells, t.id, book.amount
    out: list[tuple[str, str, str]] = []
    for row in rows:
        for key, numeric, required, checks in plan:  # _value, inlined: each checked cell of each row read once
            cell = cells.get((tid, row, key))
            v = None if cell is None else amount(tid, row, key) if numeric and cell.state != INPUT else cell.value
            if v is None:
                if required:
                    out.append(("cell.required", row, key))
                continue
            for ok, rule in checks:
                if not ok(v):
                    out.append((rule, row, key))
    for key in unique:
        seen: set[Any] = set()
        for row in rows:
            v = _value(book, t, row, key)
            if v is not None and v in seen:
                out.append(("cell.duplicate", row, key))
            seen.add(v)
    return out


@lru_cache(maxsize=128)
def _row_plan(
    ed: Edition, table_id: str
) -> tuple[tuple[tuple[str, bool, bool, tuple[tuple[Callable[[Any], bool], str], ...]], ...], tuple[str, ...]]:
    """(column, numeric?, required?, its (check, rule) pairs) of each column a present row is checked on, and the
    unique columns: _failure_plan by column, once per edition."""
    required, checks, unique = _failure_plan(ed, table_id)
    t = ed.table(table_id)
    need = {key for key, _ in required}
    out = []
    for c in t.columns:
        mine = tuple((ok, rule) for key, _numeric, ok, rule in checks if key == c.key)
        if c.key in need or mine:
            out.append((c.key, c.is_numeric, c.key in need, mine))
    return tuple(out), unique


@lru_cache(maxsize=128)
def _failure_plan(
    ed: Edition, table_id: str
) -> tuple[tuple[tuple[str, bool], ...], tuple[tuple[str, bool, Callable[[Any], bool], str], ...], tuple[str, ...]]:
    """(required columns, column checks, unique columns) of a list table, each column with whether it is
    numeric: computed once per edition, not on every cell."""
    t = ed.table(table_id)
    return (
        tuple((c.key, c.is_numeric) for c in _required(t)),
        tuple((chk.column, t.column(chk.column).is_numeric, chk.ok, chk.rule) for chk in column_checks(ed, table_id)),
        tuple(c.key for c in t.columns if c.unique),
    )


def required_columns(t: Table) -> tuple[Any, ...]:
    return _required(t)


def _required(t: Table) -> tuple[Any, ...]:
    """Columns a present row must fill: those declared required, and a coded table's code (a row of
    amounts without its 科目 cannot be placed in any classification)."""
    return tuple(c for c in t.columns if c.required == "error" or (c.type == "code" and t.code_list))


def pandera_schema(ed: Edition, table_id: str) -> Any:
    """The same checks as a pandera schema (lazy import: pandas and pandera cost ~0.4 s to import)."""
    import pandera.pandas as pa

    t = ed.table(table_id)
    checks: dict[str, list[Any]] = {c.key: [] for c in t.columns}
    for chk in column_checks(ed, table_id):
        checks[chk.column].append(pa.Check(lambda s, ok=chk.ok: s.map(lambda v: v is None or ok(v)), name=chk.rule))
    required = {c.key for c in _required(t)}
    cols = {c.key: pa.Column(None, checks[c.key], nullable=c.key not in required, unique=c.unique) for c in t.columns}
    return pa.DataFrameSchema(cols, strict=False, coerce=False, name=table_id)


def frame_for(book: Book, t: Table) -> Any:
    import pandas as pd

    rows = book.rows(t.id)
    data = {c.key: [_value(book, t, r, c.key) for r in rows] for c in t.columns}
    return pd.DataFrame(data, index=pd.Index(rows, dtype=object), dtype=object)


_PANDERA_RULE = {"not_nullable": "cell.required", "field_uniqueness": "cell.duplicate"}


def failures_pandera(book: Book, t: Table) -> list[tuple[str, str, str]]:
    import pandera.pandas as pa

    if not book.rows(t.id):
        return []
    try:
        pandera_schema(book.edition, t.id).validate(frame_for(book, t), lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    out = []
    for rec in cases.to_dict("records"):
        col, row = rec.get("column"), rec.get("index")
        if isinstance(col, str) and isinstance(row, str):
            out.append((_PANDERA_RULE.get(str(rec.get("check")), str(rec.get("check"))), row, col))
    return out


@lru_cache(maxsize=128)
def stacked_schema(ed: Edition, table_id: str, file_col: str) -> Any:
    """The same checks as a pandera schema over a table stacked across workbooks (a column `file_col` names
    each row's workbook): uniqueness holds within each workbook, as in `failures`."""
    import pandera.pandas as pa

    t = ed.table(table_id)
    checks: dict[str, list[Any]] = {c.key: [] for c in t.columns}
    for chk in column_checks(ed, table_id):
        checks[chk.column].append(pa.Check(lambda s, ok=chk.ok: s.map(lambda v: v is None or ok(v)), name=chk.rule))
    required = {c.key for c in _required(t)}
    cols = {c.key: pa.Column(None, checks[c.key], nullable=c.key not in required) for c in t.columns}
    # unique within each workbook: a later occurrence of a value in the same file (as the per-file check)
    unique = [
        pa.Check(lambda df, k=c.key: ~(df.duplicated([file_col, k]) & df[k].notna()), name=f"cell.duplicate:{c.key}")
        for c in t.columns
        if c.unique
    ]
    return pa.DataFrameSchema(cols, checks=unique, strict=False, coerce=False, name=table_id)


def stacked_failures(ed: Edition, t: Table, frame: Any, file_col: str, row_col: str) -> list[tuple[str, str, str, str]]:
    """(file, rule, row, column) of every failing cell of a stacked frame (`row_col` holds the row ids)."""
    import pandera.pandas as pa

    if frame.empty:
        return []
    try:
        stacked_schema(ed, t.id, file_col).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    out = set()
    for rec in cases.to_dict("records"):
        check = str(rec.get("check"))
        try:
            index = int(rec.get("index"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if check.startswith("cell.duplicate:"):
            rule, col = "cell.duplicate", check.split(":", 1)[1]
        else:
            rule, col = _PANDERA_RULE.get(check, check), str(rec.get("column"))
        out.add((frame.at[index, file_col], rule, frame.at[index, row_col], col))
    return sorted(out, key=lambda f: (f[0], int(f[2][1:]), f[3], f[1]))


def stacked_findings(ed: Edition, t: Table, frame: Any, file_col: str, row_col: str) -> list[tuple[str, Finding]]:
    """(file, finding) of every failing cell of a stacked frame: the findings each file's own column checks
    give (check_columns), placed by the layout."""
    lay = table_layout(ed, t.id)
    out = []
    for path, rule, row, col in stacked_failures(ed, t, frame, file_col, row_col):
        mine = frame[frame[file_col] == path]
        v = mine.loc[mine[row_col] == row, col].iloc[0]
        first = ""
        if rule == "cell.duplicate":
            first = lay.cell(mine.loc[mine[col] == v, row_col].iloc[0], col)
        out.append((path, column_finding(ed, t, rule, col, v, lay.cell(row, col), first)))
    return out


def check_columns(book: Book, t: Table, engine: str = "python") -> list[Finding]:
    fails = failures_pandera(book, t) if engine == "pandera" else failures(book, t)
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for rule, row, col in sorted(fails, key=lambda f: (int(f[1][1:]), f[2], f[0])):
        if (rule, row, col) in seen:
            continue
        seen.add((rule, row, col))
        f = _finding(book, t, rule, row, col)
        if f is not None:
            out.append(f)
    return out


def _finding(book: Book, t: Table, rule: str, row: str, col: str) -> Finding | None:
    cell = book.cell(t.id, row, col)
    if cell is None:
        return None
    v = _value(book, t, row, col)
    other = ""
    if rule == "cell.duplicate":
        first = next(r for r in book.rows(t.id) if _value(book, t, r, col) == v)
        other = book.cell(t.id, first, col).a1  # type: ignore[union-attr]
    return column_finding(book.edition, t, rule, col, v, cell.a1, other)


def column_finding(ed: Edition, t: Table, rule: str, col: str, v: Any, a1: str, first_a1: str = "") -> Finding:
    """The finding of one failing list-table cell, from its value alone (so a table stacked across workbooks
    gives the very findings of each workbook; `first_a1` is a duplicate's first occurrence)."""
    c = t.column(col)
    params: dict[str, Any] = {
        "label": quoted(c.title),
        "raw": "" if v is None else (format(v, "f") if isinstance(v, Decimal) else str(v)),
    }
    if rule == "cell.code-not-in-list":
        params.update(code=v, year=ed.year, list_title=ed.codes[t.code_list].title)
        if isinstance(v, str) and not (v.isdigit() and len(v) in ed.codes[t.code_list].levels):
            rule = "cell.code-format"
            params["lengths"] = "/".join(map(str, ed.codes[t.code_list].levels))
    elif rule == "cell.not-in-list":
        params["allowed"] = "、".join(ed.enums[c.enum])
    elif rule == "table.plan-range":
        params["actual"] = v
    elif rule == "cell.bad-pattern" and c.pattern_hint:
        params["hint"] = c.pattern_hint
    elif rule == "cell.duplicate":
        params["other_row"] = parse_a1(first_a1)[0]
    return finding(rule, ERROR, t.sheet, a1, table=t.id, **params)


def check_fixed(book: Book, t: Table) -> Iterator[Finding]:
    """A fixed table's input cells against the type of their row or column (a form's rows carry their own)."""
    ed = book.edition
    cells = book.cells
    for r, c, ctype in _fixed_plan(ed, t.id):
        cell = cells.get((t.id, r.id, c.key))
        if cell is None or cell.state != INPUT:
            continue
        required = r.required or c.required
        v = cell.value
        if v is None:
            if required in ("error", "warning") and ctype not in ("money", "number"):
                label = cell_label(ed, t.id, r.id, c.key)
                yield finding("cell.required", required, t.sheet, cell.a1, table=t.id, label=label)
            continue
        if ctype in ("money", "number") and isinstance(v, Decimal) and v < 0:
            label = cell_label(ed, t.id, r.id, c.key)
            yield finding("cell.negative", ERROR, t.sheet, cell.a1, table=t.id, label=label, raw=format(v, "f"))
        enum = r.enum or c.enum
        if ctype == "enum" and enum and str(v) not in ed.enums[enum]:
            yield finding(
                "cell.not-in-list",
                ERROR,
                t.sheet,
                cell.a1,
                table=t.id,
                label=cell_label(ed, t.id, r.id, c.key),
                raw=v,
                allowed="、".join(ed.enums[enum]),
            )
        pattern = r.pattern or c.pattern
        if pattern and not re.match(pattern, str(v)):
            hint = r.pattern_hint or c.pattern_hint
            yield finding(
                "cell.bad-pattern",
                ERROR,
                t.sheet,
                cell.a1,
                table=t.id,
                label=cell_label(ed, t.id, r.id, c.key),
                raw=v,
                pattern_hint="default",
                **({"hint": hint} if hint else {}),
            )


@lru_cache(maxsize=256)
def _fixed_plan(ed: Edition, table_id: str) -> tuple[tuple[Row, Column, str], ...]:
    """(row, column, cell type) of every value cell of a fixed table that applies to its row (once per edition)."""
    t = ed.table(table_id)
    return tuple((r, c, t.cell_type(r, c)) for r in t.rows for c in t.value_columns(r.side) if c.key not in r.na)
