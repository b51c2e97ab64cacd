"""Rendering through LibreOffice (soffice --headless --convert-to pdf): the 情况说明 as PDF for `compile --pdf`,
and the print check of the workbooks. LibreOffice is found on PATH; its absence is the caller's to report."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

TIMEOUT = 300  # seconds for one conversion run (a cold LibreOffice start is slow on a loaded machine)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


class RenderError(Exception):
    pass


def to_pdf(sources: Sequence[Path], out_dir: Path) -> list[Path]:
    """Convert each source to <out_dir>/<stem>.pdf in one LibreOffice run, with a private profile (parallel
    runs must not share one) that is removed afterwards. Raises RenderError on failure."""
    exe = soffice()
    if exe is None:
        raise RenderError("soffice")
    with tempfile.TemporaryDirectory(prefix="xltools-lo-") as profile:
        try:
            res = subprocess.run(
                [
                    exe,
                    f"-env:UserInstallation={Path(profile).as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(out_dir),
                    *(str(s) for s in sources),
                ],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise RenderError(str(e)) from None
    out = [Path(out_dir) / f"{Path(s).stem}.pdf" for s in sources]
    missing = [p for p in out if not p.is_file()]
    if res.returncode != 0 or missing:
        raise RenderError((res.stderr or res.stdout).strip()[-500:])
    return out


# LibreOffice writes the time of the run into the PDF (the Info dictionary's /CreationDate) and derives the
# trailer's /ID and /DocChecksum from it. These are replaced by the document's fixed date and a digest of the
# rest, each with as many bytes as before, so the cross-reference offsets stay valid and the same 情况说明
# gives the same PDF.
_DATE = re.compile(rb"/CreationDate\s*\(D:(\d{14})")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]{32})>\s*<([0-9A-Fa-f]{32})>\s*\]")
_CHECKSUM = re.compile(rb"/DocChecksum\s*/([0-9A-Fa-f]{32})")


def reproducible(pdf: bytes, when: dt.datetime) -> bytes:
    """The PDF with its run-time date and identifiers replaced (same length); other bytes untouched."""
    out = bytearray(pdf)

    def put(m: re.Match[bytes] | None, group: int, value: bytes) -> None:
        if m is not None and len(value) == m.end(group) - m.start(group):
            out[m.start(group) : m.end(group)] = value

    stamp = when.strftime("%Y%m%d%H%M%S").encode("ascii")
    for m in _DATE.finditer(pdf):
        put(m, 1, stamp)
    tail = max(0, len(pdf) - 4096)  # the trailer is at the end of the file
    ids = list(_ID.finditer(pdf, tail))
    sums = list(_CHECKSUM.finditer(pdf, tail))
    blank = bytearray(out)
    for m in ids:
        blank[m.start(1) : m.end(2)] = b"0" * (m.end(2) - m.start(1))
    for m in sums:
        blank[m.start(1) : m.end(1)] = b"0" * 32
    digest = hashlib.md5(bytes(blank), usedforsecurity=False).hexdigest().upper().encode("ascii")
    for m in ids:
        put(m, 1, digest)
        put(m, 2, digest)
    for m in sums:
        put(m, 1, digest)
    return bytes(out)


def narrative_pdf(docx: bytes, when: dt.datetime) -> bytes:
    """The 情况说明 as PDF: the Word document converted by LibreOffice (fonts embedded, as LibreOffice does
    for every font it uses), with a fixed date. Raises RenderError."""
    with tempfile.TemporaryDirectory(prefix="xltools-pdf-") as d:
        src = Path(d) / "narrative.docx"
        src.write_bytes(docx)
        (pdf,) = to_pdf([src], Path(d))
        return reproducible(pdf.read_bytes(), when)
