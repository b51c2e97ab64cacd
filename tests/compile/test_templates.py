"""What the edition's templates say for other data: prior-year comparisons in every direction, blank prior
figures, empty and filled tables; and that a bureau can change the wording without touching code."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from xltools.book import book_from_data
from xltools.edition import Edition, load_edition
from xltools.errors import EditionError
from xltools.narrative import compile_narrative
from xltools.narrative.config import load_config
from xltools.narrative.context import build_context
from xltools.narrative.render import render_markdown


def md_of(ed: Edition, data: dict[str, Any]) -> str:
    return render_markdown(build_context(book_from_data(ed, data)))


def part(md: str, start: str, end: str) -> str:
    return md[md.index(start) : md.index(end)]


def test_prior_year_in_every_direction(ed: Edition, example: dict[str, Any]) -> None:
    example["prior"].update(
        {
            "basic": {"amount": 300000},
            "project": {"amount": 160000},  # up / down
            "sg_total": {"amount": 0},
            "sg_abroad": {"amount": 0},  # 0 -> 0: 持平
            "sg_reception": {"amount": 2000},  # down to 0
            "opex": {"amount": 0},  # zero base
            "proc_total": {"amount": 0},
        }
    )
    md = md_of(ed, example)
    assert (
        "2020年部门预算收支安排477884.00元，较2019年增加277884.00元，增长138.94%；"
        "其中基本支出较2019年增加27884.00元，增长9.29%；项目支出较2019年减少10000.00元，下降6.25%。"
    ) in md
    assert "机关运行经费共计安排8800.00元，较2019年增加8800.00元（上年无此项），主要用于" in md
    sg = part(md, "## 四、", "## 五、")
    assert "“三公”经费预算安排0.00元（与2019年持平）" in sg
    assert "因公出国（境）费0.00元（与2019年持平）" in sg
    assert "公务接待费0.00元（较2019年减少2000.00元，下降100.00%）" in sg
    assert "公务用车购置费0.00元，" in sg  # its prior figure is blank: no comparison
    assert "未安排政府采购预算，与2019年持平。" in md


def test_blank_prior_total_gives_no_comparison_sentence(ed: Edition, example: dict[str, Any]) -> None:
    del example["prior"]["inc_total"]
    md = md_of(ed, example)
    section = part(md, "### 3、比上年增减情况", "## 三、")
    assert "较2019年" not in section and "%" not in section
    assert "因我单位为2019年机构改革新成立单位" in section


def test_empty_and_filled_tables(ed: Edition, example: dict[str, Any]) -> None:
    example["t08"] = [{"code": "212", "basic": 0, "project": 100}]
    example["org"] = []
    example["proc"]["goods"] = {"amount": 3000}
    md = md_of(ed, example)
    assert "无政府性基金预算支出" not in md
    assert "无政府采购预算安排" not in md
    assert "本部门2020年无国有资本经营预算支出，故本表为空表。" in md
    assert "机构设置：本部门无内设机构，故本表为空表。" in md
    assert "安排政府采购预算3000.00元，其中：货物类3000.00元" in md


def test_no_projects_and_no_tasks(ed: Edition, example: dict[str, Any]) -> None:
    example["proj"], example["ind"] = [], []
    example["text"]["item_goals"] = {"text": ""}
    md = md_of(ed, example)
    assert "本部门2020年无项目支出绩效目标，故本表为空表。" in md
    assert "本部门未单独设置分项绩效目标。" in md
    assert "绩效目标表\n" not in md


def test_bureau_edits_wording_without_code(tmp_path: Path, example: dict[str, Any]) -> None:
    src = load_edition("hebei-county-2020", 2020).path
    copy = tmp_path / "hebei-county-2020"
    shutil.copytree(src, copy)
    section = copy / "narrative" / "sections" / "6-procurement.md.j2"
    section.write_text(
        "## 六、政府采购预算情况\n\n本年政府采购预算合计{{ fig.procurement | money }}。\n", encoding="utf-8"
    )
    terms = copy / "narrative" / "terms.toml"
    terms.write_text('[[term]]\nname = "部门预算"\ntext = "指部门的全部收支计划。"\n', encoding="utf-8")
    ed = load_edition(str(copy), 2020)
    n = compile_narrative(book_from_data(ed, example))
    assert "本年政府采购预算合计0.00元。" in n.markdown
    assert "1、部门预算：指部门的全部收支计划。" in n.markdown
    assert "10、" not in part(n.markdown, "## 八、", "## 九、")
    assert load_config(ed).terms[0].name == "部门预算"


def test_template_error_names_the_file_and_line(tmp_path: Path, example: dict[str, Any]) -> None:
    copy = tmp_path / "hebei-county-2020"
    shutil.copytree(load_edition("hebei-county-2020", 2020).path, copy)
    (copy / "narrative" / "sections" / "3-opex.md.j2").write_text(
        "## 三\n\n{% if opex %}\n没有结束\n", encoding="utf-8"
    )
    ed = load_edition(str(copy), 2020)
    with pytest.raises(EditionError, match=r"情况说明模板有误：.*sections/3-opex\.md\.j2第4行：Unexpected end"):
        compile_narrative(book_from_data(ed, example))
    (copy / "narrative" / "sections" / "3-opex.md.j2").write_text(
        "## 三\n\n{{ no_such_figure | money }}\n", encoding="utf-8"
    )
    with pytest.raises(EditionError, match=r"sections/3-opex\.md\.j2第3行：'no_such_figure' is undefined"):
        compile_narrative(book_from_data(ed, example))


def test_empty_note_of_a_filled_table_is_empty_text(ed: Edition, example: dict[str, Any]) -> None:
    ctx = build_context(book_from_data(ed, example))
    assert ctx.data["empty"]["org"] == "" and ctx.data["empty"]["t08"].startswith("本部门2020年无政府性基金")


def test_standard_opex_wording_claims_no_item_of_zero(ed: Edition, example: dict[str, Any]) -> None:
    """Without the department's own statement, the standard list names 公务用车运行维护费 only when it has a figure."""
    example["text"].pop("opex_use")
    opex = part(md_of(ed, example), "## 三、", "## 四、")
    assert "主要用于保证机关正常运转的办公及印刷费" in opex and "公务用车运行维护费" not in opex
    example["t07"]["budget"]["vehicle_run"] = 1000
    opex = part(md_of(ed, example), "## 三、", "## 四、")
    assert "办公用房物业管理费、公务用车运行维护费以及其他费用等支出。" in opex
