"""The same server suite on PostgreSQL: run in a child process (Django is configured once per process)
against the server named by XLTOOLS_PG_URL (.ci/run starts Debian's postgresql on port 55432).
Skipped only when no server is reachable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

URL = os.environ.get("XLTOOLS_PG_URL", "postgresql://postgres:xltools@127.0.0.1:55432/postgres")
HERE = Path(__file__).resolve().parent
SUITE = [
    "test_flow.py",
    "test_access.py",
    "test_bureau.py",
    "test_reliability.py",
    "test_bad_input.py",
    "test_browser.py",
]


def _reachable() -> bool:
    try:
        with psycopg.connect(URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.mark.skipif(not _reachable(), reason=f"no PostgreSQL server at {URL} (.ci/run starts one)")
def test_server_suite_on_postgresql() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["XLTOOLS_TEST_DATABASE_URL"] = URL
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            *[str(HERE / t) for t in SUITE],
        ],
        cwd=HERE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    tail = (r.stdout + r.stderr)[-4000:]
    assert r.returncode == 0, tail
    assert "[100%]" in r.stdout, tail  # exit 0 with tests run (pytest exits 5 when none ran)
