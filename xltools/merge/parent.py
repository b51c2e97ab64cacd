"""A child process of the merge ends when the main process ends, however it ends (kill -9 included): the pool's
workers and the live county process (county.py)."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def die_with_parent(parent: int) -> None:
    """A child's first step (the pool's worker initializer): end this process when the main process ends,
    however it ends (kill -9 included). And leave what a fork inherited to the main process: the collector
    here never visits those objects (a visit writes to each, so every page of them would be copied), and each
    collection is shorter."""
    gc.freeze()
    if sys.platform.startswith("linux") and os.getppid() == parent:  # forked straight from the main process
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if gone(parent):  # the main process died before the signal was armed
        os._exit(1)

    def watch() -> None:  # elsewhere (no prctl, or a forkserver between): look every second
        while not gone(parent):
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="xltools-parent-watch").start()
