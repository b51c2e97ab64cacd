"""validate --since PREVIOUS.json: progress against an earlier JSON report."""

from __future__ import annotations

import json
from pathlib import Path

from xltools.edition import Edition
from xltools.template.write import write_template

from .conftest import broken_data, invoke


def test_one_of_three_fixed(tmp_path: Path, broken: Path, ed: Edition) -> None:
    code, out = invoke("validate", broken, "--format", "json")
    assert code == 1
    previous = tmp_path / "上次.json"
    previous.write_text(out, encoding="utf-8")
    doc = json.loads(out)
    assert doc["schema"] == "xltools-validate-report" and doc["files"][0]["errors"] == 3

    # the clerk fixes the code in the same file and checks again
    write_template(ed, broken, broken_data(fixed=("code",)))
    code, out = invoke("validate", broken, "--since", previous)
    assert code == 1
    assert f"与上次检查（{previous}）相比：已修复 1 / 新增 0 / 剩余 3" in out

    # fixing one and breaking another
    data = broken_data(fixed=("code", "text"))
    data["t07"]["budget"]["reception"] = "无数据"
    write_template(ed, broken, data)
    code, out = invoke("validate", broken, "--since", previous)
    assert "已修复 2 / 新增 1 / 剩余 2" in out

    # in JSON mode stdout stays a JSON document; the progress goes to stderr
    from click.testing import CliRunner

    from xltools.cli import cli

    r = CliRunner().invoke(cli, ["validate", str(broken), "--format", "json", "--since", str(previous)])
    assert json.loads(r.stdout)["files"][0]["errors"] == 2
    assert "已修复 2 / 新增 1 / 剩余 2" in r.stderr


def test_bad_previous_report(tmp_path: Path, broken: Path) -> None:
    for content, words in [
        ("{", "不是 JSON"),
        ('{"a": 1}', "不是 xltools 的检查报告"),
        ('{"schema": "xltools-validate-report", "version": 99, "files": []}', "版本"),
    ]:
        p = tmp_path / "prev.json"
        p.write_text(content, encoding="utf-8")
        code, out = invoke("validate", broken, "--since", p)
        assert code == 2 and words in out, out
    code, out = invoke("validate", broken, "--since", tmp_path / "none.json")
    assert code == 2 and "找不到" in out


def test_unreadable_now(tmp_path: Path, broken: Path) -> None:
    code, out = invoke("validate", broken, "--format", "json")
    prev = tmp_path / "p.json"
    prev.write_text(out, encoding="utf-8")
    broken.write_bytes(b"")
    code, out = invoke("validate", broken, "--since", prev)
    assert code == 3 and "无法与上次的检查结果比较" in out


def test_damaged_previous_entries_are_ignored(tmp_path: Path, broken: Path) -> None:
    doc = {
        "schema": "xltools-validate-report",
        "version": 1,
        "files": [{"path": "bad\u0000name.xlsx", "findings": 7}, {"path": str(broken), "findings": "x"}],
    }
    prev = tmp_path / "p.json"
    prev.write_text(json.dumps(doc), encoding="utf-8")
    code, out = invoke("validate", broken, "--since", prev)
    assert code == 1 and "已修复 0 / 新增 4 / 剩余 0" in out, out  # 3 errors, 1 warning
