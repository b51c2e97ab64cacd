"""Benchmark: instructions per workbook of a bare python-calamine read and of read + validate, counted by
valgrind's cachegrind (the difference between K and 0 iterations removes start-up; the hash seed is fixed and
the per-process caches of a template's constant parts are emptied before each read, so each is a first read). Instruction counts do
not move with the machine's load, as wall times do on a shared machine.

    python bench/validate_instructions.py [--k 10] [FILE]

Needs valgrind (Debian: apt-get install valgrind). Default FILE: the bundled example.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import sys
sys.path.insert(0, {root!r})
path, what, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
if what == "floor":
    from python_calamine import CalamineWorkbook

    def run():
        wb = CalamineWorkbook.from_path(path)
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
else:
    from xltools.ooxml.package import forget_known_parts
    from xltools.validate import validate_file

    def run():
        forget_known_parts()  # each read a first read, as a clerk's one validate in its own process
        validate_file(path)
run()  # warm: imports, caches, compiled patterns
for _ in range(k):
    run()
"""


def instructions(script: Path, path: Path, what: str, k: int) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", sys.executable]
        + [str(script), str(path), what, str(k)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts at K and at 0 iterations
    ).stderr
    m = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if m is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{out[-2000:]}")
    return int(m.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("file", nargs="?", default=str(ROOT / "examples" / "longyao-cac-2020.xlsx"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        script = Path(d) / "child.py"
        script.write_text(CHILD.format(root=str(ROOT)), encoding="utf-8")
        per = {}
        for what in ("floor", "validate"):
            per[what] = (
                instructions(script, Path(args.file), what, args.k) - instructions(script, Path(args.file), what, 0)
            ) / args.k
    print("| bare calamine read | read + validate | ratio |\n|---:|---:|---:|")
    print(f"| {per['floor'] / 1e6:.1f} M | {per['validate'] / 1e6:.1f} M | {per['validate'] / per['floor']:.2f}× |")


if __name__ == "__main__":
    main()
