"""Run `xltools validate` on many inputs inside ONE child process and measure each: exit code, output, CPU
seconds and the process's peak memory after it. The child runs under RLIMIT_AS (see harness.run_probe), so
an input that would need more memory fails loudly, and one Python start-up serves the whole corpus.

    python -m tests.robustness.probe JOBS.json   # [[path, [extra args]], ...] -> one JSON line per job
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main(jobs_file: str) -> None:
    from xltools.cli import main as cli_main

    with open(jobs_file, encoding="utf-8") as fh:
        jobs = json.load(fh)
    for path, extra in jobs:
        out, err = io.StringIO(), io.StringIO()
        cpu, wall = _cpu(), time.monotonic()
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli_main(["validate", "--format", "json", path, *extra])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        line = {
            "path": path,
            "exit": code,
            "stdout": out.getvalue(),
            "stderr": err.getvalue(),
            "cpu_s": _cpu() - cpu,
            "wall_s": time.monotonic() - wall,
            "maxrss_mb": rss,
        }
        sys.__stdout__.write(json.dumps(line, ensure_ascii=False) + "\n")  # type: ignore[union-attr]
        sys.__stdout__.flush()  # type: ignore[union-attr]


if __name__ == "__main__":
    main(sys.argv[1])
