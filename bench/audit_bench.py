"""Audit benchmarks (not timed tests): one 20-page PDF, a folder of 200 documents, and the narrative mutation
suite's kill rate.

    python bench/audit_bench.py                 # all three
    python bench/audit_bench.py --only pdf      # pdf | batch | mutations

The PDF is the reference disclosure repeated to 20 pages, exported by LibreOffice; the folder holds 200
documents (the reference as .txt/.docx/.pdf and generated departments' narratives as .md/.docx)."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out" / "audit"

from tests.audit.conftest import REFERENCE, to_pdf, write_docx  # noqa: E402


def _run(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "xltools", *args], cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - t


def _cpu(args: list[str]) -> float:
    """CPU seconds (user + system) of one whole process and its workers: less sensitive to a loaded machine."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "xltools", *args], cwd=ROOT, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _load() -> str:
    import os

    return f"load average {os.getloadavg()[0]:.1f}"


def _pdf(text: str, name: str, copies: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    docx = write_docx("\n".join([text] * copies), OUT / f"{name}.docx")
    return to_pdf(docx, OUT)


def bench_pdf(runs: int) -> None:
    import pypdfium2 as pdfium

    text = REFERENCE.read_text(encoding="utf-8")
    pdf = _pdf(text, "twenty-pages", 3)
    pages = len(pdfium.PdfDocument(str(pdf)))
    times = [_run(["audit", str(pdf), "--format", "json"]) for _ in range(runs)]
    cpu = [_cpu(["audit", str(pdf), "--format", "json"]) for _ in range(runs)]
    base = [_run(["--version"]) for _ in range(runs)]
    print(
        f"pdf: {pages} pages, whole process median {statistics.median(times):.3f} s wall (min {min(times):.3f}), "
        f"{statistics.median(cpu):.3f} s CPU; `xltools --version` {statistics.median(base):.3f} s; {_load()}"
    )


def bench_batch(n: int) -> None:
    from xltools import synth
    from xltools.book import book_from_data
    from xltools.edition import load_edition
    from xltools.narrative import compile_narrative

    folder = OUT / "batch"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    text = REFERENCE.read_text(encoding="utf-8")
    pdf = _pdf(text, "reference", 1)
    docx = OUT / "reference.docx"
    ed = load_edition("hebei-county-2020")
    for i in range(n):
        kind = i % 5
        if kind == 0:
            shutil.copy(pdf, folder / f"{i:03d}.pdf")
        elif kind == 1:
            shutil.copy(docx, folder / f"{i:03d}.docx")
        elif kind == 2:
            (folder / f"{i:03d}.txt").write_text(text, encoding="utf-8")
        else:
            nar = compile_narrative(book_from_data(ed, synth.department(ed, i)))
            if kind == 3:
                (folder / f"{i:03d}.md").write_text(nar.markdown, encoding="utf-8")
            else:
                (folder / f"{i:03d}.docx").write_bytes(nar.docx)
    args = ["audit", str(folder), "--summary", str(OUT / "summary"), "--force", "--jobs", "2", "--format", "json"]
    t = _run(args)
    cpu = _cpu(args)
    print(
        f"batch: {n} documents (pdf/docx/txt/md), whole process {t:.2f} s wall on 2 processes "
        f"({t / n * 1000:.0f} ms per document), {cpu:.2f} s CPU in all; {_load()}"
    )


def bench_mutations(seeds: int) -> None:
    from tests.audit.mutants import is_caught, mutants, signature
    from xltools import synth
    from xltools.book import book_from_data
    from xltools.edition import load_edition
    from xltools.narrative import compile_narrative
    from xltools.validate import validate_file

    ed = load_edition("hebei-county-2020")
    books = [("example", validate_file(ROOT / "examples" / "longyao-cac-2020.xlsx").book)]
    books += [(f"synth-{s}", book_from_data(ed, synth.department(ed, s))) for s in range(seeds)]
    total = caught = 0
    by_op: dict[str, list[int]] = {}
    t = time.perf_counter()
    for name, book in books:
        md = compile_narrative(book).markdown
        base = signature(md, book)
        for m in mutants(md, book):
            ok = is_caught(m, book, base)
            total += 1
            caught += ok
            by_op.setdefault(m.op, [0, 0])
            by_op[m.op][0] += 1
            by_op[m.op][1] += ok
            if not ok:
                print(f"  survived: {name} {m.op} {m.before} -> {m.after}")
    ops = ", ".join(f"{op} {k}/{n}" for op, (n, k) in sorted(by_op.items()))
    print(
        f"mutations: {caught} of {total} caught ({caught / total:.1%}) over {len(books)} documents [{ops}] in {time.perf_counter() - t:.0f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["pdf", "batch", "mutations"])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args()
    if a.only in (None, "pdf"):
        bench_pdf(a.runs)
    if a.only in (None, "batch"):
        bench_batch(a.docs)
    if a.only in (None, "mutations"):
        bench_mutations(a.seeds)


if __name__ == "__main__":
    main()
