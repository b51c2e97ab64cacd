"""Benchmark: single-workbook validation against the floor (a bare python-calamine read).

    python bench/validate_bench.py [--runs 15]

Reports, for the bundled example and a large synthetic department:
  * in-process: bare calamine read of every sheet vs xltools read + validate (goal ≤ 3×);
  * whole process: `python -m xltools validate FILE` and `python -m xltools --help` wall time
    (goals ≤ 0.5 s and ≤ 0.15 s on a 2-core machine). Medians of --runs runs, after one warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_time(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bare_read(path: Path) -> None:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    from xltools.edition import load_edition
    from xltools.synth import department
    from xltools.template.write import write_template
    from xltools.validate import validate_file

    ed = load_edition("hebei-county-2020")
    tmp = Path(tempfile.mkdtemp())
    big = tmp / "synthetic.xlsx"
    write_template(ed, big, department(ed, 4242))
    files = {"example": ROOT / "examples" / "longyao-cac-2020.xlsx", "synthetic": big}
    print("| workbook | bare calamine read | read + validate | ratio | `xltools validate` (process) |")
    print("|---|---:|---:|---:|---:|")
    for name, path in files.items():
        floor = median_time(lambda p=path: bare_read(p), args.runs)
        ours = median_time(lambda p=path: validate_file(p), args.runs)
        proc = median_time(
            lambda p=path: subprocess.run([sys.executable, "-m", "xltools", "validate", str(p)], capture_output=True),
            max(5, args.runs // 2),
        )
        print(f"| {name} | {floor * 1000:.1f} ms | {ours * 1000:.1f} ms | {ours / floor:.1f}× | {proc:.3f} s |")
    helps = median_time(
        lambda: subprocess.run([sys.executable, "-m", "xltools", "--help"], capture_output=True), max(5, args.runs // 2)
    )
    bare = median_time(
        lambda: subprocess.run([sys.executable, "-c", "pass"], capture_output=True), max(5, args.runs // 2)
    )
    print(f"\n`xltools --help` (process): {helps:.3f} s; bare interpreter start: {bare:.3f} s")


if __name__ == "__main__":
    main()
