"""The process tree as tests read it from /proc (Linux): whether a process still runs, and its descendants."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether pid runs (a zombie, ended but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every process below pid, from the kernel's /proc/PID/task/*/children lists."""
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for tid in os.listdir(f"/proc/{p}/task"):
            with open(f"/proc/{p}/task/{tid}/children") as fh:
                kids = [int(x) for x in fh.read().split()]
            out.update(kids)
            todo.extend(kids)
    return out
