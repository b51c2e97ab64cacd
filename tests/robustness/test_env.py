"""Every scenario of the environment's corpus (corpus_env.py): the exit code, a Chinese message naming the
path and the cause, inputs byte-identical, a set of outputs whole or absent, no temporary file left, never a
traceback (nor "Exception ignored in ZipFile.__del__")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .corpus_env import SCENARIOS, Scenario, Setup, fragment, sha
from .harness import can_drop_dac, is_root, run_cli

IDS = sorted(SCENARIOS)


def _mount(point: Path, options: str) -> None:
    if not is_root():
        pytest.skip("mounting a small tmpfs needs root; the fault scenarios run in CI as root")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs: {proc.stderr.strip()[:200]}")


def _unmount(point: Path) -> None:
    subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def _in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from xltools.cli import main

    handler, hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        signal.signal(signal.SIGINT, handler)
        sys.unraisablehook = hook
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _exists(p: Path) -> bool:
    try:
        return os.path.lexists(p)
    except OSError:  # a name too long to exist
        return False


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _interrupted(args: list[str]) -> tuple[int, str, str]:
    """The real executable, Ctrl-C sent to its whole process group (as a terminal does) once workers run."""
    # A terminal starts a command with Ctrl-C at its default; an ignored one would be inherited (and rightly
    # kept by xltools, as by any program started in the background). Say so if an earlier test left it ignored.
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN, "an earlier test left SIGINT ignored"
    env = dict(os.environ)
    env.pop("XLTOOLS_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "xltools", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not _children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    # Mid-run, as a person presses it: not in the instant a worker is forked, before it has set up its signals.
    time.sleep(0.3)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def _run(sc: Scenario, s: Setup, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    if s.sigint_after_workers:
        return _interrupted(s.args)
    if sc.mode == "child":
        drop = sc.needs == "drop_dac" and is_root()
        run = run_cli(s.args, drop_dac=drop, memory_mb=sc.memory_mb, timeout=60)
        assert not run.timed_out, f"{sc.id}: hung"
        assert run.maxrss_mb < sc.memory_mb
        return run.exit, run.stdout, run.stderr
    return _in_process(s.args, capsys)


@pytest.mark.parametrize("sid", IDS)
def test_scenario(
    sid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = SCENARIOS[sid]
    if sc.needs == "drop_dac" and is_root() and not can_drop_dac():
        pytest.skip("root ignores file permissions and setpriv is missing to drop that")
    s = sc.make(tmp_path)
    for p in s.keep:
        if p.exists():
            s.digests[p] = sha(p)
    if s.tmpfs is not None:
        _mount(*s.tmpfs)
    try:
        if sc.inject is not None:
            sc.inject(monkeypatch, s)
        code, out, err = _run(sc, s, capsys)
        said = out + err
        assert code == sc.exit, f"{sid}: exit {code}, want {sc.exit}\n{said[-2000:]}"
        assert "Traceback" not in said and "Exception ignored" not in said, said[-2000:]
        for key in sc.says:
            assert fragment(key) in err, f"{sid}: {fragment(key)!r} not in {err!r}"
        for name in s.names:
            assert name in err, f"{sid}: {name!r} not named in {err!r}"
        for p, digest in s.digests.items():
            assert sha(p) == digest, f"{sid}: {p} changed"
        for p in s.absent:
            assert not _exists(p), f"{sid}: {p} was written"
        for p in s.present:
            assert p.exists(), f"{sid}: {p} missing"
        for folder in s.clean:
            assert not [q.name for q in folder.rglob(".xltools-*")], f"{sid}: temporary files left in {folder}"
        if s.check is not None:
            s.check(s)
    finally:
        if s.tmpfs is not None:
            _unmount(s.tmpfs[0])
        for p in tmp_path.rglob("*"):  # the permission scenario leaves a read-only folder: let pytest clean it
            if p.is_dir() and not p.is_symlink():
                os.chmod(p, 0o755)


def test_every_scenario_has_a_title_and_an_exit_code() -> None:
    assert len(SCENARIOS) >= 25
    for sc in SCENARIOS.values():
        assert sc.title and sc.exit in (0, 1, 2, 3, 5, 130), sc.id


def test_constant_formula_is_recomputed_never_its_cached_value(tmp_path: Path) -> None:
    """=477000+884 with a cached 0: one notice at the cell and the recomputed amount (the cache is never read)."""
    from decimal import Decimal

    from xltools.validate import validate_file

    from . import corpus

    report = validate_file(corpus.build("formula-constant", tmp_path))
    sheet, a1 = corpus.where("t02", "r0", "general")
    notices = [(f.rule, f.sheet, f.cell) for f in report.findings if f.severity == "notice"]
    assert notices == [("cell.formula-constant", sheet, a1)] and not report.errors
    assert report.book is not None and report.book.amount("t02", "r0", "general") == Decimal("477884")


def test_sub_fen_amount_is_one_finding_and_no_difference_of_zero(tmp_path: Path) -> None:
    """0.001 元: one warning at the cell, and no total reports a difference that prints as 0.00."""
    from xltools.validate import validate_file

    from . import corpus

    report = validate_file(corpus.build("sub-fen-amount", tmp_path))
    sheet, a1 = corpus.where("t02", "r0", "general")
    assert [(f.rule, f.cell) for f in report.findings if f.sheet == sheet and f.cell == a1] == [
        ("cell.excess-precision", a1)
    ]
    import re

    zero = re.compile(r"相差 -?0\.00(?![0-9])")
    assert not report.errors and not any(zero.search(f.message) for f in report.findings)
