"""Totals: the edition's identities (spec §3.1 and §3.2) evaluated over a Book, recomputing every total,
a list table's 合计 row, and the 支出计划 sequences."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from .. import texts
from ..book import CHANGED, FORMULA, OVERWRITTEN, Book
from ..edition import expr as ex
from ..edition.expr import Expr, Ref
from ..edition.formulas import source_tables, total_columns
from ..edition.layout import table_layout
from ..edition.model import Edition, Identity, Table
from ..findings import ERROR, WARNING, Finding, finding
from ..money import ZERO
from .labels import cell_label, quoted, relation, side_label
from .printed import differs, holds

RULES = (
    "table.sum-of-parts",
    "table.not-exceed",
    "cross.totals-agree",
    "cross.not-exceed",
    "table.column-total",
    "cell.formula-overwritten",
    "table.plan-monotone",
    "table.plan-final",
)


def check(book: Book) -> Iterator[Finding]:
    for t in book.edition.tables:
        if t.kind == "list" and t.total_row and t.id not in book.missing_tables:
            yield from check_total_row(book, t)
    yield from check_identities(book)


_PLANS: dict[int, tuple[Expr, tuple[Ref, ...], tuple[Ref, ...]]] = {}


def _plan(e: Expr) -> tuple[tuple[Ref, ...], tuple[Ref, ...]]:
    """(every reference, the left side's references) of an expression, listed once per expression rather than
    on every check of every row. Keyed by identity (hashing a parsed expression hashes all its terms); the
    expression is kept in the entry so a recycled id() is never mistaken for it."""
    hit = _PLANS.get(id(e))
    if hit is None or hit[0] is not e:
        lhs = tuple(e.lhs.refs())
        hit = _PLANS[id(e)] = (e, lhs + tuple(e.rhs.refs()), lhs)
    return hit[1], hit[2]


def _refs(e: Expr) -> tuple[Ref, ...]:
    return _plan(e)[0]


def _tables(e: Expr) -> set[str]:
    return {r.table for r in _refs(e)}


def _anchor(book: Book, ref: Ref, row: str) -> tuple[str, str, str]:
    """(sheet, A1, table) of the cell a finding about this reference points at."""
    t = book.edition.table(ref.table)
    rows = book.ref_rows(ref, row)
    if rows:
        cell = book.cell(ref.table, rows[0], ref.col)
        if cell is not None:
            return t.sheet, cell.a1, t.id
        try:
            return t.sheet, table_layout(book.edition, t.id).cell(rows[0], ref.col), t.id
        except KeyError:
            pass
    return t.sheet, "A1", t.id


def _applies(book: Book, ident: Identity, e: Expr, row: str) -> bool:
    if book.missing_tables and source_tables(book.edition, _refs(e)) & book.missing_tables:
        return False
    if ident.when is not None:
        if book.missing_tables and source_tables(book.edition, _refs(ident.when)) & book.missing_tables:
            return False
        if any(book.is_blank(r) for r in _refs(ident.when)):
            return False
        if not ex.compare(book.eval_side(ident.when.lhs), ident.when.op, book.eval_side(ident.when.rhs), Decimal(0)):
            return False
    return not any(book.is_blank(r, row) for r in _maybe_blank(book.edition, e))


_MAYBE_BLANK: dict[tuple[int, int], tuple[Edition, Expr, tuple[Ref, ...]]] = {}


def _maybe_blank(ed: Edition, e: Expr) -> tuple[Ref, ...]:
    """The references of an expression into tables where a blank means 'not provided' (Book.is_blank is False
    for every other), once per edition and expression; both kept in the entry, as in _plan."""
    hit = _MAYBE_BLANK.get((id(ed), id(e)))
    if hit is None or hit[0] is not ed or hit[1] is not e:
        refs = tuple(r for r in _refs(e) if ed.table(r.table).blank == "none")
        hit = _MAYBE_BLANK[(id(ed), id(e))] = (ed, e, refs)
    return hit[2]


def _figures(book: Book, e: Expr, row: str) -> int:
    """How many rounded figures a comparison involves (a list table's 合计 row counts its top rows)."""
    n = 0
    for ref in _refs(e):
        if ref.kind == "cell" and ref.row == "total" and book.edition.table(ref.table).kind == "list":
            n += max(len(book.top_rows(ref.table)), 1)
        else:
            n += max(len(book.ref_rows(ref, row)), 1)
    return n


def _tolerance(book: Book, e: Expr, row: str) -> Decimal:
    ed = book.edition
    return ed.tolerance_for(_figures(book, e, row)) if ed.tolerance_per_term else ed.tolerance


def _check_one(book: Book, ident: Identity, e: Expr, row: str = "") -> Iterator[Finding]:
    lhs_refs = _plan(e)[1]
    lhs_ref = lhs_refs[0] if lhs_refs else None
    if ident.formula and lhs_ref is not None:
        r = row if lhs_ref.kind == "current" else lhs_ref.row
        cell = book.cell(lhs_ref.table, r, lhs_ref.col)
        if cell is None or cell.state == FORMULA or (cell.state == CHANGED and cell.amount is None):
            return  # an intact template formula holds by construction (a changed one was reported on reading)
    if not _applies(book, ident, e, row):
        return
    if ident.formula and lhs_ref is not None:
        actual = cell.amount if cell.amount is not None else Decimal(0)
        expected = book.eval_side(e.rhs, row)
        if holds(book.edition, actual, "==", expected, _tolerance(book, e, row)):
            if cell.state == OVERWRITTEN and cell.value is not None:
                yield finding(
                    "cell.formula-overwritten",
                    WARNING,
                    cell.sheet,
                    cell.a1,
                    table=cell.table,
                    check=ident.id,
                    actual=actual,
                )
            return
        yield _mismatch(book, ident, e, row, actual, expected)
        return
    actual = book.eval_side(e.lhs, row)
    expected = book.eval_side(e.rhs, row)
    if not holds(book.edition, actual, e.op, expected, _tolerance(book, e, row)):
        yield _mismatch(book, ident, e, row, actual, expected)


def _mismatch(book: Book, ident: Identity, e: Expr, row: str, actual: Decimal, expected: Decimal) -> Finding:
    ed = book.edition
    lhs_refs = e.lhs.refs()
    anchor = lhs_refs[0] if lhs_refs else e.rhs.refs()[0]
    sheet, a1, table = _anchor(book, anchor, row)
    cross = len(_tables(e)) > 1
    if e.op == "==":
        rule = "cross.totals-agree" if cross else "table.sum-of-parts"
    else:
        rule = "cross.not-exceed" if cross else "table.not-exceed"
    label = side_label(ed, e.lhs, row, book)
    other = side_label(ed, e.rhs, row, book)
    params: dict[str, object] = {
        "title": ident.title,
        "label": label,
        "actual": actual,
        "expected": expected,
        "diff": actual - expected,
        "other": other,
        "parts": other,
        "relation": relation(e.op),
    }
    if ident.hint:
        params["hint"] = ident.hint
    return finding(
        rule,
        ident.severity if ident.severity in (ERROR, WARNING) else ERROR,
        sheet,
        a1,
        check=ident.id,
        table=table,
        **params,
    )


@lru_cache(maxsize=4096)
def _each_code(template: str, code: str) -> Expr:
    """An each_code = "rows:…" identity for one code (the same codes recur in every workbook)."""
    return ex.parse(template.replace("{code}", code))


_MONOTONE, _EACH_ROWS, _PER_ROW, _ONE = range(4)


@lru_cache(maxsize=16)
def _schedule(ed: Edition) -> tuple[tuple[int, Identity, Expr | None, tuple[str, str, str] | None], ...]:
    """The edition's identity checks in order, worked out once per edition: (what, identity, expression, the
    left-hand cell of a formula identity checked once, whose intact formula ends the check)."""
    out: list[tuple[int, Identity, Expr | None, tuple[str, str, str] | None]] = []
    for ident in ed.identities:
        if ident.kind == "monotone":
            out.append((_MONOTONE, ident, None, None))
        elif ident.each_rows:
            out.append((_EACH_ROWS, ident, None, None))
        elif ident.expr is not None:
            e = ident.expr
            if ident.per_row:
                out.append((_PER_ROW, ident, e, None))
                continue
            lhs = _plan(e)[1]
            key = None
            if ident.formula and lhs and lhs[0].kind != "current":
                key = (lhs[0].table, lhs[0].row, lhs[0].col)
            out.append((_ONE, ident, e, key))
    return tuple(out)


def check_identities(book: Book) -> Iterator[Finding]:
    cells = book.cells
    for what, ident, e, key in _schedule(book.edition):
        if what == _ONE:
            if key is not None:
                cell = cells.get(key)  # _intact, inlined: most checks of a valid workbook end here
                if cell is None or cell.state == FORMULA or (cell.state == CHANGED and cell.amount is None):
                    continue
            elif _intact(book, ident, e, ""):  # type: ignore[arg-type]
                continue
            yield from _check_one(book, ident, e)  # type: ignore[arg-type]
        elif what == _PER_ROW:
            yield from _per_row(book, ident, e)  # type: ignore[arg-type]
        elif what == _MONOTONE:
            yield from check_monotone(book, ident)
        else:
            table = ident.each_rows.split(":", 1)[1]
            codes = sorted(c for c in {book.code(table, r) for r in book.rows(table)} if c.isdigit())
            for e in [_each_code(ident.template, c) for c in codes]:
                if ident.per_row:
                    yield from _per_row(book, ident, e)
                elif not _intact(book, ident, e, ""):
                    yield from _check_one(book, ident, e)


def _intact(book: Book, ident: Identity, e: Expr, row: str) -> bool:
    """A formula identity whose left-hand cell is an intact template formula: it holds by construction, and
    most checks of a valid workbook end here (tested before a generator is made for the check)."""
    if not ident.formula:
        return False
    lhs_refs = _plan(e)[1]
    if not lhs_refs:
        return False
    ref = lhs_refs[0]
    cell = book.cells.get((ref.table, row if ref.kind == "current" else ref.row, ref.col))
    return cell is None or cell.state == FORMULA or (cell.state == CHANGED and cell.amount is None)


def _per_row(book: Book, ident: Identity, e: Expr) -> Iterator[Finding]:
    t = book.edition.table(ident.per_row)
    if t.id in book.missing_tables:
        return
    col = e.lhs.refs()[0].col
    if t.kind == "list":
        rows = book.rows(t.id)
    else:
        side = t.column(col).side
        rows = [r.id for r in t.rows if r.side == side]
    for row in rows:
        if not _intact(book, ident, e, row):
            yield from _check_one(book, ident, e, row)


def check_monotone(book: Book, ident: Identity) -> Iterator[Finding]:
    t = book.edition.table(ident.table)
    if t.id in book.missing_tables:
        return
    for row in book.rows(t.id):
        values = [(c, book.cell(t.id, row, c)) for c in ident.columns]
        filled = [(c, cell) for c, cell in values if cell is not None and cell.amount is not None]
        if not filled:
            continue
        prev = None
        for c, cell in filled:
            assert cell is not None and cell.amount is not None
            if prev is not None and cell.amount < prev:
                yield finding(
                    "table.plan-monotone",
                    ERROR,
                    t.sheet,
                    cell.a1,
                    check=ident.id,
                    table=t.id,
                    title=ident.title,
                    label=quoted(t.column(c).title),
                    actual=cell.amount,
                    expected=prev,
                )
            prev = cell.amount
        last_col = ident.columns[-1]
        last = book.cell(t.id, row, last_col)
        if ident.final is not None and (last is None or last.amount != ident.final):
            a1 = last.a1 if last is not None else table_layout(book.edition, t.id).cell(row, last_col)
            yield finding(
                "table.plan-final",
                ERROR,
                t.sheet,
                a1,
                check=ident.id,
                table=t.id,
                title=ident.title,
                expected=ident.final,
                actual=last.amount if last is not None and last.amount is not None else texts.text("rules.value.blank"),
            )


def check_total_row(book: Book, t: Table) -> Iterator[Finding]:
    """A 合计 row typed over (or pasted as numbers) must still equal the sum of the top-level rows."""
    ed = book.edition
    level = texts.text("rules.level.codes" if t.code_list else "rules.level.rows")
    for col in total_columns(t):
        cell = book.cell(t.id, "total", col)
        if cell is None or cell.state == FORMULA or (cell.state == CHANGED and cell.amount is None):
            continue
        actual = cell.amount or ZERO
        expected = book.computed(t.id, "total", col)
        if differs(ed, actual, expected, ed.tolerance_for(len(book.top_rows(t.id)) + 1)):
            yield finding(
                "table.column-total",
                ERROR,
                t.sheet,
                cell.a1,
                table=t.id,
                label=cell_label(ed, t.id, "total", col),
                level=level,
                actual=actual,
                expected=expected,
                diff=actual - expected,
            )
        elif cell.value is not None:
            yield finding("cell.formula-overwritten", WARNING, t.sheet, cell.a1, table=t.id, actual=actual)
