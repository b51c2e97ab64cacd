"""Program errors (not findings about the user's data), each with its exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1  # the data has errors
EXIT_USAGE = 2  # click's own usage errors
EXIT_UNREADABLE = 3  # an input cannot be read or is not an xltools workbook
EXIT_INTERNAL = 4


class XltoolsError(Exception):
    exit_code = EXIT_INTERNAL


class EditionError(XltoolsError):
    """An edition under schemas/ is malformed or missing."""

    exit_code = EXIT_USAGE


class UnreadableError(XltoolsError):
    """An input cannot be read: the finding says why."""

    exit_code = EXIT_UNREADABLE

    def __init__(self, finding: object) -> None:
        super().__init__(str(getattr(finding, "message", finding)))
        self.finding = finding


class OutputError(XltoolsError):
    exit_code = EXIT_USAGE
