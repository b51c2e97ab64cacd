"""Cell formats of the publication workbook: print-ready, no input colours, East-Asian fonts."""

from __future__ import annotations

from typing import Any

from ..template.styles import BODY_FONT, MONEY, MONEY_HIDE_ZERO, NUMBER, PERCENT, TITLE_FONT

RATE = "0.00%"
HEADER_FILL = "#E7E6E6"


class PubStyles:
    def __init__(self, wb: Any) -> None:
        base = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1}
        self.title = wb.add_format({**base, "font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center"})
        self.info = wb.add_format({**base})
        self.info_right = wb.add_format({**base, "align": "right"})
        self.info_wrap = wb.add_format({**base, "text_wrap": True})
        self.header = wb.add_format(
            {**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": HEADER_FILL}
        )
        self.numbers_row = wb.add_format({**cell, "align": "center", "font_size": 9})
        self.text = wb.add_format({**cell, "text_wrap": True})
        self.text_bold = wb.add_format({**cell, "text_wrap": True, "bold": True})
        self.center = wb.add_format({**cell, "align": "center"})
        self.money = wb.add_format({**cell, "num_format": MONEY})
        self.money_bold = wb.add_format({**cell, "num_format": MONEY, "bold": True})
        self.money_hide_zero = wb.add_format({**cell, "num_format": MONEY_HIDE_ZERO})
        self.number = wb.add_format({**cell, "num_format": NUMBER})
        self.count = wb.add_format({**cell, "num_format": "#,##0"})
        self.percent = wb.add_format({**cell, "num_format": PERCENT})
        self.year = wb.add_format({**cell, "num_format": "0"})
        self.rate = wb.add_format({**cell, "num_format": RATE, "align": "right"})
        self.text_right = wb.add_format({**cell, "align": "right"})
        self.note = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.section = wb.add_format({**cell, "bold": True, "bg_color": "#F2F2F2"})
