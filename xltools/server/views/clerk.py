"""A department's page (the clerk's, and the bureau's view of it), the template, uploads, versions,
reports, submit and withdraw. Every view resolves its department or version through `access`."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from ... import texts
from .. import audit, storage, work
from ..access import department_for, require, version_for
from ..config import read_instance
from ..jobs import checker, display_name
from ..models import CONFIRMED, DONE, DRAFT, FAILED, QUEUED, RETURNED, SUBMITTED, Department, Review, Version, Waiver
from ..prefill import safe_filename, template_name, write_department_template
from ..status import deadline, label, status_of

log = logging.getLogger("xltools.server")
SUFFIXES = (".xlsx", ".xlsm")


def _t(key: str, **kw: object) -> str:
    return texts.text(f"server.flash.{key}", **kw)


def who_is_bureau(request: HttpRequest) -> bool:
    w = getattr(request, "who", None)
    return bool(w is not None and w.bureau)


def department_context(request: HttpRequest, dept: Department) -> dict[str, object]:
    inst = read_instance(storage.home())
    versions = list(Version.objects.filter(department=dept).defer("findings"))
    latest = versions[0] if versions else None
    status = status_of(dept, latest)
    return {
        "dept": dept,
        "inst": inst,
        "deadline": deadline(inst.deadline),
        "versions": versions,
        "latest": latest,
        "status": status,
        "status_label": label(status),
        "reviews": Review.objects.filter(department=dept).select_related("version"),
        "waivers": list(Waiver.objects.filter(department=dept).order_by("-at")),
        "can_upload": dept.state in (DRAFT, RETURNED) and not who_is_bureau(request),
        "can_submit": latest is not None
        and latest.passed
        and latest.unit_code == dept.code
        and dept.state in (DRAFT, RETURNED)
        and not who_is_bureau(request),
        "can_withdraw": dept.state == SUBMITTED and not who_is_bureau(request),
        "wrong_unit": latest is not None and latest.state == DONE and latest.unit_code not in ("", dept.code),
        "max_mb": settings.XLTOOLS_MAX_UPLOAD // (1024 * 1024),
    }


@require("any")
def department(request: HttpRequest, code: str) -> HttpResponse:
    dept = department_for(request.who, code)  # type: ignore[attr-defined]
    return render(request, "intake/department.html", department_context(request, dept))


@require("any")
def template(request: HttpRequest, code: str) -> HttpResponse:
    from ...edition import load_edition

    dept = department_for(request.who, code)  # type: ignore[attr-defined]
    inst = read_instance(storage.home())
    ed = load_edition(inst.edition, inst.year)
    last = storage.blob_path(dept.last_year_sha256) if dept.last_year_sha256 else None
    tmp = storage.temp_file(".xlsx")
    try:
        write_department_template(ed, dept.code, dept.name, tmp, last)
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = _attachment(template_name(ed, dept.code, dept.name))
    return resp


def _file_name(kind: str, v: Version) -> str:
    return texts.text(f"server.files.{kind}", code=v.department.code, name=v.department.name, n=v.number)


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"download{Path(name).suffix}\"; filename*=UTF-8''{quote(name)}"


def _refuse(request: HttpRequest, dept: Department, text: str, hint: str = "", status: int = 422) -> HttpResponse:
    ctx = department_context(request, dept)
    ctx["refusal"] = {"message": text, "hint": hint}
    return render(request, "intake/department.html", ctx, status=status)


@require("any")
@require_POST
def upload(request: HttpRequest, code: str) -> HttpResponse:
    w = request.who  # type: ignore[attr-defined]
    dept = department_for(w, code)
    if w.bureau:  # the department's own clerks upload and submit; the bureau reviews
        raise Http404
    if dept.state == CONFIRMED:
        return _refuse(request, dept, _t("confirmed_locked"), status=409)
    if dept.state == SUBMITTED:
        return _refuse(request, dept, _t("submitted_locked"), status=409)
    f = request.FILES.get("file")
    if f is None:
        return _refuse(request, dept, _t("no_file"), status=400)
    limit = settings.XLTOOLS_MAX_UPLOAD
    suffix = Path(f.name or "").suffix.lower()
    shown = safe_filename(Path(f.name or "").name) if suffix in SUFFIXES else f"{dept.code}{SUFFIXES[0]}"
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=storage.home() / "tmp"))
    try:
        staged = folder / shown
        import hashlib

        h = hashlib.sha256()
        size = 0
        with open(staged, "wb") as out:
            for chunk in f.chunks():
                size += len(chunk)
                h.update(chunk)
                if size <= limit:
                    out.write(chunk)
        sha = h.hexdigest()
        if size > limit:
            text = _t("too_large", size=f"{size / 1048576:.1f}", limit=limit // 1048576)
            audit.record("upload_refused", request, dept, sha, reason="too-large", size=size)
            return _refuse(request, dept, text, status=413)
        inst = read_instance(storage.home())
        html_tmp = folder / "report.html"
        previous = Version.objects.filter(department=dept, state=DONE).only("findings").first()
        crashed = ""
        try:  # read once, in a worker process: the reader's guards, then the whole check
            outcome = checker().call(
                work.intake,
                str(staged),
                shown,
                inst.edition,
                inst.year,
                str(html_tmp),
                previous.findings if previous is not None else None,
            )
        except Exception as e:  # the checker failed or its worker died: keep the upload as 处理失败
            outcome, crashed = {"refusal": None}, f"{type(e).__name__}: {e}"
        refusal = outcome["refusal"]
        if refusal is not None:
            audit.record("upload_refused", request, dept, sha, reason=refusal["rule"], size=size)
            return _refuse(request, dept, refusal["message"], refusal["hint"])
        storage.store(staged, sha)  # the file first (content-addressed, so a failed row leaves no harm) …
        with transaction.atomic():  # … then its row, its report and its log entry, together
            locked = Department.objects.select_for_update().get(pk=dept.pk)
            if locked.state not in (DRAFT, RETURNED):
                return _refuse(request, dept, _t("submitted_locked"), status=409)
            number = (Version.objects.filter(department=locked).aggregate(n=Max("number"))["n"] or 0) + 1
            v = Version(
                department=locked,
                number=number,
                sha256=sha,
                size=size,
                suffix=suffix if suffix in SUFFIXES else SUFFIXES[0],
                uploaded_by=audit.actor(request),
                attempts=1,
            )
            if crashed:
                v.state, v.failure = FAILED, crashed[:2000]
            else:
                v.state, v.checked_at = DONE, timezone.now()
                v.errors, v.warnings, v.notices = outcome["errors"], outcome["warnings"], outcome["notices"]
                v.findings, v.unit_code = outcome["findings"], outcome["unit_code"]
                if outcome["progress"] is not None:
                    v.fixed, v.new, v.remaining = outcome["progress"]
            v.save()
            if not crashed:
                os.replace(html_tmp, storage.report_path(v.pk, "html"))
            audit.record("upload", request, locked, sha, version=number, size=size)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    messages.info(request, _t("uploaded", n=number))
    return redirect("intake:version", version_id=v.pk)


@require("any")
def version(request: HttpRequest, version_id: int) -> HttpResponse:
    w = request.who  # type: ignore[attr-defined]
    v = version_for(w, version_id)
    ctx = department_context(request, v.department)
    # The department's versions and waivers are in the context already (newest first): no second query.
    previous = next((x for x in ctx["versions"] if x.number < v.number), None)  # type: ignore[attr-defined]
    waived = {(x.rule, x.sheet, x.cell) for x in ctx["waivers"]}  # type: ignore[attr-defined]
    findings = [{**f, "waived": (f.get("rule"), f.get("sheet"), f.get("cell")) in waived} for f in (v.findings or [])]
    ctx.update(
        {
            "v": v,
            "previous": previous,
            "findings": findings,
            "is_latest": ctx["latest"] is not None and ctx["latest"].pk == v.pk,  # type: ignore[union-attr]
            "pending": v.state not in (DONE, FAILED),
            "state_label": texts.text(f"server.version_state.{v.state}"),
            "publication": publication_facts(v),
        }
    )
    return render(request, "intake/version.html", ctx)


@require("any")
@xframe_options_sameorigin
def report_html(request: HttpRequest, version_id: int) -> HttpResponse:
    v = version_for(request.who, version_id)  # type: ignore[attr-defined]
    path = storage.report_path(v.pk, "html")
    if v.state != DONE or not path.exists():
        raise Http404
    resp = FileResponse(open(path, "rb"), content_type="text/html; charset=utf-8")
    # The report is our own page with its inline script; nothing else may load.
    resp["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'"
    )
    return resp


@require("any")
def annotated(request: HttpRequest, version_id: int) -> HttpResponse:
    v = version_for(request.who, version_id)  # type: ignore[attr-defined]
    path = storage.report_path(v.pk, v.suffix.lstrip("."))
    if v.state != DONE:
        raise Http404
    if not path.exists():
        inst = read_instance(storage.home())
        made = checker().call(
            work.annotate, str(storage.blob_path(v.sha256)), display_name(v), inst.edition, inst.year, str(path)
        )
        if not made:
            raise Http404
    name = _file_name("annotated", v) + v.suffix
    return FileResponse(open(path, "rb"), as_attachment=True, filename=safe_filename(name))


def publication_facts(v: Version) -> dict[str, Any] | None:
    """What was made from this version for publication (work.publication), or None when nothing yet."""
    if not v.passed:
        return None
    path = storage.report_path(v.pk, "publication.json")
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


@require("any")
@require_POST
def publish(request: HttpRequest, version_id: int) -> HttpResponse:
    """Make the 情况说明 and the 公开表 of a version without errors (once; then they are kept)."""
    v = version_for(request.who, version_id)  # type: ignore[attr-defined]
    if not v.passed:
        messages.error(request, _t("publication_refused"))
        return redirect("intake:version", version_id=v.pk)
    if publication_facts(v) is None:
        inst = read_instance(storage.home())
        prefix = str(storage.report_path(v.pk, "docx").with_suffix(""))
        try:
            made = checker().call(
                work.publication, str(storage.blob_path(v.sha256)), display_name(v), inst.edition, inst.year, prefix
            )
        except Exception as e:  # a failure of ours, or a worker that died: say so on the page, keep nothing
            log.exception("publication of version %s failed", v.pk)
            messages.error(request, _t("publication_failed", detail=type(e).__name__))
            return redirect("intake:version", version_id=v.pk)
        if made is None:
            messages.error(request, _t("publication_refused"))
            return redirect("intake:version", version_id=v.pk)
    messages.success(request, _t("publication_made"))
    return redirect("intake:version", version_id=v.pk)


@require("any")
def publication_file(request: HttpRequest, version_id: int, kind: str) -> HttpResponse:
    v = version_for(request.who, version_id)  # type: ignore[attr-defined]
    facts = publication_facts(v)
    if facts is None or kind not in ("docx", "xlsx"):
        raise Http404
    path = storage.report_path(v.pk, "docx" if kind == "docx" else "tables.xlsx")
    name = facts["docx"] if kind == "docx" else facts["tables"]
    return FileResponse(open(path, "rb"), as_attachment=True, filename=safe_filename(str(name)))


@require("any")
def original(request: HttpRequest, version_id: int) -> HttpResponse:
    v = version_for(request.who, version_id)  # type: ignore[attr-defined]
    name = _file_name("version", v) + v.suffix
    return FileResponse(open(storage.blob_path(v.sha256), "rb"), as_attachment=True, filename=safe_filename(name))


@require("any")
@require_POST
def retry(request: HttpRequest, version_id: int) -> HttpResponse:
    v = version_for(request.who, version_id)  # type: ignore[attr-defined]
    if v.state == FAILED:
        Version.objects.filter(pk=v.pk, state=FAILED).update(state=QUEUED, attempts=0, failure="")
        audit.record("retry", request, v.department, v.sha256, version=v.number)
        checker().submit(v.pk)
        messages.info(request, _t("retry"))
    return redirect("intake:version", version_id=v.pk)


def _own_department(request: HttpRequest, code: str) -> Department:
    """The clerk's own department: submitting and withdrawing are the department's acts, not the bureau's."""
    dept = department_for(request.who, code)  # type: ignore[attr-defined]
    if request.who.bureau:  # type: ignore[attr-defined]
        raise Http404
    return dept


@require("any")
@require_POST
def submit(request: HttpRequest, code: str) -> HttpResponse:
    dept = _own_department(request, code)
    with transaction.atomic():
        dept = Department.objects.select_for_update().get(pk=dept.pk)
        latest = Version.objects.filter(department=dept).defer("findings").first()
        ok = latest is not None and latest.passed and latest.unit_code == dept.code and dept.state in (DRAFT, RETURNED)
        if ok:
            assert latest is not None
            dept.state, dept.submitted_version = SUBMITTED, latest
            dept.save(update_fields=["state", "submitted_version"])
            Review.objects.create(department=dept, version=latest, action="submit", by=audit.actor(request))
            audit.record("submit", request, dept, latest.sha256, version=latest.number)
    if ok:
        messages.success(request, _t("submitted", n=latest.number))  # type: ignore[union-attr]
    else:
        messages.error(request, _t("not_submittable"))
    return redirect("intake:department", code=dept.code)


@require("any")
@require_POST
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    dept = _own_department(request, code)
    with transaction.atomic():
        dept = Department.objects.select_for_update().get(pk=dept.pk)
        ok = dept.state == SUBMITTED
        if ok:
            v = dept.submitted_version
            dept.state, dept.submitted_version = DRAFT, None
            dept.save(update_fields=["state", "submitted_version"])
            Review.objects.create(department=dept, version=v, action="withdraw", by=audit.actor(request))
            audit.record("withdraw", request, dept, v.sha256 if v else "", version=v.number if v else None)
    if ok:
        messages.success(request, _t("withdrawn"))
    else:
        messages.error(request, _t("not_withdrawable"))
    return redirect("intake:department", code=dept.code)
