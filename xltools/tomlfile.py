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
    from . import texts  # texts reads its own catalogue with tomllib from here: imported late

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise EditionError(texts.text("app.toml_missing", path=str(path))) from None
    except tomllib.TOMLDecodeError as e:
        raise EditionError(texts.text("app.toml_invalid", path=str(path), error=str(e))) from None
