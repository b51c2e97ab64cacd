"""A piece of the merge's last, single-threaded step run in a forked process beside the main one.

When the workers are done, one core is idle while the main process writes OUT.xlsx. `Beside(fn)` forks, runs
`fn()` in the child and sends back what it returns (picklable); `result()` waits for it. The child does nothing
the main process could not redo: on any failure (an exception, a crash, no fork on this system) `result()` gives
None and the caller does the work in line, so the outcome, an error included, is the one it would be without the
child. Fork it before the main process starts threads of its own or opens the files the child reads (a forked
file descriptor shares its offset with the parent's).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import Any

from .parent import die_with_parent

NAME = "xltools-beside"  # the child's multiprocessing name


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(conn: Any, fn: Callable[[], Any], parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's: it ends this one
    die_with_parent(parent)
    try:
        out = ("ok", fn())
    except BaseException:  # the main process redoes the work in line, and meets the error itself
        out = ("failed", None)
    try:
        conn.send(out)
    except (OSError, ValueError):  # the main process is gone or stopped listening
        pass
    conn.close()


class Beside:
    def __init__(self, fn: Callable[[], Any]) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_child, args=(child, fn, os.getpid()), name=NAME, daemon=True)
        self.proc.start()
        child.close()

    def result(self) -> Any:
        """What fn returned, or None when the child failed."""
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError):
            status, value = "failed", None
        self.stop(wait=True)
        return value if status == "ok" else None

    def stop(self, wait: bool = False) -> None:
        """End the child: once its answer is in (wait), or at once after a failure in the main process."""
        self.conn.close()
        if wait:
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
