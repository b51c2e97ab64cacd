"""The identity language of an edition: a tiny, safe grammar for sums and comparisons.

    expr := side [op side]        op: == <= >=
    side := term (('+' | '-') term)*
    term := NUMBER | ref
    ref  := T.ROW.COL | T[CODE].COL | T.total.COL | T.A..B.COL | T.P*.COL | COL (per-row only)

One parsed expression serves three readers: the validator evaluates it, the template writer turns
it into an Excel formula, and findings name its cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .. import texts

OPS = ("==", "<=", ">=")

_TOKEN = re.compile(r"\s*(==|<=|>=|[+-]|[^\s+\-=<>]+)")
_REF_CODE = re.compile(r"^([A-Za-z_][\w]*)\[([^\]]+)\]\.([A-Za-z_]\w*)$")
_REF_DOT = re.compile(r"^([A-Za-z_][\w]*)\.(.+)\.([A-Za-z_]\w*)$")
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_BARE = re.compile(r"^[A-Za-z_]\w*$")


class ExprError(ValueError):
    """An identity expression that does not parse."""


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to one or more cells of one column.

    kind: "cell" (row=id; "total" is a list table's 合计 row), "code" (row=code), "range" (row=first, last=last),
    "prefix" (row=prefix), "current" (the row being checked in a per-row identity).
    """

    table: str
    kind: str
    row: str
    col: str
    last: str = ""


@dataclass(frozen=True, slots=True)
class Const:
    value: Decimal


Term = Ref | Const


@dataclass(frozen=True, slots=True)
class Side:
    terms: tuple[tuple[int, Term], ...]  # (+1 | -1, term)

    def refs(self) -> list[Ref]:
        return [t for _, t in self.terms if isinstance(t, Ref)]


@dataclass(frozen=True, slots=True)
class Expr:
    lhs: Side
    op: str
    rhs: Side
    text: str


def parse_ref(token: str, per_row_table: str | None) -> Ref:
    m = _REF_CODE.match(token)
    if m:
        return Ref(m.group(1), "code", m.group(2), m.group(3))
    m = _REF_DOT.match(token)
    if m:
        table, middle, col = m.groups()
        if ".." in middle:
            first, last = middle.split("..", 1)
            return Ref(table, "range", first, col, last)
        if middle.endswith("*"):
            return Ref(table, "prefix", middle[:-1], col)
        return Ref(table, "cell", middle, col)
    if _BARE.match(token) and per_row_table:
        return Ref(per_row_table, "current", "", token)
    raise ExprError(texts.raw("edition.expr.parse_ref").format(token=token))


def parse_side(tokens: list[str], per_row_table: str | None) -> Side:
    terms: list[tuple[int, Term]] = []
    sign = 1
    expect_term = True
    for tok in tokens:
        if tok in "+-" and len(tok) == 1:
            if expect_term and terms:
                raise ExprError(texts.text("edition.expr.parse_side_3"))
            sign = 1 if tok == "+" else -1
            expect_term = True
            continue
        if not expect_term:
            raise ExprError(texts.raw("edition.expr.parse_side_2").format(tok=tok))
        term: Term = Const(Decimal(tok)) if _NUMBER.match(tok) else parse_ref(tok, per_row_table)
        terms.append((sign, term))
        sign, expect_term = 1, False
    if not terms or expect_term:
        raise ExprError(texts.text("edition.expr.parse_side"))
    return Side(tuple(terms))


def parse(text: str, per_row_table: str | None = None) -> Expr:
    tokens = [t for t in _TOKEN.findall(text) if t]
    ops = [i for i, t in enumerate(tokens) if t in OPS]
    if len(ops) != 1:
        raise ExprError(texts.raw("edition.expr.parse").format(text=text))
    i = ops[0]
    return Expr(parse_side(tokens[:i], per_row_table), tokens[i], parse_side(tokens[i + 1 :], per_row_table), text)


def compare(lhs: Decimal, op: str, rhs: Decimal, tolerance: Decimal) -> bool:
    if op == "==":
        return abs(lhs - rhs) <= tolerance
    if op == "<=":
        return lhs <= rhs + tolerance
    return lhs >= rhs - tolerance
