"""The local worker pool: `work.prepare` over every input file, outcomes streamed back in completion order.

Files go to the workers a few at a time (batch_size), at most 3 batches per worker in flight (bounded memory). A worker that dies (a crash in a native library,
the out-of-memory killer) breaks the pool: every unfinished file is then re-run alone in a fresh pool, so the
file that kills a worker is found and reported, and the others go on. Workers die with the main process
(`kill -9` of a merge leaves no orphans): Linux's parent-death signal, and a watchdog elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .model import INTERNAL, FileResult
from .parent import die_with_parent as _die_with_parent
from .spool import Spooled, spooled
from .work import file_facts, prepare

MAX_JOBS_PER_CORE = 2  # more processes than this only cost memory: the work is CPU-bound
BATCH = 8  # files a task at most (~0.25 s of work)


def default_jobs() -> int:
    """All the cores this process may use (the affinity mask, which a container or taskset may narrow)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def effective_jobs(jobs: int | None, n_files: int) -> int:
    """Worker processes to start: what was asked (default: all cores), never more than the files to read nor
    MAX_JOBS_PER_CORE per core (`--jobs 1000` on 3 files starts 3)."""
    want = jobs or default_jobs()
    return max(1, min(want, n_files, MAX_JOBS_PER_CORE * default_jobs(), 61))  # 61: Windows' limit


def _crash(path: str, detail: str) -> Spooled:
    return spooled((FileResult(path, file_facts(path), INTERNAL, detail=detail, crashed=True), None))


def _pool(jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(jobs, initializer=_die_with_parent, initargs=(os.getpid(),))


def _batch(paths: list[str], with_csv: bool) -> list[Spooled]:
    """The task: a few files, each made ready for the spool here (its record pickled by the worker)."""
    return [spooled(prepare(path, with_csv)) for path in paths]


def _isolated(path: str, with_csv: bool) -> Spooled:
    """Re-run one file in a fresh single-worker pool, after a worker died: find the file that kills it."""
    try:
        with _pool(1) as ex:
            return ex.submit(_batch, [path], with_csv).result()[0]
    except BrokenProcessPool as e:
        return _crash(path, f"{type(e).__name__}")


def batch_size(left: int, jobs: int, most: int = BATCH, least: int = 1) -> int:
    """Files per task: up to `most` (fewer messages and wake-ups for the main process), smaller as the run nears
    its end, so that no worker is left with a long last batch while the others are idle; never below `least`
    (a Dask task must last ≥ 10–100 ms)."""
    return max(least, min(most, left // (jobs * 4)))


def run_workers(files: list[str], jobs: int, with_csv: bool = False) -> Iterator[list[Spooled]]:
    """Results in completion order, a batch at a time, on `jobs` processes (1: in this process). Each path is
    let go when its result is in (the result carries its own copy): the caller should drop its list too."""
    todo = list(reversed(files))
    del files
    if jobs <= 1 or len(todo) <= 1:
        while todo:
            yield [spooled(prepare(todo.pop(), with_csv))]
        return
    # Import the reading stack once here: forked workers inherit it instead of importing it each.
    import xltools.validate  # noqa: F401

    from ..reader import read  # noqa: F401
    from ..rules import check  # noqa: F401
    from . import render  # noqa: F401

    window = jobs * 3  # batches in flight: each worker has its next one queued
    while todo:
        broken: list[str] = []
        pending: dict[Future[list[Spooled]], list[str]] = {}
        with _pool(jobs) as ex:
            while todo or pending:
                while todo and len(pending) < window:
                    paths = [todo.pop() for _ in range(min(len(todo), batch_size(len(todo), jobs)))]
                    pending[ex.submit(_batch, paths, with_csv)] = paths
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    paths = pending.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        broken.extend(paths)
                        continue
                    yield res
                if broken:  # every unfinished file of a broken pool is retried below
                    for paths in pending.values():
                        broken.extend(paths)
                    pending.clear()
                    break
        for path in broken:  # a worker died: retry each file alone, the culprit is reported, the rest go on
            yield [_isolated(path, with_csv)]
