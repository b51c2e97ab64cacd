"""The bureau's tools: waivers of 提醒 (never of errors), withdraw, the board and audit exports, accounts made
through the page, a workbook of another department refused for submission, and the migrated template."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from .conftest import (
    BROKEN,
    EXAMPLE,
    EXAMPLE_CODE,
    OTHER_CODE,
    PASSWORD,
    THIRD_CODE,
    client_as,
    reset,
    upload,
    wait,
    with_warning,
)


@pytest.fixture()
def checked_example(intake: Path, tmp_path: Path) -> tuple[object, object]:
    """The example with one warning (a 科目名称 on 表3), checked."""
    from xltools.server.models import Version

    reset(EXAMPLE_CODE)
    clerk = client_as("clerk-bureau", "clerk", EXAMPLE_CODE)
    upload(clerk, EXAMPLE_CODE, with_warning(tmp_path))
    wait()
    return clerk, Version.objects.filter(department__code=EXAMPLE_CODE).first()


def test_waiver_of_a_warning_with_its_reason(checked_example: tuple[object, object]) -> None:
    from xltools.server.models import AuditEvent, Waiver

    clerk, v = checked_example
    [warning] = [f for f in v.findings if f["severity"] == "warning"]  # type: ignore[attr-defined]
    assert (warning["rule"], warning["sheet"], warning["cell"]) == ("cell.code-name-mismatch", "表3 支出总表", "C9")
    form = {"rule": warning["rule"], "sheet": warning["sheet"], "cell": warning["cell"]}
    assert clerk.post(f"/v/{v.pk}/waive/", {**form, "reason": "x"}).status_code == 404  # type: ignore[attr-defined]
    reviewer = client_as("reviewer-waiver", "reviewer")
    reviewer.post(f"/v/{v.pk}/waive/", form)  # no reason: refused
    assert not Waiver.objects.filter(version=v).exists()
    reviewer.post(f"/v/{v.pk}/waive/", {**form, "reason": "按本县科目表的名称填写，已核对"})
    w = Waiver.objects.get(version=v)
    assert (w.rule, w.sheet, w.cell, w.by) == (warning["rule"], warning["sheet"], warning["cell"], "reviewer-waiver")
    ev = AuditEvent.objects.filter(action="waiver", department_code=EXAMPLE_CODE).first()
    assert ev.sha256 == v.sha256 and ev.detail["reason"] == "按本县科目表的名称填写，已核对"  # type: ignore[attr-defined]
    assert "（已接受）" in clerk.get(f"/v/{v.pk}/").content.decode()  # type: ignore[attr-defined]


def test_an_error_cannot_be_waived(intake: Path) -> None:
    from xltools.server.models import Version, Waiver

    reset(EXAMPLE_CODE)
    upload(client_as("clerk-bureau", "clerk", EXAMPLE_CODE), EXAMPLE_CODE, BROKEN)
    wait()
    v = Version.objects.filter(department__code=EXAMPLE_CODE).first()
    assert v.errors == 1
    error = next(f for f in v.findings if f["severity"] == "error")
    reviewer = client_as("reviewer-waiver", "reviewer")
    reviewer.post(
        f"/v/{v.pk}/waive/", {"rule": error["rule"], "sheet": error["sheet"], "cell": error["cell"], "reason": "r"}
    )
    assert not Waiver.objects.filter(version=v, rule=error["rule"]).exists()


def test_withdraw_before_confirmation(checked_example: tuple[object, object]) -> None:
    from xltools.server.models import DRAFT, SUBMITTED, AuditEvent, Department

    clerk, v = checked_example
    clerk.post(f"/d/{EXAMPLE_CODE}/submit/")  # type: ignore[attr-defined]
    assert Department.objects.get(code=EXAMPLE_CODE).state == SUBMITTED
    clerk.post(f"/d/{EXAMPLE_CODE}/withdraw/")  # type: ignore[attr-defined]
    d = Department.objects.get(code=EXAMPLE_CODE)
    assert (d.state, d.submitted_version) == (DRAFT, None)
    assert AuditEvent.objects.filter(action="withdraw", department_code=EXAMPLE_CODE, sha256=v.sha256).exists()  # type: ignore[attr-defined]


def test_another_departments_workbook_cannot_be_submitted(intake: Path) -> None:
    from xltools.server.models import DRAFT, Department, Version

    reset(THIRD_CODE)
    clerk = client_as("clerk-third-unit", "clerk", THIRD_CODE)
    upload(clerk, THIRD_CODE, EXAMPLE)  # the cover says 288002
    wait()
    v = Version.objects.filter(department__code=THIRD_CODE).first()
    assert (v.errors, v.unit_code) == (0, EXAMPLE_CODE)
    page = clerk.get(f"/d/{THIRD_CODE}/").content.decode()
    assert "与本部门（288004）不一致" in page and 'id="submit-button"' not in page
    clerk.post(f"/d/{THIRD_CODE}/submit/")
    assert Department.objects.get(code=THIRD_CODE).state == DRAFT


def test_board_and_audit_exports(intake: Path, checked_example: tuple[object, object]) -> None:
    import openpyxl

    reviewer = client_as("reviewer-export", "reviewer")
    page = reviewer.get("/board/?status=none").content.decode()
    assert 'data-code="288002"' in page  # uploaded, not submitted: 未报送
    r = reviewer.get("/board.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("单位编码", "单位名称", "状态")
    by_code = {row[0]: row for row in rows[1:]}
    assert {EXAMPLE_CODE, OTHER_CODE, THIRD_CODE} <= set(by_code)
    assert by_code[EXAMPLE_CODE][2] == "未报送" and by_code[EXAMPLE_CODE][4] == 0
    r = reviewer.get("/audit.xlsx?action=upload")
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][3] == "操作" and rows[1:] and all(row[3] == "上传" and len(row[5]) == 64 for row in rows[1:])


def test_accounts_made_changed_and_disabled_through_the_page(intake: Path) -> None:
    from django.test import Client

    from xltools.server.models import AuditEvent

    admin = Client()
    admin.post("/login/", {"username": "admin", "password": PASSWORD})
    form = {"username": "clerk-new", "password": "short", "role": "clerk", "department": OTHER_CODE, "active": "1"}
    admin.post("/accounts/save/", form)
    assert not AuditEvent.objects.filter(action="account_create", detail__account="clerk-new").exists()
    admin.post("/accounts/save/", {**form, "password": PASSWORD})
    assert AuditEvent.objects.filter(action="account_create", detail__account="clerk-new").exists()
    c = Client()
    assert c.post("/login/", {"username": "clerk-new", "password": PASSWORD}).status_code == 302
    assert c.get(f"/d/{OTHER_CODE}/").status_code == 200 and c.get(f"/d/{THIRD_CODE}/").status_code == 404
    admin.post("/accounts/save/", {**form, "password": "", "active": "0"})
    assert c.get(f"/d/{OTHER_CODE}/").status_code == 302  # a disabled account is signed out
    assert Client().post("/login/", {"username": "clerk-new", "password": PASSWORD}).status_code == 401


def test_template_migrated_from_last_years_workbook(tmp_path: Path) -> None:
    from xltools.edition import load_edition
    from xltools.reader.read import read_workbook
    from xltools.server.prefill import write_department_template

    ed = load_edition("hebei-county-yth", 2021)
    out = tmp_path / "t.xlsx"
    notes = write_department_template(ed, "288002", "新名称办公室", out, last_year=EXAMPLE)
    book = read_workbook(out).book
    assert (book.text_cell("unit_code"), book.text_cell("unit_name"), book.text_cell("budget_year")) == (
        "288002",
        "新名称办公室",
        "2021",
    )
    assert any(v is not None for v in book.figures().values())  # last year's figures came along
    assert isinstance(notes, list)
