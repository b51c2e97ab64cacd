"""How much room text needs on paper: widths in Excel column units (the width of a '0'), so row heights fit
wrapped CJK text and the info line (编制单位 | 预算年度 | 金额单位) is never cut by the cell beside it."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from typing import Any

LINE_HEIGHT = 14.0  # points per line of 10-point 宋体, with leading
PADDING = 4.0  # points above and below the text of a row
WIDE = 1.85  # a CJK character (East Asian Wide/Fullwidth) in column units at 10 points
NARROW = 1.0
GAP = 4  # column units kept between the two halves of the info line


def text_width(text: str) -> float:
    """The printed width of one line of text, in column units."""
    return sum(WIDE if unicodedata.east_asian_width(ch) in ("W", "F") else NARROW for ch in text)


def line_count(text: str, width: float) -> int:
    """Lines a wrapped cell of `width` column units needs for `text` (explicit newlines kept)."""
    room = max(width - 1.0, 1.0)  # the cell's inner margins
    return sum(max(1, math.ceil(text_width(line) / room)) for line in text.split("\n"))


def row_height(lines: int) -> float:
    return round(lines * LINE_HEIGHT + PADDING, 1)


def fit_row(ws: Any, row: int, cells: Iterable[tuple[str, float]], minimum: int = 1) -> None:
    """Set a row's height to the most lines any of its wrapped cells (text, width) needs; the default
    height is kept for one line, so plain rows stay as Excel draws them."""
    lines = max([minimum, *(line_count(t, w) for t, w in cells if t)])
    if lines > 1:
        ws.set_row(row, row_height(lines))


def info_fits(left: str, right: str, total_width: float) -> bool:
    """Whether 编制单位 (left) and the right-hand part fit on one line of the table's width."""
    return text_width(left) + text_width(right) + GAP <= total_width
