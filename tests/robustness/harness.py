"""Run the real CLI in a child process under a memory limit and measure it (CPU time, peak memory).

Shared by the corpus tests and bench/robustness_bench.py. CPU time, not wall time, is what the tests
bound: on a loaded two-core CI machine wall time measures the neighbours, CPU time measures us.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT_MB = 500  # address space of the child (RLIMIT_AS): a bomb that gets through fails loudly
CPU_LIMIT_S = 5.0
WALL_TIMEOUT_S = 120.0  # a hang, not slowness: the CPU bound is the real limit


@dataclass(frozen=True)
class Run:
    exit: int
    stdout: str
    stderr: str
    cpu_s: float
    wall_s: float
    maxrss_mb: float
    timed_out: bool = False


def can_drop_dac() -> bool:
    return shutil.which("setpriv") is not None


def run_cli(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    drop_dac: bool = False,
    memory_mb: int = MEMORY_LIMIT_MB,
    timeout: float = WALL_TIMEOUT_S,
) -> Run:
    """`python -m xltools ARGS` in a child with an address-space limit. drop_dac: without the capabilities
    that let root ignore file permissions (setpriv), so a chmod-000 file is refused as for a clerk."""

    def limit() -> None:  # runs in the child, before exec
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if drop_dac else []

    child_env = dict(os.environ if env is None else env)
    child_env.pop("XLTOOLS_DEBUG", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "xltools", *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit,
            env=child_env,
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it: tell Popen
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Run(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_utime + usage.ru_stime,
            wall,
            usage.ru_maxrss / 1024,
            timed_out,
        )


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def run_probe(
    jobs: list[tuple[str, list[str]]],
    *,
    drop_dac: bool = False,
    memory_mb: int = MEMORY_LIMIT_MB,
    timeout: float = WALL_TIMEOUT_S,
) -> list[dict[str, object]]:
    """Validate every (path, extra args) job in one child process under the memory limit (probe.py);
    one result per job, in order. A crash of the child (a Rust abort, the limit hit) fails loudly."""
    import json

    repo = Path(__file__).resolve().parents[2]

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if drop_dac else []
    with tempfile.TemporaryDirectory() as d:
        jobs_file = Path(d) / "jobs.json"
        jobs_file.write_text(json.dumps(jobs, ensure_ascii=False), encoding="utf-8")
        env = dict(os.environ)
        env.pop("XLTOOLS_DEBUG", None)
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "tests.robustness.probe", str(jobs_file)],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or len(results) != len(jobs):
        done = len(results)
        raise AssertionError(
            f"probe child died (exit {proc.returncode}) on job {done}: "
            f"{jobs[done][0] if done < len(jobs) else '?'}\n{proc.stderr[-2000:]}"
        )
    return results
