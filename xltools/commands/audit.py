"""xltools audit: check the numbers of published disclosure documents (.docx, .pdf, .html, .txt, .md),
in themselves and, with --workbook, against the workbook. Exit codes as validate: 0 no errors, 1 errors,
2 usage, 3 a document cannot be read, 4 internal, 5 an output cannot be written."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EXIT_CANNOT_WRITE, EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE
from .common import force_option, run


@click.command(name="audit")
@click.argument("docs", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option(
    "--workbook",
    "-w",
    "workbook",
    type=click.Path(path_type=Path, dir_okay=False, readable=False),
    default=None,
    help="对应的工作簿：文中每个数字与工作簿核对。",
)
@click.option(
    "--edition", "-e", default=None, metavar="ID", help="版本编号（默认：工作簿的版本，或 hebei-county-2020）。"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="输出格式：text 给人看，json 给程序读。",
)
@click.option(
    "--html",
    "html",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="另存一份网页报告（单个 .html 文件）。",
)
@click.option(
    "--complete", is_flag=True, help="按完整的情况说明检查各部分是否齐全（默认只在文件自称完整情况说明时检查）。"
)
@click.option(
    "--summary",
    "summary",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="汇总表文件名（不含扩展名，生成 .xlsx 和 .csv）；审核文件夹时默认为“审核汇总”。",
)
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="并行进程数（默认：全部核心）。")
@force_option
def command(
    docs: tuple[Path, ...],
    workbook: Path | None,
    edition: str | None,
    fmt: str,
    html: Path | None,
    complete: bool,
    summary: Path | None,
    jobs: int | None,
    force: bool,
) -> None:
    """审核已公开的情况说明（Word、PDF、网页、文字），核对文中的数字。

    例：xltools audit 情况说明.pdf --workbook 部门预算.xlsx；xltools audit 收件/（整个文件夹）。
    """
    from ..audit import batch, report
    from ..edition import load_edition
    from ..edition.load import DEFAULT_EDITION
    from ..outputs import check_target
    from ..texts import text
    from ..validate import validate_file

    book = None
    wb_findings = []
    ed = run(load_edition, edition) if edition else None
    if workbook is not None:
        wr = validate_file(workbook, ed)
        if wr.unreadable or wr.book is None:
            click.echo("\n".join(f"{workbook}：{f.message}" for f in wr.findings), err=True)
            raise SystemExit(EXIT_UNREADABLE)
        book = wr.book
        ed = ed or book.edition
        prefix = text("audit.report.workbook_prefix")
        wb_findings = [
            f.__class__(
                f.rule, f.severity, f"{prefix}「{f.sheet}」" if f.sheet else prefix, f.cell, f.params, f.check, f.table
            )
            for f in wr.findings
        ]
    ed = ed or run(load_edition, DEFAULT_EDITION)

    folder = any(p.is_dir() for p in docs)
    paths = batch.discover(docs)
    if folder and not paths:
        click.echo(text("audit.batch.no_documents", path=", ".join(map(str, docs))), err=True)
        raise SystemExit(EXIT_UNREADABLE)
    targets: list[Path] = []
    if html is not None:
        if html.suffix.lower() not in (".html", ".htm"):
            raise click.UsageError(text("audit.cli.html_suffix", path=html))
        targets.append(html)
    if folder or summary is not None:
        stem = summary or Path(text("audit.batch.summary_sheet"))
        targets += [stem.with_suffix(".xlsx"), stem.with_suffix(".csv")]
    for t in targets:
        run(check_target, t, list(paths) + ([workbook] if workbook else []), force)

    progress = batch.terminal_progress() if len(paths) > 1 else None
    reports = batch.run_batch(paths, ed, book, str(workbook or ""), complete, jobs, progress, wb_findings)
    out = click.get_text_stream("stdout")
    if fmt == "json":
        click.echo(report.render_json(reports))
    else:
        for r in reports:
            click.echo(report.render_text(r), file=out)
    say = (lambda s: click.echo(s, err=True)) if fmt == "json" else click.echo
    try:
        if html is not None:
            from ..outputs import atomic_write_bytes

            atomic_write_bytes(html, report.render_html(reports).encode("utf-8"))
        if folder or summary is not None:
            stem = summary or Path(text("audit.batch.summary_sheet"))
            batch.write_summary(reports, stem.with_suffix(".xlsx"), stem.with_suffix(".csv"))
            say(text("audit.batch.written", path=stem.with_suffix(".xlsx")))
    except OSError as e:
        click.echo(text("audit.cli.cannot_write", detail=e.strerror or e), err=True)
        raise SystemExit(EXIT_CANNOT_WRITE) from None
    if len(reports) > 1:
        passed = sum(1 for r in reports if r.valid)
        unreadable = sum(1 for r in reports if r.unreadable)
        say(
            text(
                "audit.batch.totals",
                n=len(reports),
                passed=passed,
                failed=len(reports) - passed - unreadable,
                unreadable=unreadable,
            )
        )
    if any(r.unreadable for r in reports):
        raise SystemExit(EXIT_UNREADABLE)
    raise SystemExit(EXIT_INVALID if any(r.errors for r in reports) else EXIT_OK)
