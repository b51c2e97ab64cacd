"""Benchmark: `xltools merge` on N synthetic department workbooks, against the floor and the naive path.

    python bench/merge_bench.py                      # N = 250 and 1000, all cores
    python bench/merge_bench.py --n 1000 --jobs 2 --broken 0.05 --naive-sample 50

Generates N varied, valid department workbooks (xltools.synth, seeds 0..N-1) into bench/out/books/
(reused when already there), of which a share (--broken, default 5 %) is broken: alternately a
truncated file (无法读取) and a department with one amount changed so 类 ≠ Σ款 (有错误未纳入).
Each measurement runs in a fresh Python process, so its memory is its own:

  merge  xltools.merge.merge(files, OUT.xlsx, jobs=J, json_path=...): read + validate every file in
         J worker processes, write the consolidated workbook and the JSON summary;
  (a)    the floor: a bare python-calamine read of every sheet of every input, same J processes;
  (b)    the naive path: openpyxl full load + per-book validation (validate_file), one process,
         timed on --naive-sample books spread over the set and extrapolated to N (stated in the table).

Peak memory: ru_maxrss of the main process (RUSAGE_SELF) and of the largest worker (RUSAGE_CHILDREN),
and the sampled peak of the sum of RSS over the process tree (/proc, every 20 ms; pages shared between
the forked workers and the main process are counted in each, so this sum is an upper bound).
Goals on a 2-core machine: merge ≤ 3× (a), (b) ≥ 10× merge, peak ≤ 400 MB and flat in N.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BOOKS = OUT / "books"
sys.path.insert(0, str(ROOT))


# ---- corpus ----


def _kind(i: int, broken: float) -> str:
    """'ok', 'corrupt' or 'errors': every round(1/broken)-th book is broken, alternating the two kinds."""
    if broken <= 0:
        return "ok"
    step = max(1, round(1 / broken))
    if i % step != step // 2:
        return "ok"
    return "corrupt" if (i // step) % 2 == 0 else "errors"


def _make(args: tuple[int, float]) -> str:
    from decimal import Decimal

    from xltools.edition import load_edition
    from xltools.synth import department
    from xltools.template.write import write_template

    i, broken = args
    ed = load_edition("hebei-county-2020")
    data = department(ed, i)
    kind = _kind(i, broken)
    if kind == "errors":
        row = data["t06"][1]
        row["public" if "public" in row else "personnel"] += Decimal("100")
    path = BOOKS / f"book_{i:04d}.xlsx"
    write_template(ed, path, data)
    if kind == "corrupt":
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    return kind


def generate(n: int, broken: float, jobs: int) -> list[Path]:
    from concurrent.futures import ProcessPoolExecutor

    BOOKS.mkdir(parents=True, exist_ok=True)
    manifest = BOOKS / "manifest.json"
    have = json.loads(manifest.read_text()) if manifest.is_file() else {}
    if have.get("broken") != broken:
        have = {"broken": broken, "n": 0}
    todo = [i for i in range(n) if i >= have["n"] or not (BOOKS / f"book_{i:04d}.xlsx").is_file()]
    if todo:
        t = time.perf_counter()
        print(f"generating {len(todo)} workbooks into {BOOKS} …", file=sys.stderr)
        with ProcessPoolExecutor(jobs) as ex:
            list(ex.map(_make, [(i, broken) for i in todo], chunksize=8))
        print(f"  done in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        manifest.write_text(json.dumps({"broken": broken, "n": max(n, have["n"])}))
    return [BOOKS / f"book_{i:04d}.xlsx" for i in range(n)]


# ---- measuring one thing in a fresh process ----


def _tree_rss_kb(pid: int) -> int:
    """RSS of pid and its direct children (the pool workers), in kB."""

    def rss(p: str) -> int:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    total = rss(str(pid))
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        total += rss(p)
            except (OSError, IndexError, ValueError):
                pass
    return total


class Sampler:
    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pid = os.getpid()
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(pid))
            self._stop.wait(0.02)

    def __enter__(self) -> Sampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def _bare_read(path: str) -> int:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(path)
        return sum(len(wb.get_sheet_by_name(s).to_python(skip_empty_area=False)) for s in wb.sheet_names)
    except Exception:  # a corrupt input: the floor pays the same failed open
        return 0


def _naive(path: str) -> None:
    import openpyxl

    from xltools.validate import validate_file

    try:
        openpyxl.load_workbook(path)  # full load: what a script built on openpyxl would do
    except Exception:
        pass
    validate_file(path)


def _cpu(fn: Any, files: list[str]) -> float:
    t = time.process_time()
    for f in files:
        fn(f)
    return time.process_time() - t


def measure(what: str, files: list[str], jobs: int, out_dir: Path) -> dict[str, Any]:
    """Runs inside the child process started by `run_child`."""
    result: dict[str, Any] = {"what": what, "n": len(files), "jobs": jobs}
    if what == "merge":
        from xltools.merge import merge

        out, js = out_dir / f"merged-{len(files)}.xlsx", out_dir / f"merged-{len(files)}.json"
        with Sampler() as s:
            t = time.perf_counter()
            r = merge(files, out, jobs=jobs, json_path=js, force=True)
            result["wall"] = time.perf_counter() - t
        result.update(
            sampled_peak_mb=s.peak_kb / 1024,
            summary=r.summary_line(),
            timings=r.timings,
            out_mb=out.stat().st_size / 1e6,
        )
    elif what == "floor":
        from concurrent.futures import ProcessPoolExecutor

        import python_calamine  # noqa: F401

        with Sampler() as s:
            t = time.perf_counter()
            with ProcessPoolExecutor(jobs) as ex:
                rows = sum(ex.map(_bare_read, files, chunksize=16))
            result["wall"] = time.perf_counter() - t
        result.update(sampled_peak_mb=s.peak_kb / 1024, rows=rows)
    elif what == "breakdown":  # per-book CPU time of each layer, one process (robust to a busy machine)
        from xltools.merge.work import process
        from xltools.validate import validate_file

        for fn in (_bare_read, validate_file, process):
            fn(files[0])
        for name, fn in (("calamine_read", _bare_read), ("validate_file", validate_file), ("process", process)):
            best = min(_cpu(fn, files) for _ in range(3))
            result[name + "_ms"] = best / len(files) * 1000
    elif what == "naive":
        _naive(files[0])  # warm-up: imports and the edition, once
        with Sampler() as s:
            t = time.perf_counter()
            for f in files:
                _naive(f)
            result["wall"] = time.perf_counter() - t
        result["sampled_peak_mb"] = s.peak_kb / 1024
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["self_maxrss_mb"], result["children_maxrss_mb"] = me.ru_maxrss / 1024, kids.ru_maxrss / 1024
    # CPU seconds of the whole measurement (interpreter start included): steadier than wall time on a busy machine
    result["cpu"] = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return result


def run_child(what: str, files: list[Path], jobs: int) -> dict[str, Any]:
    lst = OUT / f"files-{what}-{len(files)}.txt"
    lst.write_text("\n".join(map(str, files)), encoding="utf-8")
    cmd = [sys.executable, __file__, "--measure", what, "--files-from", str(lst), "--jobs", str(jobs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- the report ----


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[250, 1000], help="numbers of workbooks (default 250 1000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    ap.add_argument("--broken", type=float, default=0.05, help="share of broken workbooks (default 0.05)")
    ap.add_argument("--naive-sample", type=int, default=50, help="books timed for the naive path (default 50)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--files-from", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        files = Path(args.files_from).read_text(encoding="utf-8").split("\n")
        print(json.dumps(measure(args.measure, files, args.jobs, OUT), ensure_ascii=False))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    books = generate(max(args.n), args.broken, args.jobs)
    load = os.getloadavg()
    rows = []
    for n in sorted(args.n):
        files = books[:n]
        m = run_child("merge", files, args.jobs)
        a = run_child("floor", files, args.jobs)
        step = max(1, n // args.naive_sample)
        sample = files[::step][: args.naive_sample]
        b = run_child("naive", sample, 1)
        b_wall = b["wall"] * n / len(sample)
        rows.append((n, m, a, b, b_wall, len(sample)))
        if n == max(args.n):
            breakdown = run_child("breakdown", sample, 1)
        print(
            f"N={n}: merge {m['wall']:.2f} s, floor {a['wall']:.2f} s, naive {b_wall:.1f} s (from {len(sample)})",
            file=sys.stderr,
        )
    import platform

    print(
        f"\nmachine: {os.cpu_count()} cores, Python {platform.python_version()}, jobs={args.jobs}, "
        f"broken share {args.broken:.0%}, load average before: {load[0]:.2f} {load[1]:.2f}, "
        f"after: {os.getloadavg()[0]:.2f}\n"
    )
    print(
        "| N | merge | (a) calamine floor | merge/(a) | (b) naive openpyxl+validate, 1 process | (b)/merge "
        "| CPU s merge / (a) / (b) | peak RSS main / largest worker | peak RSS sum, process tree | merge phases |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, m, a, b, b_wall, k in rows:
        phases = ", ".join(f"{k2} {v:.2f} s" for k2, v in m["timings"].items())
        b_cpu = b["cpu"] * n / k
        print(
            f"| {n} | {m['wall']:.2f} s | {a['wall']:.2f} s | {m['wall'] / a['wall']:.2f}× "
            f"| {b_wall:.1f} s (extrapolated from {k} books: {b['wall'] / k * 1000:.0f} ms/book) "
            f"| {b_wall / m['wall']:.1f}× | {m['cpu']:.1f} / {a['cpu']:.1f} / {b_cpu:.0f} "
            f"| {m['self_maxrss_mb']:.0f} / {m['children_maxrss_mb']:.0f} MB "
            f"| {m['sampled_peak_mb']:.0f} MB | {phases} |"
        )
    print(f"\nmerge result ({rows[-1][0]} books): {rows[-1][1]['summary']}; OUT.xlsx {rows[-1][1]['out_mb']:.1f} MB")
    n, m = rows[-1][0], rows[-1][1]
    print(
        f"\nper-book CPU, one process, {len(sample)} books (best of 3): bare calamine read "
        f"{breakdown['calamine_read_ms']:.1f} ms, validate_file {breakdown['validate_file_ms']:.1f} ms, "
        f"process (validate + extract + sha256) {breakdown['process_ms']:.1f} ms; "
        f"merge main-process writing {m['timings'].get('write_xlsx', 0) / n * 1000:.1f} ms per book (wall)"
    )
    (OUT / "merge_bench.json").write_text(json.dumps([r[:4] for r in rows], ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
