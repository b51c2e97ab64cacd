"""Signing in (account or upload link), signing out, the home redirect and the error pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ... import texts
from .. import audit
from ..access import SESSION_LINK, who
from ..models import AuditEvent, UploadLink

THROTTLE_MINUTES = 15
MAX_FAILURES_USER = 5  # per user name in the window
MAX_FAILURES_IP = 20  # per client address in the window


def _throttled(username: str, ip: str) -> bool:
    since = timezone.now() - dt.timedelta(minutes=THROTTLE_MINUTES)
    recent = AuditEvent.objects.filter(action="login_failed", at__gte=since)
    return (
        recent.filter(detail__username=username).count() >= MAX_FAILURES_USER
        or recent.filter(ip=ip).count() >= MAX_FAILURES_IP
    )


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        password = request.POST.get("password", "")
        ip = audit.client_ip(request)
        if _throttled(username, ip):
            error, status = texts.text("server.flash.throttled", minutes=THROTTLE_MINUTES), 429
            audit.record("login_failed", request, who="", username=username, throttled=True)
        else:
            user = authenticate(request, username=username, password=password)
            if user is None:
                error, status = texts.text("server.flash.login_failed"), 401
                audit.record("login_failed", request, who="", username=username)
            else:
                request.session.pop(SESSION_LINK, None)
                login(request, user)
                audit.record("login", request)
                return redirect("intake:home")
    return render(request, "intake/login.html", {"error": error}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if who(request) is not None:
        audit.record("logout", request)
    logout(request)
    return redirect("intake:login")


def link_view(request: HttpRequest, token: str) -> HttpResponse:
    link = UploadLink.objects.select_related("department").filter(token_sha256=UploadLink.hash_token(token)).first()
    if link is None or not link.active:
        audit.record("link_refused", request, department=link.department if link else None, who="")
        return render(request, "intake/message.html", {"text": texts.text("server.flash.link_revoked")}, status=403)
    logout(request)  # a fresh session, tied to this link only
    request.session[SESSION_LINK] = link.pk
    audit.record("link_login", request, department=link.department, who=f"link:{link.department.code}")
    return redirect("intake:department", code=link.department.code)


def home(request: HttpRequest) -> HttpResponse:
    w = who(request)
    if w is None:
        return redirect("intake:login")
    if w.bureau:
        return redirect("intake:board")
    assert w.department is not None
    return redirect("intake:department", code=w.department.code)


def _error(request: HttpRequest, status: int) -> HttpResponse:
    return render(request, "intake/error.html", {"status": status}, status=status)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 404)


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 403)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 400)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/error.html", {"status": 500}, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "intake/error.html", {"status": 403, "csrf": True}, status=403)
