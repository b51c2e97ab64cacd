"""Benchmark: `xltools merge` on N synthetic department workbooks, against the floor and the naive path.

    python bench/merge_bench.py                      # N = 250 and 1000, all cores: merge vs floor vs naive
    python bench/merge_bench.py --ratio 1000 --runs 5             # interleaved merge/floor runs, medians
    python bench/merge_bench.py --scaling 1000 2000 10000 --jobs-list 1 2
    python bench/merge_bench.py --cluster 1000 10000              # through LocalCluster(2 workers) vs the pool
    python bench/merge_bench.py --cluster-ratio 1000 --runs 5     # the same, interleaved with pool runs, medians
    python bench/merge_bench.py --instructions 8 40               # valgrind cachegrind: 8 vs 0 books, and 40 vs 8
    python bench/merge_bench.py --memory 1000 2000                # main process: peak RSS and traced heap
    python bench/merge_bench.py --generate 10000                  # only make the corpus (before timed runs)
    python bench/merge_bench.py --cluster 40000 --jobs-list 2     # a province's year (not CI: ~10 min+)

Corpus: N varied workbooks in bench/out/books/ (reused when already there). The first 1,000 are generated
(xltools.synth, seeds 0–999; every 20th broken, alternately a truncated file (无法读取) and a department with
one amount changed so 类 ≠ Σ款 (有错误未纳入)); book i ≥ 1,000 is book i mod 1,000 with its 单位编码 and
单位名称 rewritten (a unique code, so every department is a new one), which keeps generation fast at 40,000.
Each measurement runs in a fresh Python process, so its memory is its own:

  merge  xltools.merge.merge(files, OUT.xlsx, jobs=J, json_path=...), local pool or --scheduler (a
         LocalCluster(n_workers=2, threads_per_worker=1, processes=True) started first, not timed, with the
         settings advised for a merge's cluster, xltools/merge/dask.yaml; XLTOOLS_BENCH_DASK_DEFAULTS=1: Dask's
         defaults but for the statistical profiler);
  (a)    the floor: a bare python-calamine read of every sheet of every input, same J processes;
  (b)    the naive path: openpyxl full load + per-book validation (validate_file), one process,
         timed on --naive-sample books spread over the set and extrapolated to N (stated in the table).

Peak memory: ru_maxrss of the main process (RUSAGE_SELF), and the sampled peak of the sum of RSS over the
whole process tree (/proc, every 20 ms; pages shared between forked processes are counted in each, so this
sum is an upper bound); each process's own peak RSS by role (main, county, worker), a timeline of each role's
RSS once a second, and the tree's summed PSS at those ticks (a page shared by a fork counts once). Instructions: valgrind --tool=cachegrind on one process, the difference between a run
over K books and one over 0 books (start-up and imports cancel out), divided by K; stable on a busy machine.
Goals on a 2-core machine: merge ≤ 3× (a), (b) ≥ 10× merge, peak ≤ 400 MB and flat in N.
"""

from __future__ import annotations

import argparse
import compileall
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


def bytecode() -> None:
    """Compile xltools's modules once, as `pip install` does and as any first run does where Python may write
    its cache. Where PYTHONDONTWRITEBYTECODE is set (this bench's machine sets it), every merge would otherwise
    compile the ~0.2 s of source its main process imports, which no installed copy does; the floor imports
    none of it."""
    compileall.compile_dir(str(ROOT / "xltools"), quiet=1)


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


REAL = 1000  # generated books; the others are derived from them


def _stamp() -> str:
    """What the corpus was made with: the SHA-256 of books 0-7 as the template writer makes them now
    (deterministic), so a corpus left over from an older template or generator is made again, not measured as
    有错误 (book 0 alone missed a generator change that only touched departments with 三公 经费)."""
    import hashlib
    import tempfile

    from xltools.edition import load_edition
    from xltools.synth import department
    from xltools.template.write import write_template

    ed = load_edition("hebei-county-2020")
    h = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        for seed in range(8):
            write_template(ed, path, department(ed, seed))
            h.update(path.read_bytes())
    return h.hexdigest()


def _derive(i: int) -> None:
    """Book i (≥ REAL): book i mod REAL with a new 单位编码 and 单位名称 (a broken one is copied as it is)."""
    import zipfile

    j = i % REAL
    src, dst = BOOKS / f"book_{j:04d}.xlsx", BOOKS / f"book_{i:04d}.xlsx"
    swaps = {
        f"<t>{100 + j:03d}{j:03d}</t>": f"<t>9{i:07d}</t>",
        f"<t>测试县第{j + 1}局</t>": f"<t>测试县第{i + 1}局</t>",
    }
    try:
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "xl/sharedStrings.xml":
                    for old, new in swaps.items():
                        data = data.replace(old.encode(), new.encode())
                zout.writestr(info, data)
    except zipfile.BadZipFile:
        dst.write_bytes(src.read_bytes())


def generate(n: int, broken: float, jobs: int) -> list[Path]:
    from concurrent.futures import ProcessPoolExecutor

    if n > REAL:
        books = generate(REAL, broken, jobs)
        todo = [i for i in range(REAL, n) if not (BOOKS / f"book_{i:04d}.xlsx").is_file()]
        if todo:
            print(f"deriving {len(todo)} workbooks …", file=sys.stderr)
            with ProcessPoolExecutor(jobs) as ex:
                list(ex.map(_derive, todo, chunksize=64))
        return books + [BOOKS / f"book_{i:04d}.xlsx" for i in range(REAL, n)]

    BOOKS.mkdir(parents=True, exist_ok=True)
    manifest = BOOKS / "manifest.json"
    have = json.loads(manifest.read_text()) if manifest.is_file() else {}
    stamp = _stamp()
    if have.get("broken") != broken or have.get("stamp") != stamp:
        # another template or generator (a books made before a template change fail 表头/行 checks): all anew
        for old in BOOKS.glob("book_*.xlsx"):
            old.unlink()
        have = {"broken": broken, "n": 0}
    todo = [i for i in range(n) if i >= have["n"] or not (BOOKS / f"book_{i:04d}.xlsx").is_file()]
    if todo:
        t = time.perf_counter()
        print(f"generating {len(todo)} workbooks into {BOOKS} …", file=sys.stderr)
        with ProcessPoolExecutor(jobs) as ex:
            list(ex.map(_make, [(i, broken) for i in todo], chunksize=8))
        print(f"  done in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        manifest.write_text(json.dumps({"broken": broken, "n": max(n, have["n"]), "stamp": stamp}))
    return [BOOKS / f"book_{i:04d}.xlsx" for i in range(n)]


# ---- measuring one thing in a fresh process ----


def _children(pid: int) -> list[int] | None:
    """pid's child processes from /proc/PID/task/*/children (None where the kernel lacks that file)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
        except FileNotFoundError:
            return None
        except OSError:
            pass
    return out


def _all_children(pid: int) -> set[int]:
    """The whole /proc scan (every process's parent): what a kernel without the children files needs."""
    parent: dict[int, int] = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as fh:
                    parent[int(p)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grew = {pid}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def _rss_kb(p: int) -> int:
    """Resident set of one process in kB (/proc/PID/statm: one short line, cheaper than status)."""
    try:
        with open(f"/proc/{p}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kb(p: int) -> int:
    """Proportional set of one process in kB (/proc/PID/smaps_rollup): a page shared by k processes counts 1/k
    in each, so the sum over the tree is what the tree really holds (RSS counts a forked child's inherited
    pages again). The kernel walks the page tables for it: read once a timeline tick, not every sample."""
    try:
        with open(f"/proc/{p}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _tree(pid: int) -> set[int]:
    """pid and all its descendants (pool workers, the county process; a local cluster's worker processes).

    The tree is walked down from pid through the kernel's children lists: a scan of all of /proc every 20 ms
    cost ~3 ms of CPU each, an eighth of a core taken from the run being measured."""
    tree, todo = {pid}, [pid]
    while todo:
        kids = _children(todo.pop())
        if kids is None:
            return _all_children(pid)
        todo.extend(k for k in kids if k not in tree)
        tree.update(kids)
    return tree


def _tree_rss_kb(pid: int) -> int:
    """RSS of pid and all its descendants, in kB."""
    return sum(_rss_kb(p) for p in _tree(pid))


COUNTY_PIDS: set[int] = set()  # the live county processes this measurement started (see _count_side_cpu)
BESIDE_PIDS: set[int] = set()  # the processes that wrote the stacked sheets beside the main one (merge/beside.py)


def _role(pid: int, me: int) -> str:
    """What a process of the tree is: the main process (with a LocalCluster, also its scheduler and nannies),
    the county process, a worker (pool or Dask), or multiprocessing's resource tracker."""
    if pid == me:
        return "main"
    if pid in COUNTY_PIDS:
        return "county"
    if pid in BESIDE_PIDS:
        return "beside"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read()
    except OSError:
        cmd = b""
    return "tracker" if b"resource_tracker" in cmd else "worker"


class Sampler:
    """The peak of the tree's summed RSS, each process's own peak (by role: main, county, worker…), and every
    `every` seconds a line of each role's RSS (the timeline shows which process grows as the inputs go by)."""

    def __init__(self, every: float = 1.0) -> None:
        self.peak_kb = 0
        self.pss_peak_kb = 0  # the peak of the tree's summed PSS, at the timeline's ticks
        self.peaks: dict[int, int] = {}
        self.roles: dict[int, str] = {}
        self.timeline: list[tuple[float, dict[str, int]]] = []
        self.every = every
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pid, start, last = os.getpid(), time.perf_counter(), -1e9
        while not self._stop.is_set():
            now: dict[int, int] = {}
            for p in _tree(pid):
                kb = _rss_kb(p)
                if kb:
                    now[p] = kb
                    if p not in self.roles or (self.roles[p] == "worker" and p in COUNTY_PIDS | BESIDE_PIDS):
                        self.roles[p] = _role(p, pid)
                    self.peaks[p] = max(self.peaks.get(p, 0), kb)
            self.peak_kb = max(self.peak_kb, sum(now.values()))
            t = time.perf_counter() - start
            if t - last >= self.every:
                last = t
                line: dict[str, int] = {}
                for p, kb in now.items():
                    line[self.roles[p]] = line.get(self.roles[p], 0) + kb
                line["pss"] = sum(_pss_kb(p) for p in now)
                self.pss_peak_kb = max(self.pss_peak_kb, line["pss"])
                self.timeline.append((round(t, 1), line))
            self._stop.wait(0.02)

    def by_role(self) -> dict[str, list[float]]:
        """Each role's processes' peak RSS in MB, largest first."""
        out: dict[str, list[float]] = {}
        for p, kb in self.peaks.items():
            out.setdefault(self.roles[p], []).append(round(kb / 1024, 1))
        return {r: sorted(v, reverse=True) for r, v in sorted(out.items())}

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
    if what == "memory":  # the main process's own Python allocations, traced (forked children stop tracing)
        import tracemalloc

        from xltools.merge import merge

        os.register_at_fork(after_in_child=tracemalloc.stop)
        tracemalloc.start()
        r = merge(
            files, out_dir / f"merged-memory-{len(files)}.xlsx", jobs=jobs, json_path=out_dir / "m.json", force=True
        )
        current, peak = tracemalloc.get_traced_memory()
        top = tracemalloc.take_snapshot().statistics("lineno")[:8]
        del r
        result.update(
            traced_current_mb=current / 2**20,
            traced_peak_mb=peak / 2**20,
            top=[
                f"{st.size / 1024:.0f} KiB {st.traceback[0].filename.split('/')[-1]}:{st.traceback[0].lineno}"
                for st in top
            ],
        )
    elif what in ("merge", "cluster"):
        from xltools.merge import county, merge

        _count_side_cpu(county, out_dir)
        out, js = out_dir / f"merged-{what}-{len(files)}.xlsx", out_dir / f"merged-{what}-{len(files)}.json"
        cluster = client = None
        if what == "cluster":
            import dask
            from distributed import Client, LocalCluster

            from xltools.merge.distributed import cluster_config

            # The settings advised for a merge's cluster (xltools/merge/dask.yaml); with XLTOOLS_BENCH_DASK_DEFAULTS=1
            # Dask's own but for the profiler (without which the workers grow ~33 KB per book: see README, merge).
            advised = cluster_config()
            if os.environ.get("XLTOOLS_BENCH_DASK_DEFAULTS") == "1":
                advised = {"distributed.worker.profile.enabled": False}
            result["dask_config"] = advised
            dask.config.set(advised)  # for the whole process: a worker its nanny restarts takes the settings then
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
            client.run(lambda: __import__("xltools.validate"))  # warm: the workers import the reading stack
        with Sampler() as s:
            t = time.perf_counter()
            r = merge(files, out, jobs=jobs, json_path=js, force=True, scheduler=client)
            result["wall"] = time.perf_counter() - t
        if cluster is not None:
            client.close()
            cluster.close()
        result.update(
            sampled_peak_mb=s.peak_kb / 1024,
            peaks_mb=s.by_role(),
            pss_peak_mb=s.pss_peak_kb / 1024,
            timeline_mb=[(t, {k: round(v / 1024) for k, v in line.items()}) for t, line in s.timeline],
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
    elif what.startswith("icount-"):  # under valgrind: the same imports whatever K, then K books of one kind
        import pandera.pandas  # noqa: F401  (imported by the county checks: not a cost per book)
        import python_calamine  # noqa: F401

        from xltools.merge import merge
        from xltools.validate import validate_file

        kind = what.removeprefix("icount-")
        files = [f for f in files if f]
        if kind == "validate":
            for f in files:
                validate_file(f)
        elif kind == "floor":
            for f in files:
                _bare_read(f)
        else:
            merge(files, out_dir / f"icount-{len(files)}.xlsx", jobs=1, force=True)
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
    if what in ("merge", "cluster"):  # the county and stacked-sheet processes wrote their CPU seconds
        county_cpu, beside_cpu = _spent("county", out_dir), _spent("beside", out_dir)
    if what == "merge":  # CPU seconds per process: this one (the merge's main process), the county one, the workers
        result["cpu_main"] = me.ru_utime + me.ru_stime
        result["cpu_county"] = county_cpu
        result["cpu_beside"] = beside_cpu
        result["cpu_workers"] = kids.ru_utime + kids.ru_stime - county_cpu - beside_cpu
    # CPU seconds of the whole measurement (interpreter start included): steadier than wall time on a busy machine
    result["cpu"] = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return result


def _count_cpu(module: Any, cls: Any, target: str, pids: set[int], role: str, out_dir: Path) -> None:
    """Make the processes `cls` starts (their function: module.target) note their pids and write their own CPU
    seconds when they end (`_spent` reads them)."""
    parent, init, run = os.getpid(), cls.__init__, getattr(module, target)

    def noted(self: Any, *args: Any) -> None:
        init(self, *args)
        pids.add(self.proc.pid)

    def counted(*args: Any) -> None:
        try:
            run(*args)
        finally:
            r = resource.getrusage(resource.RUSAGE_SELF)
            (out_dir / f"{role}-cpu-{parent}.txt").write_text(str(r.ru_utime + r.ru_stime))

    cls.__init__ = noted
    setattr(module, target, counted)


def _count_side_cpu(county: Any, out_dir: Path) -> None:
    """The live county process (merge/county.py) and the stacked-sheet writer (merge/beside.py), counted apart."""
    from xltools.merge import beside

    _count_cpu(county, county.Live, "_live", COUNTY_PIDS, "county", out_dir)
    _count_cpu(beside, beside.Beside, "_child", BESIDE_PIDS, "beside", out_dir)


def _spent(role: str, out_dir: Path) -> float:
    """The CPU seconds a counted process of this measurement wrote (0 when none ran); the file is removed."""
    spent = out_dir / f"{role}-cpu-{os.getpid()}.txt"
    cpu = float(spent.read_text()) if spent.is_file() else 0.0
    spent.unlink(missing_ok=True)
    return cpu


def run_child(what: str, files: list[Path], jobs: int) -> dict[str, Any]:
    lst = OUT / f"files-{what}-{len(files)}.txt"
    lst.write_text("\n".join(map(str, files)), encoding="utf-8")
    cmd = [sys.executable, __file__, "--measure", what, "--files-from", str(lst), "--jobs", str(jobs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- the report ----


def run_icount(kind: str, files: list[Path]) -> int:
    """Instructions executed by one process measuring `kind` over `files` (valgrind cachegrind)."""
    import re

    lst = OUT / f"files-icount-{kind}-{len(files)}.txt"
    lst.write_text("\n".join(map(str, files)), encoding="utf-8")
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    cmd += [sys.executable, __file__, "--measure", f"icount-{kind}", "--files-from", str(lst), "--jobs", "1"]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in the K-book and the 0-book runs
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    m = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if proc.returncode != 0 or m is None:
        raise SystemExit(f"cachegrind {kind} failed:\n{proc.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def ratio(books: list[Path], n: int, runs: int, jobs: int, sides: tuple[str, str] = ("merge", "floor")) -> None:
    """Interleaved runs of two measurements (merge and the floor; or, for --cluster-ratio, the merge through the
    LocalCluster and through the pool), the medians and their ratio."""
    first, second = sides
    files, walls = books[:n], {first: [], second: []}
    for _ in range(runs):  # interleaved, so both see the same load
        for what in sides:
            got = run_child(what, files, jobs)
            walls[what].append(got["wall"])
            print(json.dumps(got, ensure_ascii=False), flush=True)
    m, a = _median(walls[first]), _median(walls[second])
    pairs = sorted(x / y for x, y in zip(walls[first], walls[second], strict=True))
    print(
        f"\n| N | jobs | runs | {first} (median) | {second} (median) | {first}/{second} | median pair "
        f"| all {first} walls | all {second} walls |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    fmt = " ".join
    print(
        f"| {n} | {jobs} | {runs} | {m:.2f} s | {a:.2f} s | **{m / a:.2f}×** | {_median(pairs):.2f}× "
        f"| {fmt(f'{w:.2f}' for w in walls[first])} | {fmt(f'{w:.2f}' for w in walls[second])} |"
    )
    (OUT / f"ratio-{first}-{second}-{n}.json").write_text(json.dumps(walls))


def scaling(books: list[Path], ns: list[int], jobs_list: list[int], what: str) -> None:
    print(
        f"\n{what}: | N | jobs | wall | ms per book | peak RSS, process tree | peak RSS, main process "
        "| peak PSS, process tree (1 s ticks) | peak RSS per process (sampled) | result |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    rows = []
    for n in ns:
        for j in jobs_list:
            m = run_child(what, books[:n], j)
            rows.append(m)
            print(
                f"| {n} | {j} | {m['wall']:.1f} s | {m['wall'] / n * 1000:.1f} | {m['sampled_peak_mb']:.0f} MB "
                f"| {m['self_maxrss_mb']:.0f} MB | {m.get('pss_peak_mb', 0):.0f} MB | {_roles(m['peaks_mb'])} "
                f"| {m['summary']} |",
                flush=True,
            )
    (OUT / f"scaling-{what}.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1))


def _roles(peaks: dict[str, list[float]]) -> str:
    """'main 52, county 130, workers 2 × 75' (MB): each role's processes' peak RSS."""
    parts = []
    for role, mb in peaks.items():
        if len(mb) == 1:
            parts.append(f"{role} {mb[0]:.0f}")
        else:
            parts.append(f"{role}s {len(mb)} × {min(mb):.0f}–{max(mb):.0f}")
    return ", ".join(parts) + " MB"


def instructions(books: list[Path], ks: list[int]) -> None:
    """Per book: K books vs 0 (start-up cancels out); with a second K2, also (K2 vs K) / (K2 - K), the marginal
    cost, from which the costs paid once per run (the edition, the classification sheets, pandera's schemas)
    cancel out too."""
    k, k2 = ks[0], (ks[1] if len(ks) > 1 else 0)
    sample = [b for b in books[:REAL] if _readable_ok(b)][: max(k, k2)]  # valid, readable books only
    head = f"K = {k} vs 0" + (f" | marginal, K = {k2} vs {k}" if k2 else "")
    print(f"\n| per book | {head} | vs bare calamine read |")
    print("|---|---:|" + ("---:|" if k2 else "") + "---:|")
    got: dict[str, Any] = {}
    for kind in ("floor", "validate", "merge"):
        zero, at_k = run_icount(kind, []), run_icount(kind, sample[:k])
        got[kind] = (at_k - zero) / k
        if k2:
            got[kind + "_marginal"] = (run_icount(kind, sample[:k2]) - at_k) / (k2 - k)
    for kind in ("floor", "validate", "merge"):
        cells = f"{got[kind] / 1e6:.1f} M ({got[kind] / got['floor']:.2f}×)"
        if k2:
            m = got[kind + "_marginal"]
            cells += f" | {m / 1e6:.1f} M ({m / got['floor_marginal']:.2f}×)"
        print(f"| {kind} | {cells} |")
    (OUT / "instructions.json").write_text(json.dumps(got))


def _readable_ok(path: Path) -> bool:
    """A book the corpus generated valid (not one of the broken ones: see _kind)."""
    i = int(path.stem.rsplit("_", 1)[1])
    return _kind(i % REAL, 0.05) == "ok"


def memory(books: list[Path], ns: list[int], jobs: int) -> None:
    print("\n| N | jobs | peak RSS, main process | traced peak (Python heap) | traced at the end | top allocations |")
    print("|---:|---:|---:|---:|---:|---|")
    rows = []
    for n in ns:
        m = run_child("memory", books[:n], jobs)
        rows.append(m)
        print(
            f"| {n} | {jobs} | {m['self_maxrss_mb']:.1f} MB | {m['traced_peak_mb']:.1f} MB "
            f"| {m['traced_current_mb']:.1f} MB | {'; '.join(m['top'][:4])} |",
            flush=True,
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        dn = b["n"] - a["n"]
        print(
            f"\ngrowth per input, N = {a['n']} → {b['n']}: peak RSS "
            f"{(b['self_maxrss_mb'] - a['self_maxrss_mb']) * 2**20 / dn:.0f} B, traced peak "
            f"{(b['traced_peak_mb'] - a['traced_peak_mb']) * 2**20 / dn:.0f} B"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[250, 1000], help="numbers of workbooks (default 250 1000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    ap.add_argument("--broken", type=float, default=0.05, help="share of broken workbooks (default 0.05)")
    ap.add_argument("--naive-sample", type=int, default=50, help="books timed for the naive path (default 50)")
    ap.add_argument("--ratio", type=int, help="N: interleaved merge/floor runs at N books (see --runs)")
    ap.add_argument("--runs", type=int, default=5, help="runs per side for --ratio and --cluster-ratio (default 5)")
    ap.add_argument("--cluster-ratio", type=int, help="N: interleaved LocalCluster/pool merges at N books (--runs)")
    ap.add_argument("--scaling", type=int, nargs="+", help="N values: merge time and memory at each --jobs-list")
    ap.add_argument("--cluster", type=int, nargs="+", help="N values: the same through a 2-worker LocalCluster")
    ap.add_argument("--jobs-list", type=int, nargs="+", default=[1, 2], help="jobs for --scaling (default 1 2)")
    ap.add_argument(
        "--instructions",
        type=int,
        nargs="+",
        metavar="K",
        help="cachegrind: K books vs 0, per book (K K2: and K2 vs K)",
    )
    ap.add_argument("--memory", type=int, nargs="+", help="N values: the main process's peak RSS and traced heap")
    ap.add_argument("--generate", type=int, metavar="N", help="only make (or bring up to date) the corpus of N books")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--files-from", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        files = Path(args.files_from).read_text(encoding="utf-8").split("\n")
        print(json.dumps(measure(args.measure, files, args.jobs, OUT), ensure_ascii=False))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if args.generate:
        print(f"{len(generate(args.generate, args.broken, args.jobs))} workbooks in {BOOKS}")
        return
    special = [
        x for x in (args.ratio, args.cluster_ratio, args.scaling, args.cluster, args.instructions, args.memory) if x
    ]
    if special:
        need = max(
            [
                args.ratio or 0,
                args.cluster_ratio or 0,
                *(args.scaling or []),
                *(args.cluster or []),
                *(args.memory or []),
                REAL if args.instructions else 0,
            ]
        )
        books = generate(need, args.broken, args.jobs)
        bytecode()
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        if args.ratio:
            ratio(books, args.ratio, args.runs, args.jobs)
        if args.cluster_ratio:
            ratio(books, args.cluster_ratio, args.runs, 2, ("cluster", "merge"))
        if args.scaling:
            scaling(books, args.scaling, args.jobs_list, "merge")
        if args.cluster:
            scaling(books, args.cluster, [2], "cluster")
        if args.memory:
            memory(books, args.memory, args.jobs)
        if args.instructions:
            instructions(books, args.instructions)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    books = generate(max(args.n), args.broken, args.jobs)
    bytecode()
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
