"""Program errors (not findings about the user's data), each with its exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # errors.py is imported everywhere: the finding model only for the annotation
    from .findings import Finding

EXIT_OK = 0
EXIT_INVALID = 1  # the data has errors
EXIT_USAGE = 2  # click's own usage errors
EXIT_UNREADABLE = 3  # an input cannot be read or is not an xltools workbook
EXIT_INTERNAL = 4
EXIT_CANNOT_WRITE = 5  # an output cannot be written: disk full, read-only folder, permission, name too long
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); nothing is left half-written


class XltoolsError(Exception):
    exit_code = EXIT_INTERNAL


class EditionError(XltoolsError):
    """An edition under schemas/ is malformed or missing."""

    exit_code = EXIT_USAGE


class UnreadableError(XltoolsError):
    """An input cannot be read: the finding says why."""

    exit_code = EXIT_UNREADABLE

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class OutputError(XltoolsError):
    exit_code = EXIT_USAGE


class CannotWriteError(XltoolsError):
    """The environment refuses an output (full disk, read-only folder, permission, name too long)."""

    exit_code = EXIT_CANNOT_WRITE
