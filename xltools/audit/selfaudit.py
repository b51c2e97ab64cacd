"""compile audits what it writes: the generated 情况说明 is audited against its own workbook. A finding in a
sentence xltools generated is a defect of ours; one in the clerk's own free text (文字说明) is a warning
placed at that text's cell."""

from __future__ import annotations

from ..book import Book
from ..edition.layout import table_layout
from ..findings import ERROR, WARNING, Finding, finding
from . import audit_text, checks

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them).
RULES = (
    "audit.defect",
    "audit.clerk-text",
)


def _clerk_texts(book: Book) -> list[tuple[str, str, str, list[str]]]:
    """(label, sheet, cell, lines) of every named free text the clerk typed (the edition's text cells)."""
    ed = book.edition
    out = []
    for tc in ed.text_cells:
        t = ed.table(tc.table)
        if t.column(tc.col).type != "text":
            continue
        value = book.text(tc.table, tc.row, tc.col).strip()
        if value:
            lines = [ln.strip() for ln in value.splitlines() if len(ln.strip()) >= 4]
            out.append((tc.name, t.sheet, table_layout(ed, tc.table).cell(tc.row, tc.col), lines))
    return out


def _reason_cells(book: Book) -> set[tuple[str, str]]:
    """(sheet, cell) of the reason texts validate already reports against their figures (rules/reasons.py):
    the audit's own reason findings there would say it twice."""
    from ..rules import reasons

    return {(f.sheet, f.cell) for f in reasons.check(book)}


def self_audit(book: Book, markdown: str) -> list[Finding]:
    # The text restates the workbook: a stated figure against another workbook figure (pairs) is the data's
    # matter, not the text's.
    report = audit_text(markdown, book.edition, "md", book, pairs=False)
    texts = _clerk_texts(book)
    reason_cells = _reason_cells(book)
    out: list[Finding] = []
    for f in report.findings:
        if f.severity not in (ERROR, WARNING):
            continue
        if f.rule == checks.PLACEHOLDER:
            # A 【请填写】 the clerk left: compile lists it at the cell to fill (Narrative.placeholders). Said
            # here it was "xltools 生成的情况说明未通过自查 … 请把工作簿发给维护人员", twice, for the clerk's blank text.
            continue
        sentence = str(f.params.get("sentence", "")).replace("〖", "").replace("〗", "").strip("…")
        owner = next(
            (t for t in texts if sentence and any(ln in sentence or sentence.rstrip("。") in ln for ln in t[3])), None
        )
        if owner is None:
            for t in texts:
                if sentence and any(
                    part and part in sentence for ln in t[3] for part in ln.split("，") if len(part) >= 6
                ):
                    owner = t
                    break
        if owner is not None:
            label, sheet, cell, _ = owner
            if f.rule.startswith("audit.reason-") and (sheet, cell) in reason_cells:
                continue  # validate's reasons check says it at this cell
            out.append(finding("audit.clerk-text", WARNING, sheet, cell, label=label, detail=f.message, source=f.rule))
        else:
            out.append(finding("audit.defect", ERROR, f.sheet, f.cell, detail=f.message, source=f.rule))
    return out
