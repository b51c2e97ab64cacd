"""Every kind of the robustness corpus through the upload form: a file the reader refuses gets its clear
Chinese refusal on the page, is stored nowhere (no version, no file under HOME), and the attempt is in the
audit log with its SHA-256; a readable one becomes a version with exactly the findings of `validate`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.robustness import corpus
from tests.robustness.expected import EXPECTED

from .conftest import client_as, wait

FILESYSTEM_KINDS = {"directory", "missing-file", "symlink-loop", "no-permission"}  # not something a form can send
# On the PostgreSQL pass the slow-to-read kinds are left out: the reader is the same, the database is not.
KINDS = sorted(
    k
    for k in corpus.KINDS
    if k not in FILESYSTEM_KINDS and not (corpus.KINDS[k].big and os.environ.get("XLTOOLS_TEST_DATABASE_URL"))
)


def _stored_files(home: Path) -> set[Path]:
    return {p for p in (home / "files").rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def clerk(intake: Path) -> object:
    from xltools.server.models import Department

    Department.objects.get_or_create(code="299001", defaults={"name": "测试坏文件单位"})
    return client_as("clerk-bad-input", "clerk", "299001")


@pytest.mark.parametrize("kind", KINDS)
def test_corpus_kind_through_the_upload_form(intake: Path, clerk: object, kind: str, tmp_path: Path) -> None:
    from xltools.edition import load_edition
    from xltools.server.models import AuditEvent, Version
    from xltools.validate import validate_file

    path = corpus.build(kind, tmp_path)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    direct = validate_file(path, load_edition("hebei-county-2020", 2020))
    if EXPECTED[kind].exit == 3:
        assert direct.unreadable  # what `validate` cannot read, the form refuses
    before_files, before_versions = _stored_files(intake), Version.objects.count()
    with open(path, "rb") as fh:
        r = clerk.post("/d/299001/upload/", {"file": fh})  # type: ignore[attr-defined]
    if direct.unreadable:
        assert r.status_code == 422
        page = r.content.decode()
        assert 'id="refusal"' in page and "文件被拒绝，没有保存" in page
        message = direct.findings[0].message.replace(str(path), path.name)
        assert message.split("：")[-1][:20] in page  # the reader's own explanation, naming no server path
        assert str(tmp_path) not in page and str(intake) not in page
        assert Version.objects.count() == before_versions
        assert _stored_files(intake) == before_files
        assert not any((intake / "tmp").iterdir())  # the staged upload is gone too
        ev = AuditEvent.objects.filter(action="upload_refused", sha256=sha).first()
        assert ev is not None and ev.detail["reason"] == direct.findings[0].rule
    else:
        assert r.status_code == 302, r.content.decode()[:300]
        wait()
        v = Version.objects.filter(department__code="299001", sha256=sha).first()
        assert v is not None and v.state == "done"
        assert [(f["rule"], f["sheet"], f["cell"]) for f in v.findings] == [
            (f.rule, f.sheet, f.cell) for f in direct.findings
        ]
        assert (v.errors, v.warnings) == (len(direct.errors), len(direct.warnings))


def test_oversized_upload_is_refused_and_not_stored(intake: Path, clerk: object, tmp_path: Path) -> None:
    from django.test import override_settings

    from xltools.server.models import AuditEvent, Version

    big = tmp_path / "big.xlsx"
    big.write_bytes(corpus.workbook_bytes() + b"\0" * 2048)
    before = Version.objects.count()
    with override_settings(XLTOOLS_MAX_UPLOAD=1024), open(big, "rb") as fh:
        r = clerk.post("/d/299001/upload/", {"file": fh})  # type: ignore[attr-defined]
    assert r.status_code == 413 and "文件过大" in r.content.decode()
    assert Version.objects.count() == before
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    assert AuditEvent.objects.filter(action="upload_refused", sha256=sha, detail__reason="too-large").exists()
