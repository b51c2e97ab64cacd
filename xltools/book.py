"""The flat model of a filled workbook: (table, row, column) -> Cell, with its sheet and A1 cell.

Totals are never taken on trust: ``amount`` recomputes every formula cell from the inputs,
following the edition's identities (the same declarations the template's formulas came from).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from .edition.expr import Const, Ref, Side
from .edition.formulas import _formula_sets, formula_cells, formula_spec, is_formula, row_ids, total_columns
from .edition.layout import table_layout
from .edition.model import Edition, Table
from .money import ZERO
from .tomlfile import tomllib

Key = tuple[str, str, str]

INPUT, FORMULA, CHANGED, OVERWRITTEN = "input", "formula", "formula-changed", "overwritten"
REFUSED = "refused"  # an input cell whose content the reader refused, with a finding there: blank to every check
_UNSET = object()  # not yet in the memo (None is a memoised amount)


_TOP = object()  # a list table's 合计 row: the sum of its top rows
_CONST, _ONE, _CUR, _MANY, _CODE = range(5)  # the kinds of a side's compiled terms (_program)


@dataclass(frozen=True)
class _EvalPlan:
    """What `Book.amount` needs to know about the edition's cells, worked out once per edition: the formula of
    each formula cell (its right-hand side's program, or _TOP), the per-row formulas of list tables by (table,
    column), and where a blank number cell means zero."""

    fixed: dict[Key, Any]
    per_row: dict[tuple[str, str], Program]
    zero_tables: frozenset[str]
    zero_numeric: frozenset[tuple[str, str]]


@lru_cache(maxsize=16)
def _plan(ed: Edition) -> _EvalPlan:
    fixed: dict[Key, Any] = {}
    per_row: dict[tuple[str, str], Program] = {}
    cells = formula_cells(ed)
    for t in ed.tables:
        rows_cols, per_row_cols = _formula_sets(ed, t.id)
        for r, c in rows_cols:
            if t.kind == "list" and r == "total":
                fixed[(t.id, r, c)] = _TOP
            else:
                spec = formula_spec(ed, t.id, r, c)
                if spec is not None:
                    fixed[(t.id, r, c)] = _program(ed, spec[1])
        if t.kind == "list":
            for c in per_row_cols:
                per_row[(t.id, c)] = _program(ed, cells[(t.id, "*", c)][1])
    zero = [t for t in ed.tables if t.blank == "zero"]
    return _EvalPlan(
        fixed,
        per_row,
        frozenset(t.id for t in zero),
        frozenset((t.id, c.key) for t in zero for c in t.columns if c.is_numeric),
    )


_ROWS: dict[tuple[int, int], tuple[Edition, Ref, tuple[str, ...]]] = {}


def _static_rows(ed: Edition, ref: Ref) -> tuple[str, ...]:
    """The fixed rows of a range or prefix reference (row_ids), once per edition and reference. Keyed by
    identity (hashing a Ref hashes its fields); both are kept in the entry so a recycled id() is never mistaken."""
    hit = _ROWS.get((id(ed), id(ref)))
    if hit is None or hit[0] is not ed or hit[1] is not ref:
        hit = _ROWS[(id(ed), id(ref))] = (ed, ref, tuple(row_ids(ed.table(ref.table), ref)))
    return hit[2]


Program = tuple[tuple[int, int, Any], ...]
_PROGRAMS: dict[tuple[int, int], tuple[Edition, Side, Program]] = {}


def _program(ed: Edition, side: Side) -> Program:
    """A side as (sign, kind, data) terms: a constant, one cell's key, the current row's (table, column), the
    keys of a range or prefix of fixed rows, or a code's (table, code, column). Once per edition and side."""
    hit = _PROGRAMS.get((id(ed), id(side)))
    if hit is None or hit[0] is not ed or hit[1] is not side:
        terms: list[tuple[int, int, Any]] = []
        for sign, term in side.terms:
            if isinstance(term, Const):
                terms.append((sign, _CONST, term.value))
            elif term.kind == "cell":
                terms.append((sign, _ONE, (term.table, term.row, term.col)))
            elif term.kind == "current":
                terms.append((sign, _CUR, (term.table, term.col)))
            elif term.kind == "code":
                terms.append((sign, _CODE, (term.table, term.row, term.col)))
            else:
                keys = tuple((term.table, r, term.col) for r in _static_rows(ed, term))
                terms.append((sign, _MANY, keys))
        hit = _PROGRAMS[(id(ed), id(side))] = (ed, side, tuple(terms))
    return hit[2]


@dataclass(slots=True)
class Cell:
    table: str
    row: str
    col: str
    sheet: str
    a1: str
    value: Decimal | str | None = None  # normalised value
    raw: Any = None  # what the workbook held
    state: str = INPUT  # input | formula | formula-changed | overwritten (a constant where a formula belongs)

    @property
    def amount(self) -> Decimal | None:
        return self.value if isinstance(self.value, Decimal) else None


@dataclass
class Book:
    edition: Edition
    path: str = ""
    cells: dict[Key, Cell] = field(default_factory=dict)
    list_rows: dict[str, list[str]] = field(default_factory=dict)  # present rows of list tables, in order
    missing_tables: set[str] = field(default_factory=set)
    _memo: dict[Key, Decimal | None] = field(default_factory=dict, repr=False)
    _codes: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)
    _figures: dict[str, Decimal | None] = field(default_factory=dict, repr=False)
    _top: dict[str, list[str]] = field(default_factory=dict, repr=False)
    stamp: dict[str, str] = field(default_factory=dict)  # the template's _xltools stamp as read (edition, marks)

    # ---- access ----
    def cell(self, table: str, row: str, col: str) -> Cell | None:
        return self.cells.get((table, row, col))

    def text(self, table: str, row: str, col: str) -> str:
        c = self.cells.get((table, row, col))
        if c is None or c.value is None:
            return ""
        return c.value if isinstance(c.value, str) else format(c.value, "f")

    def rows(self, table: str) -> list[str]:
        return self.list_rows.get(table, [])

    def code(self, table: str, row: str) -> str:
        return self.text(table, row, "code")

    def unit_of_row(self, table: str, row: str) -> str:
        return self.text(table, row, "unit")

    def is_empty(self, table: str) -> bool:
        """True when a table holds no non-zero amount (an empty table gets its 空表说明)."""
        t = self.edition.table(table)
        keys = self.rows(table) if t.kind == "list" else [r.id for r in t.rows]
        for r in keys:
            for c in t.columns:
                if c.type == "money" and self.amount(table, r, c.key) not in (None, ZERO):
                    return False
        return True

    # ---- evaluation ----
    def amount(self, table: str, row: str, col: str) -> Decimal | None:
        """The effective amount of a cell: the recomputed value for an intact formula, else the content."""
        key = (table, row, col)
        out = self._memo.get(key, _UNSET)
        if out is not _UNSET:
            return out  # type: ignore[return-value]
        c = self.cells.get(key)
        if c is not None and (
            c.state == INPUT or c.state == OVERWRITTEN or (c.state == CHANGED and isinstance(c.value, Decimal))
        ):
            out = c.value if isinstance(c.value, Decimal) else None
            if out is not None:  # a typed amount: the common case, no look at the edition
                self._memo[key] = out
                return out
            plan = _plan(self.edition)
        else:
            plan = _plan(self.edition)
            spec = plan.fixed.get(key)
            if spec is None and row != "total":
                spec = plan.per_row.get((table, col))
            if spec is _TOP:
                out = self._top_sum(table, col)
            elif spec is not None:
                out = self._run(spec, row)
            else:
                out = c.value if c is not None and isinstance(c.value, Decimal) else None
        if out is None and not (c is not None and isinstance(c.value, str)) and table in plan.zero_tables:
            out = ZERO if (table, col) in plan.zero_numeric else None
        self._memo[key] = out
        return out

    def computed(self, table: str, row: str, col: str) -> Decimal:
        """What a formula cell should hold, from its inputs (never from a cached value)."""
        if self.edition.table(table).kind == "list" and row == "total":
            return self._top_sum(table, col)
        spec = formula_spec(self.edition, table, row, col)
        if spec is None:
            return self.amount(table, row, col) or ZERO
        return self.eval_side(spec[1], row)

    def _top_sum(self, table: str, col: str) -> Decimal:
        total = ZERO  # summed from zero in order, as sum() would
        for r in self.top_rows(table):
            total = total + (self.amount(table, r, col) or ZERO)
        return total

    def top_rows(self, table: str) -> list[str]:
        """Rows summed into the 合计 row: the 类 rows of a coded table, else every row."""
        got = self._top.get(table)
        if got is None:
            t = self.edition.table(table)
            got = self.rows(table)
            if t.code_list:
                top = self.edition.codes[t.code_list].levels[0]
                got = [r for r in got if len(self.code(table, r)) == top]
            self._top[table] = got
        return got

    def rows_with_code(self, table: str, code: str) -> list[str]:
        index = self._codes.get(table)
        if index is None:
            index = {}
            for r in self.rows(table):
                index.setdefault(self.code(table, r), []).append(r)
            self._codes[table] = index
        return index.get(code, [])

    def ref_rows(self, ref: Ref, row: str = "") -> list[str]:
        """The rows a reference covers (for sums and for naming cells in findings)."""
        if ref.kind == "current":
            return [row]
        if ref.kind == "cell":
            return [ref.row]
        if ref.kind == "code":
            return self.rows_with_code(ref.table, ref.row)
        return list(_static_rows(self.edition, ref))

    def eval_ref(self, ref: Ref, row: str = "") -> Decimal:
        kind = ref.kind
        if kind == "cell" or kind == "current":  # one cell, the common case: the very sum, without a generator
            return ZERO + (self.amount(ref.table, ref.row if kind == "cell" else row, ref.col) or ZERO)
        rows = self.ref_rows(ref, row)
        if len(rows) == 1:
            return ZERO + (self.amount(ref.table, rows[0], ref.col) or ZERO)
        return sum((self.amount(ref.table, r, ref.col) or ZERO for r in rows), ZERO)

    def eval_side(self, side: Side, row: str = "") -> Decimal:
        """The side's value: its program (_program, once per edition and side) read over the memo. The very
        Decimal operations of summing each reference from zero, in order, then adding or subtracting it."""
        return self._run(_program(self.edition, side), row)

    def _run(self, program: Program, row: str) -> Decimal:
        memo, amount = self._memo, self.amount
        total = ZERO
        for sign, kind, data in program:
            if kind == _CONST:
                value = data
            elif kind == _ONE or kind == _CUR:
                key = data if kind == _ONE else (data[0], row, data[1])
                a = memo.get(key, _UNSET)
                if a is _UNSET:
                    a = amount(*key)
                value = ZERO + (a or ZERO)
            else:
                if kind == _CODE:
                    table, code, col = data
                    keys = [(table, r, col) for r in self.rows_with_code(table, code)]
                else:
                    keys = data
                value = ZERO
                for key in keys:
                    a = memo.get(key, _UNSET)
                    if a is _UNSET:
                        a = amount(*key)
                    value = value + (a or ZERO)
            # Added or subtracted, not multiplied by the sign: the same exact result (amounts have far fewer
            # than the context's 28 digits) without converting the sign to a Decimal for every term.
            total = total + value if sign > 0 else total - value
        return total

    def is_blank(self, ref: Ref, row: str = "") -> bool:
        """A reference to cells that are all unfilled where blank means 'not provided'."""
        t = self.edition.table(ref.table)
        if t.blank != "none":
            return False
        return all(self.amount(ref.table, r, ref.col) is None for r in self.ref_rows(ref, row))

    # ---- what the tables mean (figures.toml) ----
    def figure(self, figure_id: str) -> Decimal | None:
        """A named figure's value; None when it is not provided (every cell blank where blank means
        'not provided', e.g. an unfilled 上年数)."""
        if figure_id in self._figures:
            return self._figures[figure_id]
        f = self.edition.figure(figure_id)
        refs = f.refs
        out = None if refs and all(self.is_blank(r) for r in refs) else self.eval_side(f.side)
        self._figures[figure_id] = out
        return out

    def figures(self) -> dict[str, Decimal | None]:
        """Every named figure of the edition, in declaration order."""
        return {f.id: self.figure(f.id) for f in self.edition.figures}

    def text_cell(self, text_id: str) -> str:
        """A named text cell as text, stripped ('' when blank)."""
        t = self.edition.text_cell(text_id)
        return self.text(t.table, t.row, t.col).strip()

    def code_name(self, table: str, row: str) -> str:
        """The 科目名称 the clerk typed, else the code list's name for the row's code (the template's
        automatic name is a formula whose cached value is never trusted)."""
        t = self.edition.table(table)
        col = next((c for c in t.columns if c.type == "name"), None)
        cell = self.cell(table, row, col.key) if col is not None else None
        if cell is not None and isinstance(cell.value, str) and cell.value.strip():
            return cell.value.strip()
        entry = self.edition.codes[t.code_list].entries.get(self.code(table, row)) if t.code_list else None
        return entry.name if entry else ""

    def records(self, name: str) -> list[dict[str, Any]]:
        """A named record set: one dict per present row of a list table (every row of a fixed one, with
        its id and label), amounts as Decimal (0 for a blank amount, None for a blank percentage or a
        column that does not apply to the row), texts as str; children attached by their ref column."""
        rs = self.edition.record_set(name)
        t = self.edition.table(rs.table)
        codes = self.edition.codes.get(t.code_list) if t.code_list else None
        fixed = t.kind == "fixed"
        out = []
        for r in [row.id for row in t.rows] if fixed else self.rows(t.id):
            rec: dict[str, Any] = {"row": r}
            na: tuple[str, ...] = ()
            if fixed:
                row = t.row(r)
                rec.update(id=r, label=row.label)
                na = row.na
            for c in t.columns:
                if c.type == "label":
                    continue
                if c.key in na:
                    rec[c.key] = None
                elif c.type in ("money", "number"):
                    rec[c.key] = self.amount(t.id, r, c.key) or ZERO
                elif c.type == "percent":
                    rec[c.key] = self.amount(t.id, r, c.key)
                elif c.type == "name":
                    rec[c.key] = self.code_name(t.id, r)
                else:
                    rec[c.key] = self.text(t.id, r, c.key).strip()
            if codes is not None:
                rec["code_level"] = codes.level_of(self.code(t.id, r))
            out.append(rec)
        for key, child in rs.children:
            ct = self.edition.table(self.edition.record_set(child).table)
            link = next(c for c in ct.columns if c.ref.partition(".")[0] == t.id)
            target = link.ref.partition(".")[2]
            kids = self.records(child)
            for rec in out:
                rec[key] = [k for k in kids if k[link.key] == rec[target]]
        return out


# ---- building a Book from plain data (examples, tests, benchmarks, the template writer) ----

Data = Mapping[str, Any]  # {table: {row: {col: value}}} for fixed tables, {table: [{col: value}]} for lists


@dataclass(frozen=True)
class Pasted:
    """A constant typed or pasted over a formula cell (tests, mutation suite): the writer writes the
    value instead of the template's formula, as a clerk's paste would."""

    value: Any


def _value(v: Any) -> Decimal | str | None:
    if isinstance(v, Pasted):
        return _value(v.value)
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, Decimal)):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    return str(v)


def iter_data_cells(ed: Edition, data: Data) -> Iterator[tuple[Table, str, str, Any]]:
    """Every (table, row key, column, value) of plain data, list rows keyed r0, r1, …"""
    for t in ed.tables:
        part = data.get(t.id)
        if part is None:
            continue
        if t.kind == "list":
            if len(part) > t.rows_max:
                raise ValueError(f"{t.id}: {len(part)} rows > rows_max {t.rows_max}")
            for i, rec in enumerate(part):
                for col, v in rec.items():
                    t.column(col)
                    yield t, f"r{i}", col, v
        else:
            for row, rec in part.items():
                t.row(row)
                for col, v in rec.items():
                    t.column(col)
                    yield t, row, col, v


def book_from_data(ed: Edition, data: Data, path: str = "") -> Book:
    book = Book(ed, path)
    for t in ed.tables:
        lay = table_layout(ed, t.id)
        if t.kind == "list":
            book.list_rows[t.id] = [f"r{i}" for i in range(len(data.get(t.id, [])))]
            for col in total_columns(t) if t.total_row else []:
                book.cells[(t.id, "total", col)] = Cell(
                    t.id, "total", col, t.sheet, lay.cell("total", col), state=FORMULA
                )
        else:
            for r in t.rows:
                for c in t.value_columns(r.side):
                    state = FORMULA if is_formula(ed, t, r.id, c.key) else INPUT
                    book.cells[(t.id, r.id, c.key)] = Cell(
                        t.id, r.id, c.key, t.sheet, lay.cell(r.id, c.key), state=state
                    )
    for t, row, col, v in iter_data_cells(ed, data):
        lay = table_layout(ed, t.id)
        state = FORMULA if is_formula(ed, t, row, col) else INPUT
        if isinstance(v, Pasted):
            state = OVERWRITTEN if state == FORMULA else INPUT
        book.cells[(t.id, row, col)] = Cell(t.id, row, col, t.sheet, lay.cell(row, col), _value(v), v, state)
    for t in ed.tables:
        if t.kind == "list":
            for row in book.list_rows[t.id]:
                for col in t.columns:
                    if (t.id, row, col.key) not in book.cells and is_formula(ed, t, row, col.key):
                        book.cells[(t.id, row, col.key)] = Cell(
                            t.id, row, col.key, t.sheet, table_layout(ed, t.id).cell(row, col.key), state=FORMULA
                        )
    return book


def load_data_file(path: str | Path) -> dict[str, Any]:
    """Plain data from a TOML file (the bundled example is one)."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)
