"""Named figures (schemas/<edition>/figures.toml): loaded and checked with the edition, evaluated on a Book;
and editions that extend editions (the 一体化 edition inherits the files it shares with 2020)."""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from xltools.book import book_from_data
from xltools.edition import Edition, load_edition
from xltools.edition.load import find
from xltools.errors import EditionError
from xltools.reader.read import read_workbook
from xltools.synth import department

from ..conftest import EXAMPLE

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_example_figures(ed: Edition) -> None:
    book = read_workbook(EXAMPLE).book
    figs = book.figures()
    assert list(figs) == [f.id for f in ed.figures]
    assert figs["inc_total"] == figs["exp_total"] == Decimal("477884")
    assert (figs["basic"], figs["personnel"], figs["public"], figs["project"]) == (
        Decimal("327884"),
        Decimal("296884"),
        Decimal("31000"),
        Decimal("150000"),
    )
    assert figs["opex"] == Decimal("8800") and figs["sg_total"] == Decimal("0")
    # 上年数: filled -> its value, blank -> None (not provided), never 0
    assert figs["prior_inc_total"] == Decimal("200000") and figs["prior_basic"] is None
    # quantities keep their unit; the asset values are in 万元 in a 元 edition
    assert figs["assets_office_area"] == Decimal("37.7") and ed.figure("assets_office_area").unit == "平方米"
    assert ed.figure("assets_total").unit == "万元" and ed.figure("inc_total").unit == "元"
    assert ed.figure("assets_office_area").money is False and ed.figure("assets_total").money is True
    assert ed.figure("inc_total").prior == "prior_inc_total" and ed.figure("personnel").title == "其中：人员经费"
    assert "一般公共预算收入" in ed.figure("inc_general").synonyms
    assert book.text_cell("unit_name") == "中共隆尧县委网络安全和信息化委员会办公室"
    assert book.text_cell("budget_year") == "2020"


def test_records_and_children() -> None:
    book = read_workbook(EXAMPLE).book
    projects = book.records("projects")
    assert [p["code"] for p in projects] == ["288-0204-JXN-KZLZ"]
    assert projects[0]["budget"] == Decimal("150000") and projects[0]["plan_dec"] == Decimal("100")
    assert len(projects[0]["indicators"]) == 9 and {i["project"] for i in projects[0]["indicators"]} == {
        "288-0204-JXN-KZLZ"
    }
    assets = {r["id"]: r for r in book.records("assets")}
    assert assets["total"]["quantity"] is None and assets["total"]["label"] == "资产总额"  # 不适用 stays None
    econ = book.records("project_econ")
    assert {r["code_level"] for r in econ} <= {1, 2} and all("name" in r for r in econ)


def test_every_figure_of_both_editions_is_complete() -> None:
    for ed in (load_edition("hebei-county-2020", 2020), load_edition("hebei-county-yth", 2021)):
        book = book_from_data(ed, department(ed, 3))
        figs = book.figures()
        assert figs["inc_total"] == figs["exp_total"] > 0
        for f in ed.figures:
            assert f.name and f.group and f.synonyms or f.group == "上年数", f.id
            if f.prior:
                assert ed.figure(f.prior).group == "上年数"
        # the income lines add up to 收入总计 in both calibers
        fiscal = sum((figs[k] for k in ("inc_general", "inc_fund", "inc_soe", "inc_special")), Decimal(0))
        assert fiscal + figs["inc_other_sources"] + figs["inc_carryover"] == figs["inc_total"]
        assert [k for k in ed.key_figures if not ed.has_figure(k)] == []


def test_yth_inherits_and_overrides_figures() -> None:
    yth = load_edition("hebei-county-yth", 2021)
    assert yth.parent == "hebei-county-2020"
    assert not yth.has_figure("inc_business") and yth.figure("inc_unit").name == "单位资金"
    assert yth.figure("inc_carryover").name == "上年结转结余"  # overridden in place
    ids = [f.id for f in yth.figures]
    assert ids.index("inc_carryover") < ids.index("exp_total") < ids.index("inc_unit")  # new ids come last
    assert "inc_unit" in yth.key_figures and yth.figure("inc_other_sources").prior == "prior_inc_unit"
    assert yth.figure("inc_total").unit == "万元"


def test_inherited_files_exist_once() -> None:
    """The files the two Hebei editions share live in hebei-county-2020 only."""
    base, child = SCHEMAS / "hebei-county-2020", SCHEMAS / "hebei-county-yth"

    def digest(root: Path) -> dict[str, str]:
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*")
            if p.is_file()
        }

    a, b = digest(base), digest(child)
    assert [k for k in a.keys() & b.keys() if a[k] == b[k]] == []
    yth = load_edition("hebei-county-yth", 2021)
    assert yth.file("tables/t03.toml") == base / "tables/t03.toml"
    assert yth.file("tables/t01.toml") == child / "tables/t01.toml"
    assert yth.file("narrative/sections/3-opex.md.j2").parent.parent.parent == base


def _copy(tmp_path: Path, name: str = "hebei-county-2020") -> Path:
    dst = tmp_path / name
    shutil.copytree(find(name), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('expr = "t01.inc_total.inc"', 'expr = "t01.inc_totl.inc"', r"\[figure inc_total\]: 表 t01 没有行 'inc_totl'"),
        ('expr = "t01.inc_total.inc"', 'expr = "t99.inc_total.inc"', r"\[figure inc_total\]: 未知的表 't99'"),
        ('expr = "t01.inc_total.inc"', 'expr = "t01.inc_total.inc_item"', r"inc_item' 不是数字列"),
        ('expr = "t01.inc_total.inc"', 'expr = "t01.inc_total.inc +"', r"\[figure inc_total\]: 表达式不完整"),
        ('prior = "prior_inc_total"', 'prior = "prior_nothing"', r"prior 引用了不存在的数字 'prior_nothing'"),
        ('"inc_general", "inc_fund",', '"inc_generl", "inc_fund",', r"key_figures: 不存在的数字 'inc_generl'"),
        ('cell = "cover.name.value"', 'cell = "cover.nom.value"', r"\[text unit_name\]: 表 cover 没有单元格 nom.value"),
        ('id = "unit_code"', 'id = "unit_id"', r"缺少必需的文字单元格 \['unit_code'\]"),
        ('table = "ind"', 'table = "org"', r"记录集 indicators 的表 org 没有引用表 proj 的列"),
        ('children = { indicators = "indicators" }', 'children = { x = "nope" }', r"不存在的记录集 'nope'"),
        ('{ table = "t06", col = "total"', '{ table = "t03", col = "total"', r"表 t03 不按代码表 economic 编码"),
        ('id = "inc_subtotal"', 'id = "inc_total"', r"figure 编号重复：\['inc_total'\]"),
    ],
)
def test_bad_references_are_refused_at_load(tmp_path: Path, old: str, new: str, message: str) -> None:
    copy = _copy(tmp_path)
    _edit(copy / "figures.toml", old, new)
    with pytest.raises(EditionError, match=message):
        load_edition(str(copy), 2020)


def test_missing_figures_file_is_refused(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "figures.toml").unlink()
    with pytest.raises(EditionError, match=r"figures.toml: 文件不存在"):
        load_edition(str(copy), 2020)


def test_child_edition_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLTOOLS_EDITIONS", str(tmp_path))
    a, b = tmp_path / "zz-a", tmp_path / "zz-b"
    for d, parent in ((a, "zz-b"), (b, "zz-a")):
        d.mkdir()
        (d / "edition.toml").write_text(f'extends = "{parent}"\nid = "{d.name}"\n', encoding="utf-8")
    with pytest.raises(EditionError, match=r"extends 形成循环：zz-a → zz-b → zz-a"):
        load_edition("zz-a")
    c = tmp_path / "zz-c"
    c.mkdir()
    (c / "edition.toml").write_text('extends = "hebei-county-yth"\nid = "zz-c"\n', encoding="utf-8")
    (c / "figures.toml").write_text('inherit = true\nremove = ["inc_nothing"]\n', encoding="utf-8")
    with pytest.raises(EditionError, match=r"zz-c/figures.toml: remove 中的编号不存在：\['inc_nothing'\]"):
        load_edition("zz-c", 2021)
    (c / "figures.toml").unlink()
    (c / "edition.toml").write_text('extends = "hebei-county-nothing"\nid = "zz-c"\n', encoding="utf-8")
    with pytest.raises(EditionError, match=r"找不到版本 'hebei-county-nothing'"):
        load_edition("zz-c", 2021)


def test_fingerprint_covers_inherited_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child's fingerprint is its template's shape: an inherited table changes it; the narrative,
    the figures and the extends line do not."""
    base = _copy(tmp_path)
    child = tmp_path / "zz-child"
    child.mkdir()
    (child / "edition.toml").write_text(
        'extends = "hebei-county-2020"\nid = "zz-child"\nmoney_unit = "万元"\nmoney_factor = 10000\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("XLTOOLS_EDITIONS", str(tmp_path))
    first = load_edition("zz-child", 2020)
    assert first.money_unit == "万元" and first.table("t01").unit == "万元" and first.table("assets").unit == "万元"
    assert first.fingerprint != load_edition(str(base), 2020).fingerprint
    load_edition.cache_clear()
    (base / "narrative" / "terms.toml").write_text("", encoding="utf-8")
    _edit(base / "figures.toml", 'name = "收入总计"', 'name = "收入总额"')
    assert load_edition("zz-child", 2020).fingerprint == first.fingerprint
    load_edition.cache_clear()
    _edit(base / "tables" / "t07.toml", "公务接待费", "公务招待费")
    assert load_edition("zz-child", 2020).fingerprint != first.fingerprint
    load_edition.cache_clear()


def test_existing_fingerprints_unchanged() -> None:
    """Moving the shared files into the parent changed no template: the fingerprints are as before (updated
    when the code lists gained their source column, sources.toml, the complete flags and function-2024, and when
    文字说明 gained the department's statements: 机关运行经费用途, 资产构成, 政府采购说明, 公开依据, and when the
    identities gained the ties of 三公, 政府采购 and 机关运行经费, and when the cover gained 上年数口径 and the 上年数 its 功能分类 类 rows)."""
    assert load_edition("hebei-county-2020", 2020).fingerprint == "fa33736e4a65f582"
    assert load_edition("hebei-county-yth", 2021).fingerprint == "fe65edbddf749032"
