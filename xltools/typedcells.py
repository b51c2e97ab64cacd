"""What a clerk's input cell holds besides a plain value: a formula typed into it, an Excel error value, a
value of the wrong type (a date or TRUE where text belongs). The reader asks here and reports a finding at
the cell, so nothing wrong is accepted silently.

Formulas typed into input cells (the template's own formulas are checked elsewhere):
- arithmetic on constants only (`=1200+300`, `=(3.5+2)*100`): recomputed here exactly in Decimal, the cached
  value never read; accepted with a notice (cell.formula-constant), the recomputed amount is used;
- anything else is refused at the cell (cell.formula-in-input), by kind: an external link (`=[1]Sheet1!A1`,
  `='C:\\…\\[x.xlsx]Sheet1'!A1`), a web function (WEBSERVICE, FILTERXML), a volatile one (NOW, TODAY, RAND,
  RANDBETWEEN, OFFSET, INDIRECT, INFO, CELL), a reference to other cells, or any other function. Its cached
  value (possibly missing: openpyxl writes none) is never used: the cell counts as blank.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

VOLATILE = frozenset({"NOW", "TODAY", "RAND", "RANDBETWEEN", "RANDARRAY", "OFFSET", "INDIRECT", "INFO", "CELL"})
WEB = frozenset({"WEBSERVICE", "FILTERXML", "HYPERLINK", "RTD", "CALL", "REGISTER.ID"})
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_EXTERNAL = re.compile(r"\[[^\]]+\]|'[A-Za-z]:\\|'\\\\")  # [1]Sheet1!A1, 'C:\…', '\\server\…'
_CONSTANT = re.compile(r"^[\d.\s+\-*/()%]+$")
_TOKEN = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+|[-+*/()%])")
MAX_FORMULA = 200  # characters of a constant formula evaluated (a clerk's =1200+300, not a program)


def formula_kind(text: str) -> str:
    """'external', 'web', 'volatile', 'constant', 'invalid' (constants that do not compute, as =1/0),
    'reference' or 'function' for a formula's text (without '=')."""
    text = text.strip()
    if _EXTERNAL.search(text):
        return "external"
    names = {m.group(1).upper().removeprefix("_XLFN.") for m in _FUNCTION.finditer(text)}
    if names & WEB:
        return "web"
    if names & VOLATILE:
        return "volatile"
    if names:
        return "function"
    if text and _CONSTANT.match(text):
        return "constant" if len(text) <= MAX_FORMULA and constant_value(text) is not None else "invalid"
    return "reference"


def constant_value(text: str) -> Decimal | None:
    """The exact value of arithmetic on constants (+ - * / %, parentheses, unary signs), or None."""
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        tokens.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    try:
        value, rest = _sum(tokens)
    except (InvalidOperation, DivisionByZero, IndexError, RecursionError):
        return None
    return value if not rest else None


def _sum(tokens: list[str]) -> tuple[Decimal, list[str]]:
    value, tokens = _product(tokens)
    while tokens and tokens[0] in "+-":
        op, (rhs, tokens) = tokens[0], _product(tokens[1:])
        value = value + rhs if op == "+" else value - rhs
    return value, tokens


def _product(tokens: list[str]) -> tuple[Decimal, list[str]]:
    value, tokens = _unary(tokens)
    while tokens and tokens[0] in "*/":
        op, (rhs, tokens) = tokens[0], _unary(tokens[1:])
        value = value * rhs if op == "*" else value / rhs
    return value, tokens


def _unary(tokens: list[str]) -> tuple[Decimal, list[str]]:
    if tokens[0] in "+-":
        value, rest = _unary(tokens[1:])
        return (-value if tokens[0] == "-" else value), rest
    if tokens[0] == "(":
        value, rest = _sum(tokens[1:])
        if not rest or rest[0] != ")":
            raise IndexError
        rest = rest[1:]
    elif tokens[0] in "*/)%":
        raise IndexError
    else:
        value, rest = Decimal(tokens[0]), tokens[1:]
    while rest and rest[0] == "%":
        value, rest = value / 100, rest[1:]
    return value, rest


def wrong_type(raw: Any) -> str:
    """What a value of the wrong type in a text or code cell is ('date', 'time', 'bool'), or ''."""
    if isinstance(raw, bool):
        return "bool"
    if isinstance(raw, (datetime, date)):
        return "date"
    if isinstance(raw, (time, timedelta)):
        return "time"
    return ""


def shown(raw: Any) -> str:
    """A wrong-typed value as the clerk sees it in Excel."""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, datetime):
        return raw.strftime("%Y-%m-%d %H:%M") if (raw.hour, raw.minute) != (0, 0) else raw.strftime("%Y-%m-%d")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw)


# ---- shared-string indexes: a cell t="s" whose <v> is not an index into sharedStrings.xml ----
# The sheet scan (xltools.ooxml.scan) gives every shared-string cell's <v>, read by the grammar.
_LONGEST = 18  # digits of an index compared as a number; a longer one is beyond any workbook's strings


def bad_string_index(text: str, count: int) -> bool:
    digits = text.lstrip("0") or "0"
    return not (text.isascii() and text.isdigit() and len(digits) <= _LONGEST and int(digits) < count)
