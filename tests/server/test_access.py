"""Roles are checked on the server in every view: a clerk cannot read, list or guess another department's
files, reports or versions; a revoked upload link stops working; login is throttled; CSRF is enforced;
the audit log is append-only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import OTHER_CODE, PASSWORD, THIRD_CODE, client_as, make_user, upload, wait, workbook_for


@pytest.fixture(scope="module")
def other_version(intake: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    from xltools.server.models import Version

    clerk = client_as("clerk-other", "clerk", OTHER_CODE)
    upload(clerk, OTHER_CODE, workbook_for(OTHER_CODE, tmp_path_factory.mktemp("wb")))
    wait()
    return Version.objects.filter(department__code=OTHER_CODE).first().pk


def test_clerk_cannot_reach_another_department(intake: Path, other_version: int, tmp_path: Path) -> None:
    from xltools.server.models import Version

    c = client_as("clerk-third", "clerk", THIRD_CODE)
    assert c.get(f"/d/{THIRD_CODE}/").status_code == 200
    for url in (
        f"/d/{OTHER_CODE}/",
        f"/d/{OTHER_CODE}/template.xlsx",
        f"/v/{other_version}/",
        f"/v/{other_version}/report.html",
        f"/v/{other_version}/annotated/",
        f"/v/{other_version}/original/",
        "/board/",
        "/board.xlsx",
        "/audit/",
        "/audit.xlsx",
        "/merged.xlsx",
        "/accounts/",
        "/d/NOPE/",
    ):
        r = c.get(url)
        assert r.status_code == 404, url
        assert OTHER_CODE.encode() not in r.content, url
    for url in (
        f"/d/{OTHER_CODE}/upload/",
        f"/d/{OTHER_CODE}/submit/",
        f"/d/{OTHER_CODE}/withdraw/",
        f"/d/{OTHER_CODE}/review/confirm/",
        f"/v/{other_version}/retry/",
        f"/v/{other_version}/waive/",
    ):
        assert c.post(url).status_code == 404, url
    # Guessing ids: every version id there is, and a few that are not, all look the same.
    for pk in list(Version.objects.values_list("pk", flat=True)) + [10**6]:
        own = Version.objects.filter(pk=pk, department__code=THIRD_CODE).exists()
        assert c.get(f"/v/{pk}/").status_code == (200 if own else 404)
    # An upload aimed at another department never lands there.
    n = Version.objects.filter(department__code=OTHER_CODE).count()
    upload(c, OTHER_CODE, workbook_for(OTHER_CODE, tmp_path))
    assert Version.objects.filter(department__code=OTHER_CODE).count() == n


def test_reviewer_is_not_admin_and_anonymous_is_sent_to_login(intake: Path, other_version: int) -> None:
    from django.test import Client

    r = client_as("reviewer-acc", "reviewer")
    assert r.get("/board/").status_code == 200
    assert r.get(f"/v/{other_version}/").status_code == 200
    assert r.get("/accounts/").status_code == 404
    for action in ("upload", "submit", "withdraw"):  # the bureau reviews; the department's clerks act
        assert r.post(f"/d/{OTHER_CODE}/{action}/").status_code == 404, action
    assert r.post("/accounts/save/", {"username": "x", "role": "admin", "password": PASSWORD}).status_code == 404
    anon = Client()
    for url in ("/board/", f"/d/{OTHER_CODE}/", f"/v/{other_version}/report.html", "/merged.xlsx"):
        resp = anon.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/"), url


def test_revoked_link_stops_working(intake: Path, other_version: int) -> None:
    from django.test import Client

    from xltools.server.models import AuditEvent, UploadLink

    admin = Client()
    assert admin.post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 302
    admin.post("/links/new/", {"department": THIRD_CODE, "label": "t"})
    page = admin.get("/accounts/").content.decode()
    token_path = re.search(r'id="new-link">.*?<code>https?://[^/]+(/link/[^<]+)</code>', page, re.S).group(1)
    clerk = Client()
    assert clerk.get(token_path).status_code == 302
    assert clerk.get(f"/d/{THIRD_CODE}/").status_code == 200
    assert clerk.get(f"/d/{OTHER_CODE}/").status_code == 404  # a link is for one department
    assert clerk.get(f"/v/{other_version}/").status_code == 404
    link = UploadLink.objects.filter(department__code=THIRD_CODE).latest("created_at")
    assert admin.post(f"/links/{link.pk}/revoke/").status_code == 302
    r = clerk.get(f"/d/{THIRD_CODE}/")  # the open session ends at once
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert clerk.get(token_path).status_code == 403  # and the link itself is dead
    assert Client().get("/link/not-a-token/").status_code == 403
    assert AuditEvent.objects.filter(action="link_revoke", department_code=THIRD_CODE).exists()


def test_login_is_throttled_and_failures_logged(intake: Path) -> None:
    from django.test import Client

    from xltools.server.models import AuditEvent

    make_user("throttled-user", "reviewer")
    c = Client()
    for _ in range(5):
        assert c.post("/login/", {"username": "throttled-user", "password": "wrong"}).status_code == 401
    r = c.post("/login/", {"username": "throttled-user", "password": PASSWORD})
    assert r.status_code == 429  # even the right password waits
    assert AuditEvent.objects.filter(action="login_failed", detail__username="throttled-user").count() == 6


def test_csrf_secure_cookies_and_no_debug_pages(intake: Path) -> None:
    from django.conf import settings
    from django.test import Client

    assert settings.DEBUG is False
    c = Client(enforce_csrf_checks=True)
    assert c.post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 403
    page = c.get("/login/")
    assert page.cookies["csrftoken"]["secure"]
    token = page.cookies["csrftoken"].value
    r = c.post("/login/", {"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    assert r.cookies["sessionid"]["secure"] and r.cookies["sessionid"]["httponly"]
    missing = c.get("/no/such/page/")
    assert missing.status_code == 404 and b"Traceback" not in missing.content and "找不到".encode() in missing.content


def test_passwords_are_hashed_by_the_framework(intake: Path) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="admin")
    assert user.password.startswith(("pbkdf2_sha256$", "argon2$", "scrypt$")) and PASSWORD not in user.password


def test_audit_log_is_append_only(intake: Path) -> None:
    from xltools.server.models import AppendOnlyError, AuditEvent

    e = AuditEvent.objects.first()
    assert e is not None and e.digest == e.content_digest()
    e.action = "confirm"
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=e.pk).update(action="x")


def test_a_foreign_host_gets_the_plain_refusal_page(intake: Path) -> None:
    """A request naming a host the server does not serve is refused (400) with the intake's own page, drawn before
    any sign-in is known (the error page once touched request.user, which the auth middleware had not set)."""
    from django.test import Client

    r = Client().get("/login/", HTTP_HOST="intake.example.invalid")
    assert r.status_code == 400
    assert "text/html" in r["Content-Type"]
    assert "<html" in r.content.decode("utf-8").lower()
