"""Completeness: the required parts of a whole 情况说明, and a 空表说明 for every empty table."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..book import Book
from ..findings import WARNING, Finding, finding
from .document import Document
from .phrases import Phrases

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them).
RULES = (
    "audit.section-missing",
    "audit.empty-note-missing",
)

_LEVEL1 = re.compile(r"^[一二三四五六七八九十]+[、.．]")


def is_whole(doc: Document, ph: Phrases) -> bool:
    """The document presents itself as a whole 情况说明: its title and its 一…九 structure."""
    spec = ph.data.get("completeness", {})
    head = " ".join(b.text for b in doc.blocks[:4] if b.kind != "table")
    if not re.search(str(spec.get("whole_title", "情况说明")), head):
        return False
    n = sum(1 for b in doc.headings() if _LEVEL1.match(b.text))
    return n >= int(spec.get("whole_min_sections", 5))


def check_sections(doc: Document, ph: Phrases) -> Iterator[Finding]:
    heads = " ".join(b.text for b in doc.headings())
    paras = " ".join(b.text for b in doc.paragraphs())
    for part in ph.data.get("completeness", {}).get("required", []):
        words = [str(w) for w in part.get("any", [])]
        in_heads = any(w in heads for w in words)
        stated = any(w in paras for w in words)
        if in_heads and (stated or not part.get("statement")):
            continue
        if part.get("statement") and stated and not in_heads:
            continue
        yield finding(
            "audit.section-missing",
            WARNING,
            "",
            "",
            section=str(part.get("name", "")),
            words=words,
            statement=bool(part.get("statement")),
        )


def check_empty_notes(doc: Document, ph: Phrases, book: Book) -> Iterator[Finding]:
    """Every table the workbook leaves empty needs a 空表说明 naming that table."""
    from ..narrative import load_config
    from ..narrative.context import published_tables, table_is_empty, table_number

    ed = book.edition
    cfg = load_config(ed)
    markers = [str(w) for w in ph.data.get("completeness", {}).get("empty_note", [])]
    notes = [b.text for b in doc.paragraphs() if any(m in b.text for m in markers)]
    for tid in published_tables(book, cfg):
        t = ed.table(tid)
        if not table_is_empty(book, t):
            continue
        names = [cfg.title(ed, tid), t.title]
        number = table_number(t)
        if any(
            any(n and n in text for n in names) or (number and re.search(number + r"(?!\d)", text)) for text in notes
        ):
            continue
        yield finding("audit.empty-note-missing", WARNING, t.sheet, "", table=tid, table_title=cfg.title(ed, tid))
