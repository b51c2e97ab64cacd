"""Tables inside a document, recognised by the edition's table titles, headers and row labels, and
re-checked with the edition's identities; a table that cannot be recognised is reported, never skipped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..book import book_from_data
from ..edition import expr as ex
from ..edition.model import Edition, Table
from ..findings import ERROR, NOTICE, WARNING, Finding, finding
from . import figures as figs
from .checks import at, where
from .claims import Extraction
from .document import Block, Document
from .numbers import normalise, numbers
from .phrases import Phrases

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them).
RULES = (
    "audit.table-identity",
    "audit.table-unrecognised",
    "audit.sentence-vs-table",
)

_PAREN = re.compile(r"[（(][^）)]*[）)]")
_LEAD = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\d+[、.]|其中[：:]|[(（][一二三四五六七八九十\d]+[)）])\s*")


@lru_cache(maxsize=8192)
def norm_label(s: str) -> str:
    s = normalise(s).strip()
    s = _LEAD.sub("", _LEAD.sub("", s))
    return _PAREN.sub("", s).replace(" ", "").replace("\u3000", "").strip("：:")


@dataclass
class Recognised:
    block: Block
    table: Table
    data: dict[str, dict[str, Any]] | list[dict[str, Any]]
    cells: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (row, col) -> (r, c) in block


def _caption(doc: Document, b: Block) -> str:
    i = doc.blocks.index(b)
    return doc.blocks[i - 1].text if i > 0 and doc.blocks[i - 1].kind != "table" else ""


@lru_cache(maxsize=256)
def _headers(t: Table) -> tuple[tuple[str, str, str], ...]:
    return tuple((c.key, norm_label(c.header[-1]), norm_label(c.header[0])) for c in t.columns)


def _header_map(t: Table, header: list[str]) -> dict[int, str]:
    """Column index in the document -> column key of the edition table."""
    out: dict[int, str] = {}
    cols = _headers(t)
    for i, h in enumerate(header):
        nh = norm_label(h)
        if not nh:
            continue
        used = set(out.values())
        hit = next((k for k, last, _ in cols if last == nh and k not in used), None)
        if hit is None:
            hit = next((k for k, _, first in cols if first == nh and k not in used), None)
        if hit is not None:
            out[i] = hit
    return out


def _value(cell: str) -> Decimal | None:
    ns = numbers(cell)
    if len(ns) == 1 and normalise(cell).strip().replace(",", "").startswith(normalise(ns[0].text).replace(",", "")[:1]):
        return ns[0].value
    t = normalise(cell).strip().replace(",", "")
    try:
        return Decimal(t) if t and re.fullmatch(r"-?\d+(\.\d+)?", t) else None
    except ArithmeticError:
        return None


def recognise(doc: Document, ed: Edition, ph: Phrases) -> tuple[list[Recognised], list[Block]]:
    titles = ph.data.get("tables", {}).get("titles", {})
    found: list[Recognised] = []
    unknown: list[Block] = []
    for b in doc.tables():
        rows = [r for r in b.rows if any(c.strip() for c in r)]
        lead = [r for r in rows if len([c for c in r if c.strip()]) <= 1]
        title_text = _caption(doc, b) + " " + " ".join(c for r in rows[:3] for c in r if c.strip())
        best: tuple[int, Table, int, dict[int, str]] | None = None
        for t in ed.tables:
            if not any(c.type in ("money", "number", "percent", "text", "enum", "code") for c in t.columns):
                continue
            names = [t.title, t.sheet.split(maxsplit=1)[-1], *titles.get(t.id, [])]
            by_title = any(norm_label(n) and norm_label(n) in norm_label(title_text) for n in names)
            for hi, r in enumerate(rows[:4]):
                hm = _header_map(t, r)
                filled = len([c for c in r if c.strip()])
                if len(hm) >= 2 and len(hm) * 2 >= filled:
                    score = len(hm) + (10 if by_title else 0)
                    if best is None or score > best[0]:
                        best = (score, t, hi, hm)
                    break
        if best is None:
            if not lead or len(rows) > len(lead):
                unknown.append(b)
            continue
        _, t, hi, hm = best
        found.append(_data(b, t, rows[hi + 1 :], hm, hi))
    return found, unknown


def _data(b: Block, t: Table, body: list[list[str]], hm: dict[int, str], hi: int) -> Recognised:
    rec = Recognised(b, t, {} if t.kind == "fixed" else [])
    labels = {norm_label(r.label): r.id for r in t.rows} if t.kind == "fixed" else {}
    for ri, row in enumerate(body):
        values: dict[str, Any] = {}
        for ci, key in hm.items():
            if ci >= len(row):
                continue
            col = t.column(key)
            cell = row[ci].strip()
            if col.type in ("money", "number", "percent"):
                v = _value(cell)
                if v is not None:
                    values[key] = v
            elif cell and col.type not in ("label",):
                values[key] = cell
        if t.kind == "fixed":
            rid = labels.get(norm_label(row[0])) if row else None
            if rid is None:
                continue
            rec.data.setdefault(rid, {}).update(values)  # type: ignore[union-attr]
            for ci, key in hm.items():
                rec.cells[(rid, key)] = (hi + 1 + ri, ci)
        elif values:
            rec.cells.update({(f"r{len(rec.data)}", key): (hi + 1 + ri, ci) for ci, key in hm.items()})
            rec.data.append(values)  # type: ignore[union-attr]
    return rec


def _tables_of(e: ex.Expr) -> set[str]:
    return {r.table for r in e.lhs.refs() + e.rhs.refs()}


def check_tables(doc: Document, ed: Edition, ph: Phrases, ext: Extraction) -> tuple[list[Finding], list[Recognised]]:
    found, unknown = recognise(doc, ed, ph)
    out: list[Finding] = []
    for b in unknown:
        sheet, cell = where(b)
        head = " | ".join(c for c in (b.rows[0] if b.rows else []) if c.strip())[:60]
        out.append(
            finding("audit.table-unrecognised", NOTICE, sheet, cell, sentence=head, page=b.page, paragraph=b.index)
        )
    out.extend(_identities(found, ed))
    out.extend(_sentences_vs_tables(found, ed, ext))
    return out, found


@lru_cache(maxsize=32)
def _table_identities(ed: Edition) -> dict[str, tuple]:
    """Table id -> the identities that involve that table only."""
    out: dict[str, list] = {}
    for ident in ed.identities:
        if ident.expr is None or ident.kind != "expr" or ident.each_rows:
            continue
        tables = _tables_of(ident.expr)
        if len(tables) == 1:
            out.setdefault(next(iter(tables)), []).append(ident)
    return {k: tuple(v) for k, v in out.items()}


def _identities(found: list[Recognised], ed: Edition) -> Iterator[Finding]:
    from ..rules.identities import _check_one, _per_row

    by_table = _table_identities(ed)
    wanted = [rec for rec in found if rec.table.id in by_table]
    if not wanted:
        return
    data: dict[str, Any] = {}
    for rec in wanted:  # one document table per edition table (the first)
        data.setdefault(rec.table.id, rec.data)
    book = book_from_data(ed, data)
    book.missing_tables = {x.id for x in ed.tables if x.id not in data}
    for rec in wanted:
        if data[rec.table.id] is not rec.data:
            continue
        covered = {(rec.table.id, r, c) for (r, c) in rec.cells}
        for ident in by_table[rec.table.id]:
            e = ident.expr
            if ident.per_row:
                results = list(_per_row(book, ident, e))
            else:
                refs = e.lhs.refs() + e.rhs.refs()
                if not all(r.kind == "cell" and (r.table, r.row, r.col) in covered for r in refs):
                    continue
                results = list(_check_one(book, ident, e))
            for f in results:
                sheet, cell = where(rec.block)
                sev = ERROR if f.severity == ERROR else WARNING
                yield finding(
                    "audit.table-identity",
                    sev,
                    sheet,
                    cell,
                    check=f.check,
                    table=rec.table.id,
                    title=ident.title,
                    detail=f.message,
                    table_title=rec.table.title,
                    page=rec.block.page,
                    paragraph=rec.block.index,
                )


def _sentences_vs_tables(found: list[Recognised], ed: Edition, ext: Extraction) -> Iterator[Finding]:
    from ..money import ZERO

    values: dict[tuple[str, str, str], Decimal] = {}
    for rec in found:
        if isinstance(rec.data, dict):
            for rid, cols in rec.data.items():
                for key, v in cols.items():
                    if isinstance(v, Decimal):
                        values[(rec.table.id, rid, key)] = v
    lex = figs.by_id(ed)
    for c in ext.claims:
        f = lex.get(c.figure)
        if f is None or c.prior:
            continue
        cellref = figs.single_cell(f)
        if cellref is None or cellref not in values:
            continue
        unit = ed.table(cellref[0]).unit
        unit = ed.money_unit if unit == "money" else unit
        v = values[cellref]
        got = c.number.value if c.number.unit == unit or not c.number.is_money else None
        if got is None:
            from .numbers import MONEY_FACTORS

            if unit in MONEY_FACTORS:
                got = c.number.yuan / MONEY_FACTORS[unit]
            else:
                continue
        if abs(got - v) > (Decimal(1).scaleb(-c.number.decimals) / 2 if c.number.decimals < 2 else ZERO):
            yield at(
                "audit.sentence-vs-table",
                WARNING,
                c.place,
                figure=f.name,
                expected=f"{v:f}{unit}",
                actual=c.number.text,
                table_title=ed.table(cellref[0]).title,
            )
