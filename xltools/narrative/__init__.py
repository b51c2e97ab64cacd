"""The 情况说明 (narrative) of a department's budget disclosure, generated from its workbook.

context.py builds the data (figures as Decimal, texts, placeholders) from a Book; the edition's Jinja2
templates (schemas/<edition>/narrative/) render it to Markdown (render.py, phrases.py); markdown.py parses
that Markdown into blocks and docx_writer.py lays them out in Word. One rendering feeds both files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..book import Book
from .config import NarrativeConfig, load_config
from .context import Context, Placeholder, build_context, placeholder_pattern
from .docx_writer import build_docx
from .markdown import parse
from .render import render_markdown

__all__ = ["Narrative", "compile_narrative", "load_config", "build_context", "Context", "Placeholder", "fixed_date"]

_PLACEHOLDER = re.compile(placeholder_pattern("("))


@dataclass
class Narrative:
    markdown: str
    docx: bytes
    context: Context
    placeholders: list[Placeholder]  # the missing texts that appear in the document, in order


def fixed_date(year: int) -> dt.datetime:
    """The document date written into the outputs' metadata: fixed, so outputs are byte-deterministic."""
    return dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)


def compile_narrative(book: Book, config: NarrativeConfig | None = None) -> Narrative:
    ctx = build_context(book, config)
    md = render_markdown(ctx)
    shown = set(_PLACEHOLDER.findall(md))
    placeholders = [p for p in ctx.placeholders if p.label in shown]
    unit, year = ctx.unit_name, ctx.year
    docx = build_docx(
        parse(md), ctx.config.docx, title=ctx.config.narrative_title(unit, year), author=unit, when=fixed_date(year)
    )
    return Narrative(md, docx, ctx, placeholders)
