"""Cell formats of xl/styles.xml, as far as reading needs them: which number format a style index shows, and
whether that format is a date or time (a number cell formatted as a date is a date to the clerk)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import names as N

# Built-in number formats that are dates or times (ECMA-376 18.8.30, and the CJK locale ids 27–36, 50–58).
BUILTIN_DATES = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, *range(27, 37), *range(50, 59)})
_QUOTED = re.compile(r'"[^"]*"|\\.|\[(?![hms]+\])[^\]]*\]')  # literal text, escapes, [Red]/[$-804] (not [h])
_DATE_CODE = re.compile(r"[ymdhsYMDHSe]|[年月日时分秒]|AM/PM|上午/下午", re.I)


def is_date_code(code: str) -> bool:
    """Whether a format code shows a date or time: y m d h s outside quoted text and brackets, in any section
    but the text one (General and 0.00 are not)."""
    body = _QUOTED.sub("", code.split(";", 1)[0])
    return bool(_DATE_CODE.search(body)) and body.lower() != "general"


@dataclass
class Styles:
    xf_formats: list[int] = field(default_factory=list)  # cellXfs index -> numFmtId
    codes: dict[int, str] = field(default_factory=dict)  # custom numFmtId -> format code

    @classmethod
    def parse(cls, root: Any | None) -> Styles:
        out = cls()
        if root is None:
            return out
        for el in root:
            tag = N.local(el.tag) if isinstance(el.tag, str) else ""
            if tag == "numFmts":
                for nf in el:
                    if isinstance(nf.tag, str) and N.local(nf.tag) == "numFmt":
                        fid = nf.get("numFmtId", "")
                        if fid.isdigit():
                            out.codes[int(fid)] = nf.get("formatCode", "")
            elif tag == "cellXfs":
                for xf in el:
                    if isinstance(xf.tag, str) and N.local(xf.tag) == "xf":
                        fid = xf.get("numFmtId", "0")
                        out.xf_formats.append(int(fid) if fid.isdigit() else 0)
        return out

    def number_format(self, style: int) -> int:
        return self.xf_formats[style] if 0 <= style < len(self.xf_formats) else 0

    def format_code(self, style: int) -> str:
        return self.codes.get(self.number_format(style), "")

    def is_date(self, style: int) -> bool:
        fid = self.number_format(style)
        if fid in self.codes:
            return is_date_code(self.codes[fid])
        return fid in BUILTIN_DATES
