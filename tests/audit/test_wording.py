"""Wording variety, in fixtures written for this project (no sentence is copied from a published document)."""

from __future__ import annotations

import pytest

from xltools.audit import audit_text
from xltools.edition import load_edition

ED = load_edition("hebei-county-2020")


def _audit(body: str):
    return audit_text("# 测试局2025年部门预算信息公开情况说明\n\n## 一、收支情况\n\n" + body + "\n", ED, "md")


def _rules(body: str) -> list[str]:
    return [f.rule for f in _audit(body).findings]


@pytest.mark.parametrize(
    "body",
    [
        "2025年机关运行经费5,204.37万元，比2024年预算增加1,204.37万元，增长30.11%。",
        "“三公”经费预算36.80万元，较上年减少2.60万元（6.60%）。",
        "公务接待费3.20万元，与上年持平。",
        "政府采购预算12万元，上年无此项，增长率无可比性。",
        "项目支出８０万元，去年未列该项。",
        "2025年预算收入1,000.00万元，其中：一般公共预算拨款收入800.00万元，政府性基金预算拨款收入200.00万元。",
        "支出总计100.00万元，其中：基本支出60.00万元，占支出总计的60.00%；项目支出40.00万元，占支出总计的40.00%。",
        "基本支出58.00万元，同比增长16.00%，较上年增加8.00万元。",
    ],
)
def test_consistent_wording_passes(body: str) -> None:
    assert _rules(body) == []


@pytest.mark.parametrize(
    ("body", "rule", "severity"),
    [
        # growth divided by this year instead of last year: 1204.37 / 5204.37
        ("2025年机关运行经费5,204.37万元，比2024年预算增加1,204.37万元，增长23.14%。", "audit.yoy-wrong-base", "error"),
        ("机关运行经费5204.37万元，较上年增加1204.37万元，增长29.00%。", "audit.yoy-percent", "error"),
        # last-digit rounding: 1204.37 / 4000 = 30.109… printed 30.10
        ("机关运行经费5204.37万元，较上年增加1204.37万元，增长30.10%。", "audit.yoy-percent", "notice"),
        ("公务接待费3.20万元，与上年持平，减少0.50万元。", "audit.yoy-flat", "warning"),
        ("公务接待费3.20万元，较上年下降0%，主要原因是压减开支。", "audit.yoy-zero-change", "warning"),
        ("政府采购预算12万元，较上年增加12万元，增长100%。", "audit.yoy-zero-base", "error"),
        ("基本支出58.00万元，较上年增加8.00万元，下降16.00%。", "audit.yoy-mixed", "warning"),
        (
            "2025年预算收入1,000.00万元，其中：一般公共预算拨款收入800.00万元，政府性基金预算拨款收入300.00万元。",
            "audit.parts-sum",
            "error",
        ),
        (
            "支出总计100.00万元，其中：基本支出60.00万元，占支出总计的65.00%；项目支出40.00万元，占支出总计的40.00%。",
            "audit.share",
            "error",
        ),
        ("部门预算收入2,000元，其中一般公共预算收入1,500元，其他来源收入0.05万元。", "audit.unit-mixed", "warning"),
        ("“三公”经费预算安排 万元，占 %。", "audit.placeholder", "error"),
        ("今年收入【请填写：收入】。", "audit.placeholder", "error"),
        ("“三公”经费较上年增加（减少）。", "audit.placeholder", "error"),
    ],
)
def test_wrong_wording_is_caught(body: str, rule: str, severity: str) -> None:
    found = [f for f in _audit(body).findings if f.rule == rule]
    assert found, _rules(body)
    assert found[0].severity == severity
    assert found[0].sheet == "测试局2025年部门预算信息公开情况说明 > 一、收支情况" and found[0].cell == "第3段"
    assert "〖" in found[0].params["sentence"] or rule == "audit.placeholder"


def test_share_on_the_wrong_base_names_it() -> None:
    body = "收入总计200.00万元。支出总计100.00万元，其中：基本支出60.00万元，占支出总计的30.00%；项目支出40.00万元，占支出总计的40.00%。"
    f = next(f for f in _audit(body).findings if f.rule == "audit.share-wrong-base")
    assert "200.00万元" in f.params["other"] and f.params["expected"] == "60.00%"


def test_numbering_styles_make_the_heading_path() -> None:
    text = "测试局2025年部门预算信息公开情况说明\n一、部门预算安排的总体情况\n（一）收入\n1.本年收入\n预算收入100.00万元，其中：一般公共预算拨款收入90.00万元，其他来源收入20.00万元。\n"
    r = audit_text(text, ED, "txt")
    f = next(f for f in r.findings if f.rule == "audit.parts-sum")
    assert f.sheet == "一、部门预算安排的总体情况 > （一）收入 > 1.本年收入" and f.cell == "第5段"


def test_same_figure_with_two_values_and_a_unit_slip() -> None:
    r = _audit("机关运行经费8800元。\n\n机关运行经费8800万元。\n\n公务接待费1.00万元。\n\n公务接待费2.00万元。")
    rules = sorted(f.rule for f in r.findings)
    assert rules == ["audit.figure-two-values", "audit.unit-factor"]
