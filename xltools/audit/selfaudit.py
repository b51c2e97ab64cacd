"""compile audits what it writes: the generated 情况说明 is audited against its own workbook. A finding in a
sentence xltools generated is a defect of ours; one in the clerk's own free text (文字说明) is a warning
placed at that text's cell."""

from __future__ import annotations

from ..book import Book
from ..edition.layout import table_layout
from ..findings import ERROR, WARNING, Finding, finding
from . import audit_text

TEXT_TABLE = "text"  # the free-text table every edition declares (required by the narrative)


def _clerk_texts(book: Book) -> list[tuple[str, str, str, list[str]]]:
    """(label, sheet, cell, lines) of every free text the clerk typed."""
    ed = book.edition
    if not ed.has_table(TEXT_TABLE):
        return []
    t = ed.table(TEXT_TABLE)
    lay = table_layout(ed, TEXT_TABLE)
    out = []
    for r in t.rows:
        value = book.text(TEXT_TABLE, r.id, "text").strip()
        if value:
            lines = [ln.strip() for ln in value.splitlines() if len(ln.strip()) >= 4]
            out.append((r.label, t.sheet, lay.cell(r.id, "text"), lines))
    return out


def self_audit(book: Book, markdown: str) -> list[Finding]:
    report = audit_text(markdown, book.edition, "md", book)
    texts = _clerk_texts(book)
    out: list[Finding] = []
    for f in report.findings:
        if f.severity not in (ERROR, WARNING):
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
            out.append(finding("audit.clerk-text", WARNING, sheet, cell, label=label, detail=f.message, source=f.rule))
        else:
            out.append(finding("audit.defect", ERROR, f.sheet, f.cell, detail=f.message, source=f.rule))
    return out
