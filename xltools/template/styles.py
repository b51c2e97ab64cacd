"""Cell formats of the template: East-Asian fonts, borders, number formats, protection."""

from __future__ import annotations

from typing import Any

BODY_FONT = "宋体"
TITLE_FONT = "黑体"

MONEY = "#,##0.00"
MONEY_HIDE_ZERO = '#,##0.00;-#,##0.00;""'
NUMBER = "#,##0.00"
PERCENT = "0.00"
TEXT = "@"

INPUT_FILL = "#FFF9D6"  # pale yellow: type here
FORMULA_FILL = "#EEF3F8"  # pale blue: computed, locked
HEADER_FILL = "#D9E1F2"


class Styles:
    """All formats of one workbook, created once (xlsxwriter formats belong to a workbook)."""

    def __init__(self, wb: Any) -> None:
        base = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1}
        self.title = wb.add_format({**base, "font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center"})
        self.info = wb.add_format({**base})
        self.info_right = wb.add_format({**base, "align": "right"})
        self.info_wrap = wb.add_format({**base, "text_wrap": True})
        self.header = wb.add_format(
            {**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": HEADER_FILL, "locked": True}
        )
        self.label = wb.add_format({**cell, "text_wrap": True})
        self.label_bold = wb.add_format({**cell, "bold": True})
        self.na = wb.add_format({**cell, "align": "center"})
        self.numbers_row = wb.add_format({**cell, "align": "center", "font_size": 9})
        inp = {**cell, "locked": False, "bg_color": INPUT_FILL}
        self.in_money = wb.add_format({**inp, "num_format": MONEY})
        self.in_number = wb.add_format({**inp, "num_format": NUMBER})
        self.in_percent = wb.add_format({**inp, "num_format": PERCENT})
        self.in_text = wb.add_format({**inp, "num_format": TEXT})
        self.in_wrap = wb.add_format({**inp, "num_format": TEXT, "text_wrap": True, "valign": "top"})
        self.in_year = wb.add_format({**inp, "num_format": "0"})
        self.in_name = wb.add_format({**inp})  # unlocked formula (auto name), may be typed over
        f = {**cell, "locked": True, "bg_color": FORMULA_FILL}
        self.f_money = wb.add_format({**f, "num_format": MONEY_HIDE_ZERO})
        self.f_money_total = wb.add_format({**f, "num_format": MONEY, "bold": True})
        self.f_text = wb.add_format({**f})
        self.plain = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.plain_bold = wb.add_format({**base, "bold": True, "font_size": 12})

    def input_for(self, ctype: str, wrap: bool = False) -> Any:
        return {
            "money": self.in_money,
            "number": self.in_number,
            "percent": self.in_percent,
            "year": self.in_year,
        }.get(ctype, self.in_wrap if wrap else self.in_text)
