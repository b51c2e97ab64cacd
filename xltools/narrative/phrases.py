"""Phrase helpers of the narrative: amounts with their unit, percentages, shares and the year-on-year
wording (增加/减少/持平). The words themselves are edition data (``[phrases]`` in narrative.toml); the
rules live here: the direction always follows the sign, there is no percentage on a zero base
(上年无此项), and a blank prior figure gives no comparison at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .. import texts
from ..money import ZERO, fmt, quantize

HUNDRED = Decimal(100)

# Defaults when narrative.toml has no [phrases] table (xltools/texts/narrative.toml [phrases]); {prior_year},
# {amount} (with its unit) and {percent} (with %) are filled in.
DEFAULT_PHRASES: dict[str, str] = {str(k): str(v) for k, v in texts.raw("narrative.default_phrases").items()}


def amount_text(value: Decimal | None, unit: str = "", decimals: int = 2) -> str:
    """477884 -> '477884.00元' (no 千分位, as budget narratives write them); None -> '—'."""
    if value is None:
        return "—"
    return f"{fmt(value, decimals)}{unit}"


def number_text(value: Decimal | None, decimals: int = 2) -> str:
    """A plain amount without unit, '' for None (table cells)."""
    return fmt(value, decimals)


def quantity_text(value: Decimal | None) -> str:
    """A count or an area as typed: 37.7 stays 37.7, 3 stays 3, None -> ''."""
    if value is None:
        return ""
    q = value.normalize()
    return format(q.quantize(Decimal(1)) if q == q.to_integral_value() else q, "f")


def percent_value(part: Decimal, whole: Decimal, decimals: int = 2) -> Decimal | None:
    """part / whole in percent, rounded half up; None when whole is zero (no share of nothing)."""
    if whole == ZERO:
        return None
    return quantize(part * HUNDRED / whole, decimals)


def percent_text(value: Decimal | None, decimals: int = 2) -> str:
    return "—" if value is None else f"{fmt(value, decimals)}%"


def change_percent(current: Decimal, prior: Decimal, decimals: int = 2) -> Decimal | None:
    """Relative change in percent (always non-negative: the sign is carried by the word)."""
    if prior == ZERO:
        return None
    return percent_value(abs(current - prior), abs(prior), decimals)


@dataclass(frozen=True)
class Phrases:
    """Year-on-year wording for one document: the prior year and the money unit are fixed."""

    prior_year: int
    unit: str
    decimals: int = 2
    words: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PHRASES))
    basis: str = ""  # how the 上年数 is named after the year (预算 / 决算, from the cover); '' unnamed

    def word(self, key: str) -> str:
        """A phrase of narrative.toml [phrases], else its default."""
        return self.words.get(key, DEFAULT_PHRASES[key])

    def direction(self, current: Decimal, prior: Decimal | None) -> str:
        """增加 / 减少 / 持平 from the sign of the change; '' when the prior figure is not provided."""
        if prior is None:
            return ""
        if current > prior:
            return self.word("word_increase")
        if current < prior:
            return self.word("word_decrease")
        return self.word("word_unchanged")

    def change(self, current: Decimal, prior: Decimal | None) -> str:
        """'较2019年增加277884.00元，增长138.94%'; '' when the prior figure is blank (no comparison)."""
        if prior is None:
            return ""
        diff = current - prior
        if diff == ZERO:
            return self.word("unchanged").format(prior_year=self.prior_year, basis=self.basis)
        key = "increase" if diff > ZERO else "decrease"
        if prior == ZERO:
            key += "_zero_base"
        pct = change_percent(current, prior, self.decimals)
        return self.word(key).format(
            prior_year=self.prior_year,
            basis=self.basis,
            amount=amount_text(abs(diff), self.unit, self.decimals),
            percent=percent_text(pct, self.decimals),
        )

    def change_amount(self, current: Decimal, prior: Decimal | None) -> Decimal | None:
        return None if prior is None else current - prior

    def change_rate(self, current: Decimal, prior: Decimal | None) -> str:
        """Signed rate for tables: '+138.94%', '-5.00%', '0.00%', '上年无此项', or '' without a prior figure."""
        if prior is None:
            return ""
        if prior == ZERO:
            return percent_text(ZERO, self.decimals) if current == ZERO else self.word("no_base")
        pct = change_percent(current, prior, self.decimals)
        sign = "+" if current > prior else ("-" if current < prior else "")
        return f"{sign}{percent_text(pct, self.decimals)}"
