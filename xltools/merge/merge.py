"""xltools merge: the finance bureau's consolidation of every department's workbook.

    merge(paths, out, roster=None, jobs=None, json_path=None, export_dir=None, prefer_latest=False)

1. Find the input files (folders searched recursively, see discover.py); check every output target first.
2. Read and validate each file in worker processes (pool.py running `work.process`, a pure function),
   streaming: each valid file's figures go to a temporary spool file (spool.py), so memory does not grow
   with the number of workbooks.
3. Decide each input's status (statuses.py).
4. Sum the included departments in Decimal (totals.py) and write OUT.xlsx (xlsx.py; with more than one local
   job its stacked sheets in a second process, beside.py), the JSON summary and the export (export.py), each
   atomically. When refusing, only the JSON summary is written.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..outputs import is_xltools_output
from . import spec
from .discover import discover
from .export import EXPORT_FILES, write_export, write_json
from .model import (
    DUPLICATE,
    ERRORS,
    INCLUDED,
    INVALID,
    MISMATCH,
    NOREAD,
    NOT_ON_ROSTER,
    OK,
    STATUS_KEYS,
    InputEntry,
    MergeResult,
)
from .pool import default_jobs, effective_jobs, run_workers
from .roster import read_roster
from .spool import Spool
from .statuses import classify, entry_of
from .totals import aggregate
from .xlsx import write_xlsx

Progress = Callable[[int, int], None]
# the statuses are re-exported: callers (tests, benchmarks) name them from here
__all__ = [
    "DUPLICATE",
    "ERRORS",
    "INCLUDED",
    "MISMATCH",
    "NOREAD",
    "NOT_ON_ROSTER",
    "STATUS_KEYS",
    "InputEntry",
    "MergeResult",
    "Progress",
    "merge",
]


def _targets(
    out: Path,
    json_path: Path | None,
    export_dir: Path | None,
    inputs: list[Path],
    force: bool,
    reals: dict[str, str] | None = None,
) -> None:
    """Refuse, before any work, an output that would replace an input (a workbook or the roster) or another output.
    reals: the inputs' real paths, from discover (each resolved once, not once per output)."""
    from ..outputs import check_target

    if out.suffix.lower() != ".xlsx":
        raise OutputError(spec.text("output_not_xlsx", path=out))
    check_target(out, inputs, force, reals)
    written = [out]
    if json_path is not None:
        check_target(json_path, inputs + written, force, reals)
        written.append(json_path)
    if export_dir is not None:
        if not export_dir.exists():
            if not export_dir.parent.exists():
                raise OutputError(spec.text("output_folder_missing", path=export_dir.parent))
        elif not export_dir.is_dir():
            raise OutputError(spec.text("export_not_folder", path=export_dir))
        else:
            for name in EXPORT_FILES:
                check_target(export_dir / name, inputs + written, force, reals)


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
    resume: bool = False,
    scheduler: str | Any = None,
    follow_links: bool = False,
) -> MergeResult:
    """Merge the workbooks under `paths` into `out`. `resume`: reuse the results a previous, interrupted run of
    the same output spooled (each checked against its file's SHA-256). `scheduler`: a Dask scheduler address
    (default: $XLTOOLS_DASK_SCHEDULER, else the local process pool), or a connected distributed.Client."""
    from ..edition import load_edition

    out = Path(out)
    json_p = Path(json_path) if json_path is not None else None
    export_p = Path(export_dir) if export_dir is not None else None
    roster_p = Path(roster) if roster is not None else None
    # The output is left out of the search only when it is an old merge output: any other file there is one
    # the run would read, so check_target refuses to replace it, --force or not. The JSON summary is never left
    # out (a workbook given as its path is an input, not an old output); the roster is, being read as the roster.
    own = out if is_xltools_output(out, "merge") else None
    found = discover(list(paths), [p for p in (own, roster_p) if p is not None], follow_links)
    inputs = [Path(p) for p in found.files]
    reals = {str(p): real for p, real in zip(inputs, found.reals, strict=True)}
    _targets(out, json_p, export_p, inputs + ([roster_p] if roster_p else []), force, reals)
    del inputs, reals
    found.reals = []
    the_roster = read_roster(roster_p) if roster_p is not None else None
    if scheduler is None:
        scheduler = os.environ.get("XLTOOLS_DASK_SCHEDULER") or None
    with_csv = export_p is not None

    entries: list[InputEntry] = [
        InputEntry(p.path, kind="folder", note=spec.text("reason_folder", path=p.path, error=p.error))
        for p in found.problems
    ]
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    spool = _open_spool(out, resume)
    done_ok = False
    live = None
    try:
        total = len(found.files)
        done = 0

        def arrived(e: InputEntry) -> None:
            nonlocal done
            entries.append(e)
            done += 1
            if progress is not None:
                progress(done, total)

        todo, reused = [], 0
        for path in found.files:
            hit = spool.reusable(path, with_csv) if resume else None
            if hit is None:
                todo.append(path)
            else:
                reused += 1
                arrived(entry_of(hit[1], hit[0], prefer_latest))
        found.files = []  # each path lives on in its input's record only (one copy per input, not two)
        from . import county

        live = county.watch(spool, jobs or default_jobs())  # checks the departments while they arrive
        if scheduler is not None:
            from .distributed import run_dask

            outcomes = run_dask(todo, scheduler, with_csv)
        else:
            outcomes = run_workers(todo, effective_jobs(jobs, len(todo)), with_csv)
        todo = []  # the workers' loop holds the paths, and lets each go when its result is in
        for batch in outcomes:
            for (res, _, _), key in zip(batch, spool.put_many(batch, with_csv), strict=True):
                arrived(entry_of(res, key, prefer_latest))
            del batch
        spool.commit()
        lap("read_validate")
        entries.sort(key=lambda e: e.sort_key)
        refused, missing, not_on = classify(entries, the_roster, prefer_latest)
        result = MergeResult(
            entries, missing, not_on, the_roster, refused, skipped=found.skipped, timings=timings, reused=reused
        )
        if refused is None:
            ref = next((e for e in entries if e.verdict in (OK, INVALID)), None)
            if ref is not None:
                result.edition = load_edition(ref.edition, ref.year)
            rows: dict[str, int] = {}
            if result.edition is not None:
                result.totals, rows = aggregate(result.included, spool, result.edition)
            lap("aggregate")
            county_done = None
            if result.edition is not None:
                county_done = county.start(result.edition, result.included, spool, live)
                live = None  # it answers, then ends
            lap("county_start")
            finish = county_done

            def county_wait() -> None:  # timed apart: what the county checks still held up at the end
                t = time.perf_counter()
                if finish is not None:
                    finish()
                timings["county_wait"] = time.perf_counter() - t

            # More than one local job: the stacked sheets are written beside this process, on a core the workers
            # have left idle. Not with a cluster: the client's machine then keeps one process less (its memory).
            parallel = scheduler is None and (jobs or default_jobs()) > 1
            write_xlsx(result, spool, out, rows, before_inputs=county_wait, parallel=parallel)
            result.written.append(str(out))
            lap("write_xlsx")  # includes waiting for the county checks, which run while the tables are written
            if county_done is not None:
                county_done()
            if export_p is not None and result.edition is not None:
                result.written.extend(write_export(result, spool, export_p))
                lap("export")
        if json_p is not None:
            write_json(result, spool, json_p)
            result.written.append(str(json_p))
            lap("json")
        done_ok = True
        return result
    except sqlite3.Error as e:  # the spool's disk: full, read-only or gone (an environment problem, exit 5)
        raise _spool_error(out, e) from None
    finally:
        if live is not None:  # no county view (refused, or a failure)
            live.stop()
        spool.close(remove=done_ok)  # kept after a failure, for --resume


def _spool_error(out: Path, e: BaseException) -> Exception:
    """The spool folder beside OUT cannot be written: the user's environment, said in their words."""
    from ..outputs import cannot_write, os_error_in
    from .spool import spool_dir

    where = spool_dir(out)
    err = os_error_in(e)
    if err is None:  # sqlite reports a full or failing disk as its own error type
        text = str(e).lower()
        code = errno.ENOSPC if "full" in text or "disk i/o" in text else errno.EROFS if "readonly" in text else 0
        err = OSError(code, str(e))
    return cannot_write(where, err)


def _open_spool(out: Path, resume: bool) -> Spool:
    try:
        return Spool(out, resume=resume)
    except (OSError, sqlite3.Error) as e:
        raise _spool_error(out, e) from None
