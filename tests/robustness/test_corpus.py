"""Every kind of broken or hostile input: the exact findings (validate_file), a clear Chinese message naming
the file, sheet and cell (the text report through the CLI), the right exit code, no traceback, and bounded
CPU time and memory (the real CLI in a child process under RLIMIT_AS)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools.cli import cli
from xltools.edition import load_edition
from xltools.validate import validate_file

from . import corpus
from .expected import EXPECTED
from .harness import CPU_LIMIT_S, MEMORY_LIMIT_MB, can_drop_dac, is_root, run_cli, run_probe

KIND_IDS = sorted(corpus.KINDS)
# Input paths are declared click.Path(readable=False), so an unreadable file reaches the reader and gets
# read.permission (exit 3) in Chinese rather than click's English usage error (exit 2).
CLI_KINDS = KIND_IDS
_built: dict[str, Path] = {}


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for all xdist workers of this run (the base temp's parent is shared between them)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return shared / "robustness-corpus"


def built(kid: str, folder: Path) -> Path:
    """Each kind is made once per run (the big ones take a second): made in a private folder, then moved
    into the shared one atomically, so a worker never sees a half-written file."""
    if kid not in _built:
        k = corpus.KINDS[kid]
        done = folder / f".{kid}.done"
        if not done.exists() or not k.big:
            import tempfile

            folder.mkdir(parents=True, exist_ok=True)
            if k.big:
                with tempfile.TemporaryDirectory(dir=folder) as d:
                    made = corpus.build(kid, Path(d))
                    os.replace(made, folder / made.name)
                done.write_text(made.name, encoding="utf-8")
            else:
                private = folder / f"w-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
                _built[kid] = corpus.build(kid, private)
                return _built[kid]
        _built[kid] = folder / done.read_text(encoding="utf-8")
    return _built[kid]


def _edition_args(kid: str) -> list[str]:
    ed = corpus.KINDS[kid].edition
    return ["--edition", ed] if ed else []


def _deny_access(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads a chmod-000 file anyway: make the permission check see what a clerk's account sees."""
    import xltools.reader.open as opener

    monkeypatch.setattr(opener.os, "access", lambda *a, **k: False)


def test_at_least_forty_kinds() -> None:
    assert len(KIND_IDS) - 1 >= 40  # "valid" is the control


@pytest.mark.parametrize("kid", KIND_IDS)
def test_findings(kid: str, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = built(kid, corpus_dir)
    if kid == "no-permission" and is_root():
        _deny_access(monkeypatch)
    ed = corpus.KINDS[kid].edition
    report = validate_file(path, load_edition(ed) if ed else None)
    want = EXPECTED[kid]
    assert {(f.rule, f.sheet, f.cell) for f in report.errors} == set(want.errors)
    assert set(want.warnings) <= {(f.rule, f.sheet, f.cell) for f in report.warnings}
    assert report.unreadable == (want.exit == 3)
    for f in report.findings:
        assert f.message and f.hint and "{" not in f.message + f.hint, f.rule
        if not f.sheet:  # a finding about the file names it
            assert path.name in f.message
        assert len(f.message) < 600, f.rule  # a hostile cell is quoted, not pasted back whole


@pytest.mark.parametrize("kid", CLI_KINDS)
def test_text_report_names_file_sheet_and_cell(kid: str, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = built(kid, corpus_dir)
    if kid == "no-permission" and is_root():
        _deny_access(monkeypatch)
    result = CliRunner().invoke(cli, ["validate", str(path), *_edition_args(kid)])
    want = EXPECTED[kid]
    assert result.exit_code == want.exit, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    out = result.output
    assert "Traceback" not in out and path.name in out
    for _rule, sheet, cell in want.errors:
        if sheet:
            assert f"【{sheet}】" in out
        if cell:
            assert cell in out
    head = out.splitlines()[0]
    assert ("：未通过" in head) == (want.exit == 1) and ("：无法读取" in head) == (want.exit == 3)


CHUNKS = 4  # the corpus in a few child processes, so xdist can spread them


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_cli_in_a_child_process_is_bounded(chunk: int, corpus_dir: Path) -> None:
    """The CLI on every kind inside a child process under a 500 MB address-space limit (one start-up per
    chunk): exit code, JSON findings, nothing on stderr, CPU time < 5 s each and peak memory < 500 MB.
    A zip bomb or a grid that got through would abort the child or exceed the limits here. As root, the
    child runs without the capability that lets root read a chmod-000 file (setpriv), as a clerk would."""
    kinds = KIND_IDS[chunk::CHUNKS]
    drop = is_root() and can_drop_dac()
    jobs = [(str(built(k, corpus_dir)), _edition_args(k)) for k in kinds]
    problems = []
    for kid, run in zip(kinds, run_probe(jobs, drop_dac=drop), strict=True):
        want = EXPECTED[kid]
        if kid == "no-permission" and not drop:
            continue  # root without setpriv reads the file: covered in-process by a mock
        got = (run["exit"], run["stderr"])
        if got != (want.exit, "") or "Traceback" in str(run["stdout"]):
            problems.append(f"{kid}: exit {run['exit']} (want {want.exit}) stderr {str(run['stderr'])[:300]}")
            continue
        if float(run["cpu_s"]) >= CPU_LIMIT_S or float(run["maxrss_mb"]) >= MEMORY_LIMIT_MB:  # type: ignore[arg-type]
            problems.append(f"{kid}: {float(run['cpu_s']):.2f} s CPU, {float(run['maxrss_mb']):.0f} MB")  # type: ignore[arg-type]
        (file,) = json.loads(str(run["stdout"]))["files"]
        errors = {(f["rule"], f["sheet"], f["cell"]) for f in file["findings"] if f["severity"] == "error"}
        if errors != set(want.errors):
            problems.append(f"{kid}: errors {sorted(errors)} != {sorted(want.errors)}")
    assert not problems, "\n".join(problems)


SAMPLE = [
    "valid",
    "zip-bomb",
    "far-away-cell",
    "xxe-sheet",
    "truncated-zip",
    "text-in-number",
    "directory",
    "formula-pasted-wrong",
]


@pytest.mark.parametrize("kid", SAMPLE)
def test_real_executable(kid: str, corpus_dir: Path) -> None:
    """A sample through a fresh `python -m xltools` process each (text output): the real entry point."""
    path = built(kid, corpus_dir)
    run = run_cli(["validate", str(path), *_edition_args(kid)])
    want = EXPECTED[kid]
    assert not run.timed_out and run.exit == want.exit and run.stderr == ""
    assert path.name in run.stdout and "Traceback" not in run.stdout
    assert run.cpu_s < CPU_LIMIT_S and run.maxrss_mb < MEMORY_LIMIT_MB


def test_permission_without_mock(tmp_path: Path) -> None:
    """The unmocked path: as a normal user a chmod-000 file cannot be opened (skipped for root, which
    bypasses permissions; the child-process test above covers root by dropping that override)."""
    if is_root():
        pytest.skip("root bypasses file permissions; covered by the CLI run without CAP_DAC_OVERRIDE")
    path = corpus.build("no-permission", tmp_path)
    report = validate_file(path)
    assert [(f.rule, f.sheet) for f in report.findings] == [("read.permission", "")]
    os.chmod(path, 0o600)
