"""The spool: valid files' figures on disk, read back one department at a time (memory stays flat in N)."""

from __future__ import annotations

import os
import pickle
import tempfile
from typing import IO

from .model import BookData


class Spool:
    def __init__(self) -> None:
        self._fh: IO[bytes] = tempfile.TemporaryFile(prefix="xltools-merge-")

    def put(self, data: bytes) -> tuple[int, int]:
        """Store a department's figures as a worker pickled them (the main process never unpickles them here)."""
        offset = self._fh.seek(0, os.SEEK_END)
        self._fh.write(data)
        return offset, len(data)

    def get(self, where: tuple[int, int]) -> BookData:
        self._fh.seek(where[0])
        data: BookData = pickle.loads(self._fh.read(where[1]))
        return data

    def close(self) -> None:
        self._fh.close()
