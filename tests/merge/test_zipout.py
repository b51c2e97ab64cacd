"""OUT.xlsx's package (zipout.py): parts deflated on a second thread or copied still deflated give the bytes
zipfile alone writes when it inflates and deflates every part again."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from xltools.merge.zipout import Deflater, add_deflated, raw_copy

from .conftest import County


def _rezipped(path: Path) -> bytes:
    """The package as zipfile writes it from each part's bytes (the way OUT.xlsx was written before)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.external_attr, copy.compress_type = info.external_attr, info.compress_type
            with zout.open(copy, "w") as dst:
                dst.write(zin.read(info))
    return buf.getvalue()


def test_out_is_what_zipfile_writes(county: County) -> None:
    raw = county.out.read_bytes()
    assert _rezipped(county.out) == raw
    with zipfile.ZipFile(county.out) as z:
        assert z.testzip() is None
        assert len(z.infolist()) > 10


def test_deflated_in_pieces_and_copied(tmp_path: Path) -> None:
    """A part handed over in pieces of any size, and a part copied raw, give zipfile's own bytes."""
    text = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7) for i in range(60000))
    ref = tmp_path / "ref.zip"
    with zipfile.ZipFile(ref, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in (("a.xml", text), ("b.xml", text[:999])):
            info = zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    deflater = Deflater()
    part = deflater.part(tmp_path / "a.deflated")
    for i in range(0, len(text), 777):
        part.write(text[i : i + 777])
    part.close()
    deflater.finish()
    out = tmp_path / "out.zip"
    with zipfile.ZipFile(ref) as zin, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        a = zipfile.ZipInfo("a.xml", (2000, 1, 1, 0, 0, 0))
        a.compress_type = zipfile.ZIP_DEFLATED
        add_deflated(zout, a, part.crc, part.size, part.compress_size, lambda fp: fp.write(part.path.read_bytes()))
        b_in = zin.getinfo("b.xml")
        b = zipfile.ZipInfo("b.xml", b_in.date_time)
        b.compress_type = b_in.compress_type
        add_deflated(zout, b, b_in.CRC, b_in.file_size, b_in.compress_size, lambda fp: raw_copy(zin, b_in, fp))
    assert out.read_bytes() == ref.read_bytes()


def test_deflater_error_reaches_the_caller(tmp_path: Path) -> None:
    deflater = Deflater()
    part = deflater.part(tmp_path / "a.deflated")
    part.fh.close()  # the thread's write fails, as on a full disk
    part.write(b"x" * (1 << 19))
    with pytest.raises(ValueError):
        for _ in range(64):  # the error is raised at the next hand-over or at the end
            part.write(b"y" * (1 << 18))
        part.close()
        deflater.finish()
    deflater.finish_quietly()
