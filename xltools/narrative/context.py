"""The data the narrative templates see, built from a Book: every figure as a Decimal (recomputed by the
Book, never a cached value), the list tables as records, the free texts, the prior-year figures
(None where the clerk left them blank), the 名词解释 and the 空表说明 of the published tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import MAXYEAR, MINYEAR
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from ..book import Book
from ..edition.layout import table_layout
from ..edition.model import Table
from ..money import ZERO
from .config import NarrativeConfig, load_config
from .phrases import Phrases

PLACEHOLDER = "【请填写：{label}】"


@dataclass(frozen=True)
class Placeholder:
    label: str  # the text row's label, e.g. 部门职责
    sheet: str
    cell: str

    @property
    def text(self) -> str:
        return PLACEHOLDER.format(label=self.label)


@dataclass
class Context:
    data: dict[str, Any]
    phrases: Phrases
    config: NarrativeConfig
    published: list[str]  # table ids of the publication workbook, in order
    empty_notes: dict[str, str]  # published tables that are empty -> their 空表说明
    placeholders: list[Placeholder] = field(default_factory=list)  # every required text that is missing


class EmptyNotes(dict[str, str]):
    """Table id -> 空表说明 of the empty published tables; '' for any other table (templates may ask)."""

    def __missing__(self, key: str) -> str:
        return ""


def table_is_empty(book: Book, t: Table) -> bool:
    """No money (or, in the asset table, no quantity) anywhere; for tables without amounts: no rows."""
    rows = book.rows(t.id) if t.kind == "list" else [r.id for r in t.rows]
    numeric = [c for c in t.columns if c.type in ("money", "number")]
    if not numeric:
        if t.kind == "list":
            return not rows
        return all(not book.text(t.id, r, c.key).strip() for r in rows for c in t.value_columns())
    return all(
        book.amount(t.id, r, c.key) in (None, ZERO)
        for r in rows
        for c in numeric
        if not (t.kind == "fixed" and c.key in t.row(r).na)
    )


def table_number(t: Table) -> str:
    """'表8' from the sheet name '表8 政府性基金表'; '' for tables without a number."""
    head = t.sheet.split(maxsplit=1)[0] if t.sheet.strip() else ""
    return head if head.startswith("表") and head[1:].isdigit() else ""


def published_tables(book: Book, config: NarrativeConfig) -> list[str]:
    """Official tables and the narrative tables, in the edition's order; optional ones only when filled."""
    out = []
    for t in book.edition.tables:
        if not (t.official or t.id in config.narrative_tables):
            continue
        if t.id in config.skip_when_empty and table_is_empty(book, t):
            continue
        out.append(t.id)
    return out


def budget_year(book: Book) -> int:
    """The cover's 预算年度; the edition's year when it is blank or not a usable year (validate reports it)."""
    cell = book.cell("cover", "year", "value")
    if cell is not None and isinstance(cell.value, Decimal) and MINYEAR <= cell.value <= MAXYEAR:
        return int(cell.value)
    return book.edition.year


def _amount(book: Book, table: str, row: str, col: str) -> Decimal:
    return book.amount(table, row, col) or ZERO


def code_name(book: Book, table: str, row: str) -> str:
    """The name the clerk typed, else the code list's name (the template's auto name is a formula)."""
    t = book.edition.table(table)
    cell = book.cell(table, row, "name")
    if cell is not None and isinstance(cell.value, str) and cell.value.strip():
        return cell.value.strip()
    entry = book.edition.codes[t.code_list].entries.get(book.code(table, row)) if t.code_list else None
    return entry.name if entry else ""


def _records(book: Book, table: str) -> list[dict[str, Any]]:
    """A list table's present rows as {column: value}, amounts as Decimal (0 for blanks), texts as str."""
    t = book.edition.table(table)
    out = []
    for r in book.rows(table):
        rec: dict[str, Any] = {"row": r}
        for c in t.columns:
            if c.type in ("money", "number", "percent"):
                rec[c.key] = book.amount(table, r, c.key) if c.type == "percent" else _amount(book, table, r, c.key)
            elif c.type == "name":
                rec[c.key] = code_name(book, table, r)
            else:
                rec[c.key] = book.text(table, r, c.key).strip()
        out.append(rec)
    return out


def _project_items(book: Book) -> list[dict[str, Any]]:
    """项目支出 by 经济分类: the 款 (level-2) rows of table pe with their names; the 类 rows when no 款 is given."""
    t = book.edition.table("pe")
    codes = book.edition.codes[t.code_list]
    rows = book.rows("pe")
    for level in (2, 1):
        picked = [r for r in rows if codes.level_of(book.code("pe", r)) == level]
        if picked:
            items = (
                {
                    "code": book.code("pe", r),
                    "name": code_name(book, "pe", r),
                    "amount": _amount(book, "pe", r, "amount"),
                }
                for r in picked
            )
            return [i for i in items if i["amount"] != ZERO]
    return []


def _texts(book: Book) -> tuple[dict[str, Any], list[Placeholder]]:
    t = book.edition.table("text")
    lay = table_layout(book.edition, "text")
    texts: dict[str, Any] = {}
    missing: list[Placeholder] = []
    for r in t.rows:
        value = book.text("text", r.id, "text").strip()
        if value:
            texts[r.id] = value
        elif r.required == "narrative":
            ph = Placeholder(r.label, t.sheet, lay.cell(r.id, "text"))
            missing.append(ph)
            texts[r.id] = Markup(ph.text)  # safe: our own text, shown as is
        else:
            texts[r.id] = ""
    return texts, missing


def _assets(book: Book) -> dict[str, Any]:
    t = book.edition.table("assets")
    rows = []
    by_id: dict[str, Any] = {}
    for r in t.rows:
        rec = {
            "id": r.id,
            "label": r.label,
            "quantity": None if "quantity" in r.na else _amount(book, "assets", r.id, "quantity"),
            "value": _amount(book, "assets", r.id, "value"),
        }
        rows.append(rec)
        by_id[r.id] = rec
    return {"unit": t.unit, "rows": rows, **by_id}


def build_context(book: Book, config: NarrativeConfig | None = None) -> Context:
    ed = book.edition
    config = config or load_config(ed)
    year = budget_year(book)
    phrases = Phrases(prior_year=year - 1, unit=ed.money_unit, decimals=ed.money_decimals, words=config.phrases)
    a = _amount
    # Income lines as the edition declares them (2020: 事业收入 … 其他收入; 一体化: 单位资金); the lines
    # beyond the four fiscal sources add up to other_sources (其他来源收入).
    inc = {
        r.id[4:]: a(book, "t01", r.id, "inc") for r in ed.table("t01").rows if r.side == 0 and r.id.startswith("inc_")
    }
    core = ("general", "fund", "soe", "special", "subtotal", "carryover", "total")
    for k in core:
        inc.setdefault(k, ZERO)
    inc["other_sources"] = sum((v for k, v in inc.items() if k not in core), ZERO)
    exp = {
        "total": a(book, "t01", "exp_total", "amount"),
        "subtotal": a(book, "t01", "exp_subtotal", "amount"),
        "carryforward": a(book, "t01", "exp_carryforward", "amount"),
        "basic": a(book, "t03", "total", "basic"),
        "personnel": a(book, "t03", "total", "basic_personnel"),
        "public": a(book, "t03", "total", "basic_public"),
        "project": a(book, "t03", "total", "project"),
    }
    sg = {
        k: a(book, "t07", "budget", k)
        for k in ("total", "abroad", "vehicle", "vehicle_purchase", "vehicle_run", "reception")
    }
    proc = {r.id: a(book, "proc", r.id, "amount") for r in ed.table("proc").rows}
    prior = {r.id: book.amount("prior", r.id, "amount") for r in ed.table("prior").rows}
    inds = _records(book, "ind")
    projects = []
    for p in _records(book, "proj"):
        p["plan"] = [p["plan_q1"], p["plan_h1"], p["plan_oct"], p["plan_dec"]]
        p["indicators"] = [i for i in inds if i["project"] == p["code"]]
        projects.append(p)
    texts, missing = _texts(book)
    published = published_tables(book, config)
    empty = EmptyNotes(
        {tid: config.empty_note(ed, tid, year) for tid in published if table_is_empty(book, ed.table(tid))}
    )
    data: dict[str, Any] = {
        "unit": {k: book.text("cover", k, "value").strip() for k in ("name", "code", "nature")},
        "year": year,
        "prior_year": year - 1,
        "money_unit": ed.money_unit,
        "decimals": ed.money_decimals,
        "inc": inc,
        "exp": exp,
        "project_items": _project_items(book),
        "opex": a(book, "opex", "amount", "amount"),
        "sg": sg,
        "proc": proc,
        "prior": prior,
        "orgs": _records(book, "org"),
        "projects": projects,
        "dept_tasks": _records(book, "dept_perf"),
        "assets": _assets(book),
        "text": texts,
        "terms": [{"name": t.name, "text": t.text} for t in config.terms],
        "empty": empty,
        "empty_tables": [
            {
                "id": tid,
                "title": config.title(ed, tid),
                "sheet": ed.table(tid).sheet,
                "number": table_number(ed.table(tid)),
                "note": note,
            }
            for tid, note in empty.items()
        ],
    }
    return Context(data, phrases, config, published, empty, missing)
