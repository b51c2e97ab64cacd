"""Rendering through LibreOffice (soffice --headless --convert-to pdf): the 情况说明 as PDF for `compile --pdf`,
and the print check of the workbooks. LibreOffice is found on PATH; its absence is the caller's to report."""

from __future__ import annotations

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
