"""The edition model: frozen dataclasses loaded from schemas/<edition>/ and shared by every stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .expr import Expr

NUMBER_TYPES = frozenset({"money", "number", "percent", "year"})


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: tuple[str, ...]
    type: str  # label | text | money | number | percent | code | name | unit | enum | year
    side: int = 0
    width: float = 14
    required: str = ""  # "" | "error" | "warning" | "narrative"
    enum: str = ""
    strict: bool = True
    pattern: str = ""
    pattern_hint: str = ""  # how to write a value that fails the pattern, shown to the clerk
    unique: bool = False
    ref: str = ""  # "<table>.<column>" this column must refer to
    total: bool = True  # include in the 合计 row (money/number columns of list tables)
    wrap: bool = False

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMBER_TYPES

    @property
    def title(self) -> str:
        return "".join(h for h in self.header if h not in ("小计",)) if len(self.header) > 1 else self.header[0]


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    label: str
    side: int = 0
    bottom: bool = False
    type: str = ""  # overrides the value column's type (forms)
    enum: str = ""
    required: str = ""
    pattern: str = ""
    pattern_hint: str = ""  # how to write a value that fails the pattern, shown to the clerk
    na: tuple[str, ...] = ()
    code: str = ""  # rows generated from a code list


@dataclass(frozen=True, slots=True)
class Table:
    id: str
    sheet: str
    title: str
    kind: str  # fixed | list
    unit: str  # 元 | 万元 | "" (no money)
    columns: tuple[Column, ...]
    rows: tuple[Row, ...] = ()
    official: bool = False
    rows_max: int = 0
    total_row: bool = False
    code_list: str = ""
    units: bool = False
    empty_note: str = ""
    info: str = ""
    blank: str = "zero"  # what a blank number cell means: "zero", or "none" (not provided)

    def column(self, key: str) -> Column:
        c = _index(self)[0].get(key)
        if c is None:
            raise KeyError(f"{self.id}: no column {key!r}")
        return c

    def has_column(self, key: str) -> bool:
        return key in _index(self)[0]

    def row(self, row_id: str) -> Row:
        r = _index(self)[1].get(row_id)
        if r is None:
            raise KeyError(f"{self.id}: no row {row_id!r}")
        return r

    def has_row(self, row_id: str) -> bool:
        return row_id in _index(self)[1]

    def label_column(self, side: int) -> Column | None:
        for c in self.columns:
            if c.side == side and c.type == "label":
                return c
        return None

    def value_columns(self, side: int | None = None) -> list[Column]:
        return [c for c in self.columns if c.type != "label" and (side is None or c.side == side)]

    def cell_type(self, row: Row | None, col: Column) -> str:
        return row.type if row is not None and row.type else col.type

    @property
    def sides(self) -> list[int]:
        return sorted({c.side for c in self.columns})


@dataclass(frozen=True, slots=True)
class CodeEntry:
    code: str
    name: str
    status: str  # V | U | R
    note: str = ""
    group: str = ""


@dataclass(frozen=True, slots=True)
class CodeList:
    id: str
    title: str
    levels: tuple[int, ...]
    entries: dict[str, CodeEntry]

    def level_of(self, code: str) -> int:
        """1 for 类, 2 for 款, 3 for 项; 0 when the length is not a level."""
        try:
            return self.levels.index(len(code)) + 1
        except ValueError:
            return 0

    def parent(self, code: str) -> str:
        lvl = self.level_of(code)
        return code[: self.levels[lvl - 2]] if lvl > 1 else ""

    def at_level(self, level: int) -> list[CodeEntry]:
        n = self.levels[level - 1]
        return [e for e in self.entries.values() if len(e.code) == n]


@dataclass(frozen=True, slots=True)
class Identity:
    id: str
    title: str
    expr: Expr | None
    formula: bool = False
    per_row: str = ""
    when: Expr | None = None
    severity: str = "error"
    hint: str = ""
    kind: str = "expr"  # expr | monotone
    table: str = ""
    columns: tuple[str, ...] = ()
    final: Decimal | None = None
    each_rows: str = ""  # "rows:<table>": expanded per book over the codes present
    template: str = ""  # the unexpanded expression, for each_rows


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: editions are loaded once and cached
class Edition:
    id: str
    version: str
    accepted_versions: tuple[str, ...]
    title: str
    year: int
    years: tuple[int, ...]
    money_unit: str
    money_factor: int
    money_decimals: int
    tolerance: Decimal
    tables: tuple[Table, ...]
    codes: dict[str, CodeList]
    stale_names: dict[str, tuple[str, str, int]]  # code -> (old name, new name, since year)
    enums: dict[str, tuple[str, ...]]
    identities: tuple[Identity, ...]
    magnitude: tuple[Decimal, Decimal, tuple[tuple[str, str], ...]]
    path: Path
    options: dict[str, object] = field(default_factory=dict)
    fingerprint: str = ""
    # Extra tolerance per rounded figure in a comparison (editions in 万元: 0.005, half the last digit).
    tolerance_per_term: Decimal = Decimal(0)

    def tolerance_for(self, figures: int) -> Decimal:
        """Allowed difference when comparing sums that involve `figures` independently rounded figures."""
        return self.tolerance + self.tolerance_per_term * figures

    def table(self, table_id: str) -> Table:
        t = _table_index(self).get(table_id)
        if t is None:
            raise KeyError(f"edition {self.id} has no table {table_id!r}")
        return t

    def has_table(self, table_id: str) -> bool:
        return table_id in _table_index(self)


@lru_cache(maxsize=64)
def _table_index(ed: Edition) -> dict[str, Table]:
    return {t.id: t for t in ed.tables}


_INDEX: dict[int, tuple[Table, dict[str, Column], dict[str, Row]]] = {}


def _index(t: Table) -> tuple[dict[str, Column], dict[str, Row]]:
    """(columns by key, rows by id) of a table.

    Keyed by identity: hashing a frozen Table hashes all its columns and rows, on every lookup. The table
    is kept in the entry so a recycled id() is never mistaken for it."""
    hit = _INDEX.get(id(t))
    if hit is None or hit[0] is not t:
        hit = _INDEX[id(t)] = (t, {c.key: c for c in t.columns}, {r.id: r for r in t.rows})
    return hit[1], hit[2]
