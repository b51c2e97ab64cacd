"""compile as a command: refusal of invalid input, warnings listed, placeholders, overwriting, the input
left untouched, and byte-identical outputs on a second run."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
from docx.enum.text import WD_COLOR_INDEX

from ..conftest import AS_PUBLISHED, EXAMPLE
from .conftest import NARRATIVE, Compiled, run_compile


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_corrected_example_passes_with_no_warning(compiled: Compiled) -> None:
    # 机关运行经费 8800.00 within 公用经费 31000.00 (opex-t06.within-public replaced the equality warning), and
    # the corrected 三公 reason states no direction (the published one, a decrease with no prior figure, is
    # the as-published example's warning): no warning, from validate or from the self-audit.
    assert "已生成" in compiled.output and "错误" not in compiled.output
    assert "提醒" not in compiled.output
    assert sorted(p.name for p in compiled.out.iterdir()) == sorted(
        [compiled.docx_path.name, compiled.md_path.name, compiled.xlsx_path.name]
    )
    assert "情况说明中有" not in compiled.output  # no placeholders


def test_as_published_example_is_refused_with_the_asset_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = run_compile(str(AS_PUBLISHED), "-o", str(out))
    assert code == 1
    assert "未通过（1 个错误，1 个提醒）" in output  # the 提醒: the published 三公 reason (text.reason-contradicts)
    assert "最可能需要修改：资产占用 B5" in output
    assert "【资产占用】" in output and "B6     错误  办公用房面积不能大于房屋面积" in output
    assert "未生成情况说明和公开表" in output
    assert not out.exists()


def test_unreadable_input_exits_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("单位,金额\n", encoding="utf-8")
    code, output = run_compile(str(bad), "-o", str(tmp_path / "out"))
    assert code == 3
    assert "无法读取" in output
    assert not (tmp_path / "out").exists()


def test_outputs_are_byte_identical_and_the_input_untouched(compiled: Compiled, tmp_path: Path) -> None:
    before = digest(EXAMPLE)
    code, output = run_compile(str(EXAMPLE), "-o", str(tmp_path))
    assert code == 0, output
    assert digest(EXAMPLE) == before
    for first in (compiled.docx_path, compiled.md_path, compiled.xlsx_path):
        assert (tmp_path / first.name).read_bytes() == first.read_bytes(), first.name


def test_existing_outputs_need_force(tmp_path: Path) -> None:
    assert run_compile(str(EXAMPLE), "-o", str(tmp_path))[0] == 0
    md = tmp_path / f"{NARRATIVE}.md"
    md.write_text("旧文件", encoding="utf-8")
    code, output = run_compile(str(EXAMPLE), "-o", str(tmp_path))
    assert code == 2
    assert "输出文件已存在" in output and "--force" in output
    assert md.read_text(encoding="utf-8") == "旧文件"  # refused before anything was written
    code, output = run_compile(str(EXAMPLE), "-o", str(tmp_path), "--force")
    assert code == 0, output
    assert md.read_text(encoding="utf-8").startswith("# ")


def test_missing_required_texts_become_visible_placeholders(
    example: dict[str, Any], write: Callable[..., Path], tmp_path: Path
) -> None:
    del example["text"]["duties"]
    del example["text"]["change_reason"]  # needed: 收入 and 支出 grew by 138.94 % (≥ the edition's 10 %)
    del example["text"]["sg_reason"]  # not needed: the 三公 figures have no 上年数, nothing to explain
    del example["text"]["other_matters"]  # optional: no placeholder
    path = write(example)
    out = tmp_path / "out"
    code, output = run_compile(str(path), "-o", str(out))
    assert code == 1
    assert "B5     提醒  收入总计较上年增长138.94%、支出总计较上年增长138.94%，变化达到10%及以上" in output
    assert "情况说明中有 2 处文字待填写" in output
    assert "「文字说明」B4  部门职责" in output
    assert "「文字说明」B5  收支比上年增减的主要原因" in output
    md = (out / f"{NARRATIVE}.md").read_text(encoding="utf-8")
    assert "部门职责：【请填写：部门职责】" in md
    assert "增长138.94%。【请填写：收支比上年增减的主要原因】" in md
    assert md.count("【请填写") == 2 and "增减变化原因：" not in md  # no 三公 reason line without its text
    doc = docx.Document(str(out / f"{NARRATIVE}.docx"))
    marked = [r for p in doc.paragraphs for r in p.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert [r.text for r in marked] == ["【请填写：部门职责】", "【请填写：收支比上年增减的主要原因】"]
    # the draft was written; accepting placeholders makes it a success
    code, output = run_compile(str(path), "-o", str(out), "--force", "--allow-placeholders")
    assert code == 0, output
    assert "情况说明中有 2 处文字待填写" in output


def test_complete_texts_need_no_flag(tmp_path: Path) -> None:
    code, output = run_compile(str(EXAMPLE), "-o", str(tmp_path), "--allow-placeholders")
    assert code == 0 and "待填写" not in output
