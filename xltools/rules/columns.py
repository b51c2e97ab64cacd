"""pandera schemas derived from the edition, one per list table: required cells, ranges, code and
enumeration membership, patterns and uniqueness. Failures map back to (sheet, A1) through the Book."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..book import Book
from ..cells import parse_a1
from ..edition.model import Edition, Table
from .finding import ERROR, Finding, finding


def _is_neg(v: Any) -> bool:
    return isinstance(v, Decimal) and v < 0


def schema_for(ed: Edition, t: Table) -> Any:
    import pandera.pandas as pa

    cols: dict[str, Any] = {}
    for c in t.columns:
        checks = []
        if c.type == "money":
            checks.append(pa.Check(lambda s: ~s.map(_is_neg), name="cell.negative"))
        elif c.type == "number":
            checks.append(pa.Check(lambda s: ~s.map(_is_neg), name="cell.negative"))
        elif c.type == "percent":
            checks.append(pa.Check(lambda s: s.map(lambda v: not isinstance(v, Decimal) or 0 <= v <= 100),
                                   name="table.plan-range"))
        elif c.type == "code" and t.code_list:
            known = frozenset(ed.codes[t.code_list].entries)
            checks.append(pa.Check(lambda s, known=known: s.map(lambda v: v is None or v in known),
                                   name="cell.code-not-in-list"))
        elif c.type == "enum" and c.strict and c.enum:
            allowed = frozenset(ed.enums[c.enum])
            checks.append(pa.Check(lambda s, a=allowed: s.map(lambda v: v is None or v in a), name="cell.not-in-list"))
        if c.pattern:
            rx = re.compile(c.pattern)
            checks.append(pa.Check(lambda s, rx=rx: s.map(lambda v: v is None or bool(rx.match(str(v)))),
                                   name="cell.bad-pattern"))
        cols[c.key] = pa.Column(None, checks, nullable=c.required != "error", unique=c.unique, required=True)
    return pa.DataFrameSchema(cols, strict=True, coerce=False, name=t.id)


def frame_for(book: Book, t: Table) -> Any:
    import pandas as pd

    rows = book.rows(t.id)
    data = {c.key: [_v(book, t, r, c.key) for r in rows] for c in t.columns}
    return pd.DataFrame(data, index=pd.Index(rows, dtype=object), dtype=object)


def _v(book: Book, t: Table, row: str, col: str) -> Any:
    cell = book.cell(t.id, row, col)
    if cell is None:
        return None
    if t.column(col).is_numeric:
        return book.amount(t.id, row, col) if cell.value is not None or cell.state != "input" else None
    return cell.value


_CHECK_RULE = {"not_nullable": "cell.required", "field_uniqueness": "cell.duplicate"}


def check_columns(book: Book, t: Table) -> list[Finding]:
    """Run the table's pandera schema over its rows and turn failure cases into findings."""
    import pandera.pandas as pa

    if not book.rows(t.id):
        return []
    try:
        schema_for_cached(book.edition, t).validate(frame_for(book, t), lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for rec in cases.to_dict("records"):
        col, check, row = rec.get("column"), str(rec.get("check")), rec.get("index")
        if col is None or row is None or not isinstance(row, str):
            continue
        rule = _CHECK_RULE.get(check, check)
        if (rule, row, col) in seen:
            continue
        seen.add((rule, row, col))
        cell = book.cell(t.id, row, col)
        if cell is None:
            continue
        c = t.column(col)
        params: dict[str, Any] = {"label": f"“{c.title}”", "raw": _show(cell.value)}
        sev = ERROR
        if rule == "cell.code-not-in-list":
            params.update(code=cell.value, year=book.edition.year, list_title=book.edition.codes[t.code_list].title)
            if isinstance(cell.value, str) and not _code_format_ok(book.edition, t, cell.value):
                rule = "cell.code-format"
                params["lengths"] = "/".join(map(str, book.edition.codes[t.code_list].levels))
        elif rule == "cell.not-in-list":
            params["allowed"] = "、".join(book.edition.enums[c.enum])
        elif rule == "table.plan-range":
            params["actual"] = cell.value
        elif rule == "cell.duplicate":
            others = [r for r in book.rows(t.id) if r != row and book.cell(t.id, r, col) is not None
                      and book.cell(t.id, r, col).value == cell.value]  # type: ignore[union-attr]
            first = min([row, *others], key=lambda k: int(k[1:]))
            if row == first:
                continue
            params["other_row"] = parse_a1(book.cell(t.id, first, col).a1)[0]  # type: ignore[union-attr]
        elif rule == "cell.bad-pattern":
            params["pattern_hint"] = "请按要求的格式填写。"
        elif rule == "cell.negative":
            sev = ERROR
        out.append(finding(rule, sev, t.sheet, cell.a1, table=t.id, **params))
    return out


def _code_format_ok(ed: Edition, t: Table, code: str) -> bool:
    return code.isdigit() and len(code) in ed.codes[t.code_list].levels


def _show(v: Any) -> str:
    if v is None:
        return ""
    return format(v, "f") if isinstance(v, Decimal) else str(v)


_SCHEMAS: dict[tuple[int, str], Any] = {}


def schema_for_cached(ed: Edition, t: Table) -> Any:
    key = (id(ed), t.id)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = schema_for(ed, t)
    return _SCHEMAS[key]
