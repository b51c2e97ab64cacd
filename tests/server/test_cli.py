"""The commands as a bureau runs them, each in its own process: serve init (password from the
environment when there is no terminal), serve run (waitress on loopback), serve backup, serve demo, and
`xltools template --roster` without the server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.procs import alive, descendants

pytest.importorskip("django")
pytest.importorskip("waitress")

ROSTER = "单位编码,单位名称\n288002,中共隆尧县委网络安全和信息化委员会办公室\n101001,县财政局\n"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "XLTOOLS_DATABASE_URL"}
    env.update(extra)
    return env


def _xltools(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xltools", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _get(url: str, deadline: float) -> tuple[int, str, str]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode(), r.headers.get("Set-Cookie", "")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _initialised(tmp_path: Path) -> Path:
    """An intake folder made by `serve init` (the roster above)."""
    roster = tmp_path / "名单.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    home = tmp_path / "收件"
    init = ["serve", "init", str(home), "--roster", str(roster), "--edition", "hebei-county-2020", "--year", "2020"]
    assert _xltools(*init, XLTOOLS_ADMIN_PASSWORD="a-long-admin-secret").returncode == 0
    return home


def test_init_run_backup(tmp_path: Path) -> None:
    roster = tmp_path / "名单.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    home = tmp_path / "收件"
    init = ["serve", "init", str(home), "--roster", str(roster), "--edition", "hebei-county-2020", "--year", "2020"]
    r = _xltools(*init, "--deadline", "2020-03-31")
    assert r.returncode == 2 and "XLTOOLS_ADMIN_PASSWORD" in r.stderr  # no terminal, no password: refused
    assert not (home / "xltools-serve.json").exists()
    r = _xltools(*init, "--deadline", "2020-03-31", XLTOOLS_ADMIN_PASSWORD="a-long-admin-secret")
    assert r.returncode == 0, r.stderr
    assert "2 个部门" in r.stdout
    again = _xltools(*init, XLTOOLS_ADMIN_PASSWORD="a-long-admin-secret")
    assert again.returncode != 0 and "不会覆盖" in again.stderr

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xltools", "serve", "run", str(home), "--port", str(port)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status, body, cookie = _get(f"http://127.0.0.1:{port}/login/", time.monotonic() + 60)
        assert status == 200 and "登录" in body
        assert "Secure" in cookie and "HttpOnly" in cookie
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=5)
        except urllib.error.HTTPError as e:
            page = e.read().decode()
            assert e.code == 404 and "找不到" in page and "Traceback" not in page
        r = _xltools("serve", "backup", str(home), str(tmp_path / "备份"))  # while the server runs
        assert r.returncode == 0, r.stderr
    finally:
        proc.terminate()
        proc.wait(30)
    assert (tmp_path / "备份" / "db.sqlite3").exists()
    assert _xltools("serve", "backup", str(home), str(tmp_path / "备份")).returncode != 0


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_checking_processes_end_with_the_server(tmp_path: Path, how: str) -> None:
    """A service manager's stop ends the server cleanly (exit 0); a kill leaves no checking process behind."""
    home = _initialised(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xltools", "serve", "run", str(home), "--port", str(port)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _get(f"http://127.0.0.1:{port}/login/", time.monotonic() + 60)[0] == 200
        kids = descendants(proc.pid)
        assert len(kids) >= 2  # the two checking processes (and multiprocessing's resource tracker)
    finally:
        getattr(proc, how)()
        code = proc.wait(30)
    if how == "terminate":
        assert code == 0 and "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    deadline = time.monotonic() + 20
    while any(alive(p) for p in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in kids if alive(p)]


def test_a_port_in_use_or_an_address_not_here_is_said_plainly(tmp_path: Path) -> None:
    """The machine's state, for the bureau to change: exit 2 with the reason, not 内部错误 (exit 4), and no
    「已启动」 before it."""
    home = _initialised(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        r = _xltools("serve", "run", str(home), "--port", str(port))
    finally:
        taken.close()
    assert r.returncode == 2, r.stderr
    assert f"端口 {port} 已被占用" in r.stderr and "内部错误" not in r.stderr and "Traceback" not in r.stderr
    assert "已启动" not in r.stdout
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:  # the demo too: no address or accounts printed for a server that never started
        r = _xltools("serve", "demo", "--port", str(taken.getsockname()[1]))
    finally:
        taken.close()
    assert r.returncode == 2 and "已被占用" in r.stderr and "演示账户" not in r.stdout, (r.stdout, r.stderr)
    r = _xltools("serve", "run", str(home), "--host", "192.0.2.1", "--port", str(_free_port()))  # TEST-NET-1
    assert r.returncode == 2 and "本机没有地址 192.0.2.1" in r.stderr, r.stderr
    for command in (("run",), ("backup", str(tmp_path / "备份"))):  # a folder that is not there: in Chinese too
        r = _xltools("serve", command[0], str(tmp_path / "没有这个文件夹"), *command[1:])
        assert r.returncode == 2 and "不是 xltools 收件文件夹" in r.stderr, r.stderr
    assert not (tmp_path / "备份").exists()


def test_demo_prints_where_to_log_in(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xltools", "serve", "demo", "--port", str(port)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90
        while not any("演示账户" in x for x in lines):
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line and time.monotonic() < deadline, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in text and "admin /" in text and "reviewer /" in text
        status, body, _ = _get(f"http://127.0.0.1:{port}/login/", time.monotonic() + 60)
        assert status == 200
    finally:
        proc.terminate()
        proc.wait(30)


def test_template_per_roster_department_without_the_server(tmp_path: Path) -> None:
    from xltools.reader.read import read_workbook
    from xltools.server.prefill import submitted_unit

    roster = tmp_path / "名单.csv"
    roster.write_bytes(ROSTER.encode("gbk"))  # as Excel saves "CSV" on Chinese Windows
    r = _xltools("template", "--roster", str(roster), "-o", str(tmp_path / "模板"))
    assert r.returncode == 0, r.stderr
    made = sorted((tmp_path / "模板").iterdir())
    assert [p.name for p in made] == [
        "101001-县财政局-2020年部门预算填报模板.xlsx",
        "288002-中共隆尧县委网络安全和信息化委员会办公室-2020年部门预算填报模板.xlsx",
    ]
    book = read_workbook(made[0]).book
    assert submitted_unit(book) == ("101001", "县财政局")
    first = made[0].read_bytes()
    r = _xltools("template", "--roster", str(roster), "-o", str(tmp_path / "模板"))
    assert r.returncode != 0 and made[0].read_bytes() == first  # never over an existing file
