"""Inputs of a merge: mixed editions/years refused, duplicates and --prefer-latest, folder search (lock files,
outputs, link loops, unreadable folders), rosters as Excel saves them, the worker as a pure function."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from xltools.edition import Edition, load_edition
from xltools.edition.load import find
from xltools.errors import OutputError
from xltools.merge import FileResult, merge, pool, process
from xltools.merge import discover as discover_mod
from xltools.merge.roster import RosterError, read_roster
from xltools.merge.work import Outcome, prepare
from xltools.synth import department
from xltools.template.write import write_template

from .conftest import County


def _edition_copy(root: Path, new_id: str, years: list[int]) -> None:
    dst = root / new_id
    shutil.copytree(find("hebei-county-2020"), dst)
    toml = dst / "edition.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('id = "hebei-county-2020"', f'id = "{new_id}"').replace("years = [2020]", f"years = {years}")
    toml.write_text(text, encoding="utf-8")


@pytest.fixture
def editions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "editions"
    root.mkdir()
    _edition_copy(root, "test-multi-year", [2020, 2021])
    monkeypatch.setenv("XLTOOLS_EDITIONS", str(root))
    return root


def test_mixed_years_are_refused(editions: Path, ed: Edition, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    e20, e21 = load_edition("test-multi-year", 2020), load_edition("test-multi-year", 2021)
    write_template(e20, inbox / "a2020.xlsx", department(e20, 1))
    write_template(e20, inbox / "b2020.xlsx", department(e20, 2))
    write_template(e21, inbox / "c2021.xlsx", department(e21, 3))
    out, js = tmp_path / "out.xlsx", tmp_path / "s.json"
    r = merge([inbox], out, jobs=1, json_path=js)
    assert r.exit_code == 1 and r.refused is not None
    assert [(g.year, len(g.paths)) for g in r.refused] == [(2020, 2), (2021, 1)]
    assert {e.status for e in r.inputs} == {"版本或年度不一致"}
    assert not out.exists()  # no totals are produced
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["outcome"] == "refused" and doc["totals"] is None and len(doc["inputs"]) == 3
    assert [g["year"] for g in doc["refused"]["groups"]] == [2020, 2021]
    lines = r.refusal_lines()
    assert "拒绝汇总" in lines[0] and any("2021 年 test-multi-year" in x for x in lines)


def test_mixed_editions_are_refused(editions: Path, ed: Edition, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    other = load_edition("test-multi-year", 2020)
    write_template(ed, inbox / "a.xlsx", department(ed, 1))
    write_template(other, inbox / "b.xlsx", department(other, 2))
    r = merge([inbox], tmp_path / "out.xlsx", jobs=1)
    assert r.exit_code == 1 and sorted(g.edition for g in r.refused or []) == ["hebei-county-2020", "test-multi-year"]


def test_prefer_latest_includes_the_newest(county_copy: Path, tmp_path: Path) -> None:
    dup, orig = county_copy / "dup.xlsx", county_copy / "dept05.xlsx"
    os.utime(orig, (1_700_000_000, 1_700_000_000))
    os.utime(dup, (1_800_000_000, 1_800_000_000))
    r = merge([county_copy], tmp_path / "o.xlsx", jobs=2, prefer_latest=True)
    st = {Path(e.path).name: e for e in r.inputs}
    assert st["dup.xlsx"].status == "已纳入" and st["dept05.xlsx"].status == "重复"
    assert "dup.xlsx" in st["dept05.xlsx"].reason and "--prefer-latest" in st["dup.xlsx"].reason
    assert r.count("included") == 30


def test_folder_search_skips_lock_files_and_outputs_and_records_problems(
    county_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (county_copy / "~$dept00.xlsx").write_bytes(b"lock")
    (county_copy / "dept00.检查结果.xlsx").write_bytes(b"annotated copy")
    (county_copy / "notes.txt").write_text("x")
    (county_copy / "老格式.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # Excel 97-2003
    roster = county_copy / "名单.xlsx"  # the roster kept in the inbox: never an input
    wb = xlsxwriter.Workbook(str(roster))
    sheet = wb.add_worksheet()
    sheet.write_row(0, 0, ["单位编码", "单位名称"])
    sheet.write_row(1, 0, ["100000", "测试县第1局"])
    wb.close()
    sub = county_copy / "二级"
    sub.mkdir()
    shutil.copy(county_copy / "dept01.xlsx", sub / "dept01-again.xlsx")  # a real duplicate, in a subfolder
    (sub / "loop").symlink_to(county_copy, target_is_directory=True)  # a symbolic link loop
    (sub / "self.xlsx").symlink_to(sub / "self.xlsx")  # a link to itself
    locked = county_copy / "锁定"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if not isinstance(path, int) and Path(path) == locked:  # root ignores permissions: simulate it
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(discover_mod.os, "scandir", scandir)
    out = county_copy / "汇总.xlsx"  # the output inside the searched folder: never an input
    js = county_copy.parent / "汇总.json"
    r = merge([county_copy, county_copy / "dept02.xlsx"], out, jobs=2, roster=roster, json_path=js)
    names = [Path(e.path).name for e in r.inputs]
    assert "名单.xlsx" not in names and r.missing == []
    old = next(e for e in r.inputs if e.path.endswith("老格式.xls"))
    listed = next(i for i in json.loads(js.read_text(encoding="utf-8"))["inputs"] if i["path"] == old.path)
    assert old.status == "无法读取" and listed["findings"][0]["rule"] == "read.xls" and ".xlsx" in old.reason
    assert "~$dept00.xlsx" not in names and "dept00.检查结果.xlsx" not in names and "汇总.xlsx" not in names
    assert names.count("dept02.xlsx") == 1  # named twice, one input
    assert "dept01-again.xlsx" in names
    folder = next(e for e in r.inputs if e.kind == "folder")
    assert folder.status == "无法读取" and "锁定" in folder.reason
    skipped = dict(r.skipped)
    assert any("loop" in p for p in skipped) and any("self.xlsx" in p for p in skipped)
    assert str(county_copy / "~$dept00.xlsx") in skipped
    assert len(r.inputs) == 33 + 1 + 1 + 1  # the county, the copy in 二级, the unreadable folder, the .xls


def test_outputs_never_overwrite(county: County, tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        merge([county.folder], county.out, jobs=1)  # exists, no force
    with pytest.raises(OutputError):
        merge([county.folder / "dept00.xlsx"], county.folder / "dept00.xlsx", jobs=1, force=True)  # an input
    with pytest.raises(OutputError):
        merge([county.folder], tmp_path / "out.csv", jobs=1)


@pytest.mark.parametrize(
    "where", ["link to an input", "input through a linked folder", "JSON over an input", "JSON through a link"]
)
def test_an_output_that_is_an_input_by_another_name_is_refused(county_copy: Path, tmp_path: Path, where: str) -> None:
    """The inputs' real paths are resolved once, when they are found: an output named through a link, or an input
    found through one, is still that input (outputs.is_input), and the input is left as it was."""
    victim = county_copy / "dept03.xlsx"
    before = victim.read_bytes()
    out, js, inbox = tmp_path / "汇总.xlsx", None, county_copy
    if where == "link to an input":
        out = tmp_path / "link.xlsx"
        out.symlink_to(victim)
    elif where == "input through a linked folder":
        inbox = tmp_path / "收件的链接"
        inbox.symlink_to(county_copy, target_is_directory=True)
        out = victim
    elif where == "JSON over an input":  # it was left out of the search as if an old output, then written over
        js = victim
    else:
        js = tmp_path / "汇总.json"
        js.symlink_to(victim)
    with pytest.raises(OutputError, match="输出文件不能与输入文件相同"):
        merge([inbox], out, json_path=js, jobs=1, force=True)
    assert victim.read_bytes() == before


def test_roster_as_excel_saves_it(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(
        "部门名单（2020年）\r\n单位代码,部门名称,备注\r\n101001,测试县第2局,\r\n\r\n102002,教育局,\r\n"
        "101001,重复行,\r\n".encode("gbk")
    )
    r = read_roster(gbk)
    assert [(e.code, e.name) for e in r.entries] == [("101001", "测试县第2局"), ("102002", "教育局")]
    assert r.notes and "重复" in r.notes[0]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeff单位编码\t单位名称\n001001\t甲\n".encode())
    assert read_roster(bom).lookup("001001") is not None
    bare = tmp_path / "bare.csv"
    bare.write_text("101001，甲局\n102002，乙局\n", encoding="utf-8")
    assert [e.code for e in read_roster(bare).entries] == ["101001", "102002"]
    xlsx = tmp_path / "名单.xlsx"
    wb = xlsxwriter.Workbook(str(xlsx))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["序号", "单位编码", "单位名称"])
    ws.write_row(1, 0, [1, 1001, "数字编码局"])  # Excel dropped the leading zeros of 001001
    ws.write_row(2, 0, [2, "102002", "文本编码局"])
    wb.close()
    rx = read_roster(xlsx)
    assert [(e.code, e.name) for e in rx.entries] == [("1001", "数字编码局"), ("102002", "文本编码局")]
    assert rx.lookup("001001") is not None and rx.lookup("02002") is None
    nohead = tmp_path / "x.csv"
    nohead.write_text("说明\n甲,乙\n", encoding="utf-8")
    with pytest.raises(RosterError):
        read_roster(nohead)


def test_process_is_a_pure_function_of_the_path(county: County) -> None:
    good = process(str(county.folder / "dept00.xlsx"))
    assert isinstance(good, FileResult) and good == process(str(county.folder / "dept00.xlsx"))
    assert pickle.loads(pickle.dumps(good)) == good
    assert good.verdict == "ok" and good.unit_code == "100000" and len(good.facts.sha256) == 64
    assert good.data is not None and good.data.figures["inc_total"] == good.data.figures["exp_total"]
    t01 = good.data.tables["t01"]
    assert t01.cols == ("inc", "amount") and ("inc_total", (good.data.figures["inc_total"], None)) in t01.rows
    bad = process(str(county.folder / "corrupt.xlsx"))
    assert bad.verdict == "unreadable" and bad.data is None and bad.findings[0].rule == "read.corrupt"
    assert process(str(county.folder / "nothing-here.xlsx")).findings[0].rule == "read.not-found"


def _crashy(path: str, with_csv: bool) -> Outcome:
    if path.endswith("dept03.xlsx"):
        os._exit(3)  # a worker process dying (a crash in a native library, the OOM killer)
    return prepare(path, with_csv)


def test_a_dying_worker_loses_no_file(county: County, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "prepare", _crashy)
    files = [county.folder / f"dept{i:02d}.xlsx" for i in range(6)]
    r = merge(files, tmp_path / "o.xlsx", jobs=2)
    st = {Path(e.path).name: e for e in r.inputs}
    assert len(st) == 6 and st["dept03.xlsx"].status == "无法读取" and "意外退出" in st["dept03.xlsx"].reason
    assert all(st[f"dept{i:02d}.xlsx"].status == "已纳入" for i in (0, 1, 2, 4, 5))


def test_annotated_macro_copies_and_hidden_folders_are_not_inputs(county: County, tmp_path: Path) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copy(county.folder / "dept00.xlsx", inbox / "dept00.xlsx")
    # `validate --annotate` of a macro workbook writes …检查结果.xlsm: the same department again, not a duplicate
    shutil.copy(county.folder / "dept00.xlsx", inbox / "dept00.检查结果.XLSM")
    hidden = inbox / ".备份"
    hidden.mkdir()
    shutil.copy(county.folder / "dept01.xlsx", hidden / "dept01.xlsx")
    r = merge([inbox], tmp_path / "o.xlsx", jobs=1)
    assert [Path(e.path).name for e in r.inputs] == ["dept00.xlsx"] and r.count("included") == 1
    skipped = dict(r.skipped)
    assert str(inbox / "dept00.检查结果.XLSM") in skipped and str(hidden) in skipped


def test_the_roster_is_never_an_output(county: County, tmp_path: Path) -> None:
    roster = tmp_path / "名单.csv"
    shutil.copy(county.roster, roster)
    before = roster.read_bytes()
    with pytest.raises(OutputError):
        merge([county.folder / "dept00.xlsx"], tmp_path / "o.xlsx", jobs=1, roster=roster, json_path=roster, force=True)
    assert roster.read_bytes() == before
