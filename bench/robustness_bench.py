"""Robustness figures for the README (issue 6): corpus timings, false alarms on 1,000 generated
departments, the mutation kill rate, and a merge of 1,000 inputs of which 5% are broken.

    python bench/robustness_bench.py                 # everything (several minutes)
    python bench/robustness_bench.py --only corpus   # corpus | false-alarms | mutations | merge
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.robustness import corpus  # noqa: E402
from tests.robustness.expected import EXPECTED  # noqa: E402
from tests.robustness.harness import can_drop_dac, is_root, run_probe  # noqa: E402


def bench_corpus(tmp: Path) -> None:
    folder = tmp / "corpus"
    kinds = sorted(corpus.KINDS)
    start = time.monotonic()
    paths = {k: corpus.build(k, folder) for k in kinds}
    made = time.monotonic() - start
    args = {k: (["--edition", corpus.KINDS[k].edition] if corpus.KINDS[k].edition else []) for k in kinds}
    runs = run_probe([(str(paths[k]), args[k]) for k in kinds], drop_dac=is_root() and can_drop_dac())
    bad = [k for k, r in zip(kinds, runs, strict=True) if r["exit"] != EXPECTED[k].exit and k != "no-permission"]
    slowest = sorted(zip(kinds, runs, strict=True), key=lambda kr: -float(kr[1]["cpu_s"]))[:5]  # type: ignore[arg-type]
    peak = max(float(r["maxrss_mb"]) for r in runs)  # type: ignore[arg-type]
    print(
        f"corpus: {len(kinds) - 1} kinds of bad input (+1 control), made in {made:.1f} s; "
        f"exit codes as expected: {len(kinds) - len(bad)}/{len(kinds)}; peak memory {peak:.0f} MB"
    )
    for k, r in slowest:
        print(f"  {k:28s} {float(r['cpu_s']):.2f} s CPU  {float(r['wall_s']):.2f} s wall")  # type: ignore[arg-type]
    for k in bad:
        print(f"  UNEXPECTED {k}")


def bench_false_alarms(tmp: Path, n: int) -> None:
    from tests.robustness.falsealarms import in_memory, through_files

    start = time.monotonic()
    files = through_files(corpus.edition(), range(n), tmp)
    took = time.monotonic() - start
    mem = in_memory(corpus.edition(), range(n, 10 * n))
    print(
        f"false alarms: {files.clean}/{files.checked} generated workbooks validate with 0 errors "
        f"({took:.0f} s, {1000 * took / max(files.checked, 1):.0f} ms each); in memory {mem.clean}/{mem.checked}"
    )
    for seed, errs in list(files.failures.items())[:10]:
        print(f"  seed {seed}: {errs[:3]}")


def bench_mutations(tmp: Path, seeds: int, per_op: int) -> None:
    from tests.robustness.operators import bases, kill_rate

    ed = corpus.edition()
    start = time.monotonic()
    report = kill_rate(ed, bases(ed, list(range(seeds))), per_op=per_op, folder=tmp)
    print(f"mutations ({time.monotonic() - start:.0f} s): {report.summary()}")


def bench_merge(tmp: Path, n: int) -> None:
    import importlib.util

    if importlib.util.find_spec("xltools.merge.merge") is None:
        print("merge: xltools.merge is not in this tree")
        return
    from tests.robustness.mergefaults import accounting, merge_under_faults

    start = time.monotonic()
    inbox, result = merge_under_faults(tmp / "merge", n, 0.05, jobs=2)
    acc = accounting(inbox, result)
    print(f"merge under faults ({time.monotonic() - start:.0f} s incl. writing the inputs): {acc}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["corpus", "false-alarms", "mutations", "merge"])
    ap.add_argument("--workbooks", type=int, default=1000)
    ap.add_argument("--mutation-seeds", type=int, default=10)
    ap.add_argument("--per-op", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if a.only in (None, "corpus"):
            bench_corpus(tmp)
        if a.only in (None, "false-alarms"):
            bench_false_alarms(tmp, a.workbooks)
        if a.only in (None, "mutations"):
            bench_mutations(tmp, a.mutation_seeds, a.per_op)
        if a.only in (None, "merge"):
            bench_merge(tmp, a.workbooks)


if __name__ == "__main__":
    main()
