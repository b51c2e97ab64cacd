"""OUT.xlsx's stacked sheets written in a forked process beside the main one (merge/beside.py): the same bytes
as in line, and when the child fails, raises or is killed, the main process writes them itself."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from xltools.merge import merge
from xltools.merge import xlsx as merge_xlsx
from xltools.merge.beside import Beside, can_fork

from .conftest import County

pytestmark = pytest.mark.skipif(not can_fork(), reason="no fork on this system: the stacked sheets are written in line")


def _boom() -> None:
    raise ValueError("in the child")


def _crash() -> None:
    os._exit(3)


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_beside_returns_what_the_child_returns() -> None:
    parent = os.getpid()
    assert Beside(lambda: (os.getpid() != parent, {"a": 1})).result() == (True, {"a": 1})


@pytest.mark.parametrize("fn", [_boom, _crash, _killed])
def test_beside_failure_is_none(fn: object) -> None:
    assert Beside(fn).result() is None  # type: ignore[arg-type]


def _where(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Record the process that writes the stacked sheets."""
    stacked = merge_xlsx._stacked_rows

    def noted(*args: object) -> None:
        with log.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        stacked(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(merge_xlsx, "_stacked_rows", noted)


def test_stacked_sheets_written_beside(county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "pids"
    _where(monkeypatch, log)
    out = tmp_path / "two.xlsx"
    merge([county.folder], out, roster=county.roster, jobs=2)
    (pid,) = log.read_text().split()
    assert int(pid) != os.getpid()
    log.unlink()
    one = tmp_path / "one.xlsx"
    merge([county.folder], one, roster=county.roster, jobs=1)
    assert log.read_text().split() == [str(os.getpid())]  # one job: in line
    assert out.read_bytes() == one.read_bytes()


@pytest.mark.parametrize("fail", [_boom, _killed])
def test_child_failure_is_redone_in_line(
    county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: object
) -> None:
    log = tmp_path / "pids"
    _where(monkeypatch, log)
    me, apart = os.getpid(), merge_xlsx._stacked_apart

    def in_child_only(*args: object) -> object:  # the main process's own redo runs as it is
        if os.getpid() != me:
            fail()  # type: ignore[operator]
        return apart(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(merge_xlsx, "_stacked_apart", in_child_only)
    out, js = tmp_path / "o.xlsx", tmp_path / "o.json"
    r = merge([county.folder], out, roster=county.roster, jobs=2, json_path=js)
    assert log.read_text().split() == [str(os.getpid())]  # the main process wrote them
    ref, ref_js = tmp_path / "ref.xlsx", tmp_path / "ref.json"
    merge([county.folder], ref, roster=county.roster, jobs=1, json_path=ref_js)
    assert out.read_bytes() == ref.read_bytes()
    assert js.read_bytes() == ref_js.read_bytes()
    assert r.written == [str(out), str(js)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".xltools")]  # no temporary file left


def test_no_fork_writes_them_in_line(county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system cannot fork (Windows), two jobs write the stacked sheets in the main process."""
    log = tmp_path / "pids"
    _where(monkeypatch, log)
    monkeypatch.setattr(merge_xlsx, "can_fork", lambda: False)
    out = tmp_path / "o.xlsx"
    merge([county.folder], out, roster=county.roster, jobs=2)
    assert log.read_text().split() == [str(os.getpid())]
    ref = tmp_path / "ref.xlsx"
    merge([county.folder], ref, roster=county.roster, jobs=1)
    assert out.read_bytes() == ref.read_bytes()
