"""Which cells are formulas, what they compute, and their Excel text: derived from the identities."""

from __future__ import annotations

from functools import lru_cache

from ..cells import a1, col_letter, quote_sheet
from .expr import Const, Ref, Side
from .layout import table_layout
from .model import Edition, Identity, Table

# (table, row, col); row is "*" for a per-row formula, "total" for a list table's 合计 row.
Key = tuple[str, str, str]


def formula_key(ident: Identity) -> Key | None:
    """The cell a `formula = true` identity writes (its single left-hand reference), else None."""
    if not ident.formula or ident.expr is None:
        return None
    lhs = ident.expr.lhs.refs()[0]
    return lhs.table, "*" if lhs.kind == "current" else lhs.row, lhs.col


@lru_cache(maxsize=32)
def formula_cells(ed: Edition) -> dict[Key, tuple[Identity, Side]]:
    out: dict[Key, tuple[Identity, Side]] = {}
    for ident in ed.identities:
        key = formula_key(ident)
        if key is not None and ident.expr is not None:
            out[key] = (ident, ident.expr.rhs)
    return out


def formula_spec(ed: Edition, table: str, row: str, col: str) -> tuple[Identity, Side] | None:
    """The identity and right-hand side behind a formula cell: the cell's own, else its column's per-row one."""
    cells = formula_cells(ed)
    return cells.get((table, row, col)) or cells.get((table, "*", col))


def total_columns(table: Table) -> list[str]:
    """Columns summed in a list table's 合计 row."""
    return [c.key for c in table.columns if c.is_numeric and c.total and c.type != "year"]


@lru_cache(maxsize=256)
def _formula_sets(ed: Edition, table_id: str) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    """(fixed (row, col) formula cells, per-row formula columns) of one table."""
    table = ed.table(table_id)
    cells = formula_cells(ed)
    per_row = frozenset(c for (t, r, c) in cells if t == table_id and r == "*")
    fixed = {(r, c) for (t, r, c) in cells if t == table_id and r != "*"}
    if table.kind == "list" and table.total_row:
        fixed |= {("total", c) for c in total_columns(table)}
    if table.kind == "fixed":
        fixed |= {(r.id, c) for c in per_row for r in table.rows if r.side == table.column(c).side}
        per_row = frozenset()
    return frozenset(fixed), per_row


def is_formula(ed: Edition, table: Table, row: str, col: str) -> bool:
    fixed, per_row = _formula_sets(ed, table.id)
    if (row, col) in fixed:
        return True
    return table.kind == "list" and row != "total" and col in per_row


def _cell_text(ed: Edition, here: Table, ref: Ref, row: str) -> str:
    t = ed.table(ref.table)
    lay = table_layout(ed, t.id)
    prefix = "" if t.id == here.id else quote_sheet(t.sheet) + "!"
    col = lay.col_index[ref.col]
    if ref.kind == "current":
        return a1(lay.excel_row(row), col)
    if ref.kind == "cell":
        return prefix + a1(lay.excel_row(ref.row), col)
    if ref.kind == "code":
        code_col = lay.col_index["code"]
        rows = lay.input_rows()
        vals = f"{prefix}{col_letter(col)}{rows.start}:{col_letter(col)}{rows.stop - 1}"
        codes = f"{prefix}{col_letter(code_col)}{rows.start}:{col_letter(code_col)}{rows.stop - 1}"
        return f'SUMIFS({vals},{codes},"{ref.row}")'
    ids = row_ids(t, ref)
    excel_rows = sorted(lay.excel_row(r) for r in ids)
    if excel_rows and excel_rows == list(range(excel_rows[0], excel_rows[-1] + 1)):
        return f"SUM({prefix}{a1(excel_rows[0], col)}:{a1(excel_rows[-1], col)})"
    return "(" + "+".join(prefix + a1(r, col) for r in excel_rows) + ")" if excel_rows else "0"


def row_ids(t: Table, ref: Ref) -> list[str]:
    """The fixed rows a range or prefix reference covers."""
    side = t.column(ref.col).side
    rows = [r for r in t.rows if r.side == side]
    if ref.kind == "prefix":
        return [r.id for r in rows if r.id.startswith(ref.row)]
    ids = [r.id for r in rows]
    i, j = ids.index(ref.row), ids.index(ref.last)
    return ids[i : j + 1]


def side_text(ed: Edition, here: Table, side: Side, row: str) -> str:
    parts: list[str] = []
    for sign, term in side.terms:
        text = format(term.value, "f") if isinstance(term, Const) else _cell_text(ed, here, term, row)
        parts.append(("-" if sign < 0 else ("+" if parts else "")) + text)
    return "".join(parts)


def excel_formula(ed: Edition, table: Table, row: str, col: str) -> str:
    """The template's formula for a formula cell, with the leading '='."""
    return _excel_formula(ed, table.id, row, col)


@lru_cache(maxsize=65536)
def _excel_formula(ed: Edition, table_id: str, row: str, col: str) -> str:
    table = ed.table(table_id)
    if table.kind == "list" and row == "total":
        lay = table_layout(ed, table.id)
        rng = lay.col_range(col)
        if table.code_list:
            top = ed.codes[table.code_list].levels[0]
            code_rng = lay.col_range("code")
            return f"=SUMPRODUCT((LEN({code_rng})={top})*{rng})"
        return f"=SUM({rng})"
    spec = formula_spec(ed, table.id, row, col)
    if spec is None:
        raise KeyError(f"{table.id}: {row}.{col} is not a formula cell")
    return "=" + side_text(ed, table, spec[1], row)


@lru_cache(maxsize=65536)
def normalise_formula(text: str) -> str:
    """Compare formulas regardless of $, spaces, quotes around sheet names and case."""
    t = text.lstrip("=")
    return t.replace("$", "").replace(" ", "").replace("'", "").replace("_xlfn.", "").upper()


@lru_cache(maxsize=4096)
def source_tables(ed: Edition, refs: tuple[Ref, ...]) -> frozenset[str]:
    """Every table the value of these references comes from, following the template's formula cells: a
    total recomputed from a sheet that could not be read is unknown, not zero."""
    out: set[str] = set()
    seen: set[tuple[Ref, str]] = set()
    stack: list[tuple[Ref, str]] = [(r, "") for r in refs]
    while stack:
        ref, here = stack.pop()  # here: the row a per-row formula was reached from
        if (ref, here) in seen:
            continue
        seen.add((ref, here))
        out.add(ref.table)
        t = ed.table(ref.table)
        if ref.kind == "cell":
            rows = [ref.row]
        elif ref.kind in ("range", "prefix"):
            rows = row_ids(t, ref)
        elif ref.kind == "current" and here:
            rows = [here]
        else:  # a per-row identity or a code reference: any row of the table
            rows = ["*", *(r.id for r in t.rows)]
        for row in rows:
            spec = formula_spec(ed, ref.table, row, ref.col)
            if spec is not None:
                stack.extend((r, row) for r in spec[1].refs())
    return frozenset(out)
