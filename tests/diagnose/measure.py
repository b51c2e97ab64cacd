"""Mutation measurement of the diagnosis (used by test_mutants.py and bench/diagnose_bench.py).

Every single-cell mutation of an input 金额 cell of a valid workbook (the mutation suite's amount operators)
is applied in memory. A mutant *breaks* when the rules (check_book, independent of the diagnosis) report an
identity error. The mutated cell is *identifiable* when the identities determine it: a brute-force search
over every input cell of the constraint system finds exactly one cell whose change satisfies every
constraint, it is the mutated cell, and its value is pinned by an equality (so the original is the only
repair). It is *named* when the diagnosis lists the mutated cell with its original value.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.robustness.operators import _dec, get, money_cells, put
from xltools.book import INPUT, Book, book_from_data
from xltools.diagnose import diagnose
from xltools.diagnose.constraints import build
from xltools.diagnose.rule import IDENTITY_RULES
from xltools.edition.formulas import is_formula
from xltools.edition.model import Edition
from xltools.findings import ERROR
from xltools.money import ZERO
from xltools.rules.check import check_book

AMOUNT_OPS = ("cent-up", "cent-down", "times-10000", "div-10000", "cleared-amount")


@dataclass
class Measure:
    mutants: int = 0
    breaking: int = 0
    identifiable: int = 0
    named: int = 0  # identifiable and named with the original value
    named_any: int = 0  # every breaking mutant whose cell is among the candidates with its original value
    relation_named: int = 0  # breaking mutants whose cell is a candidate without a determined value
    diagnose_s: float = 0.0  # time spent building and solving the constraint systems
    formula_named: int = 0  # candidates that are formula cells (must stay 0)
    disagree: int = 0  # breaking per the rules but no violated constraint, or the reverse (must stay 0)
    sizes: Counter[int] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def summary(self) -> str:
        share = self.named / self.identifiable if self.identifiable else 1.0
        return (
            f"{self.mutants} single-cell mutants, {self.breaking} break an identity; the mutated cell is "
            f"identifiable in {self.identifiable} ({self.identifiable / max(self.breaking, 1):.1%}), named with "
            f"its original value in {self.named} of those ({share:.1%}); among the candidates in "
            f"{self.named_any}/{self.breaking} (+{self.relation_named} named with the relation only); formula cells named: {self.formula_named}; "
            f"rules/constraints disagreements: {self.disagree}; diagnosis sizes {dict(sorted(self.sizes.items()))}; "
            f"diagnosis {self.diagnose_s / max(self.breaking, 1) * 1000:.0f} ms per failing workbook"
        )


def _explanations(book: Book) -> list[tuple[tuple[str, str, str], Decimal | None]]:
    """Every input cell whose change alone satisfies every constraint (brute force), with its value."""
    system = build(book)
    values = {k: book.amount(*k) or ZERO for c in system for k in c.cells}
    res = [c.value(values) for c in system]
    out = []
    for y in sorted(values):
        cell = book.cell(*y)
        if cell is None or cell.state != INPUT:
            continue
        eqs = [(c, r) for c, r in zip(system, res, strict=True) if c.op == "==" and c.coeff(y)]
        if eqs:
            delta: Decimal = -eqs[0][1] / eqs[0][0].coeff(y)
            if all(c.holds(r + c.coeff(y) * delta) for c, r in zip(system, res, strict=True)):
                out.append((y, values[y] + delta))
        else:
            others = all(c.holds(r) for c, r in zip(system, res, strict=True) if not c.coeff(y))
            lo, hi = Decimal("-1e18"), Decimal("1e18")
            for c, r in zip(system, res, strict=True):
                a = c.coeff(y)
                if a:
                    bound = ((c.tol if c.op == "<=" else -c.tol) - r) / a
                    if (c.op == "<=") == (a > 0):
                        hi = min(hi, bound)
                    else:
                        lo = max(lo, bound)
            if others and lo <= hi:
                out.append((y, None))
    return out


def measure(
    ed: Edition, bases: list[tuple[str, dict[str, Any]]], ops: tuple[str, ...] = AMOUNT_OPS, stride: int = 1
) -> Measure:
    m = Measure()
    i = 0
    for _name, data in bases:
        for w in money_cells(ed, data):
            for op in ops:
                i += 1
                if (i - 1) % stride:
                    continue
                before = _dec(get(data, ed, w))
                d = copy.deepcopy(data)
                put(d, ed, w, _apply(op, before))
                _judge(ed, m, d, w, before)
    return m


def _apply(op: str, v: Decimal) -> Decimal | None:
    return {
        "cent-up": lambda: v + Decimal("0.01"),
        "cent-down": lambda: v - Decimal("0.01"),
        "times-10000": lambda: v * 10000 if v else Decimal(10000),
        "div-10000": lambda: v / 10000 if v else Decimal("0.01"),
        "cleared-amount": lambda: None,
    }[op]()


def _judge(ed: Edition, m: Measure, data: dict[str, Any], w: tuple[str, str, str], before: Decimal) -> None:
    m.mutants += 1
    book = book_from_data(ed, data)
    broken = any(f.severity == ERROR and f.rule in IDENTITY_RULES for f in check_book(book))
    start = time.perf_counter()
    d = diagnose(book)
    if broken:
        m.diagnose_s += time.perf_counter() - start
    if broken != bool(d.violated):
        m.disagree += 1
    if not broken:
        return
    m.breaking += 1
    m.sizes[d.size] += 1
    for c in d.candidates:
        for k in c.cells:
            t = ed.table(k[0])
            cell = book.cell(*k)
            if is_formula(ed, t, k[1], k[2]) or cell is None or cell.state != INPUT:
                m.formula_named += 1
    hit = any(c.cells == (w,) and c.values[0] is not None and c.values[0] == before for c in d.candidates)
    m.named_any += hit
    m.relation_named += any(c.cells == (w,) and c.values[0] is None for c in d.candidates)
    ex = _explanations(book)
    if len(ex) == 1 and ex[0][0] == w and ex[0][1] is not None and ex[0][1] == before:
        m.identifiable += 1
        if hit:
            m.named += 1
        else:
            m.misses.append(f"{w} {before}: {d.candidates}")
