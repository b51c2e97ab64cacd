"""Audit reports in the shapes validate uses: the terminal text, the JSON document and one offline HTML page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from itertools import groupby
from typing import Any

from .. import __version__
from ..findings import SEVERITY_ZH
from ..texts import text
from . import AuditReport

SCHEMA = "xltools-audit-report"
VERSION = 1


def head(r: AuditReport) -> str:
    if r.unreadable:
        return text("audit.report.unreadable", path=r.path)
    n = {"errors": len(r.errors), "warnings": len(r.warnings), "notices": len(r.notices), "path": r.path}
    if r.errors:
        return text("audit.report.failed", **n)
    if r.warnings or r.notices:
        return text("audit.report.passed_with", **n)
    return text("audit.report.passed", path=r.path)


def render_text(r: AuditReport) -> str:
    lines = [head(r) + ("" if r.unreadable else text("audit.report.whole_doc" if r.whole else "audit.report.part_doc"))]
    for sheet, group in groupby(r.findings, key=lambda f: f.sheet):
        if sheet or not r.unreadable:  # a refused file has no document, so no place before its first heading
            lines.append(f"  【{sheet or text('audit.report.title_head')}】")
        for f in group:
            where = f.cell or "—"
            lines.append(f"    {where:<8} {SEVERITY_ZH[f.severity]}  {f.message}")
            if f.hint:
                lines.append(f"             {text('audit.report.hint')}{f.hint}")
    return "\n".join(lines)


def finding_json(f: Any) -> dict[str, Any]:
    out = f.to_json()
    for k in ("sentence", "how", "page", "paragraph"):
        if k in f.params and f.params[k] not in ("", None):
            out[k] = f.params[k]
    if f.sheet:
        out["section"] = f.sheet
    return out


def file_json(r: AuditReport) -> dict[str, Any]:
    return {
        "path": r.path,
        "kind": r.kind,
        "valid": r.valid,
        "unreadable": r.unreadable,
        "whole": r.whole,
        "edition": r.edition or None,
        "year": r.year or None,
        "paragraphs": r.paragraphs,
        "pages": r.pages,
        "claims": r.claims,
        "errors": len(r.errors),
        "warnings": len(r.warnings),
        "notices": len(r.notices),
        "findings": [finding_json(f) for f in r.findings],
    }


def render_json(reports: Sequence[AuditReport]) -> str:
    doc = {
        "schema": SCHEMA,
        "version": VERSION,
        "generator": f"xltools {__version__}",
        "files": [file_json(r) for r in reports],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


_CSS = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}h1{font-size:1.3em}.banner{padding:.6em 1em;border-radius:4px}"
    ".ok{background:#e6f4ea}.bad{background:#fce8e6}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}th{background:#f3f3f3}"
    ".error{color:#b3261e;font-weight:bold}.warning{color:#8a5a00}.notice{color:#555}mark{background:#ffe08a}"
    ".hint{color:#555;font-size:.92em}td.error,td.warning,td.notice,th{white-space:nowrap}"
)


def _sentence_html(s: str) -> str:
    return escape(s).replace("〖", "<mark>").replace("〗", "</mark>")


def render_html(reports: Sequence[AuditReport]) -> str:
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(text('audit.report.html_title'))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(text('audit.report.html_title'))}</h1>",
    ]
    for r in reports:
        cls = "bad" if (r.unreadable or r.errors) else "ok"
        parts.append(f'<div class="banner {cls}">{escape(head(r))}</div>')
        if not r.findings:
            parts.append(f"<p>{escape(text('audit.report.html_none'))}</p>")
            continue
        parts.append(
            "<table><tr>"
            + "".join(
                f"<th>{escape(text('audit.report.' + k))}</th>"
                for k in ("html_place", "html_severity", "html_problem", "html_fix")
            )
            + "</tr>"
        )
        for f in r.findings:
            place = escape(" ".join(x for x in (f.sheet, f.cell) if x))
            msg = escape(f.message)
            s = str(f.params.get("sentence", ""))
            if s:
                msg = msg.replace(escape(s), _sentence_html(s))
            parts.append(
                f'<tr><td>{place}</td><td class="{f.severity}">{escape(SEVERITY_ZH[f.severity])}</td>'
                f'<td>{msg}</td><td class="hint">{escape(f.hint)}</td></tr>'
            )
        parts.append("</table>")
    parts.append(f'<p class="hint">{escape(text("audit.report.generator", version=__version__))}</p></body></html>')
    return "".join(parts)
