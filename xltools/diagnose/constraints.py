"""The linear constraint system of a Book: every hard identity instance over the *input* cells.

Formula cells are replaced by the inputs they compute from (the template's intent, never a cached or pasted
value), list tables add their implicit identities (类 = Σ款 = Σ项 per unit; the 合计 row = Σ 类, by
substitution), and each constraint keeps the tolerance the rules compare it with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import KeysView
from dataclasses import dataclass, field
from decimal import Decimal

from .. import texts
from ..book import Book, Key
from ..edition import expr as ex
from ..edition.expr import Const, Expr, Side
from ..edition.formulas import formula_spec, is_formula, source_tables, total_columns
from ..edition.model import Identity
from ..findings import ERROR
from ..money import ZERO

Linear = dict[Key, Decimal]


@dataclass(frozen=True)
class Constraint:
    """lhs - rhs (op) 0 as coefficients over input cells plus a constant."""

    coeffs: tuple[tuple[Key, Decimal], ...]
    const: Decimal
    op: str  # == | <= | >=
    tol: Decimal
    check: str  # identity id, or "hierarchy" for a list table's 类/款/项 sums
    title: str
    tables: frozenset[str]
    index: dict[Key, Decimal] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", dict(self.coeffs))

    @property
    def cells(self) -> KeysView[Key]:
        return self.index.keys()

    def coeff(self, key: Key) -> Decimal:
        return self.index.get(key, ZERO)

    def value(self, values: dict[Key, Decimal]) -> Decimal:
        return self.const + sum((a * values.get(k, ZERO) for k, a in self.coeffs), ZERO)

    def holds(self, residual: Decimal) -> bool:
        return ex.compare(residual, self.op, ZERO, self.tol)


ONE: Key = ("", "", "")  # the constant term of a linear form


class _Builder:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.ed = book.edition
        self._memo: dict[Key, Linear] = {}

    def cell(self, table: str, row: str, col: str) -> Linear:
        """One cell as a linear form over input cells (a formula cell by what it computes)."""
        key = (table, row, col)
        if key in self._memo:
            return self._memo[key]
        t = self.ed.table(table)
        out: Linear = defaultdict(lambda: ZERO)
        if t.kind == "list" and row == "total":
            for r in self.book.top_rows(table):
                _add(out, self.cell(table, r, col))
        elif is_formula(self.ed, t, row, col) and (spec := formula_spec(self.ed, table, row, col)) is not None:
            _add(out, self.side(spec[1], row))
        else:
            out[key] = Decimal(1)
        self._memo[key] = dict(out)
        return self._memo[key]

    def side(self, side: Side, row: str) -> Linear:
        out: Linear = defaultdict(lambda: ZERO)
        for sign, term in side.terms:
            if isinstance(term, Const):
                out[ONE] += sign * term.value
                continue
            for r in self.book.ref_rows(term, row):
                _add(out, self.cell(term.table, r, term.col), sign)
        return out


def _add(out: Linear, lin: Linear, sign: int = 1) -> None:
    for k, a in lin.items():
        out[k] += sign * a


def _constraint(coeffs: Linear, op: str, tol: Decimal, check: str, title: str) -> Constraint | None:
    const = coeffs.pop(ONE, ZERO)
    items = tuple(sorted((k, a) for k, a in coeffs.items() if a != 0))
    if not items:
        return None
    return Constraint(items, const, op, tol, check, title, frozenset(k[0] for k, _ in items))


def _figures(book: Book, e: Expr, row: str) -> int:
    n = 0
    for ref in e.lhs.refs() + e.rhs.refs():
        if ref.kind == "cell" and ref.row == "total" and book.edition.table(ref.table).kind == "list":
            n += max(len(book.top_rows(ref.table)), 1)
        else:
            n += max(len(book.ref_rows(ref, row)), 1)
    return n


def _tolerance(book: Book, figures: int) -> Decimal:
    ed = book.edition
    return ed.tolerance_for(figures) if ed.tolerance_per_term else ed.tolerance


def _applies(book: Book, ident: Identity, e: Expr, row: str) -> bool:
    """The rules' own conditions: a missing sheet, a false `when`, or a blank 'not provided' reference."""
    refs = tuple(e.lhs.refs() + e.rhs.refs())
    if book.missing_tables and source_tables(book.edition, refs) & book.missing_tables:
        return False
    if ident.when is not None:
        w = ident.when
        wrefs = tuple(w.lhs.refs() + w.rhs.refs())
        if book.missing_tables and source_tables(book.edition, wrefs) & book.missing_tables:
            return False
        if any(book.is_blank(r) for r in wrefs):
            return False
        if not ex.compare(book.eval_side(w.lhs), w.op, book.eval_side(w.rhs), ZERO):
            return False
    return not any(book.is_blank(r, row) for r in refs)


def _make(b: _Builder, e: Expr, row: str, tol: Decimal, check: str, title: str) -> Constraint | None:
    coeffs: Linear = defaultdict(lambda: ZERO)
    _add(coeffs, b.side(e.lhs, row))
    _add(coeffs, b.side(e.rhs, row), -1)
    return _constraint(coeffs, e.op, tol, check, title)


def _identity_exprs(book: Book, ident: Identity) -> list[Expr]:
    if ident.each_rows:
        table = ident.each_rows.split(":", 1)[1]
        codes = sorted(c for c in {book.code(table, r) for r in book.rows(table)} if c.isdigit())
        return [ex.parse(ident.template.replace("{code}", c)) for c in codes]
    return [ident.expr] if ident.expr is not None else []


def build(book: Book) -> list[Constraint]:
    """Every hard (error-severity) identity instance that applies to this Book, and the list tables'
    hierarchy sums. `formula = true` identities are not constraints: they define the substitution."""
    b = _Builder(book)
    ed = book.edition
    out: list[Constraint] = []
    for ident in ed.identities:
        if ident.kind == "monotone" or ident.formula or ident.severity not in ("", ERROR):
            continue
        for e in _identity_exprs(book, ident):
            if ident.per_row:
                t = ed.table(ident.per_row)
                if t.id in book.missing_tables:
                    continue
                col = e.lhs.refs()[0].col
                rows = book.rows(t.id) if t.kind == "list" else [r.id for r in t.rows if r.side == t.column(col).side]
            else:
                rows = [""]
            for row in rows:
                if not _applies(book, ident, e, row):
                    continue
                c = _make(b, e, row, _tolerance(book, _figures(book, e, row)), ident.id, ident.title)
                if c is not None:
                    out.append(c)
    for t in ed.tables:
        if t.kind != "list" or not t.code_list or t.id in book.missing_tables:
            continue
        out.extend(_hierarchy(b, t.id))
    return out


def _hierarchy(b: _Builder, table: str) -> list[Constraint]:
    book, ed = b.book, b.ed
    t = ed.table(table)
    cl = ed.codes[t.code_list]
    by_unit: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in book.rows(table):
        code = book.code(table, row)
        if code:
            by_unit[book.unit_of_row(table, row)][code].append(row)
    out: list[Constraint] = []
    title = texts.text("diagnose.hierarchy_title", table=t.sheet.split(" ")[0])
    for codes in by_unit.values():
        for code, rows in codes.items():
            level = cl.level_of(code)
            if not 0 < level < len(cl.levels):
                continue
            children = [c for c in codes if cl.level_of(c) == level + 1 and cl.parent(c) == code]
            if not children:
                continue
            kid_rows = [r for c in children for r in codes[c]]
            tol = _tolerance(book, len(rows) + len(kid_rows))
            for col in total_columns(t):
                coeffs: Linear = defaultdict(lambda: ZERO)
                for r in rows:
                    _add(coeffs, b.cell(table, r, col))
                for r in kid_rows:
                    _add(coeffs, b.cell(table, r, col), -1)
                c = _constraint(coeffs, "==", tol, "hierarchy", title)
                if c is not None:
                    out.append(c)
    return out
