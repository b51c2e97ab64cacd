"""The optional distributed engine: the per-file work on a Dask cluster (`pip install "xltools[dask]"`,
`xltools merge … --scheduler tcp://HOST:8786` or $XLTOOLS_DASK_SCHEDULER).

- Futures API, files in batches (BATCH files a task: a task must last ≥ 10–100 ms, a file takes ~10–20 ms;
  fewer near the end, down to LEAST, as the local pool does, so no worker is left alone with a long last batch
  while the others idle), two batches per worker in flight (bounded memory on the client), results streamed
  back with as_completed.
- A cluster for merges is best started with dask.yaml beside this module (cluster_config): Dask's defaults
  watch a cluster more closely than tasks of a second need, at a cost in the cores the workbooks need.
- The workers need not see the client's files: each file is read once here (work.read_once); its bytes travel
  with its task, its identity (SHA-256 of those bytes, size, times) is taken here, and the worker checks those
  same bytes (work.prepare_bytes). A file the client cannot read, or that changed while it was read, is handled
  here, as the local pool would (it fails at once, with the same finding).
- A worker that dies mid-batch costs a retry of that batch on another worker (the scheduler does it). A batch
  that keeps killing workers (KilledWorker) is split into single-file tasks; a single file that does too is run
  once more at the end, alone on the cluster (a death blames every task the worker held, an innocent one
  queued beside the culprit too): the file that kills workers then ends as 无法读取 with the reason, and every
  other file goes on.
- The outcomes are the same records as the local pool's, so the outputs are byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import texts
from ..errors import EXIT_USAGE, XltoolsError
from .model import INTERNAL, FileFacts, FileResult
from .spool import Spooled, spooled

BATCH = 48  # ~0.8 s of work: each task costs the client's machine ~10 ms of messages (scheduler, gather)
LEAST = 4  # files a task near the end of the run (≥ 40 ms of work)
CONFIG = Path(__file__).with_name("dask.yaml")  # the settings advised for a merge's cluster
RETRIES = 2  # for a task that raised (a worker's death is retried by the scheduler itself)

Item = tuple[str, bytes, FileFacts]


class SchedulerError(XltoolsError):
    """The Dask engine is not installed, or its scheduler cannot be reached: a usage error, before any work."""

    exit_code = EXIT_USAGE


def run_batch(items: list[Item], with_csv: bool) -> list[Spooled]:
    """The task: one batch of files, on a worker (each record pickled there, as the local pool's workers do)."""
    from . import work

    return [spooled(work.prepare_bytes(path, content, facts, with_csv)) for path, content, facts in items]


def _read(path: str) -> Item | None:
    """The file's bytes and identity, read once, or None when the local pool's own checks must speak (missing,
    folder, empty, too large, changed while read …)."""
    from .work import read_once

    content, facts, changed = read_once(path)
    if content is None or changed or not content:
        return None
    return path, content, facts


def _failed(path: str, detail: str, crashed: bool) -> list[Spooled]:
    from .work import file_facts

    return [spooled((FileResult(path, file_facts(path), INTERNAL, detail=detail, crashed=crashed), None))]


def _alone(client: Any, path: str, with_csv: bool) -> list[Spooled]:
    """A suspect's task with nothing else on the cluster (the run's other tasks are done): a worker that dies
    now died of this file alone. A worker's death blames every task it holds, queued ones too (two a thread
    by Dask's default saturation), so a file's death in company proves nothing."""
    from distributed.scheduler import KilledWorker

    from .work import prepare

    item = _read(path)
    if item is None:
        return [spooled(prepare(path, with_csv))]
    fut = client.submit(run_batch, [item], with_csv, pure=False, retries=RETRIES)
    try:
        return fut.result()
    except KilledWorker as e:  # this file kills every worker that reads it
        return _failed(path, type(e).__name__, crashed=True)
    except Exception as e:
        return _failed(path, f"{type(e).__name__}: {str(e)[:200]}", crashed=False)
    finally:
        fut.release()


def cluster_config(path: Path = CONFIG) -> dict[str, Any]:
    """dask.yaml as dotted keys, for `dask.config.set` (which replaces a nested dict's whole subtree)."""
    import yaml  # Dask's own dependency

    def flat(prefix: str, node: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield from flat(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            yield prefix, node

    return dict(flat("", yaml.safe_load(path.read_text(encoding="utf-8"))))


def connect(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(texts.text("merge.dask_missing")) from None
    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as e:
        error = f"{type(e).__name__}: {e}"
        raise SchedulerError(texts.text("merge.dask_unreachable", address=address, error=error)) from None


def run_dask(files: list[str], scheduler: str | Any, with_csv: bool, batch: int = BATCH) -> Iterator[list[Spooled]]:
    """Results in completion order, a batch at a time, as the local pool gives them. `scheduler`: an address, or
    a connected Client (tests)."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from .pool import batch_size
    from .work import prepare

    client = connect(scheduler) if isinstance(scheduler, str) else scheduler
    own = isinstance(scheduler, str)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = 2 * workers  # each worker has its next batch queued: no wait between two
        todo = list(reversed(files))
        batches: dict[Any, list[str]] = {}
        queue = as_completed([], with_results=False)

        def submit_next() -> list[list[Spooled]]:
            """Submit one batch; files the client cannot read are done here and returned."""
            items: list[Item] = []
            local: list[list[Spooled]] = []
            size = batch_size(len(todo), workers, batch, min(LEAST, batch))
            while todo and len(items) < size:
                path = todo.pop()
                item = _read(path)
                if item is None:
                    local.append([spooled(prepare(path, with_csv))])
                else:
                    items.append(item)
            if items:
                fut = client.submit(run_batch, items, with_csv, pure=False, retries=RETRIES)
                batches[fut] = [p for p, _, _ in items]
                queue.add(fut)
            return local

        while todo and len(batches) < window:
            yield from submit_next()
        suspects: list[str] = []  # files whose own task was killed: run again alone at the end
        for fut in queue:
            paths = batches.pop(fut)
            try:
                yield fut.result()
            except KilledWorker:
                if len(paths) == 1:  # it may only have shared a dying worker with the culprit
                    suspects.append(paths[0])
                else:  # find the culprit: each file of the batch alone
                    for p in paths:
                        item = _read(p)
                        if item is None:
                            yield [spooled(prepare(p, with_csv))]
                            continue
                        single = client.submit(run_batch, [item], with_csv, pure=False, retries=RETRIES)
                        batches[single] = [p]
                        queue.add(single)
            except Exception as e:  # the task raised even after its retries: a bug of ours, never a lost file
                for p in paths:
                    yield _failed(p, f"{type(e).__name__}: {str(e)[:200]}", crashed=False)
            fut.release()
            while todo and len(batches) < window:
                yield from submit_next()
        for p in suspects:
            yield _alone(client, p, with_csv)
    finally:
        if own:
            client.close()
