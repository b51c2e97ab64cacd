"""What the merge shows, bound to an edition: key figures, classification sheets, the stacked tables,
and the Chinese text (all declared in merge.toml)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import texts
from ..edition import expr as ex
from ..edition.model import Edition, Table
from ..tomlfile import tomllib

SPEC_FILE = Path(__file__).with_name("merge.toml")


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    with SPEC_FILE.open("rb") as fh:
        return tomllib.load(fh)


def _fill(raw: Any, params: dict[str, Any]) -> str:
    if not params:
        return str(raw)
    return string.Formatter().vformat(str(raw), (), {k: str(v) for k, v in params.items()})


def text(key: str, **params: Any) -> str:
    """A sentence of the merge's words (xltools/texts/merge.toml), with its {placeholders} filled."""
    return texts.text(f"merge.{key}", **params)


def text_list(key: str, **params: Any) -> list[str]:
    """A list of the merge's words, each item with its {placeholders} filled."""
    return texts.text_list(f"merge.{key}", **params)


@dataclass(frozen=True)
class Figure:
    id: str
    label: str
    group: str
    side: ex.Side


@dataclass(frozen=True)
class ClassColumn:
    table: str
    col: str
    label: str


@dataclass(frozen=True)
class Classification:
    id: str
    code_list: str
    sheet: str
    title: str
    columns: tuple[ClassColumn, ...]


def _ref_ok(ed: Edition, ref: ex.Ref) -> bool:
    if not ed.has_table(ref.table):
        return False
    t = ed.table(ref.table)
    if not t.has_column(ref.col):
        return False
    if t.kind == "list":
        return ref.kind == "code" or (ref.kind == "cell" and ref.row == "total" and t.total_row)
    if ref.kind == "cell":
        return t.has_row(ref.row)
    if ref.kind == "range":
        return t.has_row(ref.row) and t.has_row(ref.last)
    return ref.kind == "prefix"


def _for_edition(section: str, ed: Edition) -> list[dict[str, Any]]:
    entries = _raw().get(section, {})
    return list(entries.get(ed.id, entries.get("default", [])))


@lru_cache(maxsize=16)
def figures(ed: Edition) -> tuple[Figure, ...]:
    """The key figures this edition can show (a figure naming a cell the edition lacks is left out)."""
    out = []
    for raw in _for_edition("figures", ed):
        side = ex.parse(f"{raw['expr']} == 0").lhs
        if all(_ref_ok(ed, r) for r in side.refs()):
            out.append(Figure(raw["id"], raw["label"], raw.get("group", ""), side))
    return tuple(out)


@lru_cache(maxsize=16)
def classifications(ed: Edition) -> tuple[Classification, ...]:
    out = []
    for raw in _for_edition("classification", ed):
        if raw["code_list"] not in ed.codes:
            continue
        cols = tuple(
            ClassColumn(c["table"], c["col"], c["label"])
            for c in raw["columns"]
            if ed.has_table(c["table"])
            and ed.table(c["table"]).has_column(c["col"])
            and ed.table(c["table"]).code_list == raw["code_list"]
        )
        if cols:
            out.append(Classification(raw["id"], raw["code_list"], raw["sheet"], raw["title"], cols))
    return tuple(out)


@lru_cache(maxsize=1)
def unit_refs() -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    """(table, row, col) of the 单位编码 and 单位名称 cells."""
    u = _raw()["units"]
    code = tuple(u["code"].split("."))
    name = tuple(u["name"].split("."))
    return code, name  # type: ignore[return-value]


@lru_cache(maxsize=16)
def stacked_tables(ed: Edition) -> tuple[Table, ...]:
    """The tables stacked across departments in OUT.xlsx and the export (and so the tables whose rows a worker
    sends back): the official ones, and those the classification sheets sum (so every county total is a
    formula over rows the reader can see)."""
    ids = {t.id for t in ed.tables if t.official}
    for c in classifications(ed):
        ids |= {col.table for col in c.columns}
    return tuple(t for t in ed.tables if t.id in ids)


def header_text(t: Table, key: str) -> str:
    """A column's header path as one line: "本年收入-一般公共预算拨款收入"."""
    c = t.column(key)
    return "-".join(c.header)
