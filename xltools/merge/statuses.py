"""Each input's status, decided in this order: 无法读取 (unreadable) > 有错误未纳入 (errors; warnings do not
exclude) > 版本或年度不一致 (the readable files do not all share one edition and 预算年度: the merge refuses
to produce totals, there is no majority rule) > 不在名单 (a valid file whose 单位编码 the roster lacks: held
out, since the roster defines the county, and listed) > 重复 (two valid files with one 单位编码: both held
out, or with prefer_latest the most recently modified is included) > 已纳入."""

from __future__ import annotations

import sys
from collections import defaultdict

from . import spec
from .model import (
    DUPLICATE,
    ERRORS,
    INCLUDED,
    INTERNAL,
    INVALID,
    MISMATCH,
    NOT_ON_ROSTER,
    OK,
    UNREADABLE,
    FileResult,
    Group,
    InputEntry,
    listed,
)
from .roster import Roster, RosterEntry

_YEARS: dict[int, int] = {}  # one int object per 预算年度, not one per input


def entry_of(res: FileResult, key: int, keep_mtime: bool = True) -> InputEntry:
    """The input entry of a worker's record (spooled under `key`), with its first status (the worker's verdict).
    Strings and numbers every input shares are shared, not unpickled once per input: the main process keeps
    only this entry per input. `keep_mtime`: only prefer_latest reads the file's time (an int object an input
    otherwise; the outputs read the times from the spool)."""
    e = InputEntry(
        res.path,
        verdict=sys.intern(res.verdict),
        unit_code=res.unit_code,
        unit_name=res.unit_name,
        edition=sys.intern(res.edition),  # one string per edition, not one per input
        edition_title=sys.intern(res.edition_title),
        version=sys.intern(res.version),
        year=res.year if res.year is None else _YEARS.setdefault(res.year, res.year),
        mtime_ns=res.facts.mtime_ns if keep_mtime else None,
        errors=res.errors,
        warnings=res.warnings,
        key=key,
    )
    if e.verdict == UNREADABLE:
        e.reason = spec.text("reason_unreadable", message=res.detail)
    elif e.verdict == INTERNAL:
        key = "reason_worker_crash" if res.crashed else "reason_internal"
        e.reason = spec.text(key, detail=res.detail)
    elif e.verdict == INVALID:
        e.status_key = ERRORS
        e.reason = spec.text("reason_invalid", errors=e.errors)
    elif e.verdict == OK:
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
            keep.reason = spec.text("reason_kept_latest", code=code, others=listed(others, None))
            for e in others:
                e.status_key = DUPLICATE
                e.reason = spec.text("reason_superseded", code=code, kept=keep.path)
        else:
            for e in same:
                e.status_key = DUPLICATE
                e.duplicates = same  # one list shared by the group; the reason is worded when an output asks
    missing: list[RosterEntry] = []
    if roster is not None:
        submitted = {m.code for e in readable if (m := roster.lookup(e.unit_code)) is not None}
        missing = [r for r in roster.entries if r.code not in submitted]
    return refused, missing, sorted(not_on, key=lambda e: e.sort_key)
