"""The spool: every input's result on disk, next to the output (OUT.xlsx.xltools-spool/spool.sqlite).

The main process keeps no per-input findings or figures in memory: each result goes here as it arrives (the
record pickled; a valid book's rendered rows compressed by the worker), and the outputs read them back one
department at a time. SQLite commits every second or so, so after a crash, a kill or a reboot `--resume`
finds what was done: a spooled result is reused only when its file still has the SHA-256 it had. The spool
is removed when the merge has written its outputs; after a failure it stays for `--resume`.
"""

from __future__ import annotations

import hashlib
import pickle
import queue
import shutil
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import __version__
from .model import FileResult, FindingNote
from .render import Packed, Sums

FORMAT = "xltools-merge-spool 3"
COMMIT_EVERY = 1.0  # seconds, or COMMIT_ROWS results: what a crash can cost
COMMIT_ROWS = 16


# A result as a worker hands it over: the record without its findings (what the main process reads: statuses.entry_of),
# the whole record pickled by the worker (the main process stores it as it is), and the rendered rows.
Spooled = tuple[FileResult, bytes, "Packed | None"]
_NO_ROWS = (None, None, None, None)


def spooled(outcome: tuple[FileResult, Packed | None]) -> Spooled:
    """What a worker returns for one file: its findings travel pickled once, and are never unpickled by the
    main process (only the outputs read them back, one input at a time)."""
    res, packed = outcome
    if res.data is not None:
        res = replace(res, data=None)
    record = pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL)
    return (replace(res, findings=()) if res.findings else res), record, packed


def spool_dir(out: Path) -> Path:
    return out.with_name(out.name + ".xltools-spool")


def sha256_of(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except (OSError, ValueError):
        return ""


class Spool:
    def __init__(self, out: Path, resume: bool = False) -> None:
        self.folder = spool_dir(out)
        if not resume and self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(exist_ok=True)
        self.db = sqlite3.connect(self.folder / "spool.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY, path TEXT UNIQUE, sha256 TEXT,"
            " with_csv INTEGER, record BLOB, sums BLOB, xml BLOB, csv BLOB, lists BLOB)"
        )
        # the county checks' findings of this run (county.py), by result id: recomputed by every run
        self.db.execute("CREATE TABLE IF NOT EXISTS county (id INTEGER PRIMARY KEY, notes BLOB)")
        self.db.execute("DELETE FROM county")
        stamp = f"{FORMAT}; xltools {__version__}"
        have = self.db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if have is not None and have[0] != stamp:  # another version's results are not reused
            self.db.execute("DELETE FROM results")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (stamp,))
        self.db.execute("BEGIN")
        self._last_commit, self._pending = time.monotonic(), 0
        self._next_id = int(self.db.execute("SELECT coalesce(max(id), 0) FROM results").fetchone()[0]) + 1

    @classmethod
    def reader(cls, folder: Path) -> Spool:
        """Another connection to an open spool, for reading only: what a forked process uses (a connection
        must never cross a fork)."""
        self = cls.__new__(cls)
        self.folder = folder
        self.db = sqlite3.connect(folder / "spool.sqlite", isolation_level=None)
        return self

    # ---- writing ----
    def put_many(self, items: list[Spooled], with_csv: bool) -> list[int]:
        """Spool a batch of results (one statement); their ids, in order."""
        first = self._next_id
        self._next_id += len(items)
        self.db.executemany(
            "INSERT OR REPLACE INTO results (id, path, sha256, with_csv, record, sums, xml, csv, lists)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (first + i, res.path, res.facts.sha256, int(with_csv), record, *(packed or _NO_ROWS))
                for i, (res, record, packed) in enumerate(items)
            ],
        )
        self._pending += len(items)
        if self._pending >= COMMIT_ROWS or time.monotonic() - self._last_commit > COMMIT_EVERY:
            self.commit()
        return list(range(first, first + len(items)))

    def put_county(self, notes: Iterable[tuple[int, list[FindingNote]]]) -> None:
        """The county checks' findings on each input (by its result id)."""
        dump = pickle.dumps
        self.db.executemany(
            "INSERT OR REPLACE INTO county VALUES (?, ?)",
            ((key, dump(tuple(more), protocol=pickle.HIGHEST_PROTOCOL)) for key, more in notes),
        )
        self.commit()

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")
        self._last_commit, self._pending = time.monotonic(), 0

    # ---- reading ----
    def reusable(self, path: str, with_csv: bool) -> tuple[int, FileResult] | None:
        """A spooled result for `path`, if its file is unchanged (same SHA-256) and it has what this run needs."""
        row = self.db.execute("SELECT id, sha256, with_csv, record FROM results WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        key, sha, had_csv, record = row
        if not sha or sha != sha256_of(path) or (with_csv and not had_csv):
            return None
        return key, pickle.loads(record)

    def record(self, key: int) -> FileResult:
        res: FileResult = pickle.loads(self.db.execute("SELECT record FROM results WHERE id = ?", (key,)).fetchone()[0])
        return res

    def details(self, key: int) -> tuple[FileResult, tuple[FindingNote, ...]]:
        """An input's record and its county findings, read together."""
        record, county = self.db.execute(
            "SELECT r.record, c.notes FROM results r LEFT JOIN county c ON c.id = r.id WHERE r.id = ?", (key,)
        ).fetchone()
        return pickle.loads(record), (pickle.loads(county) if county else ())

    def sums(self, key: int) -> Sums:
        out: Sums = pickle.loads(self.db.execute("SELECT sums FROM results WHERE id = ?", (key,)).fetchone()[0])
        return out

    def lists(self, key: int) -> dict[str, Any]:
        """A department's list tables as its column checks saw them (the county checks only)."""
        blob = self.db.execute("SELECT lists FROM results WHERE id = ?", (key,)).fetchone()[0]
        out: dict[str, Any] = pickle.loads(blob) if blob else {}
        return out

    def xml_all(self, keys: list[int]) -> Iterator[dict[str, str]]:
        """Each key's rendered stacked rows in turn, read and inflated ahead on a second thread with its own connection
        (SQLite and zlib release the GIL: that work runs beside the main thread's)."""
        ahead: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
        stop = threading.Event()

        def read() -> None:
            db = sqlite3.connect(self.folder / "spool.sqlite", isolation_level=None)
            db.execute("PRAGMA cache_size = -256")  # each blob is read once: no cache worth its memory
            try:
                for key in keys:
                    if stop.is_set():
                        break
                    blob = db.execute("SELECT xml FROM results WHERE id = ?", (key,)).fetchone()[0]
                    ahead.put(zlib.decompress(blob))
                ahead.put(None)
            except BaseException as e:  # raised on the main thread
                ahead.put(e)
            finally:
                db.close()

        thread = threading.Thread(target=read, daemon=True, name="xltools-spool-read")
        thread.start()
        try:
            while (item := ahead.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                out: dict[str, str] = pickle.loads(item)
                yield out
        finally:
            stop.set()
            while thread.is_alive():  # let a reader blocked on a full queue see the stop
                try:
                    ahead.get(timeout=0.05)
                except queue.Empty:
                    pass
            thread.join()

    def csv(self, key: int) -> str:
        blob = self.db.execute("SELECT csv FROM results WHERE id = ?", (key,)).fetchone()[0]
        return zlib.decompress(blob).decode("utf-8") if blob else ""

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM results").fetchone()[0])

    # ---- the end ----
    def close(self, remove: bool) -> None:
        try:
            self.db.execute("COMMIT")
        except sqlite3.OperationalError:
            pass
        self.db.close()
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)
