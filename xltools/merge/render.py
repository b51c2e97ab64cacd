"""What a worker prepares for the merge's outputs, so the main process only adds and concatenates.

For a valid book (`BookData`), `render` gives a `Rendered`:
- its key figures and, per classification sheet, its own sums by code (the county sums are then one Decimal
  addition per code and department);
- the rows of every stacked sheet as worksheet XML, exactly as xlsxwriter writes them in constant_memory mode,
  with the row number left open (ROW marks where it goes, NEXT separates rows): the main process numbers them
  with one join per row, in 单位编码 order;
- optionally its lines of the open-data export (budget-lines.csv), as CSV text.

The XML text rules are xlsxwriter's (control characters as _xHHHH_, & < > escaped, xml:space="preserve" for
leading or trailing blanks, numbers as %.16G), so OUT.xlsx stays byte-identical to an xlsxwriter-only writer; a
test compares the two. One difference is deliberate: xlsxwriter copies a text that starts with "<r>" and ends
with "</r>" into the XML unescaped (as rich text); a unit name from a department's workbook is always escaped.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..cells import col_letter
from . import spec
from .model import BookData, FileResult

if TYPE_CHECKING:
    from ..edition.model import Column, Edition, Table

ROW, NEXT = "\x00", "\x01"  # control characters never appear in escaped text (they become _xHHHH_)
STYLE_MONEY = 2  # xf index of the money format in OUT.xlsx (xlsx.py checks xlsxwriter agrees)
STR_MAX = 32767  # Excel's cell text limit, in UTF-16 units (xlsxwriter truncates the same way)
_CTRL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CTRL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_XML_SPECIAL = re.compile("[&<>]")
_NEEDS_WORK = re.compile("[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x")  # none of these: the text goes as it is


@dataclass(frozen=True)
class Sums:
    """The small part: read for the totals and the 汇总 sheet."""

    figures: dict[str, str | None]
    classes: dict[str, dict[str, tuple[str, tuple[str | None, ...]]]]  # class id -> code -> (name, sums)
    rows: dict[str, int]  # stacked table id -> number of rows


@dataclass(frozen=True)
class Rendered:
    sums: Sums
    xml: dict[str, str]  # stacked table id -> its rows (ROW / NEXT marks)
    csv: str | None  # budget-lines.csv lines, or None when no export was asked for
    lists: dict[str, Any] = field(default_factory=dict)  # every list table as the column checks see it (county)


def _truncate(text: str) -> str:
    if len(text) <= STR_MAX // 2 or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= STR_MAX:
        return text
    n = 0
    for i, ch in enumerate(text):
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > STR_MAX:
            return text[:i]
    return text


def xml_text(text: str) -> str:
    """A text cell's content as xlsxwriter writes it (the <t> element, escaped)."""
    text = _truncate(text)
    if _NEEDS_WORK.search(text):
        if "_x" in text:
            text = _CTRL_ESCAPE.sub(r"_x005F\1", text)
        text = _CTRL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        if _XML_SPECIAL.search(text):
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


@lru_cache(maxsize=8192)
def _short_xml_text(text: str) -> str:
    return xml_text(text)


def _cell_text(text: str) -> str:
    """xml_text of a stacked cell: the names and labels of the code lists recur in every department, so a short
    text is escaped once per worker (a long one, rare, each time: the cache stays small)."""
    return _short_xml_text(text) if len(text) <= 80 else xml_text(text)


def str_cell(col: str, text: str) -> str:
    return f'<c r="{col}{ROW}" t="inlineStr"><is>{xml_text(text)}</is></c>'


def num_cell(col: str, number: float, style: int) -> str:
    return f'<c r="{col}{ROW}" s="{style}"><v>{number:.16G}</v></c>'


def table_columns(t: Table) -> list[Column]:
    """The columns a worker sends for a table, in order (the stacked sheets show them in the same order)."""
    if t.kind == "list":
        return [c for c in t.columns if c.type != "label"]
    return list(t.value_columns())


def first_value_col(t: Table) -> int:
    """Column of a stacked sheet holding the table's first sent column: after 单位编码, 单位名称 (and 项目)."""
    return 3 if t.kind == "fixed" else 2


@dataclass(frozen=True)
class _Plan:
    table: Table
    labels: dict[str, str] | None  # fixed tables: row id -> its label's cell (rendered once per edition)
    places: tuple[tuple[str, bool], ...]  # (column letter, numeric?) of each sent column
    # per sent column: (numeric?, the cell's XML before its value): num_cell / str_cell, their constant part once
    opens: tuple[tuple[bool, str], ...] = ()


@lru_cache(maxsize=16)
def _plans(ed: Edition) -> dict[str, _Plan]:
    out = {}
    for t in spec.stacked_tables(ed):
        first = first_value_col(t)
        places = tuple((col_letter(first + i), c.is_numeric) for i, c in enumerate(table_columns(t)))
        labels = {r.id: str_cell("C", r.label) for r in t.rows} if t.kind == "fixed" else None
        opens = tuple(
            (numeric, f'<c r="{x}{ROW}" s="{STYLE_MONEY}"><v>' if numeric else f'<c r="{x}{ROW}" t="inlineStr"><is>')
            for x, numeric in places
        )
        out[t.id] = _Plan(t, labels, places, opens)
    return out


def _stacked_xml(plan: _Plan, head: str, rows: tuple[tuple[str, tuple[str | None, ...]], ...]) -> str:
    """`head`: the row's start and its 单位编码 and 单位名称 cells, the same on every row of a department."""
    out = []
    labels, opens = plan.labels, plan.opens
    for row_key, vals in rows:
        parts = [head]
        if labels is not None:
            parts.append(labels[row_key])
        for (numeric, start), v in zip(opens, vals, strict=True):
            if v is None:
                continue
            if numeric:
                f = float(v)
                if f:  # zero amounts are left blank (stated on the 说明 sheet); as num_cell writes them
                    parts += (start, format(f, ".16G"), "</v></c>")
            else:
                parts += (start, _cell_text(v), "</is></c>")  # as str_cell
        parts.append("</row>")
        out.append("".join(parts))
    return NEXT.join(out)


def _classes(ed: Edition, data: BookData) -> dict[str, dict[str, tuple[str, tuple[str | None, ...]]]]:
    """This department's sums by code for each classification sheet (exact: Decimal, sent as text)."""
    out = {}
    for c in spec.classifications(ed):
        sums: dict[str, list[Decimal | None]] = {}
        names: dict[str, str] = {}
        for i, col in enumerate(c.columns):
            part = data.tables.get(col.table)
            if part is None:
                continue
            ci, code_i = part.cols.index(col.col), part.cols.index("code")
            name_i = part.cols.index("name") if "name" in part.cols else -1
            for _row, vals in part.rows:
                code = vals[code_i]
                if not code:
                    continue
                slot = sums.setdefault(code, [None] * len(c.columns))
                v = vals[ci]
                if v is not None:
                    slot[i] = Decimal(v) + (slot[i] or 0)
                if name_i >= 0 and vals[name_i]:
                    names.setdefault(code, vals[name_i])  # type: ignore[arg-type]
        out[c.id] = {
            code: (names.get(code, ""), tuple(None if v is None else format(v, "f") for v in slot))
            for code, slot in sums.items()
        }
    return out


def render(res: FileResult, ed: Edition, with_csv: bool) -> Rendered:
    data = res.data
    assert data is not None
    plans = _plans(ed)
    xml, counts = {}, {}
    head = f'<row r="{ROW}">' + str_cell("A", res.unit_code) + (str_cell("B", res.unit_name) if res.unit_name else "")
    for tid, part in data.tables.items():
        plan = plans.get(tid)
        if plan is None or not part.rows:
            continue
        xml[tid] = _stacked_xml(plan, head, part.rows)
        counts[tid] = len(part.rows)
    lines = None
    if with_csv:
        buf = io.StringIO(newline="")
        csv.writer(buf).writerows(department_lines(ed, res.unit_code, res.unit_name, data))
        lines = buf.getvalue()
    return Rendered(Sums(data.figures, _classes(ed, data), counts), xml, lines, data.lists)


# ---- the open-data export's lines (budget-lines.csv) ----

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
AMOUNT_COL = 6  # 金额: a number, never guarded (xltools/texts/merge.toml [export] lines)


def guard(text: str) -> str:
    """Neutralise a CSV text cell a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(_DANGEROUS) else text


def money_str(value: Decimal | str | None, decimals: int = 2) -> str | None:
    """An exact amount with at least the edition's decimals: 60.8 -> "60.80"; more decimals are kept, never rounded."""
    if value is None:
        return None
    d = Decimal(value)
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -decimals:
        d = d.quantize(Decimal(1).scaleb(-decimals))
    return format(d, "f")


def _money_text(v: str, decimals: int) -> str:
    """money_str of an amount as dec_str writes it (format(d, "f"): digits, one point, no exponent, no leading
    zero): the text itself when it has the decimals already (Decimal's round trip gives the same text)."""
    dot = v.find(".")
    canonical = v[0] in "123456789" or dot == 1 or (v[0] == "-" and (v[1] != "0" or dot == 2))
    if dot > 0 and len(v) - dot - 1 >= decimals and canonical:
        return v
    return money_str(v, decimals) or ""


def _level(ed: Edition, code: str, code_list: str = "") -> str:
    """科目级次 of a code ("" when it is not a code of a list): in the table's list, else in the first list that has it."""
    if not code:
        return ""
    cl = ed.codes.get(code_list) if code_list else next((x for x in ed.codes.values() if code in x.entries), None)
    return str(cl.level_of(code) or "") if cl is not None else ""


@lru_cache(maxsize=16)
def _line_plans(ed: Edition) -> tuple[tuple[Table, Any], ...]:
    from ..edition.layout import table_layout

    out = []
    for t in spec.stacked_tables(ed):
        if t.unit != ed.money_unit:
            continue
        cols = table_columns(t)
        keys = [c.key for c in cols]
        where = {k: keys.index(k) if k in keys else -1 for k in ("code", "name", "unit")}
        # fixed tables: (code, label, 科目级次) of each row, worked out once
        fixed = {row.id: (row.code, row.label, _level(ed, row.code)) for row in t.rows} if t.kind == "fixed" else {}
        money = [(i, c.key, spec.header_text(t, c.key)) for i, c in enumerate(cols) if c.type == "money"]
        out.append((t, (where, fixed, money, table_layout(ed, t.id))))
    return tuple(out)


def department_lines(ed: Edition, unit_code: str, unit_name: str, data: BookData) -> Iterator[tuple[str, ...]]:
    """One line per non-zero money cell of every stacked table of one department, every text cell guarded (each
    text once per department, table or row, not once per line; the 金额 column is a number, never guarded)."""
    decimals = ed.money_decimals
    code_g, name_g = guard(unit_code), guard(unit_name)
    for t, (where, fixed, money, lay) in _line_plans(ed):
        part = data.tables.get(t.id)
        if part is None:
            continue
        # the 来源 cell is "<sheet>!<cell>": guarding its start guards it (the dangerous starts are one character)
        sheet, unit, source = guard(t.sheet), guard(t.unit), guard(f"{t.sheet}!")
        heads = [(i, lay.col_letters[key], guard(head)) for i, key, head in money]
        for row_key, vals in part.rows:
            if t.kind == "fixed":
                code, name, level = fixed[row_key]
                sub = ""
            else:
                code, name, sub = ((vals[i] or "") if i >= 0 else "" for i in where.values())
                level = _level(ed, code, t.code_list) if t.code_list else ""
            code, name, level, sub = guard(code), guard(name), guard(level), guard(sub)
            y = lay.excel_row(row_key)
            for i, letter, head in heads:
                v = vals[i]
                if v is None:
                    continue
                if Decimal(v) == 0:
                    continue
                amount = _money_text(v, decimals)
                yield (code_g, name_g, sheet, code, name, head, amount, unit, level, sub, f"{source}{letter}{y}")


# ---- how a rendered department travels and sits in the spool ----

# (sums pickled, XML rows pickled and compressed, CSV compressed, list tables pickled): the list tables apart,
# since only the county checks read them, and the small sums are read twice
Packed = tuple[bytes, bytes, "bytes | None", bytes]


def pack(r: Rendered) -> Packed:
    """XML compresses ~5×, and level 1 is cheap: the worker pays it, the spool stays small."""
    dump = pickle.dumps
    return (
        dump(r.sums, protocol=pickle.HIGHEST_PROTOCOL),
        zlib.compress(dump(r.xml, protocol=pickle.HIGHEST_PROTOCOL), 1),
        zlib.compress(r.csv.encode("utf-8"), 1) if r.csv is not None else None,
        dump(r.lists, protocol=pickle.HIGHEST_PROTOCOL),
    )
