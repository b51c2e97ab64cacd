"""The compiled 情况说明 of the corrected example, read back with python-docx: every figure and statement
of the reference disclosure, in the declared unit, with the same content in the .md."""

from __future__ import annotations

import re

import docx
from docx.oxml.ns import qn

from xltools.narrative.markdown import Heading, Paragraph, Table, parse

from .conftest import NAME, Compiled, body_blocks

SECTIONS = [
    "一、部门职责及机构设置情况",
    "二、部门预算安排的总体情况",
    "三、机关运行经费安排情况",
    "四、财政拨款“三公”经费预算情况及增减变化原因",
    "五、预算绩效信息",
    "六、政府采购预算情况",
    "七、国有资产信息",
    "八、名词解释",
    "九、其他需要说明的事项",
]


def paragraphs(doc: docx.document.Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


def text_of(doc: docx.document.Document) -> str:
    return "\n".join(paragraphs(doc))


def section(doc: docx.document.Document, title: str) -> str:
    """The paragraphs under one Heading 1, up to the next."""
    out, inside = [], False
    for p in doc.paragraphs:
        if p.style.name == "Heading 1":
            inside = p.text == title
            continue
        if inside:
            out.append(p.text)
    return "\n".join(out)


def table_with(doc: docx.document.Document, header: list[str]) -> list[list[str]]:
    for t in doc.tables:
        rows = [[c.text for c in r.cells] for r in t.rows]
        if rows[0] == header:
            return rows
    raise AssertionError(f"no table with header {header}")


def test_title_and_nine_section_headings(document: docx.document.Document) -> None:
    title = [p for p in document.paragraphs if p.style.name == "Title"]
    assert [p.text for p in title] == [f"{NAME}2020年部门预算信息公开情况说明"]
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == SECTIONS
    level2 = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert level2 == [
        "1、收入说明",
        "2、支出说明",
        "3、比上年增减情况",
        "第一部分　部门整体绩效目标",
        "第二部分　预算项目绩效目标",
    ]
    level3 = [p.text for p in document.paragraphs if p.style.name == "Heading 3"]
    assert level3 == ["（一）总体绩效目标", "（二）分项绩效目标", "（三）工作保障措施", "1、网信办工作经费绩效目标表"]


def test_income_and_expenditure_figures(document: docx.document.Document) -> None:
    s = section(document, SECTIONS[1])
    assert (
        "2020年预算收入477884.00元，其中：一般公共预算拨款收入477884.00元，政府性基金预算拨款收入0.00元，"
        "国有资本经营预算拨款收入0.00元，财政专户管理资金收入0.00元，其他来源收入0.00元。"
    ) in s
    assert (
        "2020年部门支出预算为477884.00元，其中：基本支出327884.00元，占支出总计的68.61%，"
        "包括人员经费296884.00元和日常公用经费31000.00元；项目支出150000.00元，占支出总计的31.39%，"
        "主要为办公费60000.00元，印刷费50000.00元，邮电费5000.00元，差旅费5000.00元，维修（护）费30000.00元。"
    ) in s


def test_change_against_prior_year_with_reason(document: docx.document.Document) -> None:
    s = section(document, SECTIONS[1])
    assert (
        "2020年部门预算收支安排477884.00元，较2019年增加277884.00元，增长138.94%。"
        "因我单位为2019年机构改革新成立单位，2020年有人员增加情况，增加经费为人员经费与日常办公经费。"
    ) in s
    # 基本支出 / 项目支出 have no prior figure in the example: no comparison sentence for them
    assert "其中基本支出较" not in s and "项目支出较" not in s


def test_opex_sangong_procurement(document: docx.document.Document) -> None:
    assert "2020年，我部门机关运行经费共计安排8800.00元，主要用于保证机关正常运转" in section(document, SECTIONS[2])
    sg = section(document, SECTIONS[3])
    assert (
        "2020年，我部门财政拨款“三公”经费预算安排0.00元，其中：因公出国（境）费0.00元；公务用车购置及运行费0.00元"
        "（其中：公务用车购置费0.00元，公务用车运行费0.00元）；公务接待费0.00元。"
    ) in sg
    # the corrected reason (corrections.toml 3): the published one gave a decrease next to 0 and no prior
    assert "增减变化原因：我部门为2019年机构改革新成立单位，上年无“三公”经费预算，2020年未安排“三公”经费。" in sg
    assert "较2019年" not in sg  # the prior 三公 figures are blank: no comparison
    # the department's own statement of what its 机关运行经费 pays for (a text cell) replaces the standard list
    assert "主要用于保证机关正常运转的办公及印刷费、邮电费、差旅费、福利费、工会福利费、维修维护维修费等支出。" in (
        section(document, SECTIONS[2])
    )
    assert section(document, SECTIONS[5]) == "2020年，我部门未安排政府采购预算。"  # no 货物类0.00元 claimed
    assert "我部门固定资产主要为计算机、打印机、办公家具等。" in section(document, SECTIONS[6])


def test_duties_and_the_two_org_rows(document: docx.document.Document) -> None:
    assert "部门职责：负责全县网络安全及信息化管理工作" in paragraphs(document)
    assert table_with(document, ["单位名称", "单位性质", "单位规格", "经费保障形式"]) == [
        ["单位名称", "单位性质", "单位规格", "经费保障形式"],
        ["综合股", "行政", "科级", "财政拨款"],
        ["业务股", "行政", "科级", "财政拨款"],
    ]


def test_performance_project_plan_and_indicators(document: docx.document.Document) -> None:
    s = section(document, SECTIONS[4])
    assert s.count("2020年县委网信办将始终坚持以习近平新时代中国特色社会主义思想为指导") == 1
    assert "（五）加强宣传培训调研。" in s and "网信办部门职责分类绩效目标情况说明" in s
    assert table_with(document, ["项目编码", "项目名称", "预算数（元）", "其中：财政资金", "其他资金"])[1] == [
        "288-0204-JXN-KZLZ",
        "网信办工作经费",
        "150000.00",
        "150000.00",
        "0.00",
    ]
    assert table_with(document, ["资金支出计划（%）", "3月底", "6月底", "10月底", "12月底"])[1] == [
        "累计支出进度",
        "25.00",
        "50.00",
        "75.00",
        "100.00",
    ]
    assert "资金用途：维护网络安全和推动信息化发展" in s
    assert "年度绩效目标：1、网络舆情处置率\n2、网信队伍建设" in s
    grid = table_with(document, ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"])
    assert len(grid) == 10
    assert grid[1] == ["产出指标", "时效指标", "舆情处置率", "舆情反馈及时率", "≥95%", "部门职责"]
    assert grid[4] == ["效果指标", "社会效益指标", "网信队伍培训", "网信队伍培训2场次", "≥2场", "部门职责"]
    assert grid[9] == ["满意度指标", "服务对象满意度指标", "网上宣传", "网上宣传5", "≥5场", "部门职责"]


def test_asset_section_and_table_in_万元(document: docx.document.Document) -> None:
    s = section(document, SECTIONS[6])
    assert (
        "截至2019年12月31日，我部门资产总额15.33万元。其中：房屋37.7平方米（含办公用房37.7平方米），价值0.00万元；"
        "车辆0台（辆），价值0.00万元；单价在20万元以上设备0.00万元；其他固定资产15.33万元。"
    ) in s
    assert table_with(document, ["项目", "数量", "价值（万元）"]) == [
        ["项目", "数量", "价值（万元）"],
        ["资产总额", "——", "15.33"],
        ["1、房屋（平方米）", "37.7", "0.00"],
        ["其中：办公用房（平方米）", "37.7", "0.00"],
        ["2、车辆（台、辆）", "0", "0.00"],
        ["3、单价在20万元以上设备", "——", "0.00"],
        ["4、其他固定资产", "——", "15.33"],
    ]


def test_terms_and_empty_table_notes(document: docx.document.Document) -> None:
    terms = section(document, SECTIONS[7]).split("\n")
    assert len(terms) == 10
    assert terms[0] == "1、一般公共预算拨款收入：指本级财政当年拨付的资金。"
    assert terms[6].startswith("7、“三公”经费：")
    other = section(document, SECTIONS[8])
    assert other.split("\n") == [
        "我单位为19年机构改革新成立单位。",
        "本部门2020年部门预算公开表中的空表说明：",
        "1、表7《一般公共预算“三公”经费支出情况表》：本部门2020年无财政拨款“三公”经费预算安排，故本表金额均为0。",
        "2、表8《政府性基金预算支出情况表》：本部门2020年无政府性基金预算支出，故本表为空表。",
        "3、表9《国有资本经营预算支出情况表》：本部门2020年无国有资本经营预算支出，故本表为空表。",
        "4、《政府采购预算情况》：本部门2020年无政府采购预算安排，故本表金额均为0。",
    ]


def test_one_declared_unit_two_decimals(document: docx.document.Document) -> None:
    """The reference mixes 元 and 万元 in one sentence; ours states 元 once and uses it everywhere but
    in the asset section, whose table is declared in 万元 and says so."""
    assert paragraphs(document)[1].endswith("本说明所列金额单位除另有注明外均为元，保留两位小数。")
    for title in SECTIONS:
        body = section(document, title)
        if title == "八、名词解释":
            continue
        amounts = re.findall(r"([0-9][0-9.,]*)(万元|元)", body)
        for number, unit in amounts:
            if title == "七、国有资产信息" and number == "20":  # 单价在20万元以上设备 (a label, not an amount)
                continue
            assert re.fullmatch(r"[0-9]+\.[0-9]{2}", number), (title, number, unit)
            assert unit == ("万元" if title == "七、国有资产信息" else "元"), (title, number, unit)
    assert not re.search(r"(?<![0-9.])0万元", text_of(document))  # the reference's "基金预算收入0万元"


def test_word_structure_fonts_and_repeated_headers(document: docx.document.Document) -> None:
    def east_asia(style_name: str) -> str:
        fonts = document.styles[style_name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:asciiTheme")) is None and fonts.get(qn("w:eastAsiaTheme")) is None
        return fonts.get(qn("w:eastAsia"))

    assert east_asia("Normal") == "仿宋"
    assert east_asia("Title") == "黑体"
    assert {east_asia(f"Heading {i}") for i in (1, 2, 3)} == {"黑体"}
    assert east_asia("Table Text") == "宋体"
    cell_run = document.tables[0].rows[1].cells[0].paragraphs[0].runs[0]
    assert cell_run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
    assert len(document.tables) == 5  # 机构, 项目, 支出计划, 指标, 资产
    for t in document.tables:
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert t.style.name == "Table Grid"
    sec = document.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)) == (21.0, 29.7)
    props = document.core_properties
    assert (props.created.year, props.modified.year, props.author) == (2020, 2020, NAME)


def test_markdown_says_the_same(compiled: Compiled, document: docx.document.Document) -> None:
    """The .docx is built from the .md: the same headings, paragraphs and table cells, in the same order."""
    from_md: list[tuple[str, object]] = []
    for b in parse(compiled.md_path.read_text(encoding="utf-8")):
        if isinstance(b, Heading):
            from_md.append(("p", ("Title" if b.level == 0 else f"Heading {b.level}", b.text)))
        elif isinstance(b, Paragraph):
            from_md.append(("p", ("Table Caption" if b.caption else "Normal", b.text)))
        elif isinstance(b, Table):
            rows = [["".join("\n" if r.br else r.text for r in cell) for cell in row] for row in (b.header, *b.rows)]
            from_md.append(("t", rows))
    from_docx = [b for b in body_blocks(document) if not (b[0] == "p" and b[1] == ("Table Text", ""))]
    assert from_docx == from_md
    md = compiled.md_path.read_text(encoding="utf-8")
    assert md.startswith(f"# {NAME}2020年部门预算信息公开情况说明\n")
    assert "| 综合股 | 行政 | 科级 | 财政拨款 |" in md
    assert "较2019年增加277884.00元，增长138.94%" in md


def test_readme_excerpt_is_what_compile_writes(compiled: Compiled) -> None:
    from ..conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```markdown\n", 1)[1].split("```", 1)[0]
    md = compiled.md_path.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in block.split("\n\n") if p.strip()]
    assert len(paragraphs) >= 5
    for para in paragraphs:
        head, _, tail = para.partition("……")  # an elision in the README
        assert head in md and tail in md, para
