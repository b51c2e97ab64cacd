"""The command line: exit codes, JSON report shape, help for every command, light imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from xltools.cli import COMMANDS, cli

from .conftest import AS_PUBLISHED, EXAMPLE


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output


def test_validate_exit_codes(tmp_path: Path) -> None:
    assert run("validate", str(EXAMPLE))[0] == 0
    code, out = run("validate", str(AS_PUBLISHED))
    assert code == 1 and "资产占用" in out and "B6" in out and "怎么改" in out
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a workbook")
    code, out = run("validate", str(bad), str(EXAMPLE))
    assert code == 3 and "不是 .xlsx 工作簿" in out and "Traceback" not in out
    assert run("validate")[0] == 2
    assert run("validate", "--format", "yaml", str(EXAMPLE))[0] == 2


def test_validate_json_report() -> None:
    code, out = run("validate", "--format", "json", str(AS_PUBLISHED), str(EXAMPLE))
    assert code == 1
    doc = json.loads(out)
    assert doc["schema"] == "xltools-validate-report" and doc["version"] == 1
    first, second = doc["files"]
    assert first["valid"] is False and second["valid"] is True
    f = first["findings"][0]
    assert {"rule", "severity", "sheet", "cell", "message", "hint"} <= set(f)
    assert (f["rule"], f["severity"], f["sheet"], f["cell"]) == ("table.not-exceed", "error", "资产占用", "B6")
    # 0.00 is the other side of the relation, not what B6 should hold: no "expected" (the report's 应为)
    assert f["actual"] == "37.70" and "expected" not in f
    diag = first["diagnosis"]
    assert diag["size"] == 1 and diag["checks"] == ["assets.office-area"]
    assert [(c["cells"][0]["cell"], c["cells"][0]["value"]) for c in diag["candidates"]] == [("B5", None), ("B6", None)]
    assert second["diagnosis"] == {"violated": 0, "checks": [], "size": 0, "candidates": []}


def test_template_command(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert run("template", "-o", str(out))[0] == 0 and out.stat().st_size > 10000
    code, msg = run("template", "-o", str(out))
    assert code == 2 and "已存在" in msg  # never overwrite without --force
    assert run("template", "-o", str(out), "--force")[0] == 0
    assert run("template", "--edition", "nope", "-o", str(tmp_path / "n.xlsx"))[0] == 2


def test_editions_and_rules() -> None:
    code, out = run("editions")
    assert code == 0 and "hebei-county-2020" in out
    code, out = run("rules")
    assert code == 0 and "table.sum-of-parts" in out


def test_every_command_has_help() -> None:
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        code, out = run(name, "--help")
        assert code == 0 and "Usage" in out, name
    assert set(cli.list_commands(None)) <= set(COMMANDS)  # type: ignore[arg-type]


def test_cli_import_is_light() -> None:
    """`xltools --help` must not pay for pandas, pandera, openpyxl or xlsxwriter."""
    code = (
        "import sys, xltools.cli; heavy = [m for m in ('pandas', 'pandera', 'openpyxl', 'xlsxwriter', 'docx') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_validate_does_not_import_pandas() -> None:
    code = (
        "import sys; from xltools.validate import validate_file; validate_file(sys.argv[1]); "
        "print([m for m in ('pandas', 'pandera', 'openpyxl') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_module_entry_point_never_tracebacks(tmp_path: Path) -> None:
    bad = tmp_path / "b.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    r = subprocess.run([sys.executable, "-m", "xltools", "validate", str(bad)], capture_output=True, text=True)
    assert r.returncode == 3 and "Traceback" not in r.stdout + r.stderr
