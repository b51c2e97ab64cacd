"""Exact amounts: Decimal only, never binary floats; units 元 and 万元 with stated rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
UNIT_FACTORS = {"元": Decimal(1), "万元": Decimal(10000)}


def from_float(value: float) -> Decimal:
    """A float read from a workbook -> the Decimal the user typed.

    Excel stores 15 significant digits; ``repr`` gives the shortest string that round-trips,
    which is what the user entered (0.1 stays 0.1, not 0.1000000000000000055...).
    """
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return Decimal(int(value))
    return Decimal(repr(value))


_QUANTA: dict[int, Decimal] = {}


def quantize(value: Decimal, decimals: int = 2) -> Decimal:
    """Round half up (四舍五入, halves away from zero), the rule used in published budget tables.
    A result of zero is +0 (-0.004 gives 0.00, never -0.00)."""
    quantum = _QUANTA.get(decimals)
    if quantum is None:  # built once per precision: every comparison of a workbook rounds both sides
        quantum = _QUANTA[decimals] = Decimal(1).scaleb(-decimals)
    return value.quantize(quantum, rounding=ROUND_HALF_UP) + 0


def convert(value: Decimal, from_unit: str, to_unit: str, decimals: int | None = None) -> Decimal:
    """Exact 元 <-> 万元 conversion. With ``decimals`` the result is rounded half up."""
    out = value * UNIT_FACTORS[from_unit] / UNIT_FACTORS[to_unit]
    return quantize(out, decimals) if decimals is not None else out


def fmt(value: Decimal | None, decimals: int = 2) -> str:
    """Plain fixed-point text, e.g. 477884.00 (no 千分位: the reference disclosure writes none)."""
    if value is None:
        return ""
    return f"{quantize(value, decimals):f}"


def to_decimal(text: str) -> Decimal | None:
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None
