"""TOML reading on every supported Python (tomllib from 3.11, tomli before)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import EditionError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["load", "tomllib"]


def load(path: Path) -> dict[str, Any]:
    """A TOML file of an edition; a missing or malformed file is an EditionError naming it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise EditionError(f"{path}: 文件不存在") from None
    except tomllib.TOMLDecodeError as e:
        raise EditionError(f"{path}: TOML 格式错误：{e}") from None
