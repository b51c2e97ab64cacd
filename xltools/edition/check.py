"""Consistency of an edition's own data: every reference names a real table, row and column."""

from __future__ import annotations

from ..errors import EditionError
from . import expr as ex
from .expr import Expr, Ref
from .formulas import formula_key
from .model import REQUIRED_TEXTS, Edition, Identity


def _check_ref(ed: Edition, ref: Ref, where: str) -> None:
    if not ed.has_table(ref.table):
        raise EditionError(f"{where}: 未知的表 {ref.table!r}")
    t = ed.table(ref.table)
    if not t.has_column(ref.col):
        raise EditionError(f"{where}: 表 {t.id} 没有列 {ref.col!r}")
    if ref.kind == "cell" and t.kind == "fixed" and not t.has_row(ref.row):
        raise EditionError(f"{where}: 表 {t.id} 没有行 {ref.row!r}")
    if ref.kind == "cell" and t.kind == "list" and not (ref.row == "total" and t.total_row):
        raise EditionError(f"{where}: 清单表 {t.id} 只能引用合计行 total")
    if ref.kind == "range":
        # Both ends on the column's side, in order (formulas.row_ids slices between them).
        ids = [r.id for r in t.rows if r.side == t.column(ref.col).side]
        if ref.row not in ids or ref.last not in ids or ids.index(ref.row) > ids.index(ref.last):
            raise EditionError(f"{where}: 表 {t.id} 的行范围 {ref.row}..{ref.last} 无效")
    if ref.kind == "code" and t.kind != "list":
        raise EditionError(f"{where}: 按编码引用只能用于清单表，{t.id} 不是")


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
                raise EditionError(f"{where}: formula 标识的左边必须是单个单元格")
    if ident.each_rows:
        # Expanded per book over the codes present: check its shape once, with a stand-in code.
        if not ed.has_table(ident.each_rows.split(":", 1)[1]):
            raise EditionError(f"{where}: each_code 引用了未知的表 {ident.each_rows!r}")
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
            raise EditionError(f"工作表名不合法：{s!r}")
    if len(set(sheets)) != len(sheets):
        raise EditionError("工作表名重复")
    for t in ed.tables:
        for c in t.columns:
            if c.enum and c.enum not in ed.enums:
                raise EditionError(f"tables/{t.id}.toml: 未知枚举 {c.enum!r}")
            if c.ref:
                target, _, col = c.ref.partition(".")
                if not (ed.has_table(target) and ed.table(target).has_column(col)):
                    raise EditionError(f"tables/{t.id}.toml: 列 {c.key} 的 ref {c.ref!r} 不是“表.列”")
        for r in t.rows:
            if r.enum and r.enum not in ed.enums:
                raise EditionError(f"tables/{t.id}.toml: 未知枚举 {r.enum!r}")
        if t.kind == "list" and t.rows_max <= 0:
            raise EditionError(f"tables/{t.id}.toml: 清单表须设置 rows_max")
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
            raise EditionError(f"单元格 {key} 同时由 {seen[key]} 和 {ident.id} 定义为公式")


def check_figures(ed: Edition) -> None:
    """Every reference of figures.toml names a real table, row and column, figure or record set."""
    where = "figures.toml"
    for f in ed.figures:
        w = f"{where} [figure {f.id}]"
        for ref in f.refs:
            _check_ref(ed, ref, w)
            if not ed.table(ref.table).column(ref.col).is_numeric:
                raise EditionError(f"{w}: 表 {ref.table} 的列 {ref.col!r} 不是数字列")
        if f.prior and not ed.has_figure(f.prior):
            raise EditionError(f"{w}: prior 引用了不存在的数字 {f.prior!r}")
        if not f.name:
            raise EditionError(f"{w}: name 不能为空")
    for k in ed.key_figures:
        if not ed.has_figure(k):
            raise EditionError(f"{where} key_figures: 不存在的数字 {k!r}")
    for t in ed.text_cells:
        w = f"{where} [text {t.id}]"
        if not ed.has_table(t.table):
            raise EditionError(f"{w}: 未知的表 {t.table!r}")
        tab = ed.table(t.table)
        if tab.kind != "fixed" or not tab.has_row(t.row) or not tab.has_column(t.col):
            raise EditionError(f"{w}: 表 {t.table} 没有单元格 {t.row}.{t.col}")
    missing = [i for i in REQUIRED_TEXTS if not ed.has_text_cell(i)]
    if missing:
        raise EditionError(f"{where}: 缺少必需的文字单元格 {missing}（单位名称、单位编码、预算年度）")
    names = [r.id for r in ed.record_sets]
    for r in ed.record_sets:
        w = f"{where} [records {r.id}]"
        if not ed.has_table(r.table):
            raise EditionError(f"{w}: 未知的表 {r.table!r}")
        for key, child in r.children:
            if child not in names:
                raise EditionError(f"{w}: children 引用了不存在的记录集 {child!r}")
            ct = ed.table(ed.record_set(child).table)
            if not any(c.ref.partition(".")[0] == r.table for c in ct.columns):
                raise EditionError(f"{w}: 记录集 {child} 的表 {ct.id} 没有引用表 {r.table} 的列（ref）")
            if key in {c.key for c in ed.table(r.table).columns}:
                raise EditionError(f"{w}: children 的名称 {key!r} 与列名相同")
    for b in ed.breakdowns:
        w = f"{where} [breakdown {b.id}]"
        if b.code_list not in ed.codes:
            raise EditionError(f"{w}: 未知代码表 {b.code_list!r}")
        for table, col, _ in b.columns:
            if not (ed.has_table(table) and ed.table(table).has_column(col)):
                raise EditionError(f"{w}: 表 {table!r} 没有列 {col!r}")
            if ed.table(table).code_list != b.code_list:
                raise EditionError(f"{w}: 表 {table} 不按代码表 {b.code_list} 编码")
