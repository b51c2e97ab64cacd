"""Phrase helpers: the direction word follows the sign, no percentage on a zero base, no comparison when the
prior figure is blank; amounts with two decimals and their unit."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from xltools.narrative.phrases import (
    Phrases,
    amount_text,
    change_percent,
    percent_text,
    percent_value,
    quantity_text,
)

P = Phrases(prior_year=2019, unit="元")


@pytest.mark.parametrize(
    ("current", "prior", "expected"),
    [
        ("477884", "200000", "较2019年增加277884.00元，增长138.94%"),
        ("100", "200", "较2019年减少100.00元，下降50.00%"),
        ("200", "200", "与2019年持平"),
        ("0", "0", "与2019年持平"),
        ("5000", "0", "较2019年增加5000.00元（上年无此项）"),
        ("0", "8800", "较2019年减少8800.00元，下降100.00%"),
        ("0.01", "0.03", "较2019年减少0.02元，下降66.67%"),
    ],
)
def test_change(current: str, prior: str, expected: str) -> None:
    assert P.change(D(current), D(prior)) == expected


def test_zero_base_has_no_percentage() -> None:
    assert "%" not in P.change(D("5000"), D("0"))
    assert change_percent(D("5000"), D("0")) is None
    assert P.change_rate(D("5000"), D("0")) == "上年无此项"
    assert P.change_rate(D("0"), D("0")) == "0.00%"


def test_blank_prior_gives_no_comparison() -> None:
    assert P.change(D("477884"), None) == ""
    assert P.direction(D("477884"), None) == ""
    assert P.change_rate(D("477884"), None) == ""
    assert P.change_amount(D("477884"), None) is None


@pytest.mark.parametrize(("current", "prior", "word"), [("2", "1", "增加"), ("1", "2", "减少"), ("1", "1", "持平")])
def test_direction_follows_the_sign(current: str, prior: str, word: str) -> None:
    assert P.direction(D(current), D(prior)) == word


def test_signed_rates_for_tables() -> None:
    assert P.change_rate(D("477884"), D("200000")) == "+138.94%"
    assert P.change_rate(D("150"), D("200")) == "-25.00%"
    assert P.change_rate(D("200"), D("200")) == "0.00%"


def test_rounding_is_half_up_and_exact() -> None:
    assert percent_value(D("1"), D("800")) == D("0.13")  # 0.125 -> 0.13 (四舍五入), no float drift
    assert percent_value(D("2"), D("3")) == D("66.67")
    assert percent_value(D("1"), D("0")) is None
    assert percent_text(None) == "—" and percent_text(D("68.605")) == "68.61%"


def test_amounts_and_quantities() -> None:
    assert amount_text(D("477884")) == "477884.00"
    assert amount_text(D("0"), "元") == "0.00元"
    assert amount_text(D("15.33"), "万元") == "15.33万元"
    assert amount_text(D("0.005"), "元") == "0.01元"
    assert amount_text(None, "元") == "—"
    assert quantity_text(D("37.70")) == "37.7"
    assert quantity_text(D("3.0")) == "3" and quantity_text(D("0")) == "0" and quantity_text(D("1E+2")) == "100"
    assert quantity_text(None) == ""


def test_words_come_from_the_edition() -> None:
    custom = Phrases(2019, "万元", words={"increase": "比{prior_year}年多{amount}（{percent}）"})
    assert custom.change(D("12.5"), D("10")) == "比2019年多2.50万元（25.00%）"
    assert custom.change(D("10"), D("12.5")) == "较2019年减少2.50万元，下降20.00%"  # defaults for the rest
