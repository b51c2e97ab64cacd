"""OUT.xlsx's package: big parts deflated on a second thread while the main thread renders their rows, every
other part copied from xlsxwriter's package still deflated.

zlib's deflate and crc32 release the GIL, so the deflating runs on the other core while this thread numbers
the stacked rows. A deflate stream does not depend on how its input was cut into pieces, and xlsxwriter
deflates with zipfile's own settings, so the package's bytes are those `zipfile` alone would write (the merge
tests compare them between jobs 1, jobs 2 and the Dask path, and the cells with xlsxwriter's).
"""

from __future__ import annotations

import queue
import struct
import threading
import zipfile
import zlib
from pathlib import Path
from typing import IO, NamedTuple

CHUNK = 1 << 17  # bytes handed to the deflating thread at a time
_LOCAL = struct.Struct("<4s5H3L2H")  # a member's local header, before its name and extra field


class Deflated:
    """One part's bytes, deflated (as zipfile deflates) into a temporary file by the shared Deflater."""

    def __init__(self, owner: Deflater, path: Path) -> None:
        self.owner, self.path = owner, path
        self.fh: IO[bytes] = open(path, "wb")  # noqa: SIM115 (closed by the deflating thread)
        self.compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self.size = self.compress_size = self.crc = 0
        self.buf: list[bytes] = []
        self.buffered = 0
        self.done = False

    def write(self, data: bytes) -> None:
        self.buf.append(data)
        self.buffered += len(data)
        if self.buffered >= CHUNK:
            self._hand_off()

    def _hand_off(self) -> None:
        if self.buf:
            self.owner.put(self, b"".join(self.buf))
            self.buf, self.buffered = [], 0

    def close(self) -> None:
        self._hand_off()
        self.owner.put(self, None)

    def _take(self, data: bytes | None) -> None:  # on the deflating thread
        if data is None:
            tail = self.compressor.flush()
            self.fh.write(tail)
            self.compress_size += len(tail)
            self.fh.close()
            self.done = True
            return
        self.size += len(data)
        self.crc = zlib.crc32(data, self.crc)
        out = self.compressor.compress(data)
        self.fh.write(out)
        self.compress_size += len(out)


class Finished(NamedTuple):
    """A Deflated part made by another process (merge/beside.py): its file and what its zip entry says."""

    path: Path
    crc: int
    size: int
    compress_size: int


class Deflater:
    """The second thread: deflates every Deflated part's pieces in the order they were handed over. Memory is
    bounded (a few pieces queued); an error there (a full disk) is raised here, at finish()."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[Deflated, bytes | None] | None] = queue.Queue(maxsize=4)
        self.parts: list[Deflated] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True, name="xltools-deflate")
        self.thread.start()

    def part(self, path: Path) -> Deflated:
        d = Deflated(self, path)
        self.parts.append(d)
        return d

    def put(self, part: Deflated, data: bytes | None) -> None:
        if self.error is not None:
            raise self.error
        self.q.put((part, data))

    def _run(self) -> None:
        while (item := self.q.get()) is not None:
            if self.error is None:
                try:
                    item[0]._take(item[1])
                except BaseException as e:  # kept for the main thread; the queue is still drained
                    self.error = e

    def finish(self) -> None:
        """Wait for every part to be deflated; close their files."""
        self.q.put(None)
        self.thread.join()
        for d in self.parts:
            if not d.fh.closed:
                d.fh.close()
        if self.error is not None:
            raise self.error

    def finish_quietly(self) -> None:
        """After a failure elsewhere: stop the thread, close the files, raise nothing."""
        try:
            self.finish()
        except BaseException:  # noqa: S110 (the first failure is the one that is raised)
            pass


def raw_copy(zin: zipfile.ZipFile, info: zipfile.ZipInfo, out: IO[bytes]) -> None:
    """Copy a member's deflated bytes as they are (no inflating and deflating again)."""
    fp = zin.fp
    assert fp is not None
    fp.seek(info.header_offset)
    head = _LOCAL.unpack(fp.read(_LOCAL.size))
    fp.seek(info.header_offset + _LOCAL.size + head[9] + head[10])
    left = info.compress_size
    while left > 0:
        block = fp.read(min(left, 1 << 20))
        if not block:
            raise zipfile.BadZipFile(f"{info.filename}: truncated")
        out.write(block)
        left -= len(block)


def add_deflated(
    zout: zipfile.ZipFile, info: zipfile.ZipInfo, crc: int, size: int, compress_size: int, write_data: object
) -> None:
    """Add a member whose bytes, compressed as `info.compress_type` says, exist already: the headers zipfile
    would write for it (as ZipFile.open(…, "w") on a seekable file does), then the bytes, by `write_data(fp)`."""
    info.flag_bits = 0
    if not info.external_attr:
        info.external_attr = 0o600 << 16
    info.CRC, info.file_size, info.compress_size = crc, size, compress_size
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT
    if zip64 and not zout._allowZip64:
        raise zipfile.LargeZipFile("Filesize would require ZIP64 extensions")
    if not zip64 and max(size, compress_size) > zipfile.ZIP64_LIMIT:
        raise RuntimeError(f"{info.filename}: too large for a zip without ZIP64")
    fp = zout.fp
    assert fp is not None
    fp.seek(zout.start_dir)
    info.header_offset = fp.tell()
    zout._writecheck(info)
    zout._didModify = True
    fp.write(info.FileHeader(zip64))
    write_data(fp)  # type: ignore[operator]
    zout.start_dir = fp.tell()
    zout.filelist.append(info)
    zout.NameToInfo[info.filename] = info
