"""The bureau's views: the status board and its export, review (退回 / 确认), waivers of 提醒, the county
merge of the confirmed versions, the audit log, accounts and upload links."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ... import texts
from .. import audit, storage
from ..access import department_for, require, version_for
from ..config import read_instance
from ..models import (
    CONFIRMED,
    RETURNED,
    ROLE_CLERK,
    ROLES,
    SUBMITTED,
    AuditEvent,
    Department,
    Profile,
    Review,
    UploadLink,
    Waiver,
)
from ..status import ORDER, deadline, label, latest_versions, status_of
from .clerk import _attachment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _t(key: str, **kw: object) -> str:
    return texts.text(f"server.flash.{key}", **kw)


def board_rows(request: HttpRequest) -> tuple[list[dict[str, Any]], dict[str, int]]:
    depts = list(Department.objects.select_related("submitted_version"))
    latest = latest_versions(depts)
    last_review = {}
    for r in Review.objects.filter(action__in=("return", "confirm")).order_by("at", "id"):
        last_review[r.department_id] = r
    rows = []
    counts = {s: 0 for s in ORDER}
    for d in depts:
        v = latest.get(d.pk)
        s = status_of(d, v)
        counts[s] += 1
        rows.append({"dept": d, "latest": v, "status": s, "label": label(s), "review": last_review.get(d.pk)})
    want = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    if want in ORDER:
        rows = [r for r in rows if r["status"] == want]
    if q:
        rows = [r for r in rows if q in r["dept"].code or q in r["dept"].name]
    return rows, counts


@require("bureau")
def board(request: HttpRequest) -> HttpResponse:
    inst = read_instance(storage.home())
    rows, counts = board_rows(request)
    return render(
        request,
        "intake/board.html",
        {
            "rows": rows,
            "counts": [(s, label(s), counts[s]) for s in ORDER],
            "total": sum(counts.values()),
            "inst": inst,
            "deadline": deadline(inst.deadline),
            "want": request.GET.get("status", ""),
            "q": request.GET.get("q", ""),
            "query": request.GET.urlencode(),
        },
    )


def _xlsx(sheet: str, headers: list[str], rows: list[list[Any]]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, bold)
        ws.set_column(c, c, 18)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, int) and not isinstance(value, bool):
                ws.write_number(r, c, value)
            elif value not in (None, ""):
                ws.write_string(r, c, str(value))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    wb.close()
    return buf.getvalue()


def _local(t: Any) -> str:
    return timezone.localtime(t).strftime("%Y-%m-%d %H:%M") if t else ""


@require("bureau")
def board_xlsx(request: HttpRequest) -> HttpResponse:
    inst = read_instance(storage.home())
    rows, _ = board_rows(request)
    data = [
        [
            r["dept"].code,
            r["dept"].name,
            r["label"],
            r["latest"].number if r["latest"] else "",
            r["latest"].errors if r["latest"] else "",
            r["latest"].warnings if r["latest"] else "",
            _local(r["latest"].uploaded_at) if r["latest"] else "",
            _local(r["dept"].submitted_version.uploaded_at) if r["dept"].submitted_version else "",
            r["review"].reason if r["review"] else "",
        ]
        for r in rows
    ]
    body = _xlsx(texts.text("server.board.sheet"), texts.text_list("server.board.headers"), data)
    resp = HttpResponse(body, content_type=XLSX)
    resp["Content-Disposition"] = _attachment(texts.text("server.files.board", year=inst.year) + ".xlsx")
    return resp


@require("bureau")
@require_POST
def review(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if action not in ("return", "confirm"):
        raise Http404
    dept = department_for(request.who, code)  # type: ignore[attr-defined]
    reason = request.POST.get("reason", "").strip()[:4000]
    if action == "return" and not reason:
        messages.error(request, _t("reason_required"))
        return redirect("intake:department", code=dept.code)
    with transaction.atomic():
        dept = Department.objects.select_for_update().get(pk=dept.pk)
        if dept.state != SUBMITTED or dept.submitted_version is None:
            messages.error(request, _t("not_reviewable"))
            return redirect("intake:department", code=dept.code)
        v = dept.submitted_version
        dept.state = RETURNED if action == "return" else CONFIRMED
        dept.save(update_fields=["state"])
        Review.objects.create(department=dept, version=v, action=action, reason=reason, by=audit.actor(request))
        audit.record(action, request, dept, v.sha256, version=v.number, reason=reason)
    messages.success(request, _t("returned" if action == "return" else "confirmed"))
    return redirect("intake:department", code=dept.code)


@require("bureau")
@require_POST
def waive(request: HttpRequest, version_id: int) -> HttpResponse:
    v = version_for(request.who, version_id)  # type: ignore[attr-defined]
    rule, sheet, cell = (request.POST.get(k, "")[:100] for k in ("rule", "sheet", "cell"))
    reason = request.POST.get("reason", "").strip()[:4000]
    match = [f for f in v.findings or [] if (f.get("rule"), f.get("sheet"), f.get("cell")) == (rule, sheet, cell)]
    if not match or any(f.get("severity") != "warning" for f in match):
        messages.error(request, _t("not_a_warning"))
    elif not reason:
        messages.error(request, _t("reason_required"))
    else:
        with transaction.atomic():
            Waiver.objects.create(
                department=v.department,
                version=v,
                rule=rule,
                sheet=sheet,
                cell=cell,
                reason=reason,
                by=audit.actor(request),
            )
            audit.record(
                "waiver",
                request,
                v.department,
                v.sha256,
                version=v.number,
                rule=rule,
                sheet=sheet,
                cell=cell,
                reason=reason,
            )
        messages.success(request, _t("waived"))
    return redirect("intake:version", version_id=v.pk)


def merged_workbook(folder: Path) -> tuple[Path, Any]:
    """Run the county merge over the confirmed versions (copied into `folder` as <单位编码>.xlsx, with a
    roster of every department): the same `merge` and the same outputs as `xltools merge --roster`."""
    from ...merge import merge

    inst = read_instance(storage.home())
    inputs = folder / "inputs"
    inputs.mkdir()
    for d in Department.objects.filter(state=CONFIRMED).select_related("submitted_version"):
        v = d.submitted_version
        dest = inputs / f"{d.code}{v.suffix}"
        shutil.copyfile(storage.blob_path(v.sha256), dest)
        stamp = v.uploaded_at.timestamp()
        os.utime(dest, (stamp, stamp))
    roster = folder / "roster.csv"
    lines = [",".join(texts.text_list("server.board.headers")[:2])] + [
        f"{d.code},{d.name.replace(',', ' ')}" for d in Department.objects.all()
    ]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / (texts.text("server.files.merged", year=inst.year) + ".xlsx")
    result = merge([inputs], out, roster=roster, jobs=1)
    return out, result


@require("bureau")
def merged(request: HttpRequest) -> HttpResponse:
    if not Department.objects.filter(state=CONFIRMED).exists():
        messages.error(request, _t("merge_none"))
        return redirect("intake:board")
    folder = Path(tempfile.mkdtemp(prefix="merge-", dir=storage.home() / "tmp"))
    try:
        out, result = merged_workbook(folder)
        data = out.read_bytes()
        audit.record("merge", request, included=len(result.included), missing=len(result.missing))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = _attachment(out.name)
    return resp


def _events(request: HttpRequest) -> Any:
    qs = AuditEvent.objects.all()
    if request.GET.get("action"):
        qs = qs.filter(action=request.GET["action"])
    if request.GET.get("code"):
        qs = qs.filter(department_code=request.GET["code"])
    return qs


@require("bureau")
def audit_log(request: HttpRequest) -> HttpResponse:
    events = list(_events(request)[:500])
    labels = texts.raw("server.detail")
    for e in events:
        e.label = texts.text(f"server.action.{e.action}")  # type: ignore[attr-defined]
        e.details = [(labels.get(k, k), v) for k, v in sorted(e.detail.items()) if v not in ("", None)]  # type: ignore[attr-defined]
    actions = [(a, texts.text(f"server.action.{a}")) for a in texts.raw("server.action")]
    return render(
        request,
        "intake/audit.html",
        {"events": events, "actions": actions, "query": request.GET.urlencode(), "want": request.GET.get("action", "")},
    )


@require("bureau")
def audit_xlsx(request: HttpRequest) -> HttpResponse:
    import json

    rows = [
        [
            e.pk,
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.who,
            texts.text(f"server.action.{e.action}"),
            e.department_code,
            e.sha256,
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
        ]
        for e in _events(request).order_by("at", "id")
    ]
    body = _xlsx(texts.text("server.board.audit_sheet"), texts.text_list("server.board.audit_headers"), rows)
    resp = HttpResponse(body, content_type=XLSX)
    resp["Content-Disposition"] = _attachment(texts.text("server.files.audit") + ".xlsx")
    return resp


# ---- accounts and links (administrator) ----


@require("admin")
def accounts(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.order_by("username").select_related("profile", "profile__department")
    links = UploadLink.objects.select_related("department").order_by("department__code", "-created_at")
    return render(
        request,
        "intake/accounts.html",
        {
            "users": users,
            "links": links,
            "departments": Department.objects.all(),
            "roles": [(r, texts.text(f"server.role.{r}")) for r in ROLES],
            "new_link": request.session.pop("new_link", ""),
        },
    )


@require("admin")
@require_POST
def account_save(request: HttpRequest) -> HttpResponse:
    User = get_user_model()
    username = request.POST.get("username", "").strip()[:150]
    role = request.POST.get("role", ROLE_CLERK)
    code = request.POST.get("department", "")
    password = request.POST.get("password", "")
    active = request.POST.get("active", "1") == "1"
    dept = Department.objects.filter(code=code).first() if code else None
    if not username or role not in ROLES or (role == ROLE_CLERK and dept is None):
        messages.error(request, _t("bad_form", detail=username or "-"))
        return redirect("intake:accounts")
    user = User.objects.filter(username=username).first()
    if password:
        try:
            validate_password(password, user)
        except ValidationError as e:
            messages.error(request, _t("bad_form", detail="；".join(e.messages)))
            return redirect("intake:accounts")
    created = user is None
    with transaction.atomic():
        if created:
            if not password:
                messages.error(request, _t("bad_form", detail=username))
                return redirect("intake:accounts")
            user = User.objects.create_user(username=username, password=password)
        else:
            if password:
                user.set_password(password)
        user.is_superuser = user.is_staff = role == "admin"
        user.is_active = active
        user.save()
        Profile.objects.update_or_create(
            user=user, defaults={"role": role, "department": dept if role == ROLE_CLERK else None}
        )
        audit.record(
            "account_create" if created else "account_change",
            request,
            dept,
            account=username,
            role=role,
            active=active,
            password_changed=bool(password),
        )
    messages.success(request, _t("account_created" if created else "account_changed", username=username))
    return redirect("intake:accounts")


@require("admin")
@require_POST
def link_create(request: HttpRequest) -> HttpResponse:
    dept = Department.objects.filter(code=request.POST.get("department", "")).first()
    if dept is None:
        raise Http404
    token = secrets.token_urlsafe(24)
    link = UploadLink.objects.create(
        department=dept,
        token_sha256=UploadLink.hash_token(token),
        label=request.POST.get("label", "")[:100],
        created_by=audit.actor(request),
    )
    audit.record("link_create", request, dept, link=link.pk)
    request.session["new_link"] = request.build_absolute_uri(reverse("intake:link", args=[token]))
    return redirect("intake:accounts")


@require("admin")
@require_POST
def link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    link = UploadLink.objects.filter(pk=link_id, revoked_at__isnull=True).first()
    if link is None:
        raise Http404
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    audit.record("link_revoke", request, link.department, link=link.pk)
    messages.success(request, _t("link_revoked_ok"))
    return redirect("intake:accounts")
