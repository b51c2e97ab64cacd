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
from ..findings import Finding
from ..narrative import Placeholder, compile_narrative, load_config
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

    @property
    def files(self) -> list[Path]:
        return [self.docx, self.markdown, self.tables]


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


def compile_book(book: Book, out_dir: Path, inputs: Iterable[Path] = (), overwrite: bool = False) -> CompileResult:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    docx, md, xlsx = output_paths(book, out_dir)
    inputs = list(inputs)
    for target in (docx, md, xlsx):  # refuse before writing anything
        check_target(target, inputs, overwrite)
    narrative = compile_narrative(book)
    from ..audit.selfaudit import self_audit

    audit = self_audit(book, narrative.markdown)
    atomic_write_bytes(md, narrative.markdown.encode("utf-8"))
    atomic_write_bytes(docx, narrative.docx)
    atomic_write(xlsx, lambda tmp: write_publication(book, narrative.context, tmp))
    return CompileResult(docx, md, xlsx, narrative.placeholders, audit)
