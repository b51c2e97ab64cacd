"""Numbers in running text: Arabic amounts (千分位, full-width digits), their unit and printed precision.

Full-width characters are mapped one to one, so every offset in the normalised text is an offset in the
original sentence (findings mark the number where the reader sees it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

# One character for one character: offsets survive normalisation.
_FULL = str.maketrans("０１２３４５６７８９．％，（）：；", "0123456789.%,():;")

MONEY_FACTORS = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}

_NUMBER = re.compile(
    r"(?<![\d.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?"
    r"(?P<unit>万元|亿元|元|%|平方米|㎡|m²|m2|台|辆|个|人|次|场|篇|项|年|月|日|号)?"
)


def normalise(text: str) -> str:
    return text.translate(_FULL)


@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal  # as printed, in its own unit
    unit: str  # 元 / 万元 / 亿元 / % / 平方米 / … or ""
    start: int  # offsets in the sentence (the number and its unit)
    end: int
    text: str
    decimals: int  # printed decimals

    @property
    def is_money(self) -> bool:
        return self.unit in MONEY_FACTORS

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    @property
    def yuan(self) -> Decimal:
        """The amount in 元 (money only)."""
        return self.value * MONEY_FACTORS[self.unit]

    @property
    def resolution(self) -> Decimal:
        """One unit of the last printed digit, in 元 for money."""
        step = Decimal(1).scaleb(-self.decimals)
        return step * MONEY_FACTORS[self.unit] if self.is_money else step


_UNIT_ALIASES = {"㎡": "平方米", "m²": "平方米", "m2": "平方米"}


def numbers(sentence: str) -> list[Number]:
    """Every number of a sentence with its unit; years, months and days are left out."""
    text = normalise(sentence)
    out: list[Number] = []
    for m in _NUMBER.finditer(text):
        unit = m.group("unit") or ""
        if unit in ("年", "月", "日", "号"):
            continue
        raw = m.group("num")
        digits = raw.replace(",", "")
        decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
        out.append(
            Number(
                Decimal(digits),
                _UNIT_ALIASES.get(unit, unit),
                m.start(),
                m.end(),
                sentence[m.start() : m.end()],
                decimals,
            )
        )
    return out


def mark(sentence: str, start: int, end: int) -> str:
    """The sentence with one span marked for the reader."""
    return f"{sentence[:start]}〖{sentence[start:end]}〗{sentence[end:]}"
