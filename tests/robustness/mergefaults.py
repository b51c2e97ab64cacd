"""Merge under faults: a folder of generated valid departments with a share of corpus files mixed in, and a
symbolic link loop; the merge must account for every input, include every valid one and never stop early.
Shared by test_merge_faults.py and bench/robustness_bench.py (xltools.merge is imported lazily)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltools.synth import department
from xltools.template.write import write_template

from . import corpus
from .expected import EXPECTED


@dataclass
class Inbox:
    valid: list[Path] = field(default_factory=list)
    broken: dict[Path, str] = field(default_factory=dict)  # path -> corpus kind
    loop: Path | None = None


def broken_kinds() -> list[str]:
    """Corpus kinds a bureau may find in its inbox that are not valid workbooks (a file each)."""
    special = {"symlink-loop", "no-permission", "directory", "missing-file"}
    return sorted(k for k, v in corpus.KINDS.items() if v.merge and k not in special and EXPECTED[k].exit != 0)


def build_inbox(folder: Path, n_inputs: int, broken_share: float = 0.05, seed: int = 0) -> Inbox:
    ed = corpus.edition()
    folder.mkdir(parents=True, exist_ok=True)
    inbox = Inbox()
    n_broken = max(1, round(n_inputs * broken_share))
    kinds = broken_kinds()
    rng = random.Random(seed)
    picks = [kinds[i % len(kinds)] for i in range(n_broken)] if n_broken >= len(kinds) else rng.sample(kinds, n_broken)
    made: dict[str, bytes] = {}
    for i, kid in enumerate(picks):
        if kid not in made:
            made[kid] = corpus.build(kid, folder / ".corpus").read_bytes()
        path = folder / f"broken-{i:04d}-{kid}{corpus.build(kid, folder / '.corpus').suffix}"
        path.write_bytes(made[kid])
        inbox.broken[path] = kid
    for seed_i in range(n_inputs - n_broken):
        path = folder / f"dept-{seed_i:04d}.xlsx"
        write_template(ed, path, department(ed, seed_i))
        inbox.valid.append(path)
    loop = folder / "loop.xlsx"
    os.symlink(loop.name, loop)  # x -> x: stat fails with ELOOP
    inbox.loop = loop
    return inbox


def merge_under_faults(folder: Path, n_inputs: int, broken_share: float = 0.05, jobs: int = 2) -> tuple[Inbox, Any]:
    from xltools.merge.merge import merge

    inbox = build_inbox(folder / "inbox", n_inputs, broken_share)
    (folder / "inbox" / ".corpus").rename(folder / "corpus-src")  # made files are not inputs
    result = merge([folder / "inbox"], folder / "汇总.xlsx", jobs=jobs)
    return inbox, result


def accounting(inbox: Inbox, result: Any) -> dict[str, Any]:
    """What the merge did with each input: the figures the README reports."""
    from xltools.merge.merge import INCLUDED

    by_path = {os.path.realpath(e.path): e for e in result.inputs}
    skipped = {os.path.realpath(p) if not os.path.islink(p) else os.path.abspath(p) for p, _ in result.skipped}
    valid = [by_path.get(os.path.realpath(p)) for p in inbox.valid]
    broken = [by_path.get(os.path.realpath(p)) for p in inbox.broken]
    return {
        "inputs": len(inbox.valid) + len(inbox.broken),
        "accounted": sum(e is not None for e in valid + broken),
        "valid_included": sum(e is not None and e.status_key == INCLUDED for e in valid),
        "valid": len(valid),
        "broken_refused_with_reason": sum(
            e is not None and e.status_key != INCLUDED and bool(e.reason) for e in broken
        ),
        "broken": len(broken),
        "loop_recorded": inbox.loop is not None and os.path.abspath(inbox.loop) in skipped,
        "refused_whole_merge": result.refused is not None,
    }
