"""The reader's door to the package layer: opening, safety checks and the sheet scan live in xltools.ooxml."""

from __future__ import annotations

import os  # noqa: F401  (the permission check calls os.access; tests replace it to act as a clerk's account)

from ..ooxml.package import (  # noqa: F401
    KEEP_PART,
    MAX_FILE,
    MAX_GRID,
    MAX_MEMBER,
    MAX_MEMBERS,
    MAX_PROLOG,
    MAX_RATIO,
    MAX_TOTAL,
    Package,
    formula_text,
    open_package,
    os_reason,
    read_file,
    unreadable,
)
