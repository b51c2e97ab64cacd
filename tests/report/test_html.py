"""validate --html: one self-contained page, escaped, that highlights the same cells as the annotated
copy, checked in a real browser (headless Chromium) when one is installed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from xltools.edition import Edition
from xltools.report.annotate import default_output as xlsx_output
from xltools.report.html import default_output, render
from xltools.template.write import write_template
from xltools.validate import validate_file

from ..conftest import AS_PUBLISHED
from .conftest import broken_data, chromium, dom_cells, filled_cells, invoke, places, run_chromium, sha256

needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
)


def _self_contained(page: str) -> None:
    assert "<link" not in page and " src=" not in page and "@import" not in page and "url(" not in page
    assert not re.search(r"""href=["'](?!#)""", page)  # only in-page links
    assert "default-src 'none'" in page  # and the browser is told to fetch nothing


def test_page_without_browser(broken: Path, ed: Edition) -> None:
    before = sha256(broken)
    code, out = invoke("validate", broken, "--html")
    assert code == 1
    page_path = default_output(broken)
    assert page_path.name == "隆尧网信办2020.检查结果.html" and f"已生成网页报告：{page_path}" in out
    assert sha256(broken) == before
    page = page_path.read_text(encoding="utf-8")
    _self_contained(page)
    assert 'data-state="fail"' in page and "未通过" in page and "3 个错误" in page and "1 个提醒" in page
    cells = dom_cells(page).cells
    assert {(s, c) for s, c, _ in cells} == set(places(ed).values())
    assert {sev for *_, sev in cells} == {"error", "warning"}
    # the messages are on the cell (hover) and listed below the grid
    assert 'title="B5 错误：“三公”经费合计等于三项之和' in page
    assert page.count('<li class="finding') == 4 and page.count("怎么改：") >= 8


def test_same_cells_as_the_annotated_copy(broken: Path) -> None:
    assert invoke("validate", broken, "--html", "--annotate")[0] == 1
    in_page = {(s, c, sev) for s, c, sev in dom_cells(default_output(broken).read_text("utf-8")).cells}
    in_copy = {(s, c, sev) for (s, c), sev in filled_cells(xlsx_output(broken)).items()}
    assert in_page == in_copy


def test_grids_kept_from_the_check_draw_the_same_page(tmp_path: Path, broken: Path) -> None:
    """validate_file(keep_grids=True) keeps the grids of the sheets with findings, as read; the page drawn from
    them is the page drawn by reading the workbook again, and needs the file no more."""
    again = render(validate_file(broken))
    (tmp_path / "copy").mkdir()
    work = tmp_path / "copy" / broken.name
    shutil.copyfile(broken, work)
    report = validate_file(work, keep_grids=True)
    assert report.grids is not None and set(report.grids) == {f.sheet for f in report.findings if f.sheet}
    assert len(report.grids) >= 2 and set(report.grids) <= set(report.sheet_names)
    work.unlink()  # the kept grids are drawn without the file
    assert render(report) == again
    assert validate_file(broken).grids is None  # nothing kept unless asked (folders, merge)


def test_user_text_is_escaped(tmp_path: Path, ed: Edition) -> None:
    data = broken_data()
    data["t05"][4]["code"] = "<script>alert('x')</script>"
    data["assets"]["equipment"]["value"] = "=cmd|' /C calc'!A0"
    path = tmp_path / "注入.xlsx"
    write_template(ed, path, data)
    page = render(validate_file(path))
    assert page.count("<script") == 1  # ours only
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page
    _self_contained(page)


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a workbook")
    out = tmp_path / "报告.html"
    code, text = invoke("validate", bad, "--html", out)
    assert code == 3
    page = out.read_text(encoding="utf-8")
    assert 'data-state="unreadable"' in page and "无法读取" in page and "PDF" in page
    assert "另存为" in page  # the fix
    assert dom_cells(page).cells == set()
    _self_contained(page)


def test_passing_file_and_wrong_suffix(tmp_path: Path) -> None:
    src = tmp_path / "ok.xlsx"
    shutil.copyfile(AS_PUBLISHED.with_name("longyao-cac-2020.xlsx"), src)
    assert invoke("validate", src, "--html")[0] == 0
    page = default_output(src).read_text("utf-8")
    assert 'data-state="pass"' in page and "通过" in page and "个提醒" not in page  # the example has no warning
    code, out = invoke("validate", src, "--html", tmp_path / "x.xlsx")
    assert code == 2 and ".html" in out


@needs_chromium
def test_chromium_highlights_the_three_cells(tmp_path: Path, broken: Path, ed: Edition) -> None:
    assert invoke("validate", broken, "--html")[0] == 1
    page = default_output(broken)
    r = run_chromium(tmp_path, page, "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    dom = dom_cells(r.stdout)
    p = places(ed)
    errors = {(s, c) for s, c, sev in dom.cells if sev == "error"}
    warnings = {(s, c) for s, c, sev in dom.cells if sev == "warning"}
    assert errors == {p["total"], p["code"], p["text"]}
    assert warnings == {p["warning"]}
    # the page's script ran in the browser and counted the same cells
    assert dom.body.get("data-highlighted") == "4"
    assert "表格中已标出 4 个单元格" in r.stdout
    shot = tmp_path / "report.png"
    r = run_chromium(tmp_path, page, "--window-size=1200,1600", f"--screenshot={shot}", "--hide-scrollbars")
    assert r.returncode == 0 and shot.stat().st_size > 10_000


def test_a_withheld_expected_value_is_not_shown_empty() -> None:
    """A failed total whose 应为 the diagnosis withholds (it is not the cell to change) shows its actual value alone,
    in the page and in the annotated copy's note; a finding with both shows both."""
    from xltools.report.places import expected_actual

    assert expected_actual({"actual": "478884.00"}) == "实际：478884.00"
    assert expected_actual({"expected": "0.00", "actual": "100.00"}) == "应为：0.00；实际：100.00"
    assert expected_actual({"expected": "5"}) == "应为：5"
    assert expected_actual({}) == ""
