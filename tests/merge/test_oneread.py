"""One read per file: the bytes hashed are the bytes checked, and a file rewritten while it is read is reported."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import IO

import pytest

from xltools import texts
from xltools.merge import merge, work

from .conftest import County


def _inputs(js: Path) -> dict[str, dict]:
    data = json.loads(js.read_text(encoding="utf-8"))
    return {Path(i["path"]).name: i for i in data["inputs"] if isinstance(i, dict) and "path" in i}


def test_a_file_rewritten_while_read_is_reported(
    county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(county.folder / "dept00.xlsx", inbox / "a.xlsx")
    shutil.copy(county.folder / "dept01.xlsx", inbox / "b.xlsx")
    first = (inbox / "a.xlsx").read_bytes()
    other = (county.folder / "dept02.xlsx").read_bytes()
    original = work._read_bytes

    def rewrite_a(fh: IO[bytes]) -> bytes:
        data = original(fh)
        if fh.name.endswith("a.xlsx"):  # the clerk saves another version just as it is read
            (inbox / "a.xlsx.new").write_bytes(other)
            (inbox / "a.xlsx.new").replace(inbox / "a.xlsx")
        return data

    monkeypatch.setattr(work, "_read_bytes", rewrite_a)
    js = tmp_path / "s.json"
    merge([inbox], tmp_path / "out.xlsx", jobs=1, json_path=js)
    got = _inputs(js)
    a, b = got["a.xlsx"], got["b.xlsx"]
    assert a["status"] == "无法读取"
    assert a["reason"] == texts.text("merge.changed_while_read", path=str(inbox / "a.xlsx"))
    assert a["sha256"] == hashlib.sha256(first).hexdigest()  # the bytes read, not the version saved after
    assert b["status"] == "已纳入" and b["sha256"] == hashlib.sha256((inbox / "b.xlsx").read_bytes()).hexdigest()


def test_the_hash_is_of_the_bytes_checked(county: County, tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    shutil.copy(county.folder / "corrupt.xlsx", path)
    data, facts, changed = work.read_once(str(path))
    assert data == path.read_bytes() and not changed and facts.sha256 == hashlib.sha256(data).hexdigest()
    res = work.process(str(path))
    assert res.verdict == "unreadable" and res.findings[0].rule == "read.corrupt"
    assert res.facts.sha256 == facts.sha256 and res.detail != texts.text("merge.changed_while_read", path=str(path))
