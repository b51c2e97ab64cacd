"""Comparisons at the printed precision. A message prints every figure with the edition's money_decimals,
so two figures that print alike never make a finding: 296884.001 typed under a 类 of 296884.00 is the
cell.excess-precision warning alone, not a 类/款 error "相差 0.00"."""

from __future__ import annotations

from decimal import Decimal

from ..edition import expr as ex
from ..edition.model import Edition
from ..money import quantize


def printed(ed: Edition, value: Decimal) -> Decimal:
    return quantize(value, ed.money_decimals)


def holds(ed: Edition, lhs: Decimal, op: str, rhs: Decimal, tolerance: Decimal) -> bool:
    if lhs == rhs and tolerance >= 0:  # equal figures print alike, whatever the relation: no rounding to do
        return True
    return ex.compare(printed(ed, lhs), op, printed(ed, rhs), tolerance)


def differs(ed: Edition, actual: Decimal, expected: Decimal, tolerance: Decimal) -> bool:
    return not holds(ed, actual, "==", expected, tolerance)
