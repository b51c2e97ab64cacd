"""Documents for the audit tests, made from text: the reference disclosure as .docx (python-docx, its typed
tables as Word tables) and as PDF (LibreOffice, as a clerk would export it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

# The reference disclosure (a county department's published 情况说明, typed by hand with its real errors), bundled
# so that a clone anywhere runs the audit tests.
REFERENCE = Path(__file__).resolve().parent / "data" / "longyao-cac-2020-disclosure.txt"


def text_blocks(text: str) -> list[tuple[str, object]]:
    """('para', text) and ('table', rows) from the typed text: tab-indented lines are cells, blank lines end rows."""
    out: list[tuple[str, object]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("\t"):
            rows: list[list[str]] = [[]]
            while i < len(lines) and (lines[i].startswith("\t") or not lines[i].strip()):
                if lines[i].startswith("\t"):
                    rows[-1].append(lines[i].strip())
                elif rows[-1]:
                    rows.append([])
                if not lines[i].strip() and not lines[i].startswith("\t"):
                    j = i
                    while j < len(lines) and not lines[j].strip() and not lines[j].startswith("\t"):
                        j += 1
                    if j >= len(lines) or not lines[j].startswith("\t"):
                        i = j
                        break
                i += 1
            out.append(("table", [r for r in rows if r]))
            continue
        if lines[i].strip():
            out.append(("para", lines[i]))
        i += 1
    return out


def write_docx(text: str, path: Path) -> Path:
    import docx

    d = docx.Document()
    for kind, value in text_blocks(text):
        if kind == "para":
            d.add_paragraph(str(value))
        else:
            rows = value  # type: ignore[assignment]
            width = max(len(r) for r in rows)  # type: ignore[union-attr]
            t = d.add_table(rows=len(rows), cols=width)  # type: ignore[arg-type]
            for r_i, r in enumerate(rows):  # type: ignore[arg-type]
                for c_i, cell in enumerate(r):
                    t.cell(r_i, c_i).text = cell
    d.save(str(path))
    return path


def to_pdf(docx_path: Path, out_dir: Path, export: dict[str, object] | None = None) -> Path:
    """LibreOffice's PDF export of a document; `export` holds its filter options (security, for one)."""
    import json

    target = "pdf" if export is None else "pdf:writer_pdf_Export:" + json.dumps(export)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    profile = out_dir / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            str(docx_path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out_dir / (docx_path.stem + ".pdf")


@pytest.fixture(scope="session")
def reference_text() -> str:
    return REFERENCE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def reference_files(tmp_path_factory: pytest.TempPathFactory, reference_text: str) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("reference")
    txt = d / "reference.txt"
    txt.write_text(reference_text, encoding="utf-8")
    docx_path = write_docx(reference_text, d / "reference.docx")
    return {"txt": txt, "docx": docx_path, "dir": d}


@pytest.fixture(scope="session")
def reference_pdf(reference_files: dict[str, Path]) -> Path:
    return to_pdf(reference_files["docx"], reference_files["dir"])
