"""Carry last year's workbook into this year's template: last year's budget figures become the 上年数,
texts carry over, and everything that cannot be carried is listed.

What goes where is data, not code: ``schemas/<target>/migrate/from-<source>.toml`` maps target cells to
source expressions in the identity language (``xltools/edition/expr.py``), evaluated on the source Book
(formulas recomputed, ``Book.eval_side``). A new pair of editions needs a new mapping file only.

Units: an amount is computed exactly in the source table's unit, converted to the target table's unit
(元 <-> 万元, ``xltools.money.convert``) and rounded half up (四舍五入) to the target edition's
``money_decimals``, once per figure: 477884.00 元 -> 47.7884 万元 -> 47.79 万元.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import texts
from .book import INPUT, Book
from .edition import expr as ex
from .edition.check import _check_ref
from .edition.formulas import is_formula, source_tables
from .edition.load import find, load_edition
from .edition.model import Edition, Table
from .errors import EditionError
from .money import convert, to_decimal
from .tomlfile import load as load_toml

MAPPING_DIR = "migrate"
DEFAULT_REASON = texts.text("migrate.migrate.module")
Key = tuple[str, str, str]  # (table, row, column)


@dataclass(frozen=True)
class MigrationMap:
    """A parsed migration file: source edition id, target cells and what fills them."""

    path: Path
    source: str
    amounts: tuple[tuple[ex.Ref, ex.Side, str], ...]  # (target cell, source expression, its text)
    set: tuple[tuple[ex.Ref, str], ...]  # (target cell, value template)
    copy: dict[str, tuple[str, ...] | str]  # table -> row ids, or "*"
    skip: dict[str, str]  # source table -> why it is not carried


@dataclass(frozen=True)
class Unmapped:
    """Something of last year's workbook not carried (side "source"), or a place of the new workbook
    that has no source (side "target")."""

    side: str  # "source" | "target"
    table: str
    sheet: str
    what: str  # the rows or cells concerned, in words
    reason: str

    def __str__(self) -> str:
        return f"【{self.sheet}】{self.what}：{self.reason}"


@dataclass
class Migration:
    source: Edition
    target: Edition
    data: dict[str, Any]  # plain data for write_template(target, path, data)
    amounts: dict[Key, Decimal] = field(default_factory=dict)  # target cell -> converted amount
    copied: int = 0  # text (and other) cells copied
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Stamp entries for the new workbook: the mark of each carried reason text (xltools/reasons.py), so that
    # validate knows it is unedited until the clerk changes it.
    stamp: dict[str, str] = field(default_factory=dict)


# ---- the mapping file ----


def mapping_path(source: Edition | str, target: Edition) -> Path:
    """The target edition's map from the source edition (inherited maps included); a source that extends
    another edition is carried by the map written for that edition when it has none of its own."""
    ids = [source] if isinstance(source, str) else [source.id, *source.ancestors]
    for sid in ids:
        path = target.file(f"{MAPPING_DIR}/from-{sid}.toml")
        if path.is_file():
            return path
    return target.file(f"{MAPPING_DIR}/from-{ids[0]}.toml")


def _cell_ref(text: str, ed: Edition, where: str) -> ex.Ref:
    try:
        ref = ex.parse_ref(text.strip(), None)
    except ex.ExprError as e:
        raise EditionError(f"{where}: {e}") from None
    if ref.kind != "cell":
        raise EditionError(texts.raw("migrate.migrate.cell_ref").format(where=where, text=text))
    _check_ref(ed, ref, where)
    if ed.table(ref.table).kind != "fixed":
        raise EditionError(texts.raw("migrate.migrate.cell_ref_2").format(where=where, text=text))
    return ref


def load_mapping(source: Edition, target: Edition, path: Path | None = None) -> MigrationMap:
    """Parse and check a migration file against both editions (a bad file names its key)."""
    path = Path(path) if path is not None else mapping_path(source, target)
    if not path.is_file():
        raise EditionError(
            texts.raw("migrate.migrate.load_mapping").format(source_id=source.id, target_id=target.id, path=path)
        )
    raw = load_toml(path)
    if raw.get("source") not in (source.id, *source.ancestors):
        raise EditionError(
            texts.raw("migrate.migrate.load_mapping_2").format(
                path=path, raw_get_source=raw.get("source"), source_id=source.id
            )
        )
    amounts = []
    for target_text, source_text in raw.get("amounts", {}).items():
        where = f"{path} [amounts] {target_text!r}"
        ref = _cell_ref(target_text, target, where)
        try:
            side = ex.parse(f"0 == {source_text}").rhs
        except ex.ExprError as e:
            raise EditionError(f"{where}: {e}") from None
        for r in side.refs():
            _check_ref(source, r, where)
        if len({source.table(r.table).unit for r in side.refs()}) > 1:
            raise EditionError(texts.raw("migrate.migrate.load_mapping_3").format(where=where))
        amounts.append((ref, side, str(source_text)))
    if raw.get("prior_from_figures", False):
        amounts += _prior_from_figures(source, target, {(r.table, r.row, r.col) for r, _, _ in amounts})
    sets = [(_cell_ref(k, target, f"{path} [set] {k!r}"), str(v)) for k, v in raw.get("set", {}).items()]
    copy: dict[str, tuple[str, ...] | str] = {}
    for tid, rows in raw.get("copy", {}).items():
        for ed in (source, target):
            if not ed.has_table(tid):
                raise EditionError(texts.raw("migrate.migrate.load_mapping_4").format(path=path, ed_id=ed.id, tid=tid))
        copy[tid] = "*" if rows == "*" else tuple(str(r) for r in rows)
        src, dst = source.table(tid), target.table(tid)
        for row in () if rows == "*" or src.kind == dst.kind == "list" else copy[tid]:
            if not (src.has_row(row) and dst.has_row(row)):
                raise EditionError(texts.raw("migrate.migrate.load_mapping_5").format(path=path, tid=tid, row=row))
    skip = {str(k): str(v) for k, v in raw.get("skip", {}).items()}
    return MigrationMap(path, source.id, tuple(amounts), tuple(sets), copy, skip)


def _prior_from_figures(source: Edition, target: Edition, taken: set[Key]) -> list[tuple[ex.Ref, ex.Side, str]]:
    """prior_from_figures = true: last year's figures become this year's 上年数. Every figure of the target with
    a prior link to a single fixed-table cell receives the source edition's figure of the same id (an explicit
    [amounts] entry for that cell wins; of two figures sharing a prior cell, the first declared does)."""
    out = []
    for f in target.figures:
        if not f.prior or not source.has_figure(f.id):
            continue
        terms = target.figure(f.prior).side.terms
        ref = terms[0][1] if len(terms) == 1 and terms[0][0] == 1 else None
        if not isinstance(ref, ex.Ref) or ref.kind != "cell" or target.table(ref.table).kind != "fixed":
            continue
        side = source.figure(f.id).side
        key = (ref.table, ref.row, ref.col)
        if key in taken or len({source.table(r.table).unit for r in side.refs()}) > 1:
            continue
        taken.add(key)
        out.append((ref, side, f.id))
    return out


# ---- migrating a Book ----


def _put(data: dict[str, Any], t: Table, row: str, col: str, value: Any) -> None:
    data.setdefault(t.id, {}).setdefault(row, {})[col] = value


def _convert(value: Decimal, src: Table, dst: Table, target: Edition) -> Decimal:
    if src.unit in ("元", "万元") and dst.unit in ("元", "万元"):
        return convert(value, src.unit, dst.unit, target.money_decimals)
    return value


def _typed(text: str, t: Table, row: str, col: str, where: Path) -> Decimal | str:
    """A [set] value: a number for number cells (the cover year), else text."""
    r = t.row(row) if t.kind == "fixed" else None
    if t.cell_type(r, t.column(col)) not in ("year", "number", "money", "percent"):
        return text
    value = to_decimal(text)
    if value is None:
        raise EditionError(
            texts.raw("migrate.migrate.typed").format(where=where, t_id=t.id, row=row, col=col, text=text)
        )
    return value


def migrate_book(book: Book, target: Edition, mapping: MigrationMap | None = None) -> Migration:
    """Plain data of the new workbook, from last year's Book. Pure: reads the Book, writes nothing."""
    source = book.edition
    m = mapping or load_mapping(source, target)
    out = Migration(source, target, {})
    used: set[Key] = set()  # source cells carried (or deliberately replaced)
    filled: set[Key] = set()  # target cells given a value

    for ref, side, _text in m.amounts:
        dst = target.table(ref.table)
        refs = side.refs()
        missing = sorted(source_tables(source, tuple(side.refs())) & book.missing_tables)
        key = (ref.table, ref.row, ref.col)
        if missing:
            out.unmapped.append(
                Unmapped(
                    "target",
                    dst.id,
                    dst.sheet,
                    f"“{dst.row(ref.row).label}”",
                    texts.raw("migrate.migrate.migrate_book_2").format(
                        source_table_missing_0_sheet=source.table(missing[0]).sheet
                    ),
                )
            )
            continue
        if refs and all(book.is_blank(r) for r in refs):
            continue  # not provided last year: stays blank (not compared)
        for r in refs:
            used.update((r.table, row, r.col) for row in book.ref_rows(r))
        src = source.table(refs[0].table) if refs else dst
        value = _convert(book.eval_side(side), src, dst, target)
        _put(out.data, dst, ref.row, ref.col, value)
        out.amounts[key] = value
        filled.add(key)

    subs = {"year": str(target.year), "money_unit": target.money_unit}
    for ref, template in m.set:
        t = target.table(ref.table)
        text = template
        for k, v in subs.items():
            text = text.replace("{" + k + "}", v)
        _put(out.data, t, ref.row, ref.col, _typed(text, t, ref.row, ref.col, m.path))
        filled.add((ref.table, ref.row, ref.col))
        if source.has_table(ref.table):
            used.add((ref.table, ref.row, ref.col))

    for tid, rows in m.copy.items():
        out.copied += _copy(book, target, tid, rows, out, used)

    out.stamp.update(_carried_marks(target, out.data))
    out.unmapped.extend(_not_carried(book, m, used))
    out.unmapped.extend(_no_source(target, m, filled))
    if book.edition.year + 1 != target.year:
        out.notes.append(
            texts.raw("migrate.migrate.migrate_book").format(
                book_edition_year=book.edition.year, target_year=target.year
            )
        )
    return out


def _carried_marks(target: Edition, data: dict[str, Any]) -> dict[str, str]:
    """The mark of every reason text carried into the new workbook (its need is checked against the figures)."""
    from . import reasons

    out = {}
    for r in reasons.spec(target).reasons:
        tc = target.text_cell(r.text)
        rows = data.get(tc.table)
        value = rows.get(tc.row, {}).get(tc.col) if isinstance(rows, dict) else None
        if isinstance(value, str) and value.strip():
            out[reasons.CARRIED_PREFIX + r.text] = reasons.carried_mark(value.strip())
    return out


def _copy(book: Book, target: Edition, tid: str, rows: tuple[str, ...] | str, out: Migration, used: set[Key]) -> int:
    src, dst = book.edition.table(tid), target.table(tid)
    if tid in book.missing_tables:
        out.unmapped.append(
            Unmapped("target", tid, dst.sheet, texts.text("migrate.whole_table"), texts.text("migrate.migrate.copy"))
        )
        return 0
    n = 0

    def value(row: str, col: str) -> Any:
        cell = book.cell(tid, row, col)
        if cell is None or cell.state != INPUT or cell.value is None:
            return None
        used.add((tid, row, col))
        if isinstance(cell.value, Decimal) and src.column(col).type == "money":
            return _convert(cell.value, src, dst, target)
        return cell.value

    if src.kind == "list" and dst.kind == "list":
        cols = [c.key for c in src.columns if dst.has_column(c.key)]
        records = []
        for row in book.rows(tid):
            rec = {c: v for c in cols if (v := value(row, c)) is not None}
            if rec:
                records.append(rec)
        if len(records) > dst.rows_max:
            out.unmapped.append(
                Unmapped(
                    "source",
                    tid,
                    src.sheet,
                    texts.raw("migrate.migrate.copy_2").format(
                        dst_rows_max_1=dst.rows_max + 1, len_records_dst_rows_max=len(records) - dst.rows_max
                    ),
                    texts.raw("migrate.migrate.copy_3").format(dst_rows_max=dst.rows_max),
                )
            )
            records = records[: dst.rows_max]
        out.data[tid] = records
        return sum(len(r) for r in records)
    ids = [r.id for r in src.rows if dst.has_row(r.id)] if rows == "*" else list(rows)  # checked by load_mapping
    for row in ids:
        for c in src.value_columns(src.row(row).side):
            if dst.has_column(c.key) and (v := value(row, c.key)) is not None:
                _put(out.data, dst, row, c.key, v)
                n += 1
    return n


def _not_carried(book: Book, m: MigrationMap, used: set[Key]) -> list[Unmapped]:
    """Every table of last year's workbook holding input not carried, with the mapping's reason."""
    out: list[Unmapped] = []
    left_by_table: dict[str, list[Key]] = {}
    for k, c in book.cells.items():
        if c.state == INPUT and c.value is not None and k not in used:
            left_by_table.setdefault(k[0], []).append(k)
    for t in book.edition.tables:
        if t.id in book.missing_tables:
            out.append(
                Unmapped(
                    "source",
                    t.id,
                    t.sheet,
                    texts.text("migrate.whole_table"),
                    texts.text("migrate.migrate.not_carried_2"),
                )
            )
            continue
        left = left_by_table.get(t.id)
        if not left:
            continue
        if t.kind == "list":
            rows = sorted({k[1] for k in left}, key=lambda r: int(r[1:]))
            what = texts.raw("migrate.migrate.not_carried").format(len_rows=len(rows))
        else:
            order = {r.id: i for i, r in enumerate(t.rows)}
            rows = sorted({k[1] for k in left}, key=order.__getitem__)
            what = "、".join(f"“{t.row(r).label}”" for r in rows)
        out.append(Unmapped("source", t.id, t.sheet, what, m.skip.get(t.id, DEFAULT_REASON)))
    return out


def _no_source(target: Edition, m: MigrationMap, filled: set[Key]) -> list[Unmapped]:
    """Rows of the target tables that receive amounts but have no source expression."""
    out: list[Unmapped] = []
    mapped = {r.table for r, _, _ in m.amounts}
    for tid in sorted(mapped, key=[t.id for t in target.tables].index):
        t = target.table(tid)
        declared = {(r.row, r.col) for r, _, _ in m.amounts if r.table == tid}
        missing = [
            r
            for r in t.rows
            for c in t.value_columns(r.side)
            if c.type == "money"
            and c.key not in r.na
            and (r.id, c.key) not in declared
            and not is_formula(target, t, r.id, c.key)
        ]
        if missing:
            out.append(
                Unmapped(
                    "target",
                    tid,
                    t.sheet,
                    "、".join(f"“{r.label}”" for r in missing),
                    texts.text("migrate.migrate.no_source"),
                )
            )
    return out


# ---- files ----


def migrate_file(
    old: str | Path,
    target_id: str,
    year: int | None,
    output: str | Path,
    force: bool = False,
    mapping_file: str | Path | None = None,
) -> Migration:
    """Read last year's workbook, write this year's (refusing to overwrite, atomically), return the result.
    Raises UnreadableError for an unusable input and EditionError for an unknown edition or mapping."""
    from .outputs import atomic_write, check_target
    from .reader.read import read_workbook
    from .template.write import write_template

    old, output = Path(old), Path(output)
    find(target_id)  # a clear error for an unknown edition before reading anything
    check_target(output, [old], force)
    result = read_workbook(old)
    book = result.book
    target = load_edition(target_id, year if year is not None else book.edition.year + 1)
    mapping = load_mapping(book.edition, target, Path(mapping_file) if mapping_file else None)
    mig = migrate_book(book, target, mapping)
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        mig.notes.append(texts.raw("migrate.migrate.migrate_file").format(len_errors=len(errors)))
    atomic_write(output, lambda tmp: write_template(target, tmp, mig.data, stamp=mig.stamp))
    return mig
