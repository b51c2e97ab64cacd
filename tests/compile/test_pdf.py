"""compile --pdf: the 情况说明 as PDF through LibreOffice, CJK fonts embedded, the same bytes for the same
workbook; without LibreOffice, or when the conversion fails, exit 5 and nothing written (one output set)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xltools.publish import pdf as render

from ..conftest import EXAMPLE
from .conftest import NARRATIVE, run_compile

HAVE_TOOLS = render.soffice() is not None and shutil.which("pdffonts") and shutil.which("pdftotext")


@pytest.fixture(scope="module")
def with_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAVE_TOOLS:
        pytest.skip("LibreOffice (soffice) and poppler-utils are not installed (.ci/run installs them)")
    out = tmp_path_factory.mktemp("pdf")
    code, output = run_compile(str(EXAMPLE), "-o", str(out), "--pdf")
    assert code == 0, output
    assert f"已生成：{out / (NARRATIVE + '.pdf')}" in output
    return out


def test_the_narrative_as_pdf_with_its_cjk_fonts_embedded(with_pdf: Path) -> None:
    pdf = with_pdf / f"{NARRATIVE}.pdf"
    assert sorted(p.suffix for p in with_pdf.iterdir()) == [".docx", ".md", ".pdf", ".xlsx"]
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(r[-5] == "yes" for r in rows), fonts  # the emb column, for every font
    assert any("CJK" in r[0] or "Song" in r[0] or "Hei" in r[0] or "Fang" in r[0] for r in rows), fonts
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "中共隆尧县委网络安全和信息化委员会办公室2020年部门预算信息公开情况说明" in flat
    assert "2020年，我部门机关运行经费共计安排8800.00元" in flat
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info and "2020" in next(line for line in info.splitlines() if line.startswith("CreationDate"))


def test_the_pdf_is_reproducible(with_pdf: Path, tmp_path: Path) -> None:
    pdf = (with_pdf / f"{NARRATIVE}.pdf").read_bytes()
    when = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    # Another run differs only in its time and the identifiers derived from it: put back, they are the same.
    other = re.sub(rb"/CreationDate\(D:\d{14}", b"/CreationDate(D:20261201114430", pdf)
    other = re.sub(rb"<[0-9A-F]{32}>", b"<3782C89C17C13E0CA32282569242FA0B>", other)
    assert other != pdf and render.reproducible(other, when) == pdf
    if os.environ.get("XLTOOLS_SLOW"):  # a second LibreOffice run (slow): byte-identical
        assert run_compile(str(EXAMPLE), "-o", str(tmp_path), "--pdf")[0] == 0
        assert (tmp_path / f"{NARRATIVE}.pdf").read_bytes() == pdf


def test_without_libreoffice_exit_5_and_nothing_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "soffice", lambda: None)
    out = tmp_path / "out"
    code, output = run_compile(str(EXAMPLE), "-o", str(out), "--pdf")
    assert code == 5
    assert "未找到 LibreOffice（soffice），无法生成 PDF" in output and "未生成任何文件" in output
    assert "Traceback" not in output and not out.exists()


def test_a_failed_conversion_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(sources: object, out_dir: object) -> list[Path]:
        raise render.RenderError("source file could not be loaded")

    monkeypatch.setattr(render, "soffice", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(render, "to_pdf", fail)
    out = tmp_path / "out"
    out.mkdir()
    code, output = run_compile(str(EXAMPLE), "-o", str(out), "--pdf")
    assert code == 5
    assert "LibreOffice 未能把情况说明转换为 PDF" in output and "source file could not be loaded" in output
    assert list(out.iterdir()) == []  # the .docx, .md and .xlsx were not left behind
