"""PDF text by position (pypdfium2): text runs grouped into lines, page headers, footers and page numbers
removed by where they sit (a page number must never glue onto an amount across a page break), lines joined
into paragraphs, and rows of separated cells kept as table rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..texts import text as tr
from .document import Block, Document
from .readers import MAX_CHARS, MAX_PAGES, fail

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them).
RULES = ("audit.read-scanned",)

MARGIN = 0.09  # top and bottom share of the page where headers and footers live
_PAGE_NO = re.compile(
    r"^[\s\-—–_·.]*(?:第\s*)?[0-9０-９IVXLivxl]{1,4}\s*(?:页)?(?:\s*[/／]\s*(?:共\s*)?\d{1,4}\s*页?)?[\s\-—–_·.]*$"
)
_DIGITS = re.compile(r"\d+")
# PDF text puts spaces between runs of another font (CJK next to digits); Chinese has none.
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")


@dataclass
class Run:
    x0: float
    x1: float
    y0: float  # bottom
    y1: float  # top
    text: str


class Line:
    """Text runs on one baseline; the bounds are kept as runs are added (they are read many times)."""

    __slots__ = ("runs", "page", "top", "bottom", "x0", "x1", "_cells")

    def __init__(self, runs: list[Run], page: int) -> None:
        self.runs: list[Run] = []
        self.page = page
        self.top = self.x1 = float("-inf")
        self.bottom = self.x0 = float("inf")
        self._cells: list[str] | None = None
        for r in runs:
            self.add(r)

    def add(self, r: Run) -> None:
        self.runs.append(r)
        self.top, self.bottom = max(self.top, r.y1), min(self.bottom, r.y0)
        self.x0, self.x1 = min(self.x0, r.x0), max(self.x1, r.x1)
        self._cells = None

    @property
    def height(self) -> float:
        return max(1.0, self.top - self.bottom)

    def cells(self) -> list[str]:
        """Runs separated by a wide gap are cells of a table row."""
        if self._cells is None:
            out: list[list[Run]] = []
            gap = self.height * 1.6
            for r in sorted(self.runs, key=lambda r: r.x0):
                if out and r.x0 - out[-1][-1].x1 < gap:
                    out[-1].append(r)
                else:
                    out.append([r])
            self._cells = [_CJK_SPACE.sub("", "".join(x.text for x in group)).strip() for group in out]
        return self._cells

    @property
    def text(self) -> str:
        return "".join(self.cells())


def read_pdf(path: Path, data: bytes) -> Document:
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - a declared dependency
        raise fail("audit.read-unsupported", path, suffix=".pdf") from None
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise fail("audit.read-encrypted", path) from None
        raise fail("audit.read-corrupt", path, detail=msg) from None
    try:
        n = len(pdf)
        if n > MAX_PAGES:
            raise fail(
                "audit.read-too-large",
                path,
                size=tr("audit.read.pages", n=n),
                limit=tr("audit.read.pages", n=MAX_PAGES),
            )
        pages: list[tuple[float, list[Line]]] = []
        chars = 0
        for i in range(n):
            page = pdf[i]
            height = page.get_height()
            tp = page.get_textpage()
            runs = []
            for k in range(tp.count_rects()):
                x0, y0, x1, y1 = tp.get_rect(k)
                text = tp.get_text_bounded(x0, y0, x1, y1).replace("\r", "").replace("\n", "")
                if text.strip():
                    runs.append(Run(x0, x1, y0, y1, text))
            tp.close()
            page.close()
            chars += sum(len(r.text) for r in runs)
            pages.append((height, _lines(runs, i + 1)))
            if chars > MAX_CHARS:
                break
    finally:
        pdf.close()
    if chars == 0:
        raise fail("audit.read-scanned", path, pages=n)
    return _document(str(path), pages)


def _lines(runs: list[Run], page: int) -> list[Line]:
    runs.sort(key=lambda r: (-r.y1, r.x0))
    lines: list[Line] = []
    for r in runs:
        mid = (r.y0 + r.y1) / 2
        for ln in lines[-3:]:
            if ln.bottom <= mid <= ln.top:
                ln.add(r)
                break
        else:
            lines.append(Line([r], page))
    lines.sort(key=lambda ln: -ln.top)
    return lines


def _furniture(pages: list[tuple[float, list[Line]]]) -> set[int]:
    """ids of the lines that are page headers, footers or page numbers."""
    out: set[int] = set()
    seen: dict[str, int] = {}
    margins: list[tuple[Line, str]] = []
    for height, lines in pages:
        for ln in lines:
            if ln.bottom > height * (1 - MARGIN) or ln.top < height * MARGIN:
                key = _DIGITS.sub("#", ln.text.strip())
                margins.append((ln, key))
                seen[key] = seen.get(key, 0) + 1
    for ln, key in margins:
        if _PAGE_NO.match(ln.text) or (len(pages) > 1 and seen[key] >= max(2, len(pages) // 2)):
            out.add(id(ln))
    return out


def _document(path: str, pages: list[tuple[float, list[Line]]]) -> Document:
    drop = _furniture(pages)
    doc = Document(path, "pdf")
    body = [ln for _, lines in pages for ln in lines if id(ln) not in drop]
    if not body:
        return doc
    left = sorted(round(ln.x0) for ln in body)[len(body) // 4]  # the usual left margin
    right = sorted(round(ln.x1) for ln in body)[-max(1, len(body) // 4)]
    para: list[Line] = []
    table: list[list[str]] = []

    def flush_para() -> None:
        if para:
            doc.blocks.append(Block("para", "".join(ln.text for ln in para), page=para[0].page))
            para.clear()

    def flush_table() -> None:
        if table:
            rows = [list(r) for r in table]
            doc.blocks.append(Block("table", " ".join(" ".join(r) for r in rows), page=doc_page[0], rows=rows))
            table.clear()

    doc_page = [1]
    prev: Line | None = None
    for ln in body:
        cells = ln.cells()
        if len(cells) >= 2:
            flush_para()
            if not table:
                doc_page[0] = ln.page
            table.append(cells)
            prev = ln
            continue
        flush_table()
        new = (
            prev is None
            or not para
            or ln.x0 > left + ln.height * 1.2  # an indented first line
            or (prev.page == ln.page and prev.bottom - ln.top > ln.height * 0.9)  # a gap
            or para[-1].x1 < right - ln.height * 2  # the line before ended short: its paragraph ended
        )
        if new:
            flush_para()
        para.append(ln)
        prev = ln
    flush_para()
    flush_table()
    return doc
