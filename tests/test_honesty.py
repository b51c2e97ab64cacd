"""What the tree says is what the code does: the 栏次 row and the stamp's fingerprint."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner

from xltools.cli import cli
from xltools.edition import load_edition
from xltools.edition.layout import table_layout
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file

from .conftest import EXAMPLE
from .robustness.corpus import restamp


def test_template_and_publication_tables_number_the_栏次_row_alike(tmp_path: Path) -> None:
    """One layout computation (TableLayout.column_numbers_row) numbers every column 1, 2, … in both."""
    ed = load_edition("hebei-county-yth", 2021)
    path = tmp_path / "部门.xlsx"
    write_template(ed, path, department(ed, 0))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["compile", str(path), "-o", str(out), "--allow-placeholders"])
    assert res.exit_code == 0, res.output
    published = openpyxl.load_workbook(next(p for p in out.glob("*.xlsx")))
    template = openpyxl.load_workbook(path)
    numbered = [t for t in ed.tables if table_layout(ed, t.id).column_numbers]
    assert numbered
    for t in numbered:
        lay = table_layout(ed, t.id)
        row = lay.data_start - 1
        want = ["栏次", *range(1, len(t.columns) + 1)]
        cells = range(1, lay.n_cols + 1)
        assert [template[t.sheet].cell(row, c).value for c in cells] == want, t.id
        if t.sheet in published.sheetnames:
            assert [published[t.sheet].cell(row, c).value for c in cells] == want, t.id


def test_the_fingerprint_records_provenance_and_does_not_gate_acceptance(tmp_path: Path) -> None:
    """A template is accepted by its edition's version (accepted_versions); the stamp's fingerprint only
    records which edition files made it, so editing a code list or the wording issues no new template."""
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(restamp(EXAMPLE.read_bytes(), fingerprint="0000000000000000"))
    before, after = validate_file(EXAMPLE), validate_file(changed)
    assert not after.unreadable
    assert [(f.rule, f.sheet, f.cell) for f in after.findings] == [(f.rule, f.sheet, f.cell) for f in before.findings]


def test_no_run_time_module_imports_openpyxl() -> None:
    """openpyxl is a test extra (tests and bench/ read outputs back with it): xltools itself never imports it."""
    import ast

    from .conftest import ROOT

    found = []
    for py in (ROOT / "xltools").rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "openpyxl" for n in names):
                found.append(py.relative_to(ROOT).as_posix())
    assert not found, found
