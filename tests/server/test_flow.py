"""The clerk's and the reviewer's work through the real views (Django's test client), with exact results."""

from __future__ import annotations

from pathlib import Path

from .conftest import BROKEN, EXAMPLE_CODE, client_as, reset, upload, wait, with_warning


def test_upload_report_versions_submit_return_confirm(intake: Path, tmp_path: Path) -> None:
    from xltools.server.models import CONFIRMED, RETURNED, SUBMITTED, AuditEvent, Department, Version

    reset(EXAMPLE_CODE)
    clerk = client_as("clerk-flow", "clerk", EXAMPLE_CODE)
    r = clerk.get(f"/d/{EXAMPLE_CODE}/template.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"

    n0 = Version.objects.filter(department__code=EXAMPLE_CODE).count()  # the instance is shared by the tests
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # The as-published error, with a warning (a 科目名称) that the correction leaves.
    broken = with_warning(tmp_path, broken=True)
    r = upload(clerk, EXAMPLE_CODE, broken)
    assert r.status_code == 302
    wait()
    v1 = Version.objects.filter(department__code=EXAMPLE_CODE).first()
    assert (v1.state, v1.errors, v1.warnings) == ("done", 1, 1)
    errors = [(f["rule"], f["sheet"], f["cell"]) for f in v1.findings if f["severity"] == "error"]
    assert [(sheet, cell) for _, sheet, cell in errors] == [("资产占用", "B6")]
    # Exactly what `xltools validate` reports for the same file.
    from xltools.edition import load_edition
    from xltools.validate import validate_file

    direct = validate_file(broken, load_edition("hebei-county-2020", 2020))
    assert [(f["rule"], f["sheet"], f["cell"], f["message"]) for f in v1.findings] == [
        (f.rule, f.sheet, f.cell, f.message) for f in direct.findings
    ]
    page = clerk.get(f"/v/{v1.pk}/").content.decode()
    assert "未通过：1 个错误" in page and "办公用房面积不能大于房屋面积" in page
    assert clerk.get(f"/v/{v1.pk}/report.html").status_code == 200
    assert clerk.get(f"/v/{v1.pk}/annotated/").status_code == 200
    # Submitting with an error is refused.
    clerk.post(f"/d/{EXAMPLE_CODE}/submit/")
    assert Department.objects.get(code=EXAMPLE_CODE).state == "draft"

    upload(clerk, EXAMPLE_CODE, with_warning(tmp_path))
    wait()
    v2 = Version.objects.filter(department__code=EXAMPLE_CODE).first()
    # fixed: the error and the diagnosis's two notices (资产占用 B5, B6); remaining: the 科目名称 warning
    assert (v2.number, v2.errors, v2.warnings, v2.fixed, v2.new, v2.remaining) == (n0 + 2, 0, 1, 3, 0, 1)
    assert [f["rule"] for f in v2.findings] == ["cell.code-name-mismatch"]
    assert Version.objects.filter(department__code=EXAMPLE_CODE).count() == n0 + 2  # nothing overwritten
    clerk.post(f"/d/{EXAMPLE_CODE}/submit/")
    d = Department.objects.get(code=EXAMPLE_CODE)
    assert (d.state, d.submitted_version_id) == (SUBMITTED, v2.pk)

    reviewer = client_as("reviewer-flow", "reviewer")
    assert reviewer.post(f"/d/{EXAMPLE_CODE}/review/return/", {"reason": ""}).status_code == 302
    assert Department.objects.get(code=EXAMPLE_CODE).state == SUBMITTED  # a return needs its reason
    reviewer.post(f"/d/{EXAMPLE_CODE}/review/return/", {"reason": "请补充三公经费说明"})
    assert Department.objects.get(code=EXAMPLE_CODE).state == RETURNED
    assert "请补充三公经费说明" in clerk.get(f"/d/{EXAMPLE_CODE}/").content.decode()

    clerk.post(f"/d/{EXAMPLE_CODE}/submit/")
    reviewer.post(f"/d/{EXAMPLE_CODE}/review/confirm/")
    assert Department.objects.get(code=EXAMPLE_CODE).state == CONFIRMED
    # Confirmed: no more uploads, no withdraw.
    assert upload(clerk, EXAMPLE_CODE, BROKEN).status_code == 409
    clerk.post(f"/d/{EXAMPLE_CODE}/withdraw/")
    assert Department.objects.get(code=EXAMPLE_CODE).state == CONFIRMED

    actions = list(
        AuditEvent.objects.filter(department_code=EXAMPLE_CODE, id__gt=last_event)
        .order_by("at", "id")
        .values_list("action", "sha256")
    )
    names = [a for a, _ in actions]
    for a in ("upload", "submit", "return", "confirm"):
        assert a in names
    assert {sha for a, sha in actions if a == "upload"} == {v1.sha256, v2.sha256}
