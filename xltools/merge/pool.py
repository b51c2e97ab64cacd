"""The worker pool: `work.process` over every input file, results streamed back in completion order.

At most 4 files per worker are in flight (bounded memory). A valid file's figures are pickled once in the
worker and travel as bytes straight into the main process's spool. A worker that dies (a crash in a native
library, the out-of-memory killer) breaks the pool: every unfinished file is then re-run alone in a fresh
pool, so the file that kills a worker is found and reported, and the others go on.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from .model import INTERNAL, FileResult
from .work import file_facts, process

Outcome = tuple[FileResult, bytes | None]  # the record without its data, and the data pickled


def default_jobs() -> int:
    """All the cores this process may use (the affinity mask, which a container or taskset may narrow)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def pooled(path: str) -> Outcome:
    """process() for a worker: the figures are pickled here, once."""
    res = process(path)
    if res.data is None:
        return res, None
    return replace(res, data=None), pickle.dumps(res.data, protocol=pickle.HIGHEST_PROTOCOL)


def _crash(path: str, detail: str) -> Outcome:
    return FileResult(path, file_facts(path), INTERNAL, detail=detail, crashed=True), None


def _isolated(path: str) -> Outcome:
    """Re-run one file in a fresh single-worker pool, after a worker died: find the file that kills it."""
    try:
        with ProcessPoolExecutor(1) as ex:
            return ex.submit(pooled, path).result()
    except BrokenProcessPool as e:
        return _crash(path, f"{type(e).__name__}")


def run_workers(files: list[str], jobs: int) -> Iterator[Outcome]:
    """Outcomes in completion order."""
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            yield pooled(path)
        return
    # Import the reading stack once here: forked workers inherit it instead of importing it each.
    import xltools.validate  # noqa: F401

    from ..reader import read  # noqa: F401
    from ..rules import check  # noqa: F401

    todo = list(reversed(files))
    window = jobs * 4
    while todo:
        broken: list[str] = []
        pending: dict[Future[Outcome], str] = {}
        with ProcessPoolExecutor(jobs) as ex:
            while todo or pending:
                while todo and len(pending) < window:
                    path = todo.pop()
                    pending[ex.submit(pooled, path)] = path
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
