"""Acceptance: the reference disclosure, as typed (.txt), as Word and as PDF, gives its known errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltools.audit import audit_path
from xltools.edition import load_edition
from xltools.validate import validate_file

ROOT = Path(__file__).resolve().parents[2]
ED = load_edition("hebei-county-2020")


def _rules(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def _check_reference(report) -> None:
    assert not report.unreadable
    rules = _rules(report)
    two = rules["audit.figure-two-values"]
    assert len(two) == 1 and two[0].sheet == "七、国有资产信息" and "15.33万元" in two[0].params["sentence"]
    assert two[0].params["other_value"] == "0万元" and two[0].severity == "error"
    table = [f for f in rules["audit.table-identity"] if f.check == "assets.office-area"]
    assert len(table) == 1 and table[0].sheet == "七、国有资产信息" and "37.70" in table[0].message
    mixed = [f for f in rules["audit.unit-mixed"] if f.sheet.endswith("1、收入说明")]
    assert len(mixed) == 1 and mixed[0].severity == "warning" and "〖0万元〗" in mixed[0].params["sentence"]
    reason = rules["audit.reason-no-prior"]
    assert len(reason) == 1 and reason[0].sheet.startswith("四、") and "较上年减少" in reason[0].params["sentence"]
    # Its correct sums pass: 收入, 基本 = 人员 + 公用, 项目 = the five items, 三公 = its items.
    assert "audit.parts-sum" not in rules and "audit.parts-exceed" not in rules


def test_reference_txt(reference_files) -> None:
    r = audit_path(reference_files["txt"], ED)
    _check_reference(r)
    assert r.whole and all(f.cell.startswith("第") for f in r.findings if f.sheet)


def test_reference_docx(reference_files) -> None:
    _check_reference(audit_path(reference_files["docx"], ED))


def test_reference_pdf(reference_pdf) -> None:
    r = audit_path(reference_pdf, ED)
    _check_reference(r)
    assert r.kind == "pdf" and all("页" in f.cell for f in r.findings if f.cell)


def test_reference_against_as_published_workbook(reference_files) -> None:
    wb = validate_file(ROOT / "examples" / "longyao-cac-2020.as-published.xlsx")
    r = audit_path(reference_files["txt"], ED, wb.book, workbook_findings=wb.findings)
    opex = [
        f for f in r.findings if f.check == "cross.opex-public" or ("8800.00" in f.message and "31000.00" in f.message)
    ]
    assert len(opex) == 1 and opex[0].severity == "warning"
    mism = [f for f in r.findings if f.rule == "audit.workbook-mismatch"]
    assert [f.params["figure"] for f in mism] == ["资产总额"]  # every other stated amount equals the workbook
    assert not [f for f in r.findings if f.rule in ("audit.parts-sum", "audit.yoy-delta", "audit.yoy-percent")]


@pytest.mark.parametrize("kind", ["txt", "docx"])
def test_cli_exit_code_and_json(reference_files, kind, capsys) -> None:
    import json

    from xltools.cli import main

    with pytest.raises(SystemExit) as e:
        main(["audit", str(reference_files[kind]), "--format", "json"])
    assert e.value.code == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "xltools-audit-report"
    f = next(f for f in doc["files"][0]["findings"] if f["rule"] == "audit.figure-two-values")
    assert f["section"] == "七、国有资产信息" and f["paragraph"] > 0 and "〖15.33万元〗" in f["sentence"]


def test_html_report_marks_the_number_and_is_deterministic(reference_files, tmp_path) -> None:
    from xltools.cli import main

    outs = []
    for name in ("a.html", "b.html"):
        with pytest.raises(SystemExit) as e:
            main(["audit", str(reference_files["txt"]), "--html", str(tmp_path / name)])
        assert e.value.code == 1
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    page = outs[0].decode("utf-8")
    assert "<mark>15.33万元</mark>" in page and "<script" not in page
