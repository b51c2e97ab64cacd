"""Turn what a clerk typed into exact values, logging every change as a finding at its cell.

Numbers stored as text, full-width digits, 千分位, "—" for zero and a stray "元" are accepted
with a warning; "2000万" in a 元 table, "N/A" or a date are errors. Nothing is zeroed silently.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import texts
from ..money import from_float, to_decimal

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them); the normalisations
# that keep the value are warnings (reported, not blocking), the rest errors.
RULES = (
    "cell.text-number",
    "cell.not-a-number",
    "cell.unit-in-cell",
    "cell.out-of-range",
    "cell.control-chars",
    "cell.too-long",
)
WARNINGS = frozenset({"cell.text-number", "cell.control-chars", "cell.too-long"})

DASHES = {"-", "—", "——", "–", "－", "―", "/", "无", "－－"}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_AMOUNT = Decimal("1e13")
MAX_TEXT = 10000
MIN_AMOUNT = Decimal("1e-10")  # typed "1e-999999" is not an amount (and its fixed-point text is a megabyte)
MAX_RAW = 60  # characters of a cell's content quoted back in a message


def _why(key: str, **params: Any) -> str:
    return texts.text(f"reader.number.{key}", **params)


def _short(text: str) -> str:
    return text if len(text) <= MAX_RAW else text[:MAX_RAW] + _why("shortened", n=len(text))


@dataclass
class Parsed:
    value: Decimal | str | None
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (rule, params)


NUMBER_TYPES = frozenset({"money", "number", "percent", "year"})
CODE_TYPES = frozenset({"code", "unit"})
SLOW = object()  # plain(): the cell needs the full parse (a note, or a value that is not plain)


def plain(raw: Any, ctype: str, decimals: int) -> Any:
    """The value of the usual cell, which no normalisation touches and no note is made for: a finite number
    within range in a numeric cell (in a money cell at most `decimals` places), text without control characters
    within the length limit elsewhere. The very value parse_number, clean_text or clean_code would give;
    SLOW for every other cell (those functions then parse it, with their notes)."""
    kind = type(raw)
    if ctype in NUMBER_TYPES:
        if kind is int:
            value = Decimal(raw)
        elif kind is float and math.isfinite(raw):
            value = from_float(raw)
        else:
            return SLOW
        if abs(value) >= MAX_AMOUNT or (ctype == "money" and value.as_tuple().exponent < -decimals):  # type: ignore[operator]
            return SLOW
        return value
    if kind is not str or _CONTROL.search(raw) is not None:
        return SLOW
    text = raw.strip()
    if len(text) > MAX_TEXT:
        return SLOW
    if ctype in CODE_TYPES and text:
        return unicodedata.normalize("NFKC", text).replace(" ", "")
    return text or None


def clean_text(raw: Any) -> Parsed:
    if raw is None or raw == "":
        return Parsed(None)
    if isinstance(raw, float):
        text = format(from_float(raw), "f") if math.isfinite(raw) else str(raw)
        if text.endswith(".0"):
            text = text[:-2]
    elif isinstance(raw, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        text = str(raw)
    else:
        text = str(raw)
    out = Parsed(None)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
        out.notes.append(("cell.control-chars", {}))
    text = text.strip()
    if len(text) > MAX_TEXT:
        out.notes.append(("cell.too-long", {"length": len(text), "limit": MAX_TEXT}))
        text = text[:MAX_TEXT]
    out.value = text or None
    return out


def clean_code(raw: Any) -> Parsed:
    p = clean_text(raw)
    if isinstance(p.value, str):
        p.value = unicodedata.normalize("NFKC", p.value).replace(" ", "")
    return p


def parse_number(raw: Any, unit: str, percent: bool = False) -> Parsed:
    """A number cell. Returns the Decimal (None for blank) and notes: cell.text-number warnings,
    cell.not-a-number / cell.unit-in-cell errors."""
    if raw is None or raw == "":
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(None, [("cell.not-a-number", {"raw": str(raw).upper()})])
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return Parsed(None, [("cell.not-a-number", {"raw": str(raw)})])
        value = Decimal(raw) if isinstance(raw, int) else from_float(raw)
        if abs(value) >= MAX_AMOUNT:  # reported at the cell and left out of every sum (1e300 breaks rounding)
            return Parsed(
                None, [("cell.out-of-range", {"raw": str(raw), "low": "-1e13", "high": "1e13", "range_hint": "large"})]
            )
        return Parsed(value)
    if isinstance(raw, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return Parsed(None, [("cell.not-a-number", {"raw": str(raw)})])
    original = str(raw)
    shown = _short(original)
    text = unicodedata.normalize("NFKC", original)
    text = _CONTROL.sub("", text).strip().replace(" ", "").replace("\u3000", "")
    why: list[str] = []
    if text != original.strip():
        why.append(_why("fullwidth"))
    if text in DASHES or text == "":
        if text == "":
            return Parsed(None)
        return Parsed(Decimal(0), [("cell.text-number", {"raw": shown, "why": _why("dash"), "value": "0"})])
    for suffix in ("万元", "万", "亿元", "亿"):
        if text.endswith(suffix) and not (suffix == "万元" and unit == "万元"):  # 万元 in a 万元 table: stripped below
            return Parsed(None, [("cell.unit-in-cell", {"raw": shown, "suffix": suffix})])
    for suffix in ("元", "%", "％"):
        if text.endswith(suffix) and (suffix != "元" or unit == "元") and (suffix == "元" or percent):
            text = text[: -len(suffix)]
            why.append(_why("suffix", suffix=suffix))
    if text.endswith("万元") and unit == "万元":
        text = text[:-2]
        why.append(_why("suffix", suffix="万元"))
    if _GROUPED.match(text):
        text = text.replace(",", "")
        why.append(_why("grouped"))
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
        why.append(_why("parentheses"))
    value = to_decimal(text) if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text) else None
    if value is None:
        return Parsed(None, [("cell.not-a-number", {"raw": shown})])
    if abs(value) >= MAX_AMOUNT or (value and abs(value) < MIN_AMOUNT):  # not used: reported at the cell only
        hint = "large" if abs(value) >= MAX_AMOUNT else "small"  # texts in the catalogue
        return Parsed(None, [("cell.out-of-range", {"raw": shown, "low": "-1e13", "high": "1e13", "range_hint": hint})])
    why.insert(0, _why("stored_as_text"))
    notes: list[tuple[str, dict[str, Any]]] = [
        ("cell.text-number", {"raw": shown, "why": _why("joiner").join(why), "value": format(value, "f")})
    ]
    return Parsed(value, notes)
