"""`xltools merge` on the command line: exit codes, the one-line summary, no progress bar off a terminal."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from xltools.cli import cli

from .conftest import County


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), env=env)
    return r.exit_code, r.stdout, r.stderr


def test_exit_codes_and_summary(county: County, tmp_path: Path) -> None:
    out = tmp_path / "o.xlsx"
    code, stdout, stderr = run(
        "merge", str(county.folder), "-o", str(out), "--roster", str(county.roster), "--jobs", "2", env={"CI": "1"}
    )
    assert code == 0, stderr
    assert stdout.strip() == "29 个已纳入，1 个有错误，1 个无法读取，2 个重复，2 个未报送"
    assert "检查中" not in stderr and "Traceback" not in stderr  # no progress bar when not on a terminal
    code, _, stderr = run("merge", str(county.folder), "-o", str(out))
    assert code == 2 and "已存在" in stderr and "--force" in stderr
    assert run("merge", str(county.folder), "-o", str(out), "--force", "--jobs", "1")[0] == 0
    assert run("merge", str(county.folder))[0] == 2  # -o is required
    assert run("merge", str(county.folder), "-o", str(tmp_path / "x.xlsx"), "--jobs", "0")[0] == 2
    code, _, stderr = run(
        "merge", str(county.folder), "-o", str(tmp_path / "y.xlsx"), "--roster", str(tmp_path / "missing.csv")
    )
    assert code == 2 and "名单" in stderr


def test_nothing_included_exits_1(county: County, tmp_path: Path) -> None:
    code, stdout, _ = run(
        "merge", str(county.folder / "corrupt.xlsx"), str(county.folder / "errors.xlsx"), "-o", str(tmp_path / "o.xlsx")
    )
    assert code == 1 and stdout.startswith("0 个已纳入，1 个有错误，1 个无法读取")
    assert (tmp_path / "o.xlsx").exists()  # the 校验结果 still tells the bureau why
