"""The three journeys of issue 15 in a real browser: Playwright driving Debian's chromium against the real
WSGI server (waitress) on a loopback port. Screenshots of every page go to $XLTOOLS_SCREENSHOTS when set."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXAMPLE, EXAMPLE_CODE, PASSWORD, make_user, reset, with_warning

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or shutil.which("chromium") is None,
    reason="chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)",
)
sync_api = pytest.importorskip("playwright.sync_api")
# Playwright's sync API runs an event loop in this thread; the test's own database reads are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def server(intake: Path) -> Iterator[str]:
    from django.core.wsgi import get_wsgi_application
    from waitress.server import create_server

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = create_server(get_wsgi_application(), host="127.0.0.1", port=port, threads=4)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{port}"
    srv.close()


@pytest.fixture(scope="module")
def browser(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("XLTOOLS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def login(browser: Any, server: str, username: str) -> Any:
    ctx = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def upload_and_wait(page: Any, path: Path) -> None:
    page.set_input_files("#upload-file", str(path))
    page.click("#upload-button")
    page.wait_for_selector("#summary, #failed, #refusal", timeout=60_000)


def test_three_journeys(server: str, browser: Any, tmp_path: Path) -> None:
    from xltools.server.models import CONFIRMED, RETURNED, SUBMITTED, Department

    reset(EXAMPLE_CODE)
    make_user("clerk-e2e", "clerk", EXAMPLE_CODE)
    make_user("reviewer-e2e", "reviewer")

    # 1. The clerk: log in, download the template, upload a broken workbook, see the findings, fix, submit.
    clerk = login(browser, server, "clerk-e2e")
    assert clerk.url.endswith(f"/d/{EXAMPLE_CODE}/")
    shot(clerk, "1-clerk-department")
    with clerk.expect_download() as dl:
        clerk.click("#download-template")
    template = tmp_path / "template.xlsx"
    dl.value.save_as(template)
    from xltools.reader.read import read_workbook
    from xltools.server.prefill import submitted_unit

    assert submitted_unit(read_workbook(template).book) == (
        EXAMPLE_CODE,
        Department.objects.get(code=EXAMPLE_CODE).name,
    )

    not_a_workbook = tmp_path / "预算表.xlsx"
    not_a_workbook.write_text("单位编码,金额\n288002,100\n", encoding="gbk")  # a CSV renamed to .xlsx
    upload_and_wait(clerk, not_a_workbook)
    assert "文件被拒绝，没有保存" in clerk.inner_text("#refusal") and "预算表.xlsx" in clerk.inner_text("#refusal")
    shot(clerk, "1b-clerk-refused")
    # The as-published error, with a warning (a 科目名称) that the correction leaves.
    upload_and_wait(clerk, with_warning(tmp_path, broken=True))
    assert clerk.get_attribute("#summary", "data-errors") == "1"
    row = clerk.locator("#findings tr[data-severity=error]")
    assert row.count() == 1 and "B6" in row.inner_text() and "资产占用" in row.inner_text()
    frame = clerk.frame_locator("iframe.report")
    assert frame.locator("#banner").get_attribute("data-state") == "fail"
    shot(clerk, "2-clerk-broken-report")
    clerk.click(f"text=← {Department.objects.get(code=EXAMPLE_CODE).name}")
    upload_and_wait(clerk, with_warning(tmp_path))
    assert clerk.get_attribute("#summary", "data-errors") == "0"
    # fixed: the error and the diagnosis's two notices naming 资产占用 B5 and B6; the warning remains
    assert "已修复 3 / 新增 0 / 剩余 1" in clerk.inner_text("#progress")
    shot(clerk, "3-clerk-fixed-report")
    # The narrative and the publication tables of the fixed version, made on the page.
    clerk.click("#publish-button")
    clerk.wait_for_load_state()
    with clerk.expect_download() as dl:
        clerk.click("#narrative-link")
    assert dl.value.suggested_filename.endswith("情况说明.docx")
    narrative = tmp_path / "情况说明.docx"
    dl.value.save_as(narrative)
    assert narrative.read_bytes()[:2] == b"PK"
    shot(clerk, "3b-clerk-publication")
    clerk.click("#submit-button")
    clerk.wait_for_load_state()
    assert Department.objects.get(code=EXAMPLE_CODE).state == SUBMITTED
    shot(clerk, "4-clerk-submitted")

    # 2. The reviewer returns it with a reason, then confirms the next submission.
    reviewer = login(browser, server, "reviewer-e2e")
    assert reviewer.url.endswith("/board/")
    shot(reviewer, "5-reviewer-board")
    reviewer.click(f"#board tr[data-code='{EXAMPLE_CODE}'] a >> nth=0")
    reviewer.fill("#return-reason", "三公经费增减原因没有写，请补充后再报送。")
    reviewer.click("#return-button")
    reviewer.wait_for_load_state()
    assert Department.objects.get(code=EXAMPLE_CODE).state == RETURNED
    shot(reviewer, "6-reviewer-returned")

    clerk.goto(f"{server}/d/{EXAMPLE_CODE}/")
    assert "三公经费增减原因没有写" in clerk.inner_text("#reviews")
    shot(clerk, "7-clerk-sees-return")
    upload_and_wait(clerk, EXAMPLE)
    clerk.click("#submit-button")
    clerk.wait_for_load_state()
    reviewer.goto(f"{server}/d/{EXAMPLE_CODE}/")
    reviewer.click("#confirm-button")
    reviewer.wait_for_load_state()
    assert Department.objects.get(code=EXAMPLE_CODE).state == CONFIRMED

    # 3. The administrator downloads the merged workbook; it is what `xltools merge` makes of the same files.
    admin = login(browser, server, "admin")
    admin.goto(f"{server}/board/")
    shot(admin, "8-admin-board")
    with admin.expect_download() as dl:
        admin.click("#merged-link")
    merged = tmp_path / "merged.xlsx"
    dl.value.save_as(merged)
    expected = _merge_cli(tmp_path)
    assert _sheets(merged) == _sheets(expected)
    admin.goto(f"{server}/audit/")
    shot(admin, "9-admin-audit")
    admin.goto(f"{server}/accounts/")
    shot(admin, "10-admin-accounts")


def _merge_cli(tmp: Path) -> Path:
    """`xltools merge --roster` over the confirmed versions' files, as the bureau would run it by hand."""
    from click.testing import CliRunner

    from xltools.cli import cli
    from xltools.server import storage
    from xltools.server.models import CONFIRMED, Department

    inputs = tmp / "inputs"
    inputs.mkdir()
    lines = ["单位编码,单位名称"]
    for d in Department.objects.all():
        lines.append(f"{d.code},{d.name}")
        if d.state == CONFIRMED:
            shutil.copyfile(storage.blob_path(d.submitted_version.sha256), inputs / f"{d.code}.xlsx")
    (tmp / "roster.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp / "cli.xlsx"
    r = CliRunner().invoke(
        cli, ["merge", str(inputs), "-o", str(out), "--roster", str(tmp / "roster.csv"), "--jobs", "1"]
    )
    assert r.exit_code == 0, r.output
    return out


def _sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's values, without the per-file provenance (path, modification time) of 校验结果."""
    import openpyxl

    def norm(v: Any) -> Any:
        return Path(v).name if isinstance(v, str) and "/inputs/" in v else v

    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [tuple(norm(v) for v in r) for r in ws.iter_rows(values_only=True)]
        if rows and any(isinstance(h, str) and "修改时间" in h for h in rows[0]):
            drop = {i for i, h in enumerate(rows[0]) if isinstance(h, str) and "修改时间" in h}
            rows = [tuple(v for i, v in enumerate(r) if i not in drop) for r in rows]
        out[ws.title] = rows
    return out
