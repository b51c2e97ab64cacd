"""The annotated copy's 错误清单 rows are tall enough for their wrapped Chinese text (issue 12: 6 of 9
messages stopped at "…其下级科目之和为" with a fixed 18-point row)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.diagnose.test_diagnose import _row
from tests.robustness import corpus
from xltools.report.annotate import annotate_workbook
from xltools.validate import validate_file


def test_every_list_row_fits_its_longest_text(tmp_path: Path) -> None:
    data = corpus.example_data()
    row = _row(data, "t03", "2013602")
    row["project"], row["basic_public"] = 0, 150000
    src = tmp_path / "部门预算.xlsx"
    src.write_bytes(corpus.workbook_bytes(data))
    r = validate_file(src)
    out = tmp_path / "标注.xlsx"
    annotate_workbook(src, r.findings, out, r.book.edition if r.book else None)
    ws = openpyxl.load_workbook(out)["错误清单"]
    widths = {c: ws.column_dimensions[c].width for c in "DE"}
    checked = 0
    for i in range(4, ws.max_row + 1):
        longest = 0.0
        for c in "DE":
            text = str(ws[f"{c}{i}"].value or "")
            units = sum(2 if ord(ch) > 0x2E7F or ch in "“”" else 1 for ch in text)
            longest = max(longest, units / widths[c])  # lines at one unit per column-width unit (generous)
        height = ws.row_dimensions[i].height
        assert height is not None and height >= 15 * max(1, -(-int(longest * 10) // 11)), (i, height, longest)
        checked += 1
    assert checked >= 5
