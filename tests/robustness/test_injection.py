"""Formula injection: text a clerk typed that begins with =, +, - or @ is written as text, never as a formula,
in every output the tool writes (filled template, publication tables, annotated copy, merged workbook and
CSV export); in HTML it is escaped. Outputs whose module is not there yet are skipped with the reason."""

from __future__ import annotations

import csv
import importlib.util
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from xltools.template.write import write_template
from xltools.validate import validate_file

from . import corpus

MARK = "XLINJ"
PAYLOADS = [
    f"={MARK}()+1",
    f"+{MARK}",
    f"-{MARK}+1",
    f"@{MARK}",
    f'=HYPERLINK("http://evil.example","{MARK}")',
    f"=cmd|' /C calc {MARK}'!A0",
]
HTML_PAYLOAD = f"<script>alert('{MARK}')</script><img src=x onerror=alert(1)>"


def needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not in this tree yet: its output cannot be checked")


def injected(html: bool = False) -> dict[str, Any]:
    """The bundled example with a payload in every kind of free-text cell, and one typed in a 金额 cell
    (its finding quotes it back, so the payload also reaches every report of findings)."""
    data = corpus.example_data()
    p = iter(PAYLOADS * 4)
    data["cover"]["name"]["value"] = next(p) + ("" if not html else HTML_PAYLOAD)
    data.setdefault("org", []).insert(0, {"name": next(p), "nature": "行政", "grade": "股级", "funding": "财政拨款"})
    for proj in data.get("proj", []):
        proj["name"], proj["purpose"], proj["target"] = next(p), next(p), next(p)
    for ind in data.get("ind", [])[:3]:
        ind["level3"], ind["description"], ind["basis"] = next(p), next(p), next(p)
    for key in ("duties", "change_reason"):
        data.setdefault("text", {})[key] = {"text": next(p) + (HTML_PAYLOAD if html else "")}
    data["t02"].append({"code": "2013601", "special": f"={MARK}()"})  # text in a number cell: a finding quotes it
    return data


def formulas_of(xlsx: Path) -> list[str]:
    """The text of every formula in every sheet, and whether the mark is anywhere in the package's text."""
    out = []
    with zipfile.ZipFile(xlsx) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                out += [m.decode("utf-8", "replace") for m in re.findall(rb"<f\b[^>]*>(.*?)</f>", zf.read(name), re.S)]
    return out


def text_of(xlsx: Path) -> str:
    with zipfile.ZipFile(xlsx) as zf:
        return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml"))


def assert_text_not_formula(xlsx: Path, expect_mark: bool = True) -> None:
    formulas = formulas_of(xlsx)
    assert not [f for f in formulas if MARK in f], f"{xlsx.name}: a typed text became a formula"
    if expect_mark:
        assert MARK in text_of(xlsx), f"{xlsx.name}: the payload is not in the output at all (test is void)"


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inj") / "injected.xlsx"
    write_template(corpus.edition(), path, injected())
    return path


def test_template_writer_writes_payloads_as_text(filled: Path) -> None:
    assert_text_not_formula(filled)


def test_reader_reads_payloads_back_as_text(filled: Path) -> None:
    report = validate_file(filled)
    book = report.book
    assert book is not None
    assert book.text("cover", "name", "value") == PAYLOADS[0]
    assert ("cell.not-a-number", f"={MARK}()") in {(f.rule, f.params.get("raw")) for f in report.findings}


def test_publication_tables(filled: Path, tmp_path: Path) -> None:
    needs("xltools.publish")
    from xltools.publish import compile_book

    book = validate_file(filled).book
    assert book is not None
    result = compile_book(book, tmp_path / "out")
    assert_text_not_formula(result.tables)
    with zipfile.ZipFile(result.docx) as zf:  # Word fields (DDE) are the docx form of the same attack
        doc = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml"))
    fields = re.findall(r"<w:instrText[^>]*>(.*?)</w:instrText>|<w:fldSimple [^>]*w:instr=\"([^\"]*)\"", doc)
    assert not [f for f in fields if MARK in "".join(f)]


def test_annotated_copy(filled: Path, tmp_path: Path) -> None:
    needs("xltools.report.annotate")
    from xltools.report.annotate import annotate_report

    report = validate_file(filled)
    out = tmp_path / "injected.检查结果.xlsx"
    annotate_report(report, out)
    assert_text_not_formula(out)


def test_html_report_escapes(tmp_path: Path) -> None:
    needs("xltools.report.html")
    from xltools.report.html import write_html

    path = tmp_path / "html.xlsx"
    write_template(corpus.edition(), path, injected(html=True))
    out = write_html(validate_file(path), tmp_path / "report.html")
    page = out.read_text(encoding="utf-8")
    assert f"<script>alert('{MARK}')" not in page and "<img src=x onerror" not in page
    assert MARK in page  # shown, escaped


def test_merged_workbook_and_csv(filled: Path, tmp_path: Path) -> None:
    needs("xltools.merge.merge")
    from xltools.merge.merge import merge

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(filled.read_bytes())
    clean = corpus.example_data()
    clean["cover"]["name"]["value"] = f"+{MARK}单位"  # a valid input, so its figures reach the stacked tables
    clean["cover"]["code"]["value"] = "288003"
    write_template(corpus.edition(), folder / "b.xlsx", clean)
    out = tmp_path / "汇总.xlsx"
    result = merge([folder], out, export_dir=tmp_path / "export", jobs=1)
    assert len(result.inputs) == 2
    assert_text_not_formula(out)
    seen = 0
    for csv_path in (tmp_path / "export").glob("*.csv"):
        with csv_path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for field in row:
                    assert not (MARK in field and field[:1] in "=+-@"), f"{csv_path.name}: {field!r}"
                    seen += MARK in field
    assert seen, "the payload never reached the CSV export (test is void)"
