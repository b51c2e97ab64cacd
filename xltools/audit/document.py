"""The document model every reader produces: numbered blocks (headings, paragraphs, tables) with their
heading path and page, and the sentences of a paragraph."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import normalise
from .phrases import Phrases


@dataclass
class Block:
    kind: str  # heading | para | table
    text: str  # a table: its cells joined, for searching
    level: int = 0  # headings: 1, 2, 3 …
    page: int = 0  # 1-based for PDF, 0 when the format has no pages
    index: int = 0  # paragraph number in the document (1-based), set by Document
    path: tuple[str, ...] = ()  # the headings above it
    rows: list[list[str]] = field(default_factory=list)  # tables only
    styled: bool = False  # a heading by its style (Word, Markdown), not by its wording


@dataclass
class Document:
    path: str
    kind: str  # txt | md | docx | html | pdf
    blocks: list[Block] = field(default_factory=list)

    @property
    def title(self) -> str:
        for b in self.blocks[:4]:
            if b.kind != "table" and b.text.strip():
                return b.text.strip()
        return ""

    def paragraphs(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "para"]

    def headings(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading"]

    def tables(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "table"]


def heading_level(text: str, phrases: Phrases) -> int:
    """The level of a line that reads as a heading by its numbering (一、 （一） 1、), else 0."""
    t = normalise(text.strip())
    if not t or len(t) > phrases.heading_max_chars or t[-1] in phrases.sentence_end:
        return 0
    for level, pattern in phrases.heading_patterns:
        if pattern.match(t):
            return level
    return 0


def finish(doc: Document, phrases: Phrases) -> Document:
    """Number the blocks, classify numbered lines as headings and give each block its heading path."""
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    for b in doc.blocks:
        if b.kind != "table":
            b.text = b.text.strip()
            if not b.text:
                continue
            if b.kind == "para":
                level = heading_level(b.text, phrases)
                if level:
                    b.kind, b.level = "heading", level
        if b.kind == "heading":
            # A numbered heading under a styled one keeps the styled hierarchy: levels are relative.
            level = max(1, b.level)
            while stack and stack[-1][0] >= level:
                stack.pop()
            b.path = tuple(t for _, t in stack)
            stack.append((level, b.text))
        else:
            b.path = tuple(t for _, t in stack)
        blocks.append(b)
    for i, b in enumerate(blocks, 1):
        b.index = i
    doc.blocks = blocks
    return doc


_SENT = re.compile(r"[^。！？!?]*(?:[。！？!?]+[”’」』)]*|$)")
MAX_SENTENCE = 1500  # longer runs without a full stop (pasted tables, garbage) are cut: bounded work per piece


def sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pieces of a paragraph, split after 。！？ (a quote closing after them stays)."""
    out = []
    for m in _SENT.finditer(text):
        s = m.group(0)
        for k in range(0, len(s), MAX_SENTENCE):
            piece = s[k : k + MAX_SENTENCE]
            if piece.strip():
                out.append((m.start() + k, piece))
    return out
