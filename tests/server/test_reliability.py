"""Nothing is lost: a crash while checking leaves the version 处理失败 with a retry; versions left queued
or running by a stopped server are checked when it starts again; checking in worker processes works;
`serve backup` copies a consistent database and every file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from .conftest import OTHER_CODE, client_as, reset, upload, wait, with_warning, workbook_for


def test_crash_during_check_marks_failed_then_retry(
    intake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from xltools.server import work
    from xltools.server.models import DONE, FAILED, Version

    reset(OTHER_CODE)
    clerk = client_as("clerk-crash", "clerk", OTHER_CODE)

    def boom(*args: object, **kwargs: object) -> None:
        raise MemoryError("simulated")

    monkeypatch.setattr(work, "intake", boom)
    upload(clerk, OTHER_CODE, workbook_for(OTHER_CODE, tmp_path))
    wait()
    v = Version.objects.filter(department__code=OTHER_CODE).first()
    assert v.state == FAILED and "MemoryError" in v.failure
    page = clerk.get(f"/v/{v.pk}/").content.decode()
    assert "处理失败" in page and 'id="retry-button"' in page
    assert (intake / "files" / v.sha256[:2] / v.sha256).exists()  # the upload itself is kept
    monkeypatch.undo()
    clerk.post(f"/v/{v.pk}/retry/")
    wait()
    v.refresh_from_db()
    assert (v.state, v.errors) == (DONE, 0)


def test_restart_picks_up_queued_and_running_versions(intake: Path, tmp_path: Path) -> None:
    from xltools.server import storage
    from xltools.server.jobs import Checker
    from xltools.server.models import DONE, QUEUED, RUNNING, Department, Version

    dept = Department.objects.get(code=OTHER_CODE)
    src = workbook_for(OTHER_CODE, tmp_path)
    tmp = storage.temp_file()
    tmp.write_bytes(src.read_bytes())
    sha = storage.sha256_of(tmp)
    storage.store(tmp, sha)
    n = Version.objects.filter(department=dept).count()
    left = [
        Version.objects.create(department=dept, number=n + 1 + i, sha256=sha, size=1, uploaded_by="t", state=s)
        for i, s in enumerate((QUEUED, RUNNING))
    ]
    fresh = Checker(workers=1, processes=False)  # "the server started again"
    try:
        assert fresh.resume() == 2
        assert fresh.wait(60)
    finally:
        fresh.shutdown()
    for v in left:
        v.refresh_from_db()
        assert v.state == DONE and v.findings is not None


def test_checking_in_worker_processes(intake: Path, tmp_path: Path) -> None:
    from xltools.server import jobs
    from xltools.server.models import DONE, Version

    reset(OTHER_CODE)
    procs = jobs.Checker(workers=1, processes=True)
    previous = jobs.install(procs)
    try:
        clerk = client_as("clerk-procs", "clerk", OTHER_CODE)
        upload(clerk, OTHER_CODE, with_warning(tmp_path, code=OTHER_CODE))
        assert procs.wait(120)
    finally:
        jobs.install(previous)
        procs.shutdown()
    v = Version.objects.filter(department__code=OTHER_CODE).first()
    assert v.state == DONE and (v.errors, v.warnings) == (0, 1)
    assert [(f["rule"], f["cell"]) for f in v.findings] == [("cell.code-name-mismatch", "C9")]


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities to compare")
def test_checker_processes_are_kept_and_yield_to_the_requests(intake: Path) -> None:
    from xltools.server import jobs, work

    procs = jobs.Checker(workers=1, processes=True)
    try:
        first, again = procs.call(os.getpid), procs.call(os.getpid)
        niceness = procs.call(os.nice, 0)
    finally:
        procs.shutdown()
    assert first == again != os.getpid()  # one process, started once, not one per upload
    assert niceness == min(os.nice(0) + work.CHECKER_NICE, 19)


def test_backup_is_consistent(intake: Path, tmp_path: Path) -> None:
    from django.conf import settings

    from xltools.server import ops
    from xltools.server.models import Version

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the SQLite online backup; PostgreSQL is backed up with pg_dump")
    out = tmp_path / "backup"
    db, n = ops.backup(intake, out)
    assert db == "db.sqlite3"
    con = sqlite3.connect(out / "db.sqlite3")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    shas = {r[0] for r in con.execute("SELECT sha256 FROM intake_version")}
    assert len(shas) == len(set(Version.objects.values_list("sha256", flat=True)))
    for sha in shas:
        assert (out / "files" / sha[:2] / sha).read_bytes() == (intake / "files" / sha[:2] / sha).read_bytes()
    assert n >= len(shas)
    from xltools.errors import OutputError

    with pytest.raises(OutputError):
        ops.backup(intake, out)  # never over an existing backup
