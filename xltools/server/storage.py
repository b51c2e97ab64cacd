"""Uploaded files under HOME/files by SHA-256 (never under a name a user chose) and each version's derived
report under HOME/reports by its row id. Paths are built only from a hex digest or an integer."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

from django.conf import settings

_HEX = re.compile(r"^[0-9a-f]{64}$")


def home() -> Path:
    return Path(settings.XLTOOLS_HOME)


def blob_path(sha256: str) -> Path:
    if not _HEX.match(sha256):
        raise ValueError("not a SHA-256 digest")
    return home() / "files" / sha256[:2] / sha256


PUBLICATION_KINDS = ("docx", "tables.xlsx", "publication.json")


def report_path(version_id: int, kind: str) -> Path:
    """kind: "html" (the report page), "xlsx" / "xlsm" (the annotated copy), or the publication made from the
    version: "docx" (the 情况说明), "tables.xlsx" (the 公开表), "publication.json" (what they still lack)."""
    if kind not in ("html", "xlsx", "xlsm", *PUBLICATION_KINDS):
        raise ValueError(kind)
    return home() / "reports" / f"{int(version_id)}.{kind}"


def temp_file(suffix: str = ".xlsx") -> Path:
    """A fresh path in the private tmp folder, not yet created: xltools' writers refuse to replace a file that
    exists (outputs.py), so the name is random rather than made by mkstemp."""
    return home() / "tmp" / f"upload-{secrets.token_hex(12)}{suffix}"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def store(tmp: Path, sha256: str) -> Path:
    """Move a checked temporary file into the store (content-addressed: an identical file is kept once)."""
    dest = blob_path(sha256)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        tmp.unlink(missing_ok=True)
    else:
        os.chmod(tmp, 0o600)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    return dest
