"""Consistency of an edition's own data: every reference names a real table, row and column."""

from __future__ import annotations

from .. import texts
from ..errors import EditionError
from . import expr as ex
from .expr import Expr, Ref
from .formulas import formula_key
from .model import REQUIRED_TEXTS, Edition, Identity


def _check_ref(ed: Edition, ref: Ref, where: str) -> None:
    if not ed.has_table(ref.table):
        raise EditionError(texts.raw("edition.check.ref_unknown_table").format(where=where, ref_table=ref.table))
    t = ed.table(ref.table)
    if not t.has_column(ref.col):
        raise EditionError(
            texts.raw("edition.check.ref_unknown_column").format(where=where, t_id=t.id, ref_col=ref.col)
        )
    if ref.kind == "cell" and t.kind == "fixed" and not t.has_row(ref.row):
        raise EditionError(texts.raw("edition.check.ref_unknown_row").format(where=where, t_id=t.id, ref_row=ref.row))
    if ref.kind == "cell" and t.kind == "list" and not (ref.row == "total" and t.total_row):
        raise EditionError(texts.raw("edition.check.ref_list_not_total").format(where=where, t_id=t.id))
    if ref.kind == "range":
        # Both ends on the column's side, in order (formulas.row_ids slices between them).
        ids = [r.id for r in t.rows if r.side == t.column(ref.col).side]
        if ref.row not in ids or ref.last not in ids or ids.index(ref.row) > ids.index(ref.last):
            raise EditionError(
                texts.raw("edition.check.ref_row_range_invalid").format(
                    where=where, t_id=t.id, ref_row=ref.row, ref_last=ref.last
                )
            )
    if ref.kind == "code" and t.kind != "list":
        raise EditionError(texts.raw("edition.check.ref_code_not_list").format(where=where, t_id=t.id))


def _check_expr(ed: Edition, e: Expr, where: str) -> None:
    for ref in e.lhs.refs() + e.rhs.refs():
        _check_ref(ed, ref, where)


def _check_identity(ed: Edition, ident: Identity) -> None:
    where = f"identities.toml [{ident.id}]"
    if ident.kind == "monotone":
        t = ed.table(ident.table)
        for c in ident.columns:
            t.column(c)
        return
    if ident.expr is not None:
        _check_expr(ed, ident.expr, where)
        if ident.formula:
            lhs = ident.expr.lhs.refs()
            if len(ident.expr.lhs.terms) != 1 or not lhs or lhs[0].kind not in ("cell", "current"):
                raise EditionError(texts.raw("edition.check.formula_left_not_cell").format(where=where))
    if ident.each_rows:
        # Expanded per book over the codes present: check its shape once, with a stand-in code.
        if not ed.has_table(ident.each_rows.split(":", 1)[1]):
            raise EditionError(
                texts.raw("edition.check.each_code_unknown_table").format(where=where, ident_each_rows=ident.each_rows)
            )
        try:
            _check_expr(ed, ex.parse(ident.template.replace("{code}", "0")), where)
        except ex.ExprError as e:
            raise EditionError(f"{where}: {e}") from None
    if ident.when is not None:
        _check_expr(ed, ident.when, where)


def check_edition(ed: Edition) -> None:
    check_figures(ed)
    sheets = [t.sheet for t in ed.tables]
    for s in sheets:
        if len(s) > 31 or any(ch in s for ch in "[]:*?/\\"):
            raise EditionError(texts.raw("edition.check.sheet_name_invalid").format(s=s))
    if len(set(sheets)) != len(sheets):
        raise EditionError(texts.text("edition.check.sheet_name_duplicate"))
    for t in ed.tables:
        for c in t.columns:
            if c.enum and c.enum not in ed.enums:
                raise EditionError(texts.raw("edition.check.column_unknown_enum").format(t_id=t.id, c_enum=c.enum))
            if c.ref:
                target, _, col = c.ref.partition(".")
                if not (ed.has_table(target) and ed.table(target).has_column(col)):
                    raise EditionError(
                        texts.raw("edition.check.column_ref_invalid").format(t_id=t.id, c_key=c.key, c_ref=c.ref)
                    )
        for r in t.rows:
            if r.enum and r.enum not in ed.enums:
                raise EditionError(texts.raw("edition.check.row_unknown_enum").format(t_id=t.id, r_enum=r.enum))
        if t.kind == "list" and t.rows_max <= 0:
            raise EditionError(texts.raw("edition.check.list_rows_max_missing").format(t_id=t.id))
    for pair in ed.magnitude[2]:
        for text in pair:
            try:
                _check_ref(ed, ex.parse_ref(text, None), "edition.toml [magnitude] pairs")
            except ex.ExprError as e:
                raise EditionError(f"edition.toml [magnitude] pairs: {e}") from None
    seen: dict[tuple[str, str, str], str] = {}
    for ident in ed.identities:
        _check_identity(ed, ident)
        # Over the identities, not formula_cells(): that map keeps one identity per cell.
        key = formula_key(ident)
        if key is not None and seen.setdefault(key, ident.id) != ident.id:
            raise EditionError(
                texts.raw("edition.check.formula_cell_twice").format(key=key, seen_key=seen[key], ident_id=ident.id)
            )


def check_figures(ed: Edition) -> None:
    """Every reference of figures.toml names a real table, row and column, figure or record set."""
    where = "figures.toml"
    for f in ed.figures:
        w = f"{where} [figure {f.id}]"
        for ref in f.refs:
            _check_ref(ed, ref, w)
            if not ed.table(ref.table).column(ref.col).is_numeric:
                raise EditionError(
                    texts.raw("edition.check.figure_column_not_numeric").format(
                        w=w, ref_table=ref.table, ref_col=ref.col
                    )
                )
        if f.prior and not ed.has_figure(f.prior):
            raise EditionError(texts.raw("edition.check.prior_unknown_figure").format(w=w, f_prior=f.prior))
        if not f.name:
            raise EditionError(texts.raw("edition.check.figure_name_empty").format(w=w))
    for k in ed.key_figures:
        if not ed.has_figure(k):
            raise EditionError(texts.raw("edition.check.key_figure_unknown").format(where=where, k=k))
    for t in ed.text_cells:
        w = f"{where} [text {t.id}]"
        if not ed.has_table(t.table):
            raise EditionError(texts.raw("edition.check.text_unknown_table").format(w=w, t_table=t.table))
        tab = ed.table(t.table)
        if tab.kind != "fixed" or not tab.has_row(t.row) or not tab.has_column(t.col):
            raise EditionError(
                texts.raw("edition.check.text_unknown_cell").format(w=w, t_table=t.table, t_row=t.row, t_col=t.col)
            )
    missing = [i for i in REQUIRED_TEXTS if not ed.has_text_cell(i)]
    if missing:
        raise EditionError(texts.raw("edition.check.cover_texts_missing").format(where=where, missing=missing))
    names = [r.id for r in ed.record_sets]
    for r in ed.record_sets:
        w = f"{where} [records {r.id}]"
        if not ed.has_table(r.table):
            raise EditionError(texts.raw("edition.check.records_unknown_table").format(w=w, r_table=r.table))
        for key, child in r.children:
            if child not in names:
                raise EditionError(texts.raw("edition.check.children_unknown_records").format(w=w, child=child))
            ct = ed.table(ed.record_set(child).table)
            if not any(c.ref.partition(".")[0] == r.table for c in ct.columns):
                raise EditionError(
                    texts.raw("edition.check.children_without_ref").format(
                        w=w, child=child, ct_id=ct.id, r_table=r.table
                    )
                )
            if key in {c.key for c in ed.table(r.table).columns}:
                raise EditionError(texts.raw("edition.check.children_name_is_column").format(w=w, key=key))
    for b in ed.breakdowns:
        w = f"{where} [breakdown {b.id}]"
        if b.code_list not in ed.codes:
            raise EditionError(
                texts.raw("edition.check.breakdown_unknown_code_list").format(w=w, b_code_list=b.code_list)
            )
        for table, col, _ in b.columns:
            if not (ed.has_table(table) and ed.table(table).has_column(col)):
                raise EditionError(
                    texts.raw("edition.check.breakdown_unknown_column").format(w=w, table=table, col=col)
                )
            if ed.table(table).code_list != b.code_list:
                raise EditionError(
                    texts.raw("edition.check.breakdown_not_coded_by").format(w=w, table=table, b_code_list=b.code_list)
                )
