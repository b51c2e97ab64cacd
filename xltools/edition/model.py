"""The edition model: frozen dataclasses loaded from schemas/<edition>/ and shared by every stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .expr import Expr, Ref, Side

NUMBER_TYPES = frozenset({"money", "number", "percent", "year"})
# Text cells every edition names in figures.toml: the stages name the unit and the year through them.
UNIT_NAME, UNIT_CODE, BUDGET_YEAR, MONEY_UNIT = "unit_name", "unit_code", "budget_year", "money_unit"
REQUIRED_TEXTS = (UNIT_NAME, UNIT_CODE, BUDGET_YEAR)


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
    # Declared complete against the official classification (edition.toml `complete = true`): only then is a
    # well-formed code missing from the list an error; until then it is a warning to check.
    complete: bool = False

    def fits(self, code: object) -> bool:
        """A code of the right shape: digits only, of a level's length."""
        return isinstance(code, str) and code.isdigit() and len(code) in self.levels

    def accepts(self, code: object) -> bool:
        """Listed, or (while the list is not declared complete) well-formed."""
        return code in self.entries or (not self.complete and self.fits(code))

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


@dataclass(frozen=True, slots=True)
class Figure:
    """A named figure (figures.toml): what a sum of cells means, in the words documents use for it."""

    id: str
    name: str  # the Chinese name as the tables print it
    synonyms: tuple[str, ...]  # other names real documents use (the audit matches sentences on them)
    group: str  # 收入 / 支出 / 三公经费 / 机关运行经费 / 政府采购 / 国有资产 / 上年数 / …
    side: Side  # the parsed sum (identity language)
    unit: str  # the resolved unit: the edition's money unit for "money", else as declared (万元, 平方米, 台, …)
    prior: str = ""  # id of the figure holding the prior-year value
    label: str = ""  # the short label in lists of figures (汇总 columns); the name when not given
    money: bool = True  # an amount of money (元 or 万元), as opposed to a quantity
    expr: str = ""  # the expression as written

    @property
    def refs(self) -> list[Ref]:
        return self.side.refs()

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True, slots=True)
class TextCell:
    """A named free-text cell (unit_name, unit_code, budget_year, the narrative texts, …)."""

    id: str
    name: str
    table: str
    row: str
    col: str


@dataclass(frozen=True, slots=True)
class RecordSet:
    """A named set of records: the present rows of a list table (or every row of a fixed one)."""

    id: str
    name: str
    table: str
    children: tuple[tuple[str, str], ...] = ()  # (key, record set): records of that set referring to each record


@dataclass(frozen=True, slots=True)
class Breakdown:
    """County totals by a classification: (table, column, label) summed by 科目编码 (merge's sheets)."""

    id: str
    code_list: str
    sheet: str
    title: str
    columns: tuple[tuple[str, str, str], ...]


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
    # What the tables mean (figures.toml): named figures, text cells and record sets.
    figures: tuple[Figure, ...] = ()
    text_cells: tuple[TextCell, ...] = ()
    record_sets: tuple[RecordSet, ...] = ()
    key_figures: tuple[str, ...] = ()  # the figure ids a county overview shows, in order
    breakdowns: tuple[Breakdown, ...] = ()
    parent: str = ""  # the edition this one extends
    ancestors: tuple[str, ...] = ()  # the ids of the editions it extends, nearest first
    paths: tuple[Path, ...] = ()  # this edition's folder, then its ancestors' (a file is looked up in order)

    def file(self, rel: str) -> Path:
        """The file at `rel` in this edition, or inherited from the nearest ancestor that has it (the
        edition's own path when none has it, so callers report the natural location)."""
        for base in self.paths or (self.path,):
            if (base / rel).exists():
                return base / rel
        return self.path / rel

    def figure(self, figure_id: str) -> Figure:
        f = _figure_index(self).get(figure_id)
        if f is None:
            raise KeyError(f"edition {self.id} has no figure {figure_id!r}")
        return f

    def has_figure(self, figure_id: str) -> bool:
        return figure_id in _figure_index(self)

    def text_cell(self, text_id: str) -> TextCell:
        for t in self.text_cells:
            if t.id == text_id:
                return t
        raise KeyError(f"edition {self.id} has no text cell {text_id!r}")

    def has_text_cell(self, text_id: str) -> bool:
        return any(t.id == text_id for t in self.text_cells)

    def record_set(self, name: str) -> RecordSet:
        for r in self.record_sets:
            if r.id == name:
                return r
        raise KeyError(f"edition {self.id} has no record set {name!r}")

    def has_record_set(self, name: str) -> bool:
        return any(r.id == name for r in self.record_sets)

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


@lru_cache(maxsize=64)
def _figure_index(ed: Edition) -> dict[str, Figure]:
    return {f.id: f for f in ed.figures}


_INDEX: dict[int, tuple[Table, dict[str, Column], dict[str, Row]]] = {}


def _index(t: Table) -> tuple[dict[str, Column], dict[str, Row]]:
    """(columns by key, rows by id) of a table.

    Keyed by identity: hashing a frozen Table hashes all its columns and rows, on every lookup. The table
    is kept in the entry so a recycled id() is never mistaken for it."""
    hit = _INDEX.get(id(t))
    if hit is None or hit[0] is not t:
        hit = _INDEX[id(t)] = (t, {c.key: c for c in t.columns}, {r.id: r for r in t.rows})
    return hit[1], hit[2]
