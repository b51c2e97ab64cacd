"""The Markdown subset between the templates and Word: parsing, and escaping of user text so that it can
neither start a heading or table nor break a table row."""

from __future__ import annotations

import pytest

from xltools.narrative.markdown import Heading, Paragraph, Run, Table, parse, plain
from xltools.narrative.render import md_escape, tidy

MD = """# 标题

## 一、第一部分

正文**加粗**与<br>换行，\\|竖线\\#井号。

**表题**

| 名称 | 金额 |
|---|--:|
| 甲\\|乙 | 1.00 |
| 丙 | 2.00 |

#### （一）三级
"""


def test_parse_blocks() -> None:
    blocks = parse(MD)
    assert blocks[0] == Heading(0, "标题")
    assert blocks[1] == Heading(1, "一、第一部分")
    assert blocks[2] == Paragraph(
        (Run("正文"), Run("加粗", bold=True), Run("与"), Run("", br=True), Run("换行，|竖线#井号。"))
    )
    assert blocks[3] == Paragraph((Run("表题", bold=True),), caption=True)
    table = blocks[4]
    assert isinstance(table, Table)
    assert [plain_cell(c) for c in table.header] == ["名称", "金额"]
    assert [[plain_cell(c) for c in row] for row in table.rows] == [["甲|乙", "1.00"], ["丙", "2.00"]]
    assert table.align == ("left", "right")
    assert blocks[5] == Heading(3, "（一）三级")


def plain_cell(runs: tuple[Run, ...]) -> str:
    return "".join("\n" if r.br else r.text for r in runs)


@pytest.mark.parametrize(
    "text",
    [
        "# 不是标题",
        "| 不是 | 表格 |",
        "**不是粗体**",
        "a\\b",
        "<br>",
        "=SUM(A1)",
        "_x_ `y` [z]",
        "第一行\n第二行",
    ],
)
def test_escaped_user_text_comes_back_unchanged(text: str) -> None:
    md = f"前缀{md_escape(text)}\n\n| 列 |\n|---|\n| {md_escape(text)} |\n"
    para, table = parse(md)
    assert isinstance(para, Paragraph) and isinstance(table, Table)
    assert para.text == "前缀" + text
    assert len(table.rows) == 1 and len(table.rows[0]) == 1
    assert plain_cell(table.rows[0][0]) == text
    assert plain(md_escape(text)) == text


def test_tidy_keeps_one_blank_line_between_blocks() -> None:
    assert tidy("a  \n\n\n\nb\n\n") == "a\n\nb\n"
