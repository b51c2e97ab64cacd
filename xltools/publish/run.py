"""compile: from a checked Book to the three outputs in a folder, each written atomically; existing
outputs are refused unless overwrite is asked for, and nothing is written over the input."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import texts
from ..book import Book
from ..edition.model import UNIT_NAME
from ..errors import CannotWriteError
from ..findings import Finding
from ..narrative import Placeholder, compile_narrative, fixed_date, load_config
from ..narrative.context import budget_year
from ..outputs import atomic_write, atomic_write_bytes, check_target, safe_stem
from .workbook import write_publication

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass
class CompileResult:
    docx: Path
    markdown: Path
    tables: Path
    placeholders: list[Placeholder] = field(default_factory=list)
    audit: list[Finding] = field(default_factory=list)  # self-audit of the narrative (xltools/audit/selfaudit.py)
    pdf: Path | None = None  # the 情况说明 as PDF (compile --pdf)

    @property
    def files(self) -> list[Path]:
        return [self.docx, *([self.pdf] if self.pdf else []), self.markdown, self.tables]


def safe_name(text: str) -> str:
    """A file name from a department name: no path separators or characters Windows refuses."""
    name = safe_stem(_UNSAFE.sub("_", text).strip(" ."))  # a long 单位名称 is shortened in the name only
    return name or texts.text("publish.unnamed_unit")


def output_paths(book: Book, out_dir: Path) -> tuple[Path, Path, Path]:
    cfg = load_config(book.edition)
    name, year = book.text_cell(UNIT_NAME), budget_year(book)
    narrative = safe_name(cfg.narrative_title(name, year))
    tables = safe_name(cfg.tables_title(name, year))
    return out_dir / f"{narrative}.docx", out_dir / f"{narrative}.md", out_dir / f"{tables}.xlsx"


def compile_book(
    book: Book, out_dir: Path, inputs: Iterable[Path] = (), overwrite: bool = False, pdf: bool = False
) -> CompileResult:
    """The outputs; with pdf also the 情况说明 as PDF through LibreOffice (CannotWriteError, before anything is
    written, when LibreOffice is not installed; inside an output set, a failed conversion writes nothing)."""
    from . import pdf as render

    out_dir = Path(out_dir)
    docx, md, xlsx = output_paths(book, out_dir)
    pdf_path = docx.with_suffix(".pdf") if pdf else None
    if pdf and render.soffice() is None:
        raise CannotWriteError(texts.text("publish.pdf.no_libreoffice", path=str(pdf_path)))
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = list(inputs)
    for target in (docx, md, xlsx, *([pdf_path] if pdf_path else [])):  # refuse before writing anything
        check_target(target, inputs, overwrite)
    narrative = compile_narrative(book)
    from ..audit.selfaudit import self_audit

    audit = self_audit(book, narrative.markdown)
    atomic_write_bytes(md, narrative.markdown.encode("utf-8"))
    atomic_write_bytes(docx, narrative.docx)
    atomic_write(xlsx, lambda tmp: write_publication(book, narrative.context, tmp))
    if pdf_path is not None:
        try:
            data = render.narrative_pdf(narrative.docx, fixed_date(budget_year(book)))
        except render.RenderError as e:
            raise CannotWriteError(texts.text("publish.pdf.failed", path=str(pdf_path), detail=str(e))) from None
        atomic_write_bytes(pdf_path, data)
    return CompileResult(docx, md, xlsx, narrative.placeholders, audit, pdf_path)
