"""The .docx opens in LibreOffice without repair: a headless conversion to PDF succeeds and keeps the text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import Compiled

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: the PDF conversion check of the .docx cannot run here",
)
def test_docx_converts_to_pdf_headless(compiled: Compiled, tmp_path: Path) -> None:
    src = tmp_path / "narrative.docx"  # an ASCII name: the conversion is about the content
    shutil.copyfile(compiled.docx_path, src)
    profile = tmp_path / "lo-profile"  # own profile: parallel test workers must not share one
    res = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "narrative.pdf"
    assert res.returncode == 0, res.stderr
    assert pdf.is_file(), res.stdout + res.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        assert "一、部门职责及机构设置情况" in text
        assert "288-0204-JXN-KZLZ" in text
        assert "477884.00" in text
