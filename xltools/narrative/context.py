"""The data the narrative templates see, built from a Book: every figure as a Decimal (recomputed by the
Book, never a cached value), the list tables as records, the free texts, the prior-year figures
(None where the clerk left them blank), the 名词解释 and the 空表说明 of the published tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import MAXYEAR, MINYEAR
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from .. import texts
from ..book import Book
from ..edition.layout import table_layout
from ..edition.model import BUDGET_YEAR, UNIT_CODE, UNIT_NAME, Table
from ..money import ZERO
from .config import NarrativeConfig, load_config
from .phrases import Phrases

PRIOR_BASIS = "prior_basis"  # the named text cell saying whether the 上年数 is 上年预算 or 上年决算 (optional)


@dataclass(frozen=True)
class Placeholder:
    label: str  # the text row's label, e.g. 部门职责
    sheet: str
    cell: str

    @property
    def text(self) -> str:
        return texts.text("narrative.placeholder", label=self.label)


def placeholder_pattern(group: str) -> str:
    """A regex for a rendered placeholder, from the catalogue's own wording; group wraps its label
    ("(" for the label alone, ")" for the whole placeholder, "" for no group)."""
    head, _, tail = str(texts.raw("narrative.placeholder")).partition("{label}")
    label = f"[^{re.escape(tail[0])}]*" if tail else ".*?"
    if group == "(":
        return f"{re.escape(head)}({label}){re.escape(tail)}"
    if group == ")":
        return f"({re.escape(head)}{label}{re.escape(tail)})"
    return f"{re.escape(head)}{label}{re.escape(tail)}"


@dataclass
class Context:
    data: dict[str, Any]
    phrases: Phrases
    config: NarrativeConfig
    published: list[str]  # table ids of the publication workbook, in order
    empty_notes: dict[str, str]  # published tables that are empty -> their 空表说明
    placeholders: list[Placeholder] = field(default_factory=list)  # every required text that is missing
    unit_name: str = ""
    year: int = 0
    unit_code: str = ""


class Names:
    """A read-only namespace for the templates: ``fig.items`` is the figure "items", never a dict method
    (Jinja tries attributes before keys). Unknown names are undefined, or `default` when one is given."""

    __slots__ = ("_items", "_default")

    def __init__(self, items: dict[str, Any], default: Any = None) -> None:
        self._items, self._default = items, default

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Any:
        if key in self._items or self._default is None:
            return self._items[key]
        return self._default

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


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
    t = book.edition.text_cell(BUDGET_YEAR)
    cell = book.cell(t.table, t.row, t.col)
    if cell is not None and isinstance(cell.value, Decimal) and MINYEAR <= cell.value <= MAXYEAR:
        return int(cell.value)
    return book.edition.year


def _texts(book: Book) -> tuple[dict[str, Any], list[Placeholder]]:
    """Every named text cell; a missing text the narrative requires becomes a visible placeholder. A reason
    of the edition's reasons.toml is required when its figures changed by the threshold or more."""
    from .. import reasons

    ed = book.edition
    texts: dict[str, Any] = {}
    missing: list[Placeholder] = []
    governed = reasons.governed(ed)
    needed = reasons.needed_texts(book) if governed else set()
    for tc in ed.text_cells:
        value = book.text_cell(tc.id)
        t = ed.table(tc.table)
        required = tc.id in needed if tc.id in governed else t.row(tc.row).required == "narrative"
        if value or not required:
            texts[tc.id] = value
            continue
        ph = Placeholder(t.row(tc.row).label, t.sheet, table_layout(ed, tc.table).cell(tc.row, tc.col))
        missing.append(ph)
        texts[tc.id] = Markup(ph.text)  # safe: our own text, shown as is
    return texts, missing


def at_level(records: list[dict[str, Any]], *levels: int) -> list[dict[str, Any]]:
    """The records of a coded set at the first of the given code levels present (e.g. 款, else 类)."""
    for level in levels:
        picked = [r for r in records if r.get("code_level") == level]
        if picked:
            return picked
    return []


def build_context(book: Book, config: NarrativeConfig | None = None) -> Context:
    ed = book.edition
    config = config or load_config(ed)
    year = budget_year(book)
    basis = config.basis.get(book.text_cell(PRIOR_BASIS), "") if ed.has_text_cell(PRIOR_BASIS) else ""
    phrases = Phrases(
        prior_year=year - 1, unit=ed.money_unit, decimals=ed.money_decimals, words=config.phrases, basis=basis
    )
    texts, missing = _texts(book)
    published = published_tables(book, config)
    empty = EmptyNotes(
        {tid: config.empty_note(ed, tid, year) for tid in published if table_is_empty(book, ed.table(tid))}
    )
    # A record set's 空表说明 under its own name too (templates name record sets, not tables).
    by_set = {**empty, **{r.id: empty[r.table] for r in ed.record_sets if r.table in empty}}
    data: dict[str, Any] = {
        "fig": Names(book.figures()),
        "figs": Names({f.id: f for f in ed.figures}),
        "records": Names({r.id: book.records(r.id) for r in ed.record_sets}),
        "text": Names(texts),
        "year": year,
        "prior_year": year - 1,
        "basis": basis,
        "money_unit": ed.money_unit,
        "decimals": ed.money_decimals,
        "terms": [{"name": t.name, "text": t.text} for t in config.terms],
        "empty": Names(by_set, default=""),
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
    return Context(
        data, phrases, config, published, empty, missing, book.text_cell(UNIT_NAME), year, book.text_cell(UNIT_CODE)
    )
