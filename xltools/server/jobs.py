"""Checking runs off the request thread, in worker processes (both cores, and a crash of the checker
cannot take the server down). A fresh upload is read and checked there while its request waits
(`Checker.call`); a retry is queued (`Checker.submit`). The version row is the queue: queued and running
versions are picked up again when the server starts, so a restart loses nothing; a version whose check
raised, or whose worker died, is marked 处理失败 and can be retried."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import threading
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from . import storage, work
from .models import DONE, FAILED, QUEUED, RUNNING, Version

log = logging.getLogger("xltools.server")
MAX_ATTEMPTS = 3  # a file that kills its worker this often is marked failed instead of being retried forever


def display_name(v: Version) -> str:
    return f"{v.department.code}-v{v.number}{v.suffix}"


class Checker:
    def __init__(self, workers: int = 2, processes: bool = True) -> None:
        self.workers = workers
        self.processes = processes
        self._lock = threading.Lock()
        self._pending: dict[int, cf.Future[Any]] = {}
        self._idle = threading.Condition(self._lock)
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.Executor:
        if self.processes:
            return cf.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=work.background
            )
        return cf.ThreadPoolExecutor(self.workers, thread_name_prefix="xltools-check")

    def warm(self, timeout: float = 60.0) -> None:
        """Start the worker processes and wait until they have imported the checking code, so the first clerks
        do not wait for them (the server answers only once its checkers are ready)."""
        from .config import read_instance

        inst = read_instance(storage.home())
        with self._lock:
            futures = [self._pool.submit(work.warm, inst.edition, inst.year) for _ in range(self.workers)]
        cf.wait(futures, timeout)

    def call(self, fn: Any, *args: Any, timeout: float = 120.0) -> Any:
        """Run fn(*args) in a worker and wait for it (the request thread only waits)."""
        with self._lock:
            try:
                fut = self._pool.submit(fn, *args)
            except RuntimeError:  # the pool broke (a worker died): start a new one
                self._pool = self._new_pool()
                fut = self._pool.submit(fn, *args)
        return fut.result(timeout)

    def guard(self, path: str, display: str, edition_id: str, year: int) -> Any:
        """The reader's guards on a fresh upload."""
        return self.call(work.read_guard, path, display, edition_id, year)

    # ---- queue ----
    def submit(self, version_id: int) -> None:
        from .config import read_instance

        with transaction.atomic():
            v = Version.objects.select_for_update().select_related("department").get(pk=version_id)
            if v.state != QUEUED:
                return
            if v.attempts >= MAX_ATTEMPTS:
                v.state, v.failure = FAILED, "attempts"
                v.save(update_fields=["state", "failure"])
                return
            v.state, v.attempts = RUNNING, v.attempts + 1
            v.save(update_fields=["state", "attempts"])
        prev = Version.objects.filter(department_id=v.department_id, number__lt=v.number, state=DONE).first()
        inst = read_instance(storage.home())
        args = (
            str(storage.blob_path(v.sha256)),
            display_name(v),
            inst.edition,
            inst.year,
            str(storage.report_path(v.pk, "html")),
            prev.findings if prev is not None else None,
        )
        with self._lock:
            try:
                fut = self._pool.submit(work.check, *args)
            except RuntimeError:  # the pool broke (a worker died): start a new one
                self._pool = self._new_pool()
                fut = self._pool.submit(work.check, *args)
            self._pending[version_id] = fut
        fut.add_done_callback(lambda f: self._finish(version_id, f))

    def _finish(self, version_id: int, fut: cf.Future[Any]) -> None:
        close_old_connections()
        try:
            try:
                result = fut.result()
            except cf.CancelledError:  # the server is stopping: the version stays for `resume` at the next start
                return
            except cf.process.BrokenProcessPool:
                with self._lock:
                    self._pool = self._new_pool()
                self._fail(version_id, "worker")
                return
            except Exception as e:  # the checker itself failed: keep the upload, mark it for a retry
                log.exception("check of version %s failed", version_id)
                self._fail(version_id, f"{type(e).__name__}: {e}")
                return
            with transaction.atomic():
                v = Version.objects.select_for_update().get(pk=version_id)
                v.state = DONE
                v.errors, v.warnings, v.notices = result["errors"], result["warnings"], result["notices"]
                v.findings = result["findings"]
                v.unit_code = result["unit_code"]
                if result["progress"] is not None:
                    v.fixed, v.new, v.remaining = result["progress"]
                v.failure = ""
                v.checked_at = timezone.now()
                v.save()
        except Exception:
            log.exception("recording the check of version %s failed", version_id)
        finally:
            connection.close()
            with self._lock:
                self._pending.pop(version_id, None)
                self._idle.notify_all()

    def _fail(self, version_id: int, detail: str) -> None:
        Version.objects.filter(pk=version_id).update(state=FAILED, failure=detail[:2000])

    def resume(self) -> int:
        """Queue every version left queued or running by a stopped server."""
        ids = list(Version.objects.filter(state__in=(QUEUED, RUNNING)).values_list("pk", flat=True))
        Version.objects.filter(pk__in=ids, state=RUNNING).update(state=QUEUED)
        for pk in ids:
            self.submit(pk)
        return len(ids)

    def wait_for(self, version_id: int, timeout: float) -> bool:
        """Block until this version's check is recorded (or the timeout passes)."""
        with self._lock:
            return self._idle.wait_for(lambda: version_id not in self._pending, timeout)

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until nothing is pending (tests, the benchmark, a clean shutdown)."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._pending, timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)

    def stop(self) -> None:
        """The server is stopping: the running checks finish (the pool's threads are joined before the interpreter
        ends: left running, they raised in its teardown), the queued ones are left to `resume`."""
        self._pool.shutdown(wait=True, cancel_futures=True)


_checker: Checker | None = None


def checker() -> Checker:
    global _checker
    if _checker is None:
        _checker = Checker()
    return _checker


def install(c: Checker) -> Checker:
    global _checker
    _checker = c
    return c
