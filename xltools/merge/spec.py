"""What the merge shows, bound to an edition: its key figures and classification sheets (the edition's
figures.toml), the stacked tables, and the merge's words (xltools/texts/merge.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .. import texts
from ..edition import expr as ex
from ..edition.model import UNIT_CODE, UNIT_NAME, Edition, Table


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


@lru_cache(maxsize=16)
def figures(ed: Edition) -> tuple[Figure, ...]:
    """The edition's key figures (figures.toml key_figures), one 汇总 column each, in order."""
    return tuple(Figure(f.id, f.title, f.group, f.side) for f in (ed.figure(k) for k in ed.key_figures))


@lru_cache(maxsize=16)
def classifications(ed: Edition) -> tuple[Classification, ...]:
    """The county totals by classification: the edition's breakdowns (figures.toml)."""
    return tuple(
        Classification(b.id, b.code_list, b.sheet, b.title, tuple(ClassColumn(*c) for c in b.columns))
        for b in ed.breakdowns
    )


def unit_refs(ed: Edition) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    """(table, row, col) of the 单位编码 and 单位名称 cells (the edition's text cells)."""
    code, name = ed.text_cell(UNIT_CODE), ed.text_cell(UNIT_NAME)
    return (code.table, code.row, code.col), (name.table, name.row, name.col)


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
