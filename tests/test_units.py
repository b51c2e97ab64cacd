"""Small units: A1 references, money, number normalisation, the identity language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xltools.cells import a1, col_index, col_letter, parse_a1
from xltools.edition import expr as ex
from xltools.money import convert, fmt, from_float, quantize
from xltools.reader.normalise import parse_number


@given(st.integers(min_value=0, max_value=16383))
def test_column_letters_round_trip(col: int) -> None:
    assert col_index(col_letter(col)) == col
    assert parse_a1(a1(7, col)) == (7, col)


def test_money() -> None:
    assert from_float(0.1) == Decimal("0.1") and from_float(477884.0) == Decimal(477884)
    assert quantize(Decimal("0.005")) == Decimal("0.01") and quantize(Decimal("-0.005")) == Decimal("-0.01")
    assert convert(Decimal("477884"), "元", "万元", 2) == Decimal("47.79")
    assert convert(Decimal("47.7884"), "万元", "元") == Decimal("477884")
    assert fmt(Decimal("150000")) == "150000.00"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_yuan_wan_round_trip_is_exact(v: Decimal) -> None:
    assert convert(convert(v, "元", "万元"), "万元", "元") == v


@pytest.mark.parametrize(
    "raw,value,rule",
    [
        (477884.0, "477884", None),
        ("477884", "477884", "cell.text-number"),
        ("477,884.00", "477884.00", "cell.text-number"),
        ("４７７８８４", "477884", "cell.text-number"),
        ("—", "0", "cell.text-number"),
        ("1,234元", "1234", "cell.text-number"),
        ("(12)", "-12", "cell.text-number"),
        ("2000万", None, "cell.unit-in-cell"),
        ("N/A", None, "cell.not-a-number"),
        (float("nan"), None, "cell.not-a-number"),
        (float("inf"), None, "cell.not-a-number"),
        (True, None, "cell.not-a-number"),
        ("", None, None),
    ],
)
def test_parse_number(raw, value, rule) -> None:
    p = parse_number(raw, "元")
    assert (format(p.value, "f") if p.value is not None else None) == value
    assert [r for r, _ in p.notes][:1] == ([rule] if rule else [])


def test_expression_language() -> None:
    e = ex.parse("t01.a.inc == t02.total.general + t03[201].total - t01.x..y.inc + 100")
    assert e.op == "==" and [t.kind for _, t in e.rhs.terms[:3]] == ["cell", "code", "range"]
    assert e.rhs.terms[2][0] == -1
    per_row = ex.parse("total == basic + project", "t03")
    assert all(t.kind == "current" for t in per_row.lhs.refs() + per_row.rhs.refs())
    for bad in ("a == b == c", "t01.x.y", "t01.a.b + == 3", "t01.a.b ="):
        with pytest.raises(ex.ExprError):
            ex.parse(bad)
