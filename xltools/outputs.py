"""Writing outputs safely: atomically (temp file + rename), never over an input, never over an
existing file unless the user asked for it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import OutputError


def check_target(path: Path, inputs: Iterable[Path] = (), overwrite: bool = False) -> None:
    target = path.resolve()
    for p in inputs:
        if Path(p).resolve() == target:
            raise OutputError(f"输出文件不能与输入文件相同：{path}")
    if path.exists() and not overwrite:
        raise OutputError(f"输出文件已存在：{path}。请换一个文件名，或加 --force 覆盖。")
    if path.exists() and path.is_dir():
        raise OutputError(f"输出路径是一个文件夹：{path}")
    if not path.parent.exists():
        raise OutputError(f"输出文件夹不存在：{path.parent}")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) then move tmp over path in one step, so a crash never leaves half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".xltools-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))
