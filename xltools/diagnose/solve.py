"""Fellegi–Holt localisation over the constraint system: single cells first, then pairs, then stop.

A single cell can explain the failures only if it appears in every violated constraint; its value is then
solved exactly from the equalities it appears in and checked against every constraint it appears in
(so a change that repairs one total but breaks a satisfied one is refused). Pairs are solved the same way
as a 2-variable linear system in exact fractions. Only input cells are variables: a formula cell is never
a place to type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import combinations

from ..book import INPUT, Book, Key
from ..money import ZERO
from .constraints import Constraint, build

PAIR_LIMIT = 400  # candidate cells considered for pairs (the union of the violated constraints' cells)


@dataclass(frozen=True)
class Candidate:
    cells: tuple[Key, ...]
    values: tuple[Decimal | None, ...]  # the value each cell should hold; None when not determined
    titles: tuple[str, ...]  # what the violated identities say (the relation, when no value is determined)
    sources: tuple[str, ...]  # the other tables the values are worked out from

    @property
    def determined(self) -> bool:
        return all(v is not None for v in self.values)


@dataclass
class Diagnosis:
    violated: list[Constraint] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    size: int = 0  # cells per candidate: 1, 2; 0 when nothing fails; 3 when only ≥3 cells explain

    @property
    def cells(self) -> set[Key]:
        return {k for c in self.candidates for k in c.cells}


def _values(book: Book, system: list[Constraint]) -> dict[Key, Decimal]:
    return {k: book.amount(*k) or ZERO for c in system for k in c.cells}


def _residual(c: Constraint, values: dict[Key, Decimal], change: dict[Key, Decimal] | None = None) -> Decimal:
    r = c.value(values)
    if change:
        r += sum((c.coeff(k) * d for k, d in change.items()), ZERO)
    return r


def _typable(book: Book, key: Key) -> bool:
    cell = book.cell(*key)
    if cell is None:
        return False
    return cell.state == INPUT and not isinstance(cell.value, str)


def diagnose(book: Book, system: list[Constraint] | None = None) -> Diagnosis:
    system = build(book) if system is None else system
    values = _values(book, system)
    residual = {id(c): _residual(c, values) for c in system}
    violated = [c for c in system if not c.holds(residual[id(c)])]
    if not violated:
        return Diagnosis()
    by_cell: dict[Key, list[Constraint]] = {}
    for c in system:
        for k in c.cells:
            by_cell.setdefault(k, []).append(c)
    out = Diagnosis(violated=violated)
    common = set.intersection(*(set(c.cells) for c in violated))
    singles = [s for k in sorted(common) if _typable(book, k) and (s := _single(k, by_cell, residual, values))]
    if singles:
        # A determined value first; then an empty cell (a figure left out is likelier than one mistyped).
        out.candidates = sorted(singles, key=lambda s: (not s.determined, values[s.cells[0]] != 0, s.cells))
        out.size = 1
        return out
    pairs = _pairs(book, violated, by_cell, residual, values)
    out.candidates = sorted(pairs, key=lambda s: (not s.determined, s.cells))
    out.size = 2 if pairs else 3
    return out


def _titles(violated: list[Constraint], cells: set[Key]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for c in violated:
        if c.cells & cells:
            seen.setdefault(c.title)
    return tuple(seen)


def _sources(cons: list[Constraint], cells: tuple[Key, ...], by_cell: dict[Key, list[Constraint]]) -> tuple[str, ...]:
    """The other tables the value is worked out from: those of the equalities that determine it and of the
    equalities that pin their other cells (a 类 row held by another table's total)."""
    own = {k[0] for k in cells}
    eqs = [c for c in cons if c.op == "=="]
    near = {k for c in eqs for k in c.cells} - set(cells)
    tables = {t for c in eqs for t in c.tables}
    tables |= {t for k in near for c in by_cell.get(k, []) if c.op == "==" for t in c.tables}
    return tuple(sorted(tables - own))


def _single(
    key: Key, by_cell: dict[Key, list[Constraint]], residual: dict[int, Decimal], values: dict[Key, Decimal]
) -> Candidate | None:
    cons = by_cell[key]
    eqs = [c for c in cons if c.op == "=="]
    delta: Decimal | None = None
    if eqs:
        c = eqs[0]
        delta = -residual[id(c)] / c.coeff(key)
    else:  # inequalities only: any value in the feasible interval
        lo, hi = None, None
        for c in cons:
            a, r = c.coeff(key), residual[id(c)]
            # r + a*d <= tol  (op <=)   or   r + a*d >= -tol  (op >=)
            bound = ((c.tol if c.op == "<=" else -c.tol) - r) / a
            upper = (c.op == "<=") == (a > 0)
            if upper:
                hi = bound if hi is None else min(hi, bound)
            else:
                lo = bound if lo is None else max(lo, bound)
        if lo is not None and hi is not None and lo > hi:
            return None
        d = lo if lo is not None and lo > 0 else (hi if hi is not None and hi < 0 else ZERO)
        if any(not c.holds(residual[id(c)] + c.coeff(key) * d) for c in cons):
            return None
        return Candidate((key,), (None,), (), ())
    if any(not c.holds(residual[id(c)] + c.coeff(key) * delta) for c in cons):
        return None
    return Candidate((key,), (values[key] + delta,), (), _sources(eqs, (key,), by_cell))


def _pairs(
    book: Book,
    violated: list[Constraint],
    by_cell: dict[Key, list[Constraint]],
    residual: dict[int, Decimal],
    values: dict[Key, Decimal],
) -> list[Candidate]:
    union = sorted({k for c in violated for k in c.cells if _typable(book, k)})[:PAIR_LIMIT]
    smallest = min(violated, key=lambda c: len(c.cells))
    out: list[Candidate] = []
    for a, b in combinations(union, 2):
        if a not in smallest.cells and b not in smallest.cells:
            continue
        if any(a not in c.cells and b not in c.cells for c in violated):
            continue
        cand = _solve_pair(a, b, by_cell, residual, values)
        if cand is not None:
            out.append(cand)
    return out


def _solve_pair(
    a: Key, b: Key, by_cell: dict[Key, list[Constraint]], residual: dict[int, Decimal], values: dict[Key, Decimal]
) -> Candidate | None:
    cons = list({id(c): c for c in by_cell[a] + by_cell[b]}.values())
    rows = [(Fraction(c.coeff(a)), Fraction(c.coeff(b)), -Fraction(residual[id(c)])) for c in cons if c.op == "=="]
    sol = _solve2(rows)
    if sol is None:
        return None
    if sol == "free":
        return None  # an under-determined pair: reported as "two or more cells" rather than guessed
    da, db = (Decimal(x.numerator) / Decimal(x.denominator) for x in sol)
    change = {a: da, b: db}
    if any(not c.holds(residual[id(c)] + c.coeff(a) * da + c.coeff(b) * db) for c in cons):
        return None
    if da == 0 or db == 0:
        return None  # one cell alone would do: not a pair
    eqs = [c for c in cons if c.op == "=="]
    return Candidate((a, b), (values[a] + change[a], values[b] + change[b]), (), _sources(eqs, (a, b), by_cell))


def _solve2(rows: list[tuple[Fraction, Fraction, Fraction]]) -> tuple[Fraction, Fraction] | str | None:
    """Solve x*a + y*b = r for every row exactly: (x, y), "free" when under-determined, None when inconsistent."""
    rows = [r for r in rows if r[0] or r[1] or r[2]]
    if not rows:
        return "free"
    p = next((r for r in rows if r[0]), None)
    if p is None:  # x never appears in an equality
        return "free"
    rest = [(Fraction(0), r[1] - r[0] / p[0] * p[1], r[2] - r[0] / p[0] * p[2]) for r in rows if r is not p]
    q = next((r for r in rest if r[1]), None)
    if q is None:
        return None if any(r[2] for r in rest) else "free"
    y = q[2] / q[1]
    if any(r[1] * y != r[2] for r in rest):
        return None
    x = (p[2] - p[1] * y) / p[0]
    return x, y
