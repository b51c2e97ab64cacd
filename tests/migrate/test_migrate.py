"""xltools migrate: last year's figures become this year's 上年数 (converted 元 -> 万元, half up to 0.01),
texts carry over, everything else is listed; outputs are never overwritten and written atomically."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools.cli import cli
from xltools.edition import load_edition
from xltools.errors import EditionError, OutputError
from xltools.migrate import load_mapping, migrate_book, migrate_file
from xltools.money import convert
from xltools.reader.read import read_workbook
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file

from ..conftest import EXAMPLE, ROOT

YTH = "hebei-county-yth"

# The bundled 2020 example's figures (元) and the 上年数 they become in 2021 (万元, 四舍五入 to 0.01).
EXPECTED_PRIOR = {
    "inc_total": Decimal("47.79"),  # 477884.00 元
    "inc_general": Decimal("47.79"),  # 477884.00 元
    "inc_fund": Decimal("0.00"),
    "inc_soe": Decimal("0.00"),
    "inc_special": Decimal("0.00"),
    "inc_unit": Decimal("0.00"),  # 事业收入 … 其他收入: none in the example
    "exp_total": Decimal("47.79"),  # 477884.00 元
    "basic": Decimal("32.79"),  # 327884.00 元
    "personnel": Decimal("29.69"),  # 296884.00 元
    "public": Decimal("3.10"),  # 31000.00 元
    "project": Decimal("15.00"),  # 150000.00 元
    "sg_total": Decimal("0.00"),
    "sg_abroad": Decimal("0.00"),
    "sg_vehicle_purchase": Decimal("0.00"),
    "sg_vehicle_run": Decimal("0.00"),
    "sg_reception": Decimal("0.00"),
    "opex": Decimal("0.88"),  # 8800.00 元
    "proc_total": Decimal("0.00"),
}
# The 上年数 by 功能分类 类: 201 一般公共服务支出 is the example's only 类; every other 类 had nothing (0.00).
CLASSES = [
    line.split(",")[0]
    for line in (ROOT / "schemas/hebei-county-2020/codes/function.csv").read_text("utf-8").splitlines()
]
EXPECTED_PRIOR.update({f"f{c}": Decimal("0.00") for c in CLASSES if len(c) == 3})
EXPECTED_PRIOR["f201"] = Decimal("47.79")  # 477884.00 元

EXPECTED_UNMAPPED = [
    ("source", "t02", "4 行"),
    ("source", "t03", "4 行"),
    ("source", "t05", "4 行"),
    ("source", "t06", "4 行"),
    ("source", "pe", "6 行"),
    ("source", "proj", "1 行"),
    ("source", "ind", "9 行"),
    ("source", "proc", "“货物”、“工程”、“服务”"),
    (
        "source",
        "assets",
        "“资产总额”、“1、房屋（平方米）”、“其中：办公用房（平方米）”、“2、车辆（台、辆）”、"
        "“3、单价在20万元以上设备”、“4、其他固定资产”",
    ),
    ("source", "prior", "“收入总计”、“支出总计”"),
]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    out = tmp_path_factory.mktemp("mig") / "2021.xlsx"
    return migrate_file(EXAMPLE, YTH, 2021, out), out


def test_prior_year_figures_are_the_2020_figures_in_万元(migrated: tuple[object, Path]) -> None:
    mig, out = migrated
    assert {k[1]: v for k, v in mig.amounts.items()} == EXPECTED_PRIOR  # type: ignore[attr-defined]
    assert all(v.as_tuple().exponent == -2 for v in mig.amounts.values())  # type: ignore[attr-defined]
    book = read_workbook(out).book
    assert (book.edition.id, book.edition.year) == (YTH, 2021)
    assert {r.id: book.amount("prior", r.id, "amount") for r in book.edition.table("prior").rows} == EXPECTED_PRIOR
    # the same, derived: every carried figure is the 2020 figure converted with the stated rounding
    old = read_workbook(EXAMPLE).book
    assert EXPECTED_PRIOR["inc_total"] == convert(old.amount("t01", "inc_total", "inc"), "元", "万元", 2)
    assert EXPECTED_PRIOR["public"] == convert(old.amount("t03", "total", "basic_public"), "元", "万元", 2)


def test_texts_carried_over(migrated: tuple[object, Path]) -> None:
    _, out = migrated
    new, old = read_workbook(out).book, read_workbook(EXAMPLE).book
    for row in ("name", "code", "nature"):
        assert new.text("cover", row, "value") == old.text("cover", row, "value") != ""
    assert new.cell("cover", "year", "value").value == Decimal(2021)
    assert new.text("cover", "unit", "value") == "万元"
    for r in old.edition.table("text").rows:
        assert new.text("text", r.id, "text") == old.text("text", r.id, "text")
    assert [[new.text("org", r, c) for c in ("name", "nature", "grade", "funding")] for r in new.rows("org")] == [
        ["综合股", "行政", "科级", "财政拨款"],
        ["业务股", "行政", "科级", "财政拨款"],
    ]
    assert new.rows("t02") == [] and new.rows("proj") == []  # this year's figures start empty


def test_unmapped_list(migrated: tuple[object, Path]) -> None:
    mig, _ = migrated
    got = [(u.side, u.table, u.what) for u in mig.unmapped]  # type: ignore[attr-defined]
    assert got == EXPECTED_UNMAPPED
    reasons = {u.table: u.reason for u in mig.unmapped}  # type: ignore[attr-defined]
    assert reasons["prior"] == "上年工作簿中的“上年数”是前年的数，不再使用"
    assert mig.notes == []  # type: ignore[attr-defined]


def test_migrated_workbook_validates(migrated: tuple[object, Path]) -> None:
    report = validate_file(migrated[1])
    assert report.errors == [] and (report.edition, report.year) == (YTH, 2021)


def test_command(tmp_path: Path) -> None:
    out = tmp_path / "2021.xlsx"
    res = CliRunner().invoke(cli, ["migrate", str(EXAMPLE), "--to", YTH, "--year", "2021", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "带入上年数 48 项（元 → 万元，四舍五入保留2位小数）" in res.output  # 18 figures and 30 类
    assert "【表2 收入总表】4 行：本年收入明细按科目每年重新填报（合计已作为上年数带入）" in res.output
    before = out.read_bytes()
    again = CliRunner().invoke(cli, ["migrate", str(EXAMPLE), "--to", YTH, "-o", str(out)])
    assert again.exit_code == 2 and "已存在" in again.output and out.read_bytes() == before
    forced = CliRunner().invoke(cli, ["migrate", str(EXAMPLE), "--to", YTH, "-o", str(out), "--force"])
    assert forced.exit_code == 0  # --year defaults to the old workbook's year + 1
    assert read_workbook(out).book.edition.year == 2021


def test_refusals_leave_nothing_behind(tmp_path: Path) -> None:
    copy = tmp_path / "old.xlsx"
    copy.write_bytes(EXAMPLE.read_bytes())
    with pytest.raises(OutputError):
        migrate_file(copy, YTH, 2021, copy)  # never over the input
    with pytest.raises(EditionError, match="不适用于 2019 年"):
        migrate_file(copy, YTH, 2019, tmp_path / "a.xlsx")
    with pytest.raises(EditionError, match="没有从版本 hebei-county-2020 迁移到 hebei-county-2020"):
        migrate_file(copy, "hebei-county-2020", 2020, tmp_path / "b.xlsx")
    res = CliRunner().invoke(cli, ["migrate", str(tmp_path / "none.xlsx"), "--to", YTH, "-o", str(tmp_path / "c.xlsx")])
    assert res.exit_code == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.xlsx"]


def test_bad_mapping_names_its_key(tmp_path: Path) -> None:
    bad = tmp_path / "map.toml"
    bad.write_text(
        'source = "hebei-county-2020"\n[amounts]\n"prior.inc_total.amount" = "t01.no_such_row.inc"\n', encoding="utf-8"
    )
    source, target = load_edition("hebei-county-2020", 2020), load_edition(YTH, 2021)
    with pytest.raises(EditionError, match=r"prior\.inc_total\.amount.*no_such_row"):
        load_mapping(source, target, bad)


def test_year_to_year_in_the_same_edition(tmp_path: Path) -> None:
    """hebei-county-yth 2021 -> 2022: a second mapping file, no conversion (万元 both sides)."""
    ed21 = load_edition(YTH, 2021)
    old = tmp_path / "2021.xlsx"
    write_template(ed21, old, department(ed21, 4))
    out = tmp_path / "2022.xlsx"
    mig = migrate_file(old, YTH, 2022, out)
    book21, book22 = read_workbook(old).book, read_workbook(out).book
    assert book22.edition.year == 2022
    pairs = {
        "inc_total": ("t01", "inc_total", "inc"),
        "inc_unit": ("t01", "inc_unit", "inc"),
        "basic": ("t03", "total", "basic"),
        "project": ("t03", "total", "project"),
        "sg_total": ("t07", "budget", "total"),
        "opex": ("opex", "amount", "amount"),
    }
    for prior_row, src in pairs.items():
        assert book22.amount("prior", prior_row, "amount") == book21.amount(*src)
    assert {u.table for u in mig.unmapped if u.side == "target"} == set()
    assert validate_file(out).errors == []


def test_year_gap_is_noted(tmp_path: Path) -> None:
    book = read_workbook(EXAMPLE).book
    mig = migrate_book(book, load_edition(YTH, 2022))
    assert mig.notes and "2020 年" in mig.notes[0] and "2022 年" in mig.notes[0]


def test_totals_from_an_unreadable_sheet_are_not_carried_as_zero(tmp_path: Path) -> None:
    """表1 收入 lines are formulas over 表2: with 表2 renamed, they are unknown (listed), not 0.00."""
    import openpyxl

    wb = openpyxl.load_workbook(EXAMPLE)
    wb["表2 收入总表"].title = "收入"
    broken = tmp_path / "broken.xlsx"
    wb.save(broken)
    mig = migrate_file(broken, YTH, 2021, tmp_path / "new.xlsx")
    income = ("inc_total", "inc_general", "inc_fund", "inc_soe", "inc_special", "inc_unit")
    assert not {k[1] for k in mig.amounts} & set(income)
    assert mig.amounts[("prior", "basic", "amount")] == Decimal("32.79")  # 表3 still read
    blocked = [u.what for u in mig.unmapped if u.side == "target"]
    assert blocked == [
        "“收入总计”",
        "“一般公共预算拨款收入”",
        "“政府性基金预算拨款收入”",
        "“国有资本经营预算拨款收入”",
        "“财政专户管理资金收入”",
        "“单位资金”",
    ]
    assert mig.amounts[("prior", "exp_total", "amount")] == Decimal("47.79")  # from 表3, not 表2
    assert "读取上年工作簿时发现" in mig.notes[0]


def test_prior_from_figures_derives_the_prior_cells_from_the_figures() -> None:
    """from-hebei-county-yth.toml says prior_from_figures = true: each figure with a prior link carries last
    year's value of the same figure (the 18 cells the map used to list one by one); its [amounts] add the 30
    功能分类 类 rows from last year's 表3."""
    yth = load_edition("hebei-county-yth", 2022)
    m = load_mapping(load_edition("hebei-county-yth", 2021), yth)
    got = {f"{r.table}.{r.row}.{r.col}": text for r, _, text in m.amounts}
    # inc_other_sources (declared first) and inc_unit share the 上年单位资金 cell: the first declared fills it
    assert len(got) == 48 and got["prior.inc_unit.amount"] == "inc_other_sources"
    assert got["prior.f201.amount"] == "t03[201].total"
    assert got["prior.proc_total.amount"] == "procurement" and got["prior.basic.amount"] == "basic"
    rows = "inc_total inc_general inc_fund inc_soe inc_special inc_unit exp_total basic personnel public project"
    rows += " sg_total sg_abroad sg_vehicle_purchase sg_vehicle_run sg_reception opex proc_total"
    assert {k for k in got if ".f" not in k} == {f"prior.{r}.amount" for r in rows.split()}


def test_sangong_sentence_of_a_migrated_workbook_says_flat_once(migrated: tuple[object, Path]) -> None:
    """The 三公 figures are 0 against last year's 0: the sentence says 与2020年预算持平 once, for the whole (the
    migrated cover says 上年预算), and no comparison sits inside another bracket (six times, nested, before)."""
    from xltools.narrative import compile_narrative

    _, out = migrated
    md = compile_narrative(read_workbook(out).book).markdown
    sg = next(line for line in md.splitlines() if "财政拨款“三公”经费预算安排" in line)
    assert sg == (
        "2021年，我部门财政拨款“三公”经费预算安排0.00万元，与2020年预算持平，其中：因公出国（境）费0.00万元；"
        "公务用车购置及运行费0.00万元（其中：公务用车购置费0.00万元，公务用车运行费0.00万元）；公务接待费0.00万元。"
    )


def test_sangong_items_that_moved_keep_their_comparisons_unnested(tmp_path: Path) -> None:
    from xltools.book import book_from_data
    from xltools.narrative import compile_narrative

    ed = load_edition(YTH, 2021)
    data = department(ed, 1)
    data["prior"] = {
        k: {"amount": v}
        for k, v in {
            "sg_total": 3,
            "sg_abroad": 0,
            "sg_vehicle_purchase": 0,
            "sg_vehicle_run": 2,
            "sg_reception": 1,
        }.items()
    }
    md = compile_narrative(book_from_data(ed, data)).markdown
    sg = next(line for line in md.splitlines() if "财政拨款“三公”经费预算安排" in line)
    depth, deepest = 0, 0
    for ch in sg:
        depth += {"（": 1, "）": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    assert deepest == 1, sg
    assert "公务用车购置及运行费" in sg and sg.count("较2020年") + sg.count("与2020年") >= 3, sg
