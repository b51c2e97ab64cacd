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

The findings are warnings: they join each input's findings (spooled), so they appear in OUT.xlsx's 校验结果
and in the JSON summary with their sheet and cell. With more than one job, `watch` starts a process before the
workers that checks the departments while they are spooled, and `start` hands it the included inputs at the
end; with one job they run in line. pandas and pandera are imported here only, on demand.
"""

from __future__ import annotations

import multiprocessing
import sys
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from statistics import median
from typing import TYPE_CHECKING, Any

from .. import texts
from ..edition.layout import table_layout
from ..findings import ERROR, WARNING, Finding, finding
from ..rules.columns import stacked_findings
from .model import CheckedRows, FindingNote, InputEntry

if TYPE_CHECKING:
    from ..book import Book
    from ..edition.model import Edition, Table
    from .spool import Spool

RULES = ("county.unit-codes", "county.shared-value", "county.unit-magnitude")
# Departments a shared-value finding names: each of them has the finding too, so naming every one would make
# the county's findings grow with the square of a much-copied code's users and no cell readable.
NAMED_OTHERS = 5
FILE, ROW = "_file", "_row"  # the stacked frame's own columns: which workbook, which row of its table


def checked_rows(book: Book, tables: Iterable[Table] | None = None) -> dict[str, CheckedRows]:
    """Every present list table of a book (or of `tables`) as its column checks see it (a worker sends this back;
    work.extract reads the stacked ones in the same pass as their rows)."""
    from ..rules.columns import value

    out = {}
    for t in book.edition.tables if tables is None else tables:
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


def _note(f: Finding) -> FindingNote:
    return FindingNote(f.rule, f.severity, f.sheet, f.cell, f.message, f.hint)


def _unit(e: InputEntry) -> str:
    """What tells two departments apart for the shared-value check: the 单位编码, else the file."""
    return e.unit_code or e.path


def _unique_columns(ed: Edition) -> list[tuple[Table, Any]]:
    """Every (list table, column declared unique), in the edition's order."""
    return [(t, c) for t in ed.tables if t.kind == "list" for c in t.columns if c.unique]


class _UnitCodes:
    """One 单位名称 under two or more 单位编码: a finding on each input of that name, naming the others in input
    order. Only a name with several codes keeps the list of its inputs."""

    def __init__(self, ed: Edition, entries: list[InputEntry]) -> None:
        from . import spec

        (ct, cr, cc), _ = spec.unit_refs(ed)
        self.table = ed.table(ct)
        self.a1 = table_layout(ed, ct).cell(cr, cc)
        first: dict[str, str] = {}
        several: set[str] = set()
        for e in entries:
            if e.unit_name and e.unit_code and first.setdefault(e.unit_name, e.unit_code) != e.unit_code:
                several.add(e.unit_name)
        del first
        self.groups: dict[str, list[InputEntry]] = {}
        for e in entries:
            if e.unit_code and e.unit_name in several:
                self.groups.setdefault(e.unit_name, []).append(e)

    def of(self, e: InputEntry) -> Iterator[Finding]:
        group = self.groups.get(e.unit_name) if e.unit_code else None
        if group is not None:
            others = [_other(o.unit_code, o.path) for o in group if o.unit_code != e.unit_code]
            t = self.table
            yield finding(
                "county.unit-codes",
                WARNING,
                t.sheet,
                self.a1,
                table=t.id,
                name=e.unit_name,
                code=e.unit_code,
                others=others,
            )


class _SharedValues:
    """A value of a unique column (项目编码) used by two or more departments: a finding on each of its cells,
    naming the other departments' files.

    Per unique column each distinct value gets a rank, the order in which it is first met (input by input, row
    by row); only a value of several departments keeps the list of its inputs. An input's findings are its
    cells holding such values, by rank and then row: the order of one pass over the whole county."""

    def __init__(self, ed: Edition, entries: list[InputEntry], seen: _Seen) -> None:
        self.columns = [(t, c, table_layout(ed, t.id)) for t, c in _unique_columns(ed)]
        self.entries = entries
        self.ranks: list[dict[Any, int]] = []
        self.firsts: list[list[Any]] = []  # by rank: the value as first met (the finding quotes it)
        self.where: list[dict[int, list[int]]] = []  # rank of a value of several departments -> its inputs
        for u in range(len(self.columns)):
            rank: dict[Any, int] = {}
            firsts: list[Any] = []
            first_unit: list[str] = []
            several = bytearray()
            for e in entries:
                me = _unit(e)
                for v in seen.pairs(e.key, u)[1::2]:
                    r = rank.get(v)
                    if r is None:
                        rank[v] = len(firsts)
                        firsts.append(v)
                        first_unit.append(me)
                        several.append(0)
                    elif not several[r] and first_unit[r] != me:
                        several[r] = 1
            del first_unit
            where: dict[int, list[int]] = {}
            if any(several):
                for i, e in enumerate(entries):
                    for v in seen.pairs(e.key, u)[1::2]:
                        r = rank[v]
                        if several[r]:
                            got = where.setdefault(r, [])
                            if not got or got[-1] != i:
                                got.append(i)
            self.ranks.append(rank)
            self.firsts.append(firsts)
            self.where.append(where)

    def of(self, e: InputEntry, seen: _Seen) -> Iterator[Finding]:
        from ..rules.labels import quoted

        for u, (t, c, lay) in enumerate(self.columns):
            where, rank = self.where[u], self.ranks[u]
            if not where:
                continue
            pairs = seen.pairs(e.key, u)
            mine = sorted(((rank[v], n) for n, v in enumerate(pairs[1::2]) if rank[v] in where), key=lambda rn: rn[0])
            me = _unit(e)
            for r, n in mine:
                others = sorted(
                    {
                        _other(o.unit_name or o.unit_code, o.path)
                        for o in map(self.entries.__getitem__, where[r])
                        if _unit(o) != me
                    }
                )
                yield finding(
                    "county.shared-value",
                    WARNING,
                    t.sheet,
                    lay.cell(pairs[2 * n], c.key),
                    table=t.id,
                    label=quoted(c.title),
                    raw=str(self.firsts[u][r]),
                    count=len(others),
                    others=others[:NAMED_OTHERS],
                    more="cut" if len(others) > NAMED_OTHERS else "default",
                )


def _anchor(ed: Edition, side: Any) -> tuple[str, str, str]:
    ref = side.refs()[0]
    t = ed.table(ref.table)
    try:
        return t.sheet, table_layout(ed, t.id).cell(ref.row, ref.col), t.id
    except KeyError:
        return t.sheet, "A1", t.id


class _Magnitude:
    """A department whose key figure is about 10,000 times the county's median of it (or 1/10,000): per figure
    the median and count of the non-zero values over the county (one figure at a time, so only one figure's
    values are ever held), then each input's own figures against them."""

    def __init__(self, ed: Edition, entries: list[InputEntry], seen: _Seen) -> None:
        from . import spec

        self.ed = ed
        self.low, self.high, _ = ed.magnitude
        self.stats: list[tuple[int, Any, Decimal, int, tuple[str, str, str]]] = []  # (index, figure, median, n, cell)
        for j, fig in enumerate(spec.figures(ed)):
            values = [abs(Decimal(v)) for e in entries if (v := seen.figure(e.key, j))]
            if len(values) < 3:
                continue  # a median of one or two departments says nothing
            self.stats.append((j, fig, median(values), len(values), _anchor(ed, fig.side)))

    def of(self, e: InputEntry, seen: _Seen) -> Iterator[Finding]:
        if not self.stats:
            return
        mine = seen.figures(e.key)
        for j, fig, mid, count, (sheet, a1, table) in self.stats:
            if not mine[j]:
                continue
            v = Decimal(mine[j])
            ratio = abs(v) / mid
            big = ratio if ratio >= 1 else 1 / ratio
            if self.low <= big <= self.high:
                shown = f"{ratio:.0f}" if ratio >= 1 else f"1/{1 / ratio:.0f}"
                yield finding(
                    "county.unit-magnitude",
                    WARNING,
                    sheet,
                    a1,
                    table=table,
                    label=fig.label,
                    actual=v,
                    expected=mid,
                    ratio=shown,
                    unit=self.ed.money_unit,
                    count=count,
                )


CHUNK = 500  # departments stacked at once: the column checks are per workbook, so memory stays flat in N
LIVE_CHUNK = 250  # the process started before the workers checks the spooled departments this many at a time
# (pandera costs ~25 ms a table and call whatever the rows: 100 departments a call cost twice the CPU of 250)
POLL = 0.25  # seconds between its looks at the spool
LIVE_NAME = "xltools-county"  # the live county process's multiprocessing name
SEP = "\x1f"  # between a department's key figures in its one text (decimal texts never hold it)
NO_PAIRS: tuple[Any, ...] = ()


class _Seen:
    """What the county checks need of each department, per spool id, kept small (~0.3 KB a department, where
    dicts of its figures and CheckedRows of its unique columns cost ~5 KB): its stacked column findings, when
    it has any; its key figures as one text (the non-zero amounts, blank for zero or none: the magnitude check
    leaves those out); and per unique column its non-blank cells, flat (row, value, row, value …)."""

    def __init__(self) -> None:
        self.notes: dict[int, list[FindingNote]] = {}
        self.kept: dict[int, tuple[str, tuple[tuple[Any, ...], ...]]] = {}

    def take(self, ed: Edition, rows: list[tuple[int, str, dict[str, CheckedRows], dict[str, str | None]]]) -> None:
        """rows: (spool id, path, list tables, key figures) of departments of one edition."""
        from . import spec

        lists_tables = [t for t in ed.tables if t.kind == "list"]
        chunk = [(path, lists) for _key, path, lists, _figs in rows]
        by_path: dict[str, list[FindingNote]] = defaultdict(list)
        for t in lists_tables:
            for path, f in stacked_findings(ed, t, stack(t, chunk), FILE, ROW):
                by_path[path].append(_note(f))
        unique_cols = [(t.id, c.key) for t, c in _unique_columns(ed)]
        fig_ids = [f.id for f in spec.figures(ed)]
        intern = sys.intern
        for key, path, lists, figs in rows:
            if by_path.get(path):
                self.notes[key] = by_path[path]
            texts_ = [figs.get(k) or "" for k in fig_ids]
            text = SEP.join(v if v and Decimal(v) != 0 else "" for v in texts_)
            mine = []
            for tid, col in unique_cols:
                part = lists.get(tid)
                flat: list[Any] = []
                if part is not None and col in part.cols:
                    i = part.cols.index(col)
                    for r, v in part.rows:
                        if v[i] is not None:
                            flat += (intern(r), v[i])
                mine.append(tuple(flat) if flat else NO_PAIRS)
            self.kept[key] = (text, tuple(mine))

    def read(self, ed: Edition, spool: Spool, entries: list[InputEntry]) -> None:
        """Take the departments of `entries` not seen yet, from the spool, CHUNK at a time."""
        todo = [e for e in entries if e.key and e.key not in self.kept]
        for at in range(0, len(todo), CHUNK):
            part = todo[at : at + CHUNK]
            self.take(ed, [(e.key, e.path, spool.lists(e.key), spool.sums(e.key).figures) for e in part])

    def has(self, key: int) -> bool:
        return key in self.kept

    def pairs(self, key: int, u: int) -> tuple[Any, ...]:
        """The department's non-blank cells of unique column u, flat (row, value, …); none when not seen."""
        got = self.kept.get(key)
        return got[1][u] if got is not None else NO_PAIRS

    def figures(self, key: int) -> list[str]:
        """The department's key figures in the edition's order (blank: zero or none)."""
        return self.kept[key][0].split(SEP)

    def figure(self, key: int, j: int) -> str:
        got = self.kept.get(key)
        return got[0].split(SEP)[j] if got is not None else ""


Grouped = list[tuple[int, list[FindingNote]]]  # (index of the input, its county findings in order)


def _findings(ed: Edition, entries: list[InputEntry], seen: _Seen | Spool) -> Iterator[tuple[int, list[FindingNote]]]:
    """Every county finding over the included inputs, input by input (index of the input, its notes in order:
    its stacked column findings table by table, then the county checks'); inputs without any are left out.
    `seen`: what a live county process took from the spool while the workers ran (anything missing is read
    now), or the spool itself.

    The stacked column checks ran on a chunk of departments at a time (a workbook's own checks never look at
    another workbook); only a few figures and the values of the unique columns are kept for the checks over
    the whole county, and each input's findings are made when its turn comes (a 项目编码 shared by many
    departments gives each a finding naming all the others: held all at once, they grew with N²)."""
    if not isinstance(seen, _Seen):
        spool, seen = seen, _Seen()
        seen.read(ed, spool, entries)
    codes = _UnitCodes(ed, entries)
    shared = _SharedValues(ed, entries, seen)
    magnitude = _Magnitude(ed, entries, seen)
    for i, e in enumerate(entries):
        keyed = seen.has(e.key)
        notes = list(seen.notes.get(e.key, ())) if keyed else []
        notes.extend(_note(f) for f in codes.of(e))
        if keyed:
            notes.extend(_note(f) for f in shared.of(e, seen))
            notes.extend(_note(f) for f in magnitude.of(e, seen))
        if notes:
            yield i, notes


ANSWER_BATCH = 200  # inputs' findings per message from the live process: the main process never holds them all
ASK_BATCH = 1000  # included inputs (path, spool id, 单位编码, 单位名称) per message to it, for the same reason


def _batches(found: Iterable[tuple[int, list[FindingNote]]]) -> Iterator[Grouped]:
    part: Grouped = []
    for item in found:
        part.append(item)
        if len(part) == ANSWER_BATCH:
            yield part
            part = []
    if part:
        yield part


def _counts(entries: list[InputEntry]) -> array[int]:
    """(errors, warnings) of the county findings of every input, flat: 16 bytes an input, not an object each."""
    return array("q", bytes(16 * len(entries)))


def _spool_part(entries: list[InputEntry], part: Grouped, spool: Spool, counts: array[int]) -> None:
    """Spool some inputs' county findings (the outputs list them after the worker's own first findings) and
    tally them; the main process keeps no findings in memory (a shared 项目编码 gives one to every input)."""
    for i, more in part:
        for note in more:
            counts[2 * i + (0 if note.severity == ERROR else 1)] += 1
    spool.put_county((entries[i].key, more) for i, more in part)


def _spool_all(ed: Edition, entries: list[InputEntry], spool: Spool) -> array[int]:
    """The county checks in this process, their findings spooled batch by batch; their tallies."""
    counts = _counts(entries)
    for part in _batches(_findings(ed, entries, spool)):
        _spool_part(entries, part, spool, counts)
    return counts


def _count(entries: list[InputEntry], counts: array[int]) -> None:
    for i, e in enumerate(entries):
        e.errors += counts[2 * i]
        e.warnings += counts[2 * i + 1]


# ---- the live county process: started before the workers, it checks the departments as they are spooled ----


def _live(conn: Any, folder: Any, parent: int) -> None:
    """The forked process: import pandas and pandera, then stack and check each LIVE_CHUNK of spooled valid
    departments while the workers run; at the end, given the included inputs, the rest and the county checks."""
    import pickle
    import signal

    from ..edition import load_edition
    from .parent import die_with_parent
    from .spool import Spool

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's: it ends this one
    die_with_parent(parent)
    import pandera.pandas  # noqa: F401  (the imports, while the workers run)

    spool = Spool.reader(folder)  # its own connection: the parent's never crosses the fork
    seen, last = _Seen(), 0
    try:
        while True:
            if conn.poll(POLL):
                msg = conn.recv()
                if msg is None:  # the merge needs no county view (refused, failed)
                    return
                edition, year, light, more = msg
                entries = [InputEntry(p, key=k, unit_code=c, unit_name=n) for p, k, c, n in light]
                while more:  # the included inputs come ASK_BATCH at a time
                    msg = conn.recv()
                    if msg is None:
                        return
                    _, _, light, more = msg
                    entries.extend(InputEntry(p, key=k, unit_code=c, unit_name=n) for p, k, c, n in light)
                ed = load_edition(edition, year)
                seen.read(ed, spool, entries)
                for part in _batches(_findings(ed, entries, seen)):
                    conn.send(("part", part))
                conn.send(("ok", None))
                return
            (count,) = spool.db.execute(
                "SELECT count(*) FROM results WHERE id > ? AND lists IS NOT NULL", (last,)
            ).fetchone()
            if count < LIVE_CHUNK:
                continue
            rows = spool.db.execute(
                "SELECT id, path, record, lists, sums FROM results WHERE id > ? AND lists IS NOT NULL"
                " ORDER BY id LIMIT ?",
                (last, LIVE_CHUNK),
            ).fetchall()
            groups: dict[tuple[str, Any], list[Any]] = defaultdict(list)
            for key, path, record, lists, sums in rows:
                res = pickle.loads(record)
                groups[(res.edition, res.year)].append((key, path, pickle.loads(lists), pickle.loads(sums).figures))
                last = max(last, key)
            for (edition, year), part in groups.items():
                seen.take(load_edition(edition, year), part)
    except Exception as e:  # the merge then runs the checks itself: never lost
        try:
            conn.send(("error", f"{type(e).__name__}: {e}"))
        except OSError:
            pass
    finally:
        spool.close(remove=False)


class Live:
    """The main process's handle on the live county process (`watch`)."""

    def __init__(self, spool: Spool) -> None:
        import os

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_live, args=(child, spool.folder, os.getpid()), name=LIVE_NAME, daemon=True)
        self.proc.start()
        child.close()

    def ask(self, ed: Edition, entries: list[InputEntry]) -> bool:
        """Send the included inputs, ASK_BATCH at a time: the main process never holds a copy of all of them
        (False: the process is gone)."""
        try:
            at = 0
            while True:
                light = [(e.path, e.key, e.unit_code, e.unit_name) for e in entries[at : at + ASK_BATCH]]
                at += ASK_BATCH
                self.conn.send((ed.id, ed.year, light, at < len(entries)))
                if at >= len(entries):
                    break
        except OSError:
            return False
        return True

    def receive(self, take: Callable[[Grouped], None]) -> bool:
        """Wait for the findings, `take` each batch of them; False when the process failed before the end."""
        ok = False
        try:
            while True:
                status, part = self.conn.recv()
                if status != "part":
                    ok = status == "ok"
                    break
                take(part)
        except (EOFError, OSError):
            pass
        self.stop()
        return ok

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def watch(spool: Spool, jobs: int) -> Live | None:
    """Before the workers: with more than one job (and fork), start the live county process, which imports
    pandas and pandera and checks the departments while they are spooled, so that little is left for the end.
    With one job the checks run in line at the end."""
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return Live(spool)


def start(ed: Edition, entries: list[InputEntry], spool: Spool, live: Live | None) -> Callable[[], None]:
    """Begin the county checks over the included inputs; the function returned waits for them and adds their
    findings to the inputs (call it before the findings are written; calling it again does nothing).

    With a live process (`watch`) the inputs go to it, and it answers while the main process writes the
    stacked sheets; without one the checks run here and now. The main process never holds the departments'
    list tables (its memory stays flat in N), and with a live process never imports pandas."""
    done = False
    if live is None:
        counts = _spool_all(ed, entries, spool)

        def finish_inline() -> None:
            nonlocal done
            if not done:
                done = True
                _count(entries, counts)

        return finish_inline

    spool.commit()  # every result is visible to the other connection
    asked = live.ask(ed, entries)

    def finish() -> None:
        nonlocal done
        if done:
            return
        done = True
        counts = _counts(entries)
        if not asked:
            live.stop()
        if not (asked and live.receive(lambda part: _spool_part(entries, part, spool, counts))):
            counts = _spool_all(ed, entries, spool)  # the process failed: the checks run here (its findings replaced)
        _count(entries, counts)

    return finish


def apply(ed: Edition, entries: list[InputEntry], spool: Spool) -> int:
    """The county checks in this process, their findings added to the inputs; their number."""
    counts = _spool_all(ed, entries, spool)
    _count(entries, counts)
    return sum(counts)
