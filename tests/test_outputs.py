"""The writers' temporary folder (outputs.work_folder): gone when its block ends, however it ends, and gone when
an interruption ends the process without running the block's cleanup (abandon, as the Ctrl-C handler calls it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltools.outputs import TEMP_PREFIX, abandon, work_folder


def test_work_folder_is_hidden_and_removed(tmp_path: Path) -> None:
    with work_folder(tmp_path, "merge") as work:
        assert work.parent == tmp_path and work.name.startswith(f"{TEMP_PREFIX}merge-")
        (work / "part.xml").write_bytes(b"<x/>")
    assert list(tmp_path.iterdir()) == []


def test_work_folder_removed_after_an_error(tmp_path: Path) -> None:
    with pytest.raises(OSError), work_folder(tmp_path, "merge") as work:
        (work / "part.xml").write_bytes(b"<x/>")
        raise OSError(28, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_abandon_removes_a_folder_still_in_use(tmp_path: Path) -> None:
    block = work_folder(tmp_path, "merge")
    work = block.__enter__()
    (work / "skeleton.xlsx").write_bytes(b"PK")
    abandon()  # the process ends here (Ctrl-C): the block's own cleanup never runs
    assert list(tmp_path.iterdir()) == []
    block.__exit__(None, None, None)  # and a cleanup that does run later finds nothing to do
    assert list(tmp_path.iterdir()) == []
