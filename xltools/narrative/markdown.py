"""The Markdown subset of the narrative, parsed into blocks the Word writer lays out.

    # Title                      the document title (one)
    ## / ### / ####              headings, levels 1–3 (Word "Heading 1/2/3", so a TOC works)
    | a | b |  + |---|--:|       a table: first row is the header; ``--:`` right-aligns a column
    **caption**                  a paragraph that is only bold, right before a table: the table's caption
    paragraph text               lines up to a blank line; ``**bold**``, ``<br>`` line breaks, ``\\X`` escapes

Anything else is plain text. The .md file is exactly what the templates rendered; the .docx is built from
these blocks, so the two always say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_SEPARATOR = re.compile(r"^\|?(\s*:?-+:?\s*\|)+\s*(:?-+:?)?\s*$")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_INLINE = re.compile(r"(\*\*(?:\\.|[^*\\])+\*\*|<br>)")


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    br: bool = False  # a line break (the text is empty)


@dataclass(frozen=True)
class Heading:
    level: int  # 0 title, 1..3
    text: str


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    caption: bool = False  # a table caption (centred)

    @property
    def text(self) -> str:
        return runs_text(self.runs)


@dataclass(frozen=True)
class Table:
    header: tuple[tuple[Run, ...], ...]
    rows: tuple[tuple[tuple[Run, ...], ...], ...]
    align: tuple[str, ...] = field(default=())  # "left" | "right" | "center" per column


Block = Heading | Paragraph | Table


def runs_text(runs: tuple[Run, ...]) -> str:
    """The text a reader sees, line breaks as newlines."""
    return "".join("\n" if r.br else r.text for r in runs)


def unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def inline(text: str) -> tuple[Run, ...]:
    runs: list[Run] = []
    for part in _INLINE.split(text):
        if not part:
            continue
        if part == "<br>":
            runs.append(Run("", br=True))
        elif part.startswith("**") and part.endswith("**") and len(part) > 4:
            runs.append(Run(unescape(part[2:-2]), bold=True))
        else:
            runs.append(Run(unescape(part)))
    return tuple(runs)


def plain(text: str) -> str:
    """Inline Markdown -> the text a reader sees (line breaks as newlines)."""
    return runs_text(inline(text))


def _cells(line: str) -> list[str]:
    """Split a table row on unescaped pipes."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells, cur, i = [], "", 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            cur += body[i : i + 2]
            i += 2
            continue
        if ch == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    cells.append(cur.strip())
    return cells


def _align(spec: str) -> str:
    s = spec.strip()
    if s.startswith(":") and s.endswith(":"):
        return "center"
    return "right" if s.endswith(":") else "left"


def parse(md: str) -> list[Block]:
    blocks: list[Block] = []
    lines = md.splitlines()
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Paragraph(inline("".join(s.strip() for s in para))))
            para.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            blocks.append(Heading(len(m.group(1)) - 1, plain(m.group(2).strip())))
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1].strip()):
            flush()
            header = _cells(line)
            align = tuple(_align(s) for s in _cells(lines[i + 1]))
            rows = []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = _cells(lines[i])
                cells = (cells + [""] * len(header))[: len(header)]
                rows.append(tuple(inline(c) for c in cells))
                i += 1
            if blocks and isinstance(blocks[-1], Paragraph) and _is_caption(blocks[-1]):
                blocks[-1] = Paragraph(blocks[-1].runs, caption=True)
            blocks.append(
                Table(tuple(inline(c) for c in header), tuple(rows), (align + ("left",) * len(header))[: len(header)])
            )
            continue
        para.append(line)
        i += 1
    flush()
    return blocks


def _is_caption(p: Paragraph) -> bool:
    return bool(p.runs) and all(r.bold for r in p.runs if not r.br)
