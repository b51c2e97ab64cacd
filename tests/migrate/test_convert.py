"""元 <-> 万元: exact conversion; rounding (half up, 四舍五入, to 0.01) only where a unit change needs it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xltools.money import convert

yuan = st.decimals(min_value=-(10**11), max_value=10**11, places=2, allow_nan=False, allow_infinity=False)
wan = st.decimals(min_value=-(10**7), max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(yuan)
def test_yuan_to_wan_to_yuan_within_rounding(v: Decimal) -> None:
    back = convert(convert(v, "元", "万元", 2), "万元", "元")
    assert abs(back - v) <= Decimal(50)  # half of 0.01 万元


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_exact_when_no_rounding_is_needed(hundreds: int) -> None:
    v = Decimal(hundreds) * 100  # whole hundreds of 元 are exact at 0.01 万元
    assert convert(convert(v, "元", "万元", 2), "万元", "元") == v


@given(wan)
def test_wan_to_yuan_to_wan_is_exact(v: Decimal) -> None:
    assert convert(convert(v, "万元", "元", 2), "元", "万元", 2) == v
    assert convert(convert(v, "万元", "元"), "元", "万元") == v  # without rounding at all


@given(yuan)
def test_unrounded_conversion_is_exact(v: Decimal) -> None:
    assert convert(convert(v, "元", "万元"), "万元", "元") == v


@pytest.mark.parametrize(
    "yuan_amount,wan_amount",
    [
        ("477884.00", "47.79"),  # the bundled example's 收入总计
        ("327884", "32.79"),
        ("31000", "3.10"),
        ("8800", "0.88"),
        ("50", "0.01"),
        ("49.99", "0.00"),
        ("150", "0.02"),
        ("250", "0.03"),  # half up, not half even
        ("-50", "-0.01"),
        ("-49.99", "0.00"),  # half away from zero for negatives
        ("0", "0.00"),
    ],
)
def test_half_up_examples(yuan_amount: str, wan_amount: str) -> None:
    got = convert(Decimal(yuan_amount), "元", "万元", 2)
    assert got == Decimal(wan_amount) and str(got) == str(Decimal(wan_amount))
