"""The county view of a merge: every list table stacked across the included departments and validated with
the pandera schema derived from the edition, and the checks only a county can make.

- The stacked column checks are the checks of rules/columns.py (`column_checks`, the required columns, a
  unique column unique within each workbook), run by pandera over one DataFrame per list table; each failure
  maps back to its file, sheet and cell and gives the very finding `xltools validate` gives for that file
  (tests/merge/test_county.py proves it over the robustness corpus and generated departments).
- One 单位名称 under two or more 单位编码 (a department that submitted under two codes, or a mistyped code).
- A value of a column declared unique (项目编码) used by two or more departments.
- A department whose key figure is about 10,000 times the county's median for that figure, or 1/10,000 of
  it (the edition's magnitude bounds): a 元/万元 slip that no single workbook can show.

The findings are warnings: they are added to each input's findings, so they appear in OUT.xlsx's 校验结果
and in the JSON summary with their sheet and cell. `start` runs them on the idle core while OUT.xlsx's
stacked sheets are written. pandas and pandera are imported here only, on demand.
"""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from statistics import median
from typing import TYPE_CHECKING, Any

from .. import texts
from ..edition.layout import table_layout
from ..findings import ERROR, WARNING, Finding, finding
from ..rules.columns import stacked_findings
from .model import CheckedRows, FindingNote

if TYPE_CHECKING:
    from ..book import Book
    from ..edition.model import Edition, Table
    from .model import InputEntry
    from .spool import Spool

RULES = ("county.unit-codes", "county.shared-value", "county.unit-magnitude")
FILE, ROW = "_file", "_row"  # the stacked frame's own columns: which workbook, which row of its table


def checked_rows(book: Book) -> dict[str, CheckedRows]:
    """Every present list table of a book as its column checks see it (a worker sends this back)."""
    from ..rules.columns import value

    out = {}
    for t in book.edition.tables:
        if t.kind != "list" or t.id in book.missing_tables:
            continue
        cols = tuple(c.key for c in t.columns)
        rows = tuple((r, tuple(value(book, t, r, k) for k in cols)) for r in book.rows(t.id))
        out[t.id] = CheckedRows(cols, rows)
    return out


# ---- the stacked column checks ----


def stack(t: Table, books: Iterable[tuple[str, dict[str, CheckedRows]]]) -> Any:
    """One DataFrame of a list table over many workbooks: FILE, ROW, then the table's columns."""
    import pandas as pd

    keys = [c.key for c in t.columns]
    data: dict[str, list[Any]] = {FILE: [], ROW: [], **{k: [] for k in keys}}
    for path, lists in books:
        part = lists.get(t.id)
        if part is None:
            continue
        where = [part.cols.index(k) if k in part.cols else None for k in keys]
        for row, values in part.rows:
            data[FILE].append(path)
            data[ROW].append(row)
            for k, i in zip(keys, where, strict=True):
                data[k].append(values[i] if i is not None else None)
    return pd.DataFrame(data, dtype=object)


# ---- the checks only a county can make ----


def _other(name: str, path: str) -> str:
    return texts.text("rules.county.other", name=name, path=path)


def _unit_codes(ed: Edition, entries: list[InputEntry]) -> Iterator[tuple[InputEntry, Finding]]:
    from . import spec

    (ct, cr, cc), _ = spec.unit_refs(ed)
    t = ed.table(ct)
    a1 = table_layout(ed, ct).cell(cr, cc)
    by_name: dict[str, list[InputEntry]] = defaultdict(list)
    for e in entries:
        if e.unit_name and e.unit_code:
            by_name[e.unit_name].append(e)
    for name, group in by_name.items():
        codes = sorted({e.unit_code for e in group})
        if len(codes) < 2:
            continue
        for e in group:
            others = [_other(o.unit_code, o.path) for o in group if o.unit_code != e.unit_code]
            yield (
                e,
                finding(
                    "county.unit-codes", WARNING, t.sheet, a1, table=t.id, name=name, code=e.unit_code, others=others
                ),
            )


def _shared_values(
    ed: Edition, entries: list[InputEntry], uniques: dict[tuple[str, str], dict[str, CheckedRows]]
) -> Iterator[tuple[InputEntry, Finding]]:
    """`uniques`: per (list table, unique column), each included workbook's non-blank values of that column."""
    from ..rules.labels import quoted

    by_path = {e.path: e for e in entries}
    for t in ed.tables:
        if t.kind != "list":
            continue
        lay = table_layout(ed, t.id)
        for c in t.columns:
            if not c.unique:
                continue
            seen: dict[Any, list[tuple[InputEntry, str]]] = defaultdict(list)
            for path, part in uniques.get((t.id, c.key), {}).items():
                for row, (v,) in part.rows:
                    seen[v].append((by_path[path], row))
            for v, where in seen.items():
                units = {e.unit_code or e.path for e, _ in where}
                if len(units) < 2:
                    continue
                for e, row in where:
                    others = sorted(
                        {
                            _other(o.unit_name or o.unit_code, o.path)
                            for o, _ in where
                            if (o.unit_code or o.path) != (e.unit_code or e.path)
                        }
                    )
                    yield (
                        e,
                        finding(
                            "county.shared-value",
                            WARNING,
                            t.sheet,
                            lay.cell(row, c.key),
                            table=t.id,
                            label=quoted(c.title),
                            raw=str(v),
                            others=others,
                        ),
                    )


def _anchor(ed: Edition, side: Any) -> tuple[str, str, str]:
    ref = side.refs()[0]
    t = ed.table(ref.table)
    try:
        return t.sheet, table_layout(ed, t.id).cell(ref.row, ref.col), t.id
    except KeyError:
        return t.sheet, "A1", t.id


def _magnitude(
    ed: Edition, entries: list[InputEntry], figures: dict[str, dict[str, str | None]]
) -> Iterator[tuple[InputEntry, Finding]]:
    from . import spec

    low, high, _ = ed.magnitude
    by_path = {e.path: e for e in entries}
    for fig in spec.figures(ed):
        values = {
            p: Decimal(f[fig.id])
            for p, f in figures.items()
            if f.get(fig.id) not in (None, "") and Decimal(f[fig.id]) != 0
        }  # type: ignore[arg-type]
        if len(values) < 3:
            continue  # a median of one or two departments says nothing
        mid = median(abs(v) for v in values.values())
        sheet, a1, table = _anchor(ed, fig.side)
        for path, v in values.items():
            ratio = abs(v) / mid
            big = ratio if ratio >= 1 else 1 / ratio
            if low <= big <= high:
                shown = f"{ratio:.0f}" if ratio >= 1 else f"1/{1 / ratio:.0f}"
                yield (
                    by_path[path],
                    finding(
                        "county.unit-magnitude",
                        WARNING,
                        sheet,
                        a1,
                        table=table,
                        label=fig.label,
                        actual=v,
                        expected=mid,
                        ratio=shown,
                        unit=ed.money_unit,
                        count=len(values),
                    ),
                )


CHUNK = 500  # departments stacked at once: the column checks are per workbook, so memory stays flat in N


def _findings(ed: Edition, entries: list[InputEntry], spool: Spool) -> list[tuple[int, FindingNote]]:
    """Every county finding over the included inputs as (index of the input, note), in a fixed order: per input,
    its stacked column findings table by table, then the county checks.

    The spool is read a chunk of departments at a time (the stacked column checks run on each chunk, since a
    workbook's own checks never look at another workbook); only the key figures and the values of the unique
    columns are kept for the checks over the whole county."""
    index = {e.path: i for i, e in enumerate(entries)}
    lists_tables = [t for t in ed.tables if t.kind == "list"]
    found: list[tuple[str, Finding]] = []
    figures: dict[str, dict[str, str | None]] = {}
    uniques: dict[tuple[str, str], dict[str, CheckedRows]] = {
        (t.id, c.key): {} for t in lists_tables for c in t.columns if c.unique
    }
    keyed = [e for e in entries if e.key]
    for at in range(0, len(keyed), CHUNK):
        chunk = [(e.path, spool.lists(e.key)) for e in keyed[at : at + CHUNK]]
        for t in lists_tables:
            found.extend(stacked_findings(ed, t, stack(t, chunk), FILE, ROW))
        for path, lists in chunk:
            for (tid, key), seen in uniques.items():
                part = lists.get(tid)
                if part is not None and key in part.cols:
                    i = part.cols.index(key)
                    seen[path] = CheckedRows((key,), tuple((r, (v[i],)) for r, v in part.rows if v[i] is not None))
        for e in keyed[at : at + CHUNK]:
            figures[e.path] = spool.sums(e.key).figures
    found.extend((e.path, f) for e, f in _unit_codes(ed, entries))
    found.extend((e.path, f) for e, f in _shared_values(ed, entries, uniques))
    found.extend((e.path, f) for e, f in _magnitude(ed, entries, figures))
    return [(index[p], FindingNote(f.rule, f.severity, f.sheet, f.cell, f.message, f.hint)) for p, f in found]


def _add(entries: list[InputEntry], notes: list[tuple[int, FindingNote]]) -> None:
    """Add the county findings to their inputs, after the worker's own first findings."""
    extra: dict[int, list[FindingNote]] = defaultdict(list)
    for i, note in notes:
        extra[i].append(note)
        if note.severity == ERROR:
            entries[i].errors += 1
        else:
            entries[i].warnings += 1
    for i, more in extra.items():
        entries[i].county = tuple(entries[i].county) + tuple(more)


_JOB: tuple[Any, ...] | None = None  # what a forked child works on (inherited, never pickled)


def _run_job() -> list[tuple[int, FindingNote]]:
    from .spool import Spool

    assert _JOB is not None
    ed, entries, folder = _JOB
    spool = Spool.reader(folder)  # its own connection: the parent's never crosses the fork
    try:
        return _findings(ed, entries, spool)
    finally:
        spool.close(remove=False)


def start(ed: Edition, entries: list[InputEntry], spool: Spool, jobs: int) -> Callable[[], None]:
    """Begin the county checks over the included inputs; the function returned waits for them and adds their
    findings to the inputs (call it before the findings are written; calling it again does nothing).

    The workers are done by now and the main process writes OUT.xlsx alone, so with more than one job (and
    fork available) the checks run in a forked process on the idle core while the stacked sheets are
    written. That process reads the spool itself, through its own connection, so the main process never
    holds the departments' list tables (its memory stays flat in N) nor imports pandas."""
    global _JOB
    done = False
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        notes = _findings(ed, entries, spool)

        def finish_inline() -> None:
            nonlocal done
            if not done:
                done = True
                _add(entries, notes)

        return finish_inline

    spool.commit()  # every result is visible to the other connection
    _JOB = (ed, entries, spool.folder)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    future = pool.submit(_run_job)

    def finish() -> None:
        global _JOB
        nonlocal done
        if done:
            return
        done = True
        try:
            notes = future.result()
        except Exception:  # the child died (out of memory …): the checks are run here instead, never lost
            notes = _findings(ed, entries, spool)
        finally:
            pool.shutdown()
            _JOB = None
        _add(entries, notes)

    return finish


def apply(ed: Edition, entries: list[InputEntry], spool: Spool) -> int:
    """The county checks in this process, their findings added to the inputs; their number."""
    notes = _findings(ed, entries, spool)
    _add(entries, notes)
    return len(notes)
