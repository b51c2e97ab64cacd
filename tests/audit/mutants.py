"""The narrative mutation suite: one number, one direction word or one unit changed at a time in a generated
情况说明; every mutant that makes a statement false must be caught by the audit against its workbook.
Shared by tests/audit/test_mutations.py (a sample) and bench/audit_bench.py (the whole run)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from xltools.audit import audit_text
from xltools.audit.numbers import numbers
from xltools.book import Book

SWAPS = {"增加": "减少", "减少": "增加", "增长": "下降", "下降": "增长"}
AMOUNT_UNITS = ("元", "万元", "%", "平方米", "台")
NAME_NUMBERS = ("20万元以上",)  # digits inside a figure's name are not statements


@dataclass(frozen=True)
class Mutant:
    line: int
    op: str  # digit | lead-digit | direction | unit
    before: str
    after: str
    text: str  # the mutated document


def _prose(lines: list[str], book: Book) -> list[int]:
    clerk = [
        v.strip()
        for (t, _r, _c), cell in book.cells.items()
        if t == "text"
        for v in [str(cell.value or "")]
        if v.strip()
    ]
    clerk_lines = {ln.strip() for v in clerk for ln in v.splitlines() if ln.strip()}
    out = []
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith(("#", "|", "**")) or s in clerk_lines:
            continue
        if any(s.endswith(c) or c.endswith(s) for c in clerk_lines if len(c) > 8):
            continue
        out.append(i)
    return out


def _bump(text: str, lead: bool) -> str:
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = digits[0] if lead else digits[-1]
    d = int(text[i])
    return text[:i] + str((d + 1) % 10 if not lead or d < 9 else 1) + text[i + 1 :]


def _clerk_spans(ln: str, book: Book) -> list[tuple[int, int]]:
    """Where the clerk's own free text sits in a generated line (its words are not ours to verify)."""
    out = []
    for (t, _r, _c), cell in book.cells.items():
        v = str(cell.value or "").strip() if t == "text" else ""
        for piece in v.splitlines():
            piece = piece.strip().rstrip("。")
            k = ln.find(piece) if len(piece) >= 4 else -1
            if k >= 0:
                out.append((k, k + len(piece)))
    return out


def mutants(md: str, book: Book) -> Iterator[Mutant]:
    lines = md.split("\n")
    for i in _prose(lines, book):
        ln = lines[i]
        clerk = _clerk_spans(ln, book)

        def mine(pos: int, clerk: list[tuple[int, int]] = clerk) -> bool:
            return not any(a <= pos < z for a, z in clerk)

        for n in numbers(ln):
            if n.unit not in AMOUNT_UNITS or any(w in ln[max(0, n.start - 3) : n.end + 3] for w in NAME_NUMBERS):
                continue
            if not mine(n.start):
                continue
            num_text = ln[n.start : n.end - len(n.unit)] if n.unit else ln[n.start : n.end]
            for op in ("digit", "lead-digit"):
                new = _bump(num_text, op == "lead-digit")
                if new == num_text:
                    continue
                mutated = ln[: n.start] + new + ln[n.start + len(num_text) :]
                yield Mutant(i, op, ln[n.start : n.end], new + n.unit, _join(lines, i, mutated))
            if n.unit in ("元", "万元") and n.value != Decimal(0):
                other = "万元" if n.unit == "元" else "元"
                mutated = ln[: n.end - len(n.unit)] + other + ln[n.end :]
                yield Mutant(i, "unit", ln[n.start : n.end], num_text + other, _join(lines, i, mutated))
        for word, repl in SWAPS.items():
            start = 0
            while (k := ln.find(word, start)) >= 0:
                start = k + len(word)
                if not mine(k):
                    continue
                mutated = ln[:k] + repl + ln[k + len(word) :]
                yield Mutant(i, "direction", word, repl, _join(lines, i, mutated))


def _join(lines: list[str], i: int, new: str) -> str:
    return "\n".join(lines[:i] + [new] + lines[i + 1 :])


def signature(md: str, book: Book) -> set[tuple[str, str, str, str]]:
    return {
        (f.rule, f.sheet, f.cell, str(f.params.get("sentence", "")))
        for f in audit_text(md, book.edition, "md", book).findings
    }


def is_caught(m: Mutant, book: Book, baseline: set[tuple[str, str, str, str]]) -> bool:
    return bool(signature(m.text, book) - baseline)
