"""The offline HTML report: one self-contained file (inline CSS and JS, no network, no assets) that a
clerk can open from a USB stick. A pass/fail banner, the findings grouped by sheet, and every affected
sheet drawn as a grid with the offending cells highlighted (message on hover and listed below).

Everything that comes from the workbook or a message is escaped: a cell holding `<script>` or
`=cmd|...` is shown as text.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from .. import __version__
from ..cells import col_letter, parse_a1
from ..findings import ERROR, SEVERITY_ZH, WARNING, Finding
from ..validate import FileReport
from .places import Place, place, worst

MAX_ROWS = 500  # the grid shows at most this many rows and columns
MAX_COLS = 60
MAX_TEXT = 80  # characters of a cell shown in the grid (the whole text is in the tooltip)


def default_output(path: Path) -> Path:
    return path.with_name(f"{path.stem}.检查结果.html")


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _show(v: Any) -> str:
    """A cell value as the clerk typed or saw it."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


@dataclass
class _Sheet:
    name: str
    findings: list[tuple[Finding, Place]] = field(default_factory=list)
    grid: list[list[Any]] | None = None
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    error: str = ""


def _load(path: str, names: Sequence[str]) -> tuple[list[str], dict[str, _Sheet]]:
    """The workbook's sheet names and the grids of the sheets named; never raises."""
    sheets = {n: _Sheet(n) for n in names}
    try:
        from python_calamine import CalamineWorkbook

        from ..reader.open import MAX_GRID, open_package

        wb = CalamineWorkbook.from_path(path)
        order = list(wb.sheet_names)
        # calamine builds a dense grid: a stray cell at XFD1048576 would exhaust memory, so the extent is
        # measured in the XML first (as the reader does).
        pkg = open_package(path)
        try:
            extents = {n: pkg.extent(n) for n in names if n in order}
        finally:
            pkg.close()
    except Exception:  # an unreadable file still gets a report: banner and findings only
        return [], sheets
    for n, s in sheets.items():
        if n not in order:
            continue
        rows, cols, far = extents.get(n, (0, 0, ""))
        if rows * cols > MAX_GRID:
            s.error = f"该表的使用范围过大（有内容的单元格远至 {far}），不显示表格内容。"
            continue
        try:
            ws = wb.get_sheet_by_name(n)
            s.grid = ws.to_python(skip_empty_area=False)
            s.merges = list(getattr(ws, "merged_cell_ranges", None) or [])
        except Exception as e:  # one damaged sheet must not lose the others
            s.error = f"无法显示该表的内容（{type(e).__name__}）。"
    return order, sheets


def _cell_title(items: list[Finding], ref: str) -> str:
    parts = []
    for f in items:
        text = f"{ref} {SEVERITY_ZH.get(f.severity, f.severity)}：{f.message}"
        if f.hint:
            text += f"\n怎么改：{f.hint}"
        parts.append(text)
    return "\n\n".join(parts)


def _grid(s: _Sheet, sid: str) -> str:
    if s.error:
        return f'<p class="note">{_e(s.error)}</p>'
    if s.grid is None:
        return ""
    grid = s.grid
    flagged: dict[tuple[int, int], list[Finding]] = defaultdict(list)
    for f, p in s.findings:
        for ref in p.cells:
            r, c = parse_a1(ref)
            flagged[(r, c)].append(f)
    # Extent: the used area (capped) and every flagged cell. Trailing rows holding only blanks and
    # zeros (a list table's unused rows, whose formulas show 0) are left out.
    used_rows = 0
    used_cols = 0
    for i, row in enumerate(grid, start=1):
        last = max((j for j, v in enumerate(row) if v not in ("", None)), default=-1)
        if last >= 0:
            used_cols = max(used_cols, last + 1)
            if any(v not in ("", None, 0) for v in row):
                used_rows = i
    n_rows = min(max(used_rows, max((r for r, _ in flagged), default=0)), MAX_ROWS)
    n_cols = min(max(used_cols, max((c + 1 for _, c in flagged), default=0)), MAX_COLS)
    outside = sorted((k for k in flagged if k[0] > n_rows or k[1] >= n_cols), key=lambda k: k)
    if n_rows == 0 or n_cols == 0:
        return '<p class="note">该表没有内容。</p>'
    # Merged areas drawn as one cell, unless a flagged cell would disappear inside one.
    span: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for (r0, c0), (r1, c1) in s.merges:
        r0, r1, c0, c1 = r0 + 1, min(r1 + 1, n_rows), c0, min(c1, n_cols - 1)
        if r0 > n_rows or c0 >= n_cols:
            continue
        inside = {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        if any(k in flagged for k in inside - {(r0, c0)}):
            continue
        span[(r0, c0)] = (r1 - r0 + 1, c1 - c0 + 1)
        covered |= inside - {(r0, c0)}
    out = ['<div class="grid-wrap"><table class="grid"><thead><tr><th class="corner"></th>']
    out += [f"<th>{col_letter(c)}</th>" for c in range(n_cols)]
    out.append("</tr></thead><tbody>")
    for r in range(1, n_rows + 1):
        row = grid[r - 1] if r <= len(grid) else []
        has_flag = any((r, c) in flagged for c in range(n_cols))
        out.append(f'<tr class="flagged"><th>{r}</th>' if has_flag else f"<tr><th>{r}</th>")
        for c in range(n_cols):
            if (r, c) in covered:
                continue
            text = _show(row[c]) if c < len(row) else ""
            shown = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
            attrs = ""
            if (r, c) in span:
                rs, cs = span[(r, c)]
                attrs += (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            ref = f"{col_letter(c)}{r}"
            items = flagged.get((r, c))
            if items:
                sev = worst({f.severity for f in items})
                out.append(
                    f'<td class="cell {sev}" id="{sid}-{ref}" data-ref="{ref}" data-severity="{sev}" '
                    f'title="{_e(_cell_title(items, ref))}"{attrs}>{_e(shown)}</td>'
                )
            elif shown != text:
                out.append(f'<td title="{_e(text)}"{attrs}>{_e(shown)}</td>')
            else:
                out.append(f"<td{attrs}>{_e(shown)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    rest = sum(1 for row in grid[n_rows:] if any(v not in ("", None) for v in row))
    if rest and used_rows <= MAX_ROWS:
        out.append(f'<p class="note">其后还有 {rest} 行只含空白或 0，未显示。</p>')
    if used_rows > MAX_ROWS or used_cols > MAX_COLS:
        out.append(f'<p class="note">该表较大，只显示前 {MAX_ROWS} 行、{MAX_COLS} 列。</p>')
    if outside:
        refs = "、".join(f"{col_letter(c)}{r}" for r, c in outside[:20]) + ("等" if len(outside) > 20 else "")
        out.append(f'<p class="note">出错的单元格 {_e(refs)} 在上面显示的范围之外，见下方说明。</p>')
    return "".join(out)


def _finding_li(f: Finding, p: Place, sid: str) -> str:
    j = f.to_json()
    sev = f.severity
    target = f' data-target="{sid}-{_e(p.anchor)}"' if p.sheet else ""
    ref = (
        f'<a class="ref" href="#{sid}-{_e(p.anchor)}">{_e(p.label)}</a>'
        if p.sheet
        else f'<span class="ref">{_e(p.label)}</span>'
    )
    parts = [
        f'<li class="finding {sev}" data-ref="{_e(p.anchor)}"{target}>{ref}',
        f'<span class="sev">{_e(SEVERITY_ZH.get(sev, sev))}</span>',
        f'<span class="msg">{_e(f.message)}</span>',
    ]
    if "expected" in j or "actual" in j:
        parts.append(f'<div class="ea">应为：{_e(j.get("expected", ""))}；实际：{_e(j.get("actual", ""))}</div>')
    if f.hint:
        parts.append(f'<div class="hint">怎么改：{_e(f.hint)}</div>')
    parts.append(f'<div class="rule">规则 {_e(f.rule)}</div></li>')
    return "".join(parts)


def _count(findings: Sequence[Finding]) -> str:
    n_err = sum(1 for f in findings if f.severity == ERROR)
    n_warn = sum(1 for f in findings if f.severity == WARNING)
    bits = []
    if n_err:
        bits.append(f'<span class="badge error">{n_err} 个错误</span>')
    if n_warn:
        bits.append(f'<span class="badge warning">{n_warn} 个提醒</span>')
    return " ".join(bits)


def render(report: FileReport) -> str:
    name = Path(report.path).name
    order: list[str] = []
    sheets: dict[str, _Sheet] = {}
    if not report.unreadable:
        wanted = sorted({f.sheet for f in report.findings if f.sheet})
        order, sheets = _load(report.path, wanted)
    ed = report.book.edition if report.book is not None else None
    present = set(order)
    groups: dict[str, _Sheet] = {}
    for f in report.findings:
        p = place(f, present, ed)
        key = p.sheet if p.sheet else ""
        if key not in groups:
            groups[key] = sheets.get(key) or _Sheet(key)
        groups[key].findings.append((f, p))
    # Findings with no place first, then the sheets in workbook order.
    keys = sorted(groups, key=lambda k: (k != "", order.index(k) if k in order else -1))

    n_err, n_warn = len(report.errors), len(report.warnings)
    if report.unreadable:
        state, head = "unreadable", "无法读取"
        summary = "文件无法读取，没有检查其中的数据。请按下面的说明处理后重新检查。"
    elif n_err:
        state, head = "fail", "未通过"
        summary = f"发现 {n_err} 个错误、{n_warn} 个提醒。请改正所有错误后重新检查。"
    else:
        state, head = "pass", "通过"
        summary = f"没有发现错误。有 {n_warn} 个提醒，请确认。" if n_warn else "没有发现问题。"
    meta = []
    if report.edition:
        meta.append(f"模板版本 {report.edition}")
    if report.year:
        meta.append(f"{report.year} 年度")
    meta.append(f"xltools {__version__}")

    body = [
        f'<header class="banner {state}" id="banner" data-state="{state}" data-errors="{n_err}" '
        f'data-warnings="{n_warn}"><h1>{_e(head)}</h1><p class="file">{_e(name)}</p>'
        f'<p class="summary">{_e(summary)}</p><p class="counts">{_count(report.findings)}</p>'
        f'<p class="meta">{_e(" · ".join(meta))}</p><p class="meta" id="js-status"></p></header>'
    ]
    if keys:
        body.append('<nav class="toc"><h2>按工作表</h2><ul>')
        for i, k in enumerate(keys):
            label = k or "整个文件 / 缺少的工作表"
            body.append(f'<li><a href="#s{i}">{_e(label)}</a> {_count([f for f, _ in groups[k].findings])}</li>')
        body.append(
            '</ul><label class="only"><input type="checkbox" id="only-flagged"> 表格中只显示有问题的行</label></nav>'
        )
    body.append("<main>")
    for i, k in enumerate(keys):
        s = groups[k]
        sid = f"s{i}"
        label = k or "整个文件 / 缺少的工作表"
        body.append(
            f'<section class="sheet" id="{sid}" data-sheet="{_e(k)}"><h2>{_e(label)} '
            f"{_count([f for f, _ in s.findings])}</h2>"
        )
        if k:
            body.append(_grid(s, sid))
        body.append('<ol class="findings">' + "".join(_finding_li(f, p, sid) for f, p in s.findings) + "</ol>")
        body.append("</section>")
    if not keys:
        body.append('<p class="ok">没有需要处理的问题。</p>')
    body.append(
        "</main><footer>本报告由 xltools 生成，是一个独立文件，可离线打开，不联网、不引用任何外部资源。"
        "请在原工作簿中修改，改完后重新检查。</footer>"
    )
    return _PAGE.format(title=_e(f"检查结果：{name}"), version=_e(__version__), css=_CSS, js=_JS, body="\n".join(body))


def write_html(report: FileReport, out: Path) -> Path:
    from ..outputs import atomic_write

    text = render(report)
    return atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="xltools {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<script>{js}</script>
</body>
</html>
"""

_CSS = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",SimSun,sans-serif;
 margin:0;color:#1f2328;background:#f6f7f9;font-size:14px}
.banner{padding:16px 24px;color:#fff}
.banner.fail{background:#c62828}.banner.pass{background:#2e7d32}.banner.unreadable{background:#6d4c41}
.banner h1{margin:0 0 4px;font-size:26px}.banner p{margin:2px 0}.banner .file{font-size:16px;font-weight:bold}
.banner .meta{opacity:.85;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:bold;color:#1f2328}
.badge.error{background:#ff8080}.badge.warning{background:#ffd54f}
.toc{background:#fff;margin:12px 24px;padding:8px 16px;border:1px solid #d0d7de;border-radius:6px}
.toc h2{font-size:15px;margin:4px 0}.toc ul{margin:4px 0;padding-left:20px}.toc .only{font-size:13px}
main{margin:0 24px}
.sheet{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:12px 0;padding:8px 16px}
.sheet h2{font-size:17px;margin:6px 0 10px}
.grid-wrap{overflow:auto;max-height:70vh;border:1px solid #d0d7de}
table.grid{border-collapse:collapse;font-size:12px;background:#fff}
.grid th{background:#eef1f4;color:#57606a;font-weight:normal;border:1px solid #d0d7de;padding:2px 6px;
 position:sticky;top:0;z-index:1}
.grid tbody th{position:sticky;left:0;text-align:right;z-index:1}
.grid td{border:1px solid #e1e4e8;padding:2px 6px;white-space:pre-wrap;max-width:18em;overflow:hidden;
 vertical-align:top}
.grid td.cell{font-weight:bold;cursor:help;outline:2px solid #b71c1c;outline-offset:-2px}
.grid td.cell.error{background:#ff8080}
.grid td.cell.warning{background:#ffd54f;outline-color:#b28704}
.grid td.flash{animation:flash 1.6s}
@keyframes flash{0%,50%{box-shadow:inset 0 0 0 4px #0969da}100%{box-shadow:none}}
body.only-flagged .grid tbody tr:not(.flagged){display:none}
ol.findings{padding-left:24px}
.finding{margin:6px 0;padding:6px 8px;border-left:4px solid #ff8080;background:#fff5f5;cursor:pointer}
.finding.warning{border-left-color:#ffd54f;background:#fffbe6}
.finding .ref{font-weight:bold;margin-right:8px;font-family:Consolas,monospace}
.finding .sev{display:inline-block;margin-right:8px;font-weight:bold}
.finding.error .sev{color:#b71c1c}.finding.warning .sev{color:#8a6100}
.finding .hint{color:#0b5394;margin-top:2px}.finding .ea{color:#57606a;font-size:13px}
.finding .rule{color:#8c959f;font-size:11px}
.note{color:#57606a;font-size:13px}.ok{font-size:16px}
footer{color:#57606a;font-size:12px;margin:16px 24px 32px}
@media print{.toc,.grid-wrap{max-height:none}.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

_JS = """
(function () {
  var cells = document.querySelectorAll('td.cell.error, td.cell.warning');
  document.body.setAttribute('data-highlighted', String(cells.length));
  var status = document.getElementById('js-status');
  if (status && cells.length) { status.textContent = '表格中已标出 ' + cells.length + ' 个单元格；点击下方的问题可跳到对应单元格。'; }
  function find(li) { var id = li.getAttribute('data-target'); return id ? document.getElementById(id) : null; }
  var items = document.querySelectorAll('li.finding[data-target]');
  for (var i = 0; i < items.length; i++) {
    items[i].addEventListener('click', function (ev) {
      var cell = find(this);
      if (!cell) { return; }
      ev.preventDefault();
      cell.scrollIntoView({block: 'center', inline: 'center'});
      cell.classList.remove('flash'); void cell.offsetWidth; cell.classList.add('flash');
    });
  }
  var only = document.getElementById('only-flagged');
  if (only) { only.addEventListener('change', function () { document.body.classList.toggle('only-flagged', this.checked); }); }
})();
"""
