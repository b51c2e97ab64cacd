"""Merge machinery at scale, on small real inputs: --resume after kills at random points (33 files killed twice,
and 2,000 killed three times), workers that die with the main process, --jobs capped, duplicates that stay linear,
the default engine without Dask, and the rendered sheet XML equal to xlsxwriter's own."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from tests.procs import alive
from xltools.merge import merge, pool
from xltools.merge.county import LIVE_NAME
from xltools.merge.render import ROW, num_cell, str_cell
from xltools.merge.spool import spool_dir

from .conftest import County

ROOT = Path(__file__).resolve().parents[2]
SLOW = os.environ.get("XLTOOLS_SLOW") == "1"


def _outputs(out: Path, js: Path) -> dict[str, bytes]:
    return {"xlsx": out.read_bytes(), "json": js.read_bytes()}


def _children(pid: int) -> list[int]:
    kids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    return kids


_KILLED_AT = """
import os, sys
from xltools.merge import merge
k = int(sys.argv[3])
def progress(done, total):
    if done == k:
        os._exit(9)  # as abrupt as kill -9: no cleanup, no last commit
merge([sys.argv[1]], sys.argv[2], jobs=2, json_path=sys.argv[2] + ".json", progress=progress, resume=True)
"""


def kill_and_resume(folder: Path, tmp: Path, kills: list[int]) -> None:
    """Kill a merge of `folder` at each of `kills` inputs (each run resuming the last), change a file, resume, and
    compare with one uninterrupted merge of the same inputs."""
    out = tmp / "out" / "汇总.xlsx"
    out.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for k in kills:
        proc = subprocess.run([sys.executable, "-c", _KILLED_AT, str(folder), str(out), str(k)], env=env, check=False)
        assert proc.returncode == 9 and not out.exists()  # killed before any output: nothing half-written
        assert (spool_dir(out) / "spool.sqlite").is_file()
    changed = sorted(folder.glob("dept0*.xlsx"))[0]  # spooled by now, then edited: must be read again
    changed.write_bytes((folder / "dept29.xlsx").read_bytes())
    r = merge([folder], out, jobs=2, json_path=Path(f"{out}.json"), resume=True)
    assert 0 < r.reused < len(r.inputs) and not spool_dir(out).exists()
    fresh = tmp / "fresh" / "汇总.xlsx"
    fresh.parent.mkdir()
    f = merge([folder], fresh, jobs=2, json_path=Path(f"{fresh}.json"))
    assert f.reused == 0 and f.summary_line() == r.summary_line()
    assert _outputs(out, Path(f"{out}.json")) == _outputs(fresh, Path(f"{fresh}.json"))
    st = {Path(e.path).name: e.status for e in r.inputs}
    assert st[changed.name] == st["dept29.xlsx"] == "重复"  # the edited file was re-read: now a copy of dept29


def test_resume_after_kills_at_random_points(county_copy: Path, tmp_path: Path) -> None:
    rng = random.Random(14)
    n = len(list(county_copy.glob("*.xlsx")))
    kill_and_resume(county_copy, tmp_path, sorted(rng.sample(range(17, n), 2)))


def test_resume_2000_files_killed_at_random_points(county: County, tmp_path: Path) -> None:
    folder = tmp_path / "收件"
    folder.mkdir()
    for i in range(2000 // 33 + 1):
        for p in sorted(county.folder.glob("*.xlsx")):
            shutil.copy(p, folder / f"{p.stem}-{i:03d}.xlsx" if i else folder / p.name)
    rng = random.Random(2000)
    kill_and_resume(folder, tmp_path, sorted(rng.sample(range(17, 2000), 3)))


def test_kill_9_leaves_no_workeralive(county: County, tmp_path: Path) -> None:
    folder = tmp_path / "收件"
    folder.mkdir()
    for i in range(4):  # long enough to be killed while the workers run
        for p in sorted(county.folder.glob("*.xlsx")):
            shutil.copy(p, folder / f"{i}-{p.name}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "xltools", "merge", str(folder), "-o", str(tmp_path / "o.xlsx"), "--jobs", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = [k for k in _children(proc.pid) if alive(k)]
        time.sleep(0.01)
    assert len(workers) >= 2, "the merge ended before its workers could be seen"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)]


def test_jobs_are_capped_at_the_inputs(county: County, tmp_path: Path) -> None:
    assert pool.effective_jobs(1000, 3) == 3 and pool.effective_jobs(None, 1) == 1
    assert pool.effective_jobs(1000, 10**6) <= pool.MAX_JOBS_PER_CORE * pool.default_jobs()
    before = set(_children(os.getpid()))  # other tests' processes (a local cluster) are not this merge's
    seen: list[int] = []

    def count(done: int, total: int) -> None:  # the pool's workers (not the live county process)
        county_proc = {c.pid for c in multiprocessing.active_children() if c.name == LIVE_NAME}
        seen.append(len(set(_children(os.getpid())) - before - county_proc))

    files = sorted(county.folder.glob("dept0[0-2].xlsx"))
    r = merge(files, tmp_path / "o.xlsx", jobs=1000, progress=count)
    assert r.count("included") == 3 and 1 <= max(seen) <= 3


def test_ten_thousand_copies_stay_linear(county: County, tmp_path: Path) -> None:
    n = 10_000 if SLOW else 120
    folder = tmp_path / "收件"
    folder.mkdir()
    src = county.folder / "dept00.xlsx"
    for i in range(n):
        os.link(src, folder / f"copy{i:05d}.xlsx")
    js = tmp_path / "o.json"
    r = merge([folder], tmp_path / "o.xlsx", json_path=js)
    assert r.count("duplicate") == n and r.count("included") == 0
    longest = max(len(e.reason) for e in r.inputs)
    assert longest < 600, longest  # five other files named and the count, not n - 1
    listed = json.loads(js.read_text(encoding="utf-8"))["inputs"]
    assert f"共 {n - 1} 个文件" in listed[0]["reason"]
    assert js.stat().st_size < 3000 * n  # linear: one short entry per input
    # what the main process holds per input (findings, hashes, figures are in the spool; a duplicate's reason is
    # worded from its group when an output asks): well under 1 KB
    fields = ("path", "unit_code", "unit_name", "note")
    groups = {id(e.duplicates): sys.getsizeof(e.duplicates) for e in r.inputs if e.duplicates is not None}
    held = sum(sys.getsizeof(e) + sum(sys.getsizeof(getattr(e, f)) for f in fields) for e in r.inputs)
    assert (held + sum(groups.values())) / n < 1024, (held + sum(groups.values())) / n


def test_default_engine_imports_no_dask(county: County, tmp_path: Path) -> None:
    code = (
        "import sys\nfrom xltools.merge import merge\n"
        f"merge([{str(county.folder / 'dept00.xlsx')!r}], {str(tmp_path / 'o.xlsx')!r}, jobs=2)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("XLTOOLS_DASK_SCHEDULER", None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert (tmp_path / "o.xlsx").is_file()


TEXTS = [
    "100000",
    "测试县第1局",
    "",
    " leading blank",
    "trailing blank ",
    "a&b <c> \"q\" 'apos'",
    '=HYPERLINK("http://x")',
    "line\nbreak\ttab",
    "ctrl\x01\x1f\x08char",
    "_x0041_ literal escape",
    "\ufffe\uffff",
    "<r><t>rich?</t></r>x",
    "<b>bold</b>",
    "😀" * 20000,  # beyond Excel's 32,767 UTF-16 units: truncated the same way
]
NUMBERS = [1.0, 0.1, -3.5, 5213267.31, 1e20, 1.23456789012345678, 123456789012.34, -0.01]


def test_rendered_cells_are_xlsxwriters_own_bytes(tmp_path: Path) -> None:
    """The streamed rows are byte for byte what xlsxwriter (constant_memory) writes for the same cells."""
    buf = tmp_path / "ref.xlsx"
    wb = xlsxwriter.Workbook(str(buf), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet()
    money = wb.add_format({"num_format": "#,##0.00"})
    other = wb.add_format({"bold": True})
    ws.write_string(0, 0, "x", other)  # xf 1, so the money format is xf 2 as in OUT.xlsx
    rows = []
    for y, text in enumerate(TEXTS, start=1):
        ws.write_string(y, 0, text)
        ws.write_number(y, 1, NUMBERS[y % len(NUMBERS)], money)
        rows.append(f'<row r="{ROW}">' + str_cell("A", text) + num_cell("B", NUMBERS[y % len(NUMBERS)], 2) + "</row>")
    wb.close()
    with zipfile.ZipFile(buf) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    for y, row in enumerate(rows, start=1):
        mine = str(y + 1).join(row.split(ROW))
        assert mine in sheet, (y, mine[:200])
    # One deliberate difference: xlsxwriter copies a text "<r>…</r>" into the XML unescaped (as rich text), so a
    # unit named so would break the sheet; the rendered rows escape it like any text.
    assert (
        str_cell("A", "<r><t>x</t></r>")
        == f'<c r="A{ROW}" t="inlineStr"><is><t>&lt;r&gt;&lt;t&gt;x&lt;/t&gt;&lt;/r&gt;</t></is></c>'
    )


def _died(*_args: object) -> None:
    os._exit(3)  # the live county process dies at once (out of memory, killed …)


def test_county_checks_survive_their_process_dying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With two jobs the county checks run in a process of their own (county.watch); when it dies the main
    process runs them itself: OUT.xlsx and the JSON are those of a one-job merge (checks in line)."""
    from xltools.merge import county as county_module
    from xltools.synth import department
    from xltools.template.write import write_template

    from ..robustness import corpus

    ed = corpus.edition()
    folder = tmp_path / "in"
    folder.mkdir()
    datas = [department(ed, s) for s in range(4)]
    datas[1]["cover"]["name"]["value"] = datas[0]["cover"]["name"]["value"]  # one name under two codes
    for i, d in enumerate(datas):
        write_template(ed, folder / f"dept{i}.xlsx", d)
    inline = merge([folder], tmp_path / "one.xlsx", jobs=1, json_path=tmp_path / "one.json")
    monkeypatch.setattr(county_module, "_live", _died)
    died = merge([folder], tmp_path / "two.xlsx", jobs=2, json_path=tmp_path / "two.json")
    assert [e.warnings for e in died.inputs] == [e.warnings for e in inline.inputs]
    assert (tmp_path / "two.xlsx").read_bytes() == (tmp_path / "one.xlsx").read_bytes()
    one = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    two = json.loads((tmp_path / "two.json").read_text(encoding="utf-8"))
    assert one == two
    rules = [(Path(e["path"]).name, f["rule"]) for e in one["inputs"] for f in e["findings"]]
    assert {("dept0.xlsx", "county.unit-codes"), ("dept1.xlsx", "county.unit-codes")} <= set(rules)
    assert not [c for c in multiprocessing.active_children() if c.name == LIVE_NAME]
