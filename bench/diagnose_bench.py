"""Diagnosis figures for the README: every single-cell amount mutation (cent-up, cent-down, ×10000,
÷10000, cleared) of every input 金额 cell of the bundled example and of generated departments.

    python bench/diagnose_bench.py              # the example and seeds 1, 7 (a few minutes)
    python bench/diagnose_bench.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.diagnose.measure import measure  # noqa: E402
from tests.robustness import corpus  # noqa: E402
from tests.robustness.operators import bases  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 7])
    args = ap.parse_args()
    ed = corpus.edition()
    for name, data in bases(ed, args.seeds):
        start = time.monotonic()
        m = measure(ed, [(name, data)])
        took = time.monotonic() - start
        print(f"{name}: {m.summary()}; {took:.1f} s ({took / max(m.mutants, 1) * 1000:.0f} ms per mutant)")
        for miss in m.misses[:5]:
            print("  missed:", miss)


if __name__ == "__main__":
    main()
