"""The per-file work of a merge: one pure function, path -> `FileResult` (model.py).

`process` reads and validates one workbook exactly as `xltools validate` does, and sends back a typed
record of plain, picklable values: its identity (sha256, size, mtime), its verdict, its first findings
and, for a valid workbook, the figures the outputs need. It keeps no state between calls, so it can run
in a process pool or on a cluster engine. Amounts travel as exact decimal strings.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any

from ..book import INPUT
from ..ooxml.package import MAX_FILE, read_at_most
from .model import (
    INTERNAL,
    INVALID,
    OK,
    UNREADABLE,
    BookData,
    CheckedRows,
    FileFacts,
    FileResult,
    FindingNote,
    TableRows,
)

if TYPE_CHECKING:
    from ..book import Book
    from ..edition.model import Column, Edition, Table
    from .render import Packed

MAX_FINDINGS = 5  # first findings sent back per file; the counts are always complete


def dec_str(value: Decimal | None) -> str | None:
    """An exact amount as text ('1234.50'); None stays None."""
    if value is None:
        return None
    return format(value, "f")


def file_facts(path: str) -> FileFacts:
    """A file's identity, read once (a crashed worker's file, a file the Dask client cannot ship)."""
    return read_once(path)[1]


def _read_bytes(fh: IO[bytes]) -> bytes:
    return read_at_most(fh)  # bounded: the file may grow between the stat and the read


def read_once(path: str) -> tuple[bytes | None, FileFacts, bool]:
    """The file's bytes (None: the reader's own checks must speak), its identity taken from those very bytes,
    and whether it changed while it was read (its size or mtime before the read differ from after it)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None, FileFacts(), False
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE:  # refused by size, never read whole
        return None, FileFacts("", st.st_size, st.st_mtime, st.st_mtime_ns), False
    try:
        with open(path, "rb") as fh:
            before = os.fstat(fh.fileno())
            data = _read_bytes(fh)
            after = os.fstat(fh.fileno())
        now = os.stat(path)  # a rewrite by rename leaves the open file as it was: look at the path too
    except (OSError, ValueError):
        return None, FileFacts("", st.st_size, st.st_mtime, st.st_mtime_ns), False
    facts = FileFacts(hashlib.sha256(data).hexdigest(), before.st_size, before.st_mtime, before.st_mtime_ns)
    ident = [(s.st_size, s.st_mtime_ns) for s in (st, before, after, now)]
    changed = len(set(ident)) > 1 or (st.st_ino, st.st_dev) != (now.st_ino, now.st_dev) or len(data) != st.st_size
    return data, facts, changed


def _note(f: Any) -> FindingNote:
    return FindingNote(f.rule, f.severity, f.sheet, f.cell, f.message, f.hint)


NUM, NAME, TEXT = 0, 1, 2  # how a sent cell is read: its amount, its name (typed, else the code list's), its text


def _kinds(t: Table, cols: tuple[Column, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((c.key, NUM if c.is_numeric else NAME if c.type == "name" and t.code_list else TEXT) for c in cols)


@dataclass(frozen=True)
class _TablePlan:
    table: Table
    cols: tuple[Column, ...]
    sent: tuple[tuple[str, int], ...]  # (key, NUM/NAME/TEXT) of each of cols
    rows: tuple[tuple[str, tuple[bool, ...]], ...]  # fixed tables: (row id, which of cols the row has)
    checked: tuple[tuple[str, bool], ...] = ()  # list tables: (key, numeric) of every column (county.checked_rows)
    # list tables: (key, numeric, NUM/NAME/TEXT or -1 when not sent) of every column, in the table's order
    row_cols: tuple[tuple[str, bool, int], ...] = ()


@lru_cache(maxsize=16)
def _plan(ed: Edition) -> tuple[tuple[_TablePlan, ...], tuple[_TablePlan, ...]]:
    """What `extract` sends for each stacked table, worked out once per edition (not once per file); and the
    list tables that are not stacked (their column checks' view is sent all the same)."""
    from . import spec
    from .render import table_columns

    out = []
    stacked = spec.stacked_tables(ed)
    for t in stacked:
        cols = tuple(table_columns(t))
        rows = []
        if t.kind == "fixed":
            for r in t.rows:
                mine = {c.key for c in t.value_columns(r.side)} - set(r.na)
                rows.append((r.id, tuple(c.key in mine for c in cols)))
        checked = tuple((c.key, c.is_numeric) for c in t.columns) if t.kind == "list" else ()
        sent = dict(_kinds(t, cols))
        row_cols = tuple((c.key, c.is_numeric, sent.get(c.key, -1)) for c in t.columns) if t.kind == "list" else ()
        out.append(_TablePlan(t, cols, _kinds(t, cols), tuple(rows), checked, row_cols))
    ids = {t.id for t in stacked}
    others = tuple(
        _TablePlan(t, (), (), (), tuple((c.key, c.is_numeric) for c in t.columns))
        for t in ed.tables
        if t.kind == "list" and t.id not in ids
    )
    return tuple(out), others


def _checked(book: Book, p: _TablePlan) -> CheckedRows:
    """A list table that is not stacked, as its column checks see it (county.checked_rows, rules/columns.py
    `value`), with the plan's columns."""
    tid, cells, amount = p.table.id, book.cells, book.amount
    seen = []
    for r in book.rows(tid):
        view: list[Decimal | str | None] = []
        for key, numeric in p.checked:
            c = cells.get((tid, r, key))
            view.append(None if c is None else amount(tid, r, key) if numeric and c.state != INPUT else c.value)
        seen.append((r, tuple(view)))
    return CheckedRows(tuple(k for k, _ in p.checked), tuple(seen))


def _text(book: Book, tid: str, row: str, key: str, kind: int, names: Any) -> str | None:
    """A sent cell that is not an amount: the typed text; an auto name falls back to the code list's name."""
    return _text_of(book.cells.get((tid, row, key)), book, tid, row, kind, names)


def _text_of(c: Any, book: Book, tid: str, row: str, kind: int, names: Any) -> str | None:
    v = c.value if c is not None else None
    if kind == NAME:
        if c is not None and c.state == INPUT and isinstance(v, str):
            return v
        entry = names.get(book.code(tid, row))
        return entry.name if entry is not None else None
    if v is None:
        return None
    return (v if isinstance(v, str) else format(v, "f")) or None


def extract(book: Book) -> BookData:
    """The figures of a valid book the merge outputs need: key figures, the rows of each stacked table (amounts
    recomputed, as exact text) and every list table as its column checks see it (county.checked_rows), read in
    one pass over each list table's cells."""
    from . import spec

    ed = book.edition
    figures = {f.id: dec_str(book.eval_side(f.side)) for f in spec.figures(ed)}
    tables: dict[str, TableRows] = {}
    lists: dict[str, CheckedRows] = {}
    plans, other_lists = _plan(ed)
    cells, amount = book.cells, book.amount
    for p in plans:
        t = p.table
        tid = t.id
        if tid in book.missing_tables:
            continue
        names = ed.codes[t.code_list].entries if t.code_list else {}
        rows: list[tuple[str, tuple[str | None, ...]]] = []
        if t.kind == "list":
            seen: list[tuple[str, tuple[Decimal | str | None, ...]]] = []
            for r in book.rows(tid):
                vals: list[str | None] = []
                view: list[Decimal | str | None] = []
                for key, numeric, kind in p.row_cols:  # one read of each cell for both views
                    c = cells.get((tid, r, key))
                    if c is None:
                        v = None
                    elif numeric and c.state != INPUT:
                        v = amount(tid, r, key)  # rules/columns.py `value`
                    else:
                        v = c.value
                    view.append(v)
                    if kind == NUM:
                        a = v if c is not None and c.state != INPUT else amount(tid, r, key)
                        vals.append(None if a is None else format(a, "f"))
                    elif kind >= 0:
                        vals.append(_text_of(c, book, tid, r, kind, names))
                rows.append((r, tuple(vals)))
                seen.append((r, tuple(view)))
            lists[tid] = CheckedRows(tuple(k for k, _ in p.checked), tuple(seen))
        else:
            for rid, mine in p.rows:
                vals = []
                keep = False  # fixed rows whose amounts are all zero carry no information in a county stack
                for (key, kind), m in zip(p.sent, mine, strict=True):
                    if not m:
                        vals.append(None)
                    elif kind == NUM:
                        a = amount(tid, rid, key)
                        if a is None:
                            vals.append(None)
                        else:
                            vals.append(format(a, "f"))
                            keep = keep or a != 0
                    else:
                        v = _text(book, tid, rid, key, kind, names)
                        vals.append(v)
                        keep = keep or v is not None
                if keep:
                    rows.append((rid, tuple(vals)))
        tables[tid] = TableRows(tuple(c.key for c in p.cols), tuple(rows))
    for p in other_lists:
        if p.table.id not in book.missing_tables:
            lists[p.table.id] = _checked(book, p)
    return BookData(figures, tables, {t.id: lists[t.id] for t in ed.tables if t.id in lists})


def process(path: str) -> FileResult:
    """Read, validate and extract one workbook. Never raises: every outcome is a result."""
    return _run(path)[0]


def _run(path: str, facts: FileFacts | None = None, data: bytes | None = None) -> tuple[FileResult, Edition | None]:
    """With `facts` and `data` (shipped bytes) those are used; else the file is read once here, and the bytes
    hashed are the bytes checked. A file that changed while it was read is 无法读取, with that reason."""
    if facts is None:
        data, facts, changed = read_once(path)
        if changed:
            from .. import texts

            return FileResult(path, facts, UNREADABLE, detail=texts.text("merge.changed_while_read", path=path)), None
    known: dict[str, Any] = {}  # what was learnt before a failure of ours is still reported
    try:
        from ..validate import validate_file
        from . import spec

        report = validate_file(path, data=data)
        known.update(
            errors=len(report.errors),
            warnings=len(report.warnings),
            findings=tuple(_note(f) for f in report.findings[:MAX_FINDINGS]),
        )
        if report.unreadable or report.book is None:
            detail = report.findings[0].message if report.findings else ""
            return FileResult(path, facts, UNREADABLE, detail=detail, **known), None
        book = report.book
        ed = book.edition
        (ct, cr, cc), (nt, nr, nc) = spec.unit_refs(ed)
        known.update(
            unit_code=book.text(ct, cr, cc),
            unit_name=book.text(nt, nr, nc),
            edition=ed.id,
            edition_title=ed.title,
            version=ed.version,
            year=ed.year,
            money_unit=ed.money_unit,
        )
        if report.errors:
            return FileResult(path, facts, INVALID, **known), ed
        return FileResult(path, facts, OK, data=extract(book), **known), ed
    except Exception as e:  # a bug of ours must not lose the file: it is reported, the merge goes on
        return FileResult(path, facts, INTERNAL, detail=f"{type(e).__name__}: {str(e)[:200]}", **known), None


Outcome = tuple[FileResult, "Packed | None"]  # the record without its data, and its rendered rows packed


def prepare(path: str, with_csv: bool, facts: FileFacts | None = None, data: bytes | None = None) -> Outcome:
    """What a worker sends the merge for one file: `process`, then the output rows rendered (render.py)."""
    res, ed = _run(path, facts, data)
    if res.data is None or ed is None:
        return res, None
    try:
        from .render import pack, render

        packed = pack(render(res, ed, with_csv))
    except Exception as e:  # as above: reported, never lost
        detail = f"{type(e).__name__}: {str(e)[:200]}"
        return replace(res, verdict=INTERNAL, detail=detail, data=None), None
    return replace(res, data=None), packed


def prepare_bytes(path: str, content: bytes, facts: FileFacts, with_csv: bool) -> Outcome:
    """`prepare` on a machine that cannot see `path`: the file's bytes travel with the task and are checked as
    they are (the identity in `facts` was taken from these same bytes)."""
    return prepare(path, with_csv, facts, content)
