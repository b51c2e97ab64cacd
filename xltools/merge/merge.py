"""xltools merge: the finance bureau's consolidation of every department's workbook.

    merge(paths, out, roster=None, jobs=None, json_path=None, export_dir=None, prefer_latest=False)

1. Find the input files (folders searched recursively, see discover.py); check every output target first.
2. Read and validate each file in worker processes (`work.process`, a pure function), streaming: at most
   a few files per worker are in flight, and each valid file's figures go to a temporary spool file, so
   memory does not grow with the number of workbooks.
3. Decide each input's status, in this order: 无法读取 (unreadable) > 有错误未纳入 (errors; warnings do not
   exclude) > 版本或年度不一致 (the readable files do not all share one edition and 预算年度: the merge
   refuses to produce totals, there is no majority rule) > 不在名单 (a valid file whose 单位编码 the roster
   lacks: held out, since the roster defines the county, and listed) > 重复 (two valid files with one
   单位编码: both held out, or with prefer_latest the most recently modified is included) > 已纳入.
4. Sum the included departments (Decimal) and write OUT.xlsx, the JSON summary and the export, each
   atomically. When refusing, only the JSON summary is written.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ..edition.model import Edition
from ..errors import EXIT_INVALID, EXIT_OK, OutputError
from ..money import ZERO
from . import spec
from .discover import discover
from .roster import Roster, RosterEntry, read_roster
from .work import INTERNAL, INVALID, OK, UNREADABLE, process

INCLUDED, ERRORS, NOREAD, DUPLICATE, NOT_ON_ROSTER, MISMATCH = (
    "included",
    "invalid",
    "unreadable",
    "duplicate",
    "not_on_roster",
    "mismatch",
)
STATUS_KEYS = (INCLUDED, ERRORS, NOREAD, DUPLICATE, NOT_ON_ROSTER, MISMATCH)
_STATUS_TEXT = {
    INCLUDED: "status_included",
    ERRORS: "status_invalid",
    NOREAD: "status_unreadable",
    DUPLICATE: "status_duplicate",
    NOT_ON_ROSTER: "status_not_on_roster",
    MISMATCH: "status_mismatch",
}
EXPORT_FILES = ("budget-lines.csv", "inputs.csv", "datapackage.json")

Progress = Callable[[int, int], None]


def status_text(key: str) -> str:
    return spec.text(_STATUS_TEXT[key])


@dataclass
class InputEntry:
    """One input: a file, or a folder that could not be searched (kind "folder")."""

    path: str
    kind: str = "file"
    status_key: str = NOREAD
    sha256: str = ""
    size: int | None = None
    mtime: float | None = None
    mtime_ns: int | None = None
    unit_code: str = ""
    unit_name: str = ""
    edition: str = ""
    edition_title: str = ""
    version: str = ""
    year: int | None = None
    errors: int = 0
    warnings: int = 0
    reason: str = ""
    findings: list[dict[str, str]] = field(default_factory=list)
    verdict: str = UNREADABLE
    spool: tuple[int, int] | None = None  # where the worker's figures sit in the spool file

    @property
    def status(self) -> str:
        return status_text(self.status_key)

    @property
    def sort_key(self) -> tuple[bool, str, str]:
        return (not self.unit_code, self.unit_code, self.path)


@dataclass
class Group:
    """Files sharing one edition and 预算年度 (listed when the merge refuses to mix them)."""

    edition: str
    version: str
    year: int | None
    paths: list[str]


@dataclass
class ClassRow:
    code: str
    name: str
    level: int
    depts: int
    values: list[Decimal]


@dataclass
class Totals:
    figures: dict[str, Decimal] = field(default_factory=dict)
    classes: dict[str, list[ClassRow]] = field(default_factory=dict)  # classification id -> rows by code


@dataclass
class MergeResult:
    inputs: list[InputEntry]
    missing: list[RosterEntry] = field(default_factory=list)
    not_on_roster: list[InputEntry] = field(default_factory=list)
    roster: Roster | None = None
    refused: list[Group] | None = None
    edition: Edition | None = None
    totals: Totals = field(default_factory=Totals)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (for bench/merge_bench.py)

    def count(self, key: str) -> int:
        return sum(1 for e in self.inputs if e.status_key == key)

    @property
    def included(self) -> list[InputEntry]:
        return [e for e in self.inputs if e.status_key == INCLUDED]

    @property
    def exit_code(self) -> int:
        return EXIT_INVALID if self.refused is not None or not self.included else EXIT_OK

    def summary_line(self) -> str:
        line = spec.text(
            "summary_line",
            included=self.count(INCLUDED),
            invalid=self.count(ERRORS),
            unreadable=self.count(NOREAD),
            duplicate=self.count(DUPLICATE),
            missing=len(self.missing),
        )
        if self.roster is not None and self.count(NOT_ON_ROSTER):
            line += spec.text("summary_extra", not_on_roster=self.count(NOT_ON_ROSTER))
        return line

    def refusal_lines(self) -> list[str]:
        if self.refused is None:
            return []
        out = [spec.text("refused")]
        for g in self.refused:
            out.append(
                spec.text("refused_group", year=g.year, edition=g.edition, version=g.version, count=len(g.paths))
            )
            out.extend(f"      {p}" for p in g.paths)
        return out


# ---- the spool: valid files' figures on disk, read back one department at a time ----


class Spool:
    def __init__(self) -> None:
        self._fh: IO[bytes] = tempfile.TemporaryFile(prefix="xltools-merge-")

    def put(self, obj: Any) -> tuple[int, int]:
        """Store an object, or bytes a worker already pickled (then the main process never unpickles them here)."""
        data = obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        offset = self._fh.seek(0, os.SEEK_END)
        self._fh.write(data)
        return offset, len(data)

    def get(self, where: tuple[int, int]) -> Any:
        self._fh.seek(where[0])
        return pickle.loads(self._fh.read(where[1]))

    def close(self) -> None:
        self._fh.close()


# ---- running the workers ----


def default_jobs() -> int:
    """All the cores this process may use (the affinity mask, which a container or taskset may narrow)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _crash_result(path: str, detail: str) -> dict[str, Any]:
    from .work import file_facts

    return {"path": path, **file_facts(path), "verdict": INTERNAL, "detail": detail, "crashed": True}


def _isolated(path: str) -> dict[str, Any]:
    """Re-run one file in a fresh single-worker pool, after a worker died: find the file that kills it."""
    try:
        with ProcessPoolExecutor(1) as ex:
            return ex.submit(_pooled, path).result()
    except BrokenProcessPool as e:
        return _crash_result(path, f"{type(e).__name__}")


def _pooled(path: str) -> dict[str, Any]:
    """process() for a pool worker: the figures travel pickled once, straight into the main process's spool."""
    res = process(path)
    if res.get("data") is not None:
        res["data"] = pickle.dumps(res["data"], protocol=pickle.HIGHEST_PROTOCOL)
    return res


def run_workers(files: list[str], jobs: int) -> Iterator[dict[str, Any]]:
    """Results in completion order. At most 4 files per worker are in flight (bounded memory)."""
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            yield process(path)
        return
    # Import the reading stack once here: forked workers inherit it instead of importing it each.
    import xltools.validate  # noqa: F401

    from ..reader import read  # noqa: F401
    from ..rules import check  # noqa: F401

    todo = list(reversed(files))
    window = jobs * 4
    while todo:
        broken: list[str] = []
        pending: dict[Future[dict[str, Any]], str] = {}
        with ProcessPoolExecutor(jobs) as ex:
            while todo or pending:
                while todo and len(pending) < window:
                    path = todo.pop()
                    pending[ex.submit(_pooled, path)] = path
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    path = pending.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        broken.append(path)
                        continue
                    yield res
                if broken:  # every unfinished file of a broken pool is retried below
                    broken.extend(pending.values())
                    pending.clear()
                    break
        for path in broken:  # a worker died: retry each file alone, the culprit is reported, the rest go on
            yield _isolated(path)


# ---- statuses ----


def _entry(res: dict[str, Any]) -> InputEntry:
    e = InputEntry(res["path"])
    for k in (
        "sha256",
        "size",
        "mtime",
        "mtime_ns",
        "unit_code",
        "unit_name",
        "edition",
        "edition_title",
        "version",
        "year",
        "errors",
        "warnings",
        "findings",
        "verdict",
    ):
        if k in res:
            setattr(e, k, res[k])
    if e.verdict == UNREADABLE:
        e.reason = spec.text("reason_unreadable", message=res.get("detail", ""))
    elif e.verdict == INTERNAL:
        key = "reason_worker_crash" if res.get("crashed") else "reason_internal"
        e.reason = spec.text(key, detail=res.get("detail", ""))
    elif e.verdict == INVALID:
        e.status_key = ERRORS
        e.reason = spec.text("reason_invalid", errors=e.errors)
    else:
        e.status_key = INCLUDED
    return e


def classify(
    entries: list[InputEntry], roster: Roster | None, prefer_latest: bool
) -> tuple[list[Group] | None, list[RosterEntry], list[InputEntry]]:
    """Set each entry's status. Returns (refusal groups or None, missing roster entries, not-on-roster entries)."""
    readable = [e for e in entries if e.verdict in (OK, INVALID)]
    groups: dict[tuple[str, int | None], Group] = {}
    for e in sorted(readable, key=lambda e: e.path):
        g = groups.setdefault((e.edition, e.year), Group(e.edition, e.version, e.year, []))
        g.paths.append(e.path)
    refused = sorted(groups.values(), key=lambda g: (g.year or 0, g.edition)) if len(groups) > 1 else None
    candidates = [e for e in entries if e.verdict == OK]
    if refused is not None:
        for e in candidates:
            e.status_key = MISMATCH
            e.reason = spec.text("reason_mismatch", year=e.year, edition=e.edition_title or e.edition)
        candidates = []
    not_on: list[InputEntry] = []
    if roster is not None:
        held = {id(e) for e in candidates}
        for e in readable:
            if roster.lookup(e.unit_code) is None:
                not_on.append(e)
                if id(e) in held:
                    e.status_key = NOT_ON_ROSTER
                    e.reason = spec.text("reason_not_on_roster", code=e.unit_code)
        candidates = [e for e in candidates if e.status_key == INCLUDED]
    by_code: dict[str, list[InputEntry]] = defaultdict(list)
    for e in candidates:
        by_code[e.unit_code].append(e)
    for code, same in by_code.items():
        if len(same) < 2:
            continue
        same.sort(key=lambda e: e.path)
        if prefer_latest:
            keep = max(same, key=lambda e: (e.mtime_ns or 0, e.path))
            others = [e for e in same if e is not keep]
            keep.reason = spec.text("reason_kept_latest", code=code, others="、".join(e.path for e in others))
            for e in others:
                e.status_key = DUPLICATE
                e.reason = spec.text("reason_superseded", code=code, kept=keep.path)
        else:
            for e in same:
                e.status_key = DUPLICATE
                e.reason = spec.text(
                    "reason_duplicate", code=code, others="、".join(o.path for o in same if o is not e)
                )
    missing: list[RosterEntry] = []
    if roster is not None:
        submitted = {m.code for e in readable if (m := roster.lookup(e.unit_code)) is not None}
        missing = [r for r in roster.entries if r.code not in submitted]
    return refused, missing, sorted(not_on, key=lambda e: e.sort_key)


# ---- totals ----


def aggregate(included: list[InputEntry], spool: Spool, ed: Edition) -> Totals:
    """County totals: the key figures and the classification sums, in Decimal."""
    figs = spec.figures(ed)
    totals = Totals({f.id: ZERO for f in figs})
    classes = spec.classifications(ed)
    sums: dict[str, dict[str, list[Decimal]]] = {c.id: {} for c in classes}
    depts: dict[str, dict[str, int]] = {c.id: defaultdict(int) for c in classes}
    names: dict[str, dict[str, str]] = {c.id: {} for c in classes}
    for e in included:
        data = spool.get(e.spool)  # type: ignore[arg-type]
        for f in figs:
            v = data["figures"].get(f.id)
            if v is not None:
                totals.figures[f.id] += Decimal(v)
        for c in classes:
            seen: set[str] = set()
            for i, col in enumerate(c.columns):
                part = data["tables"].get(col.table)
                if part is None:
                    continue
                cols = part["cols"]
                ci, code_i = cols.index(col.col), cols.index("code")
                name_i = cols.index("name") if "name" in cols else -1
                for _row, vals in part["rows"]:
                    code = vals[code_i]
                    if not code:
                        continue
                    slot = sums[c.id].setdefault(code, [ZERO] * len(c.columns))
                    if vals[ci] is not None:
                        slot[i] += Decimal(vals[ci])
                    seen.add(code)
                    if name_i >= 0 and vals[name_i]:
                        names[c.id].setdefault(code, vals[name_i])
            for code in seen:
                depts[c.id][code] += 1
    for c in classes:
        cl = ed.codes[c.code_list]
        rows = []
        for code in sorted(sums[c.id]):
            entry = cl.entries.get(code)
            rows.append(
                ClassRow(
                    code,
                    entry.name if entry else names[c.id].get(code, ""),
                    cl.level_of(code),
                    depts[c.id][code],
                    sums[c.id][code],
                )
            )
        totals.classes[c.id] = rows
    return totals


# ---- the whole merge ----


def _targets(out: Path, json_path: Path | None, export_dir: Path | None, inputs: list[Path], force: bool) -> None:
    """Refuse, before any work, an output that would replace an input (a workbook or the roster) or another output."""
    from ..outputs import check_target

    if out.suffix.lower() != ".xlsx":
        raise OutputError(f"汇总结果须保存为 .xlsx 文件：{out}")
    check_target(out, inputs, force)
    written = [out]
    if json_path is not None:
        check_target(json_path, inputs + written, force)
        written.append(json_path)
    if export_dir is not None:
        if not export_dir.exists():
            if not export_dir.parent.exists():
                raise OutputError(f"输出文件夹不存在：{export_dir.parent}")
        elif not export_dir.is_dir():
            raise OutputError(f"--export-dir 须为文件夹：{export_dir}")
        else:
            for name in EXPORT_FILES:
                check_target(export_dir / name, inputs + written, force)


def merge(
    paths: Iterable[str | Path],
    out: str | Path,
    roster: str | Path | None = None,
    jobs: int | None = None,
    json_path: str | Path | None = None,
    export_dir: str | Path | None = None,
    prefer_latest: bool = False,
    progress: Progress | None = None,
    force: bool = False,
) -> MergeResult:
    from ..edition import load_edition

    out = Path(out)
    json_p = Path(json_path) if json_path is not None else None
    export_p = Path(export_dir) if export_dir is not None else None
    roster_p = Path(roster) if roster is not None else None
    found = discover(list(paths), exclude=[p for p in (out, json_p, roster_p) if p is not None])
    _targets(out, json_p, export_p, [Path(p) for p in found.files] + ([roster_p] if roster_p else []), force)
    the_roster = read_roster(roster_p) if roster_p is not None else None
    jobs = max(1, jobs or default_jobs())

    entries: list[InputEntry] = [
        InputEntry(p.path, kind="folder", reason=spec.text("reason_folder", path=p.path, error=p.error))
        for p in found.problems
    ]
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    spool = Spool()
    try:
        total = len(found.files)
        for done, res in enumerate(run_workers(found.files, jobs), start=1):
            e = _entry(res)
            if res.get("data") is not None and e.verdict == OK:
                e.spool = spool.put(res["data"])
            entries.append(e)
            if progress is not None:
                progress(done, total)
        lap("read_validate")
        entries.sort(key=lambda e: e.sort_key)
        refused, missing, not_on = classify(entries, the_roster, prefer_latest)
        result = MergeResult(entries, missing, not_on, the_roster, refused, skipped=found.skipped, timings=timings)
        if refused is None:
            ref = next((e for e in entries if e.verdict in (OK, INVALID)), None)
            if ref is not None:
                result.edition = load_edition(ref.edition, ref.year)
            if result.edition is not None:
                result.totals = aggregate(result.included, spool, result.edition)
            lap("aggregate")
            from .xlsx import write_xlsx

            write_xlsx(result, spool, out)
            result.written.append(str(out))
            lap("write_xlsx")
            if export_p is not None and result.edition is not None:
                from .export import write_export

                result.written.extend(write_export(result, spool, export_p))
                lap("export")
        if json_p is not None:
            from .export import write_json

            write_json(result, json_p)
            result.written.append(str(json_p))
            lap("json")
        return result
    finally:
        spool.close()
