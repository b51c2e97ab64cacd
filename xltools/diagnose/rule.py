"""The diagnosis as findings: the cell to change (rule diagnosis.change / diagnosis.change-pair) or the
statement that two or more cells must change (diagnosis.many); and the failed identities' findings stop
offering an 应为 for a cell that is not the one to change (their params get `target`)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .. import texts
from ..book import Book, Key
from ..edition.layout import table_layout
from ..findings import ERROR, NOTICE, Finding, finding
from ..rules import codes, identities
from ..rules.labels import short
from .solve import Candidate, Diagnosis, diagnose

RULES = ("diagnosis.change", "diagnosis.change-relation", "diagnosis.change-pair", "diagnosis.many")

# Findings of a failed identity (declared by the identity and code checks): their cell is a total or one
# side of a relation, not a place to type.
_KINDS = ("sum-of-parts", "totals-agree", "not-exceed", "hierarchy", "column-total")
IDENTITY_RULES = frozenset(r for r in identities.RULES + codes.RULES if r.endswith(_KINDS))
MAX_LISTED = 4  # candidates named in one message


def where(book: Book, key: Key) -> tuple[str, str]:
    """(sheet, A1) of a cell of the Book."""
    t = book.edition.table(key[0])
    cell = book.cell(*key)
    return t.sheet, cell.a1 if cell is not None else table_layout(book.edition, t.id).cell(key[1], key[2])


def place_name(book: Book, key: Key) -> str:
    """'表6 D6': how a message names a cell."""
    return f"{short(book.edition.table(key[0]))} {where(book, key)[1]}"


def _sources(book: Book, c: Candidate) -> str:
    return "、".join(short(book.edition.table(t)) for t in c.sources) or short(book.edition.table(c.cells[0][0]))


def diagnosis_findings(book: Book, d: Diagnosis) -> list[Finding]:
    if not d.violated:
        return []
    out: list[Finding] = []
    if d.size == 1 and len(d.candidates) <= MAX_LISTED:
        for c in d.candidates:
            key = c.cells[0]
            sheet, a1 = where(book, key)
            others = "、".join(place_name(book, o.cells[0]) for o in d.candidates if o is not c)
            params: dict[str, object] = {
                "place": place_name(book, key),
                "also": texts.text("diagnose.also", others=others) if others else "",
            }
            if c.determined:
                params.update(expected=c.values[0], actual=book.amount(*key) or Decimal(0), sources=_sources(book, c))
                rule = "diagnosis.change"
            else:
                params["relation"] = "；".join(_titles(d, key))
                rule = "diagnosis.change-relation"
            out.append(finding(rule, NOTICE, sheet, a1, table=key[0], **params))
        return out
    if d.size == 2 and len(d.candidates) == 1 and d.candidates[0].determined:
        c = d.candidates[0]
        for i, key in enumerate(c.cells):
            sheet, a1 = where(book, key)
            j = 1 - i
            out.append(
                finding(
                    "diagnosis.change-pair",
                    NOTICE,
                    sheet,
                    a1,
                    table=key[0],
                    place=place_name(book, key),
                    expected=c.values[i],
                    actual=book.amount(*key) or Decimal(0),
                    other=place_name(book, c.cells[j]),
                    other_value=c.values[j],
                    sources=_sources(book, c),
                )
            )
        return out
    return [finding("diagnosis.many", NOTICE, count=len(d.violated))]


def _titles(d: Diagnosis, key: Key) -> list[str]:
    seen: dict[str, None] = {}
    for c in d.violated:
        if key in c.cells:
            seen.setdefault(c.title)
    return list(seen)


def with_diagnosis(book: Book, findings: list[Finding]) -> tuple[list[Finding], Diagnosis]:
    """The findings with the diagnosis added, and the failed identities' 应为 kept only where the diagnosis
    determines that very cell's value."""
    if not any(f.rule in IDENTITY_RULES and f.severity == ERROR for f in findings):
        return findings, Diagnosis()  # nothing fails: no system to build (a valid file costs nothing)
    d = diagnose(book)
    if not d.violated:
        return findings, d
    targets: dict[tuple[str, str], Decimal] = {}
    if d.size == 1 and len(d.candidates) == 1 or d.size == 2 and len(d.candidates) == 1:
        c = d.candidates[0]
        for key, v in zip(c.cells, c.values, strict=True):
            if v is not None:
                targets[where(book, key)] = v
    out = []
    for f in findings:
        if f.rule in IDENTITY_RULES and f.severity == ERROR:
            f = dataclasses.replace(f, params={**f.params, "target": targets.get((f.sheet, f.cell))})
        out.append(f)
    return out + diagnosis_findings(book, d), d


def diagnosis_json(book: Book, d: Diagnosis) -> dict[str, object]:
    """The JSON report's `diagnosis` block."""
    from ..money import fmt

    def cell(key: Key, value: Decimal | None) -> dict[str, object]:
        sheet, a1 = where(book, key)
        current = book.amount(*key)
        return {
            "sheet": sheet,
            "cell": a1,
            "table": key[0],
            "current": fmt(current) if current is not None else None,
            "value": fmt(value) if value is not None else None,
        }

    return {
        "violated": len(d.violated),
        "checks": sorted({c.check for c in d.violated}),
        "size": d.size,
        "candidates": [
            {
                "cells": [cell(k, v) for k, v in zip(c.cells, c.values, strict=True)],
                "determined": c.determined,
                "sources": list(c.sources),
                "relation": [t for t in _titles(d, c.cells[0])] if not c.determined else [],
            }
            for c in d.candidates
        ],
    }
