"""xltools compile: the 情况说明 (Word + Markdown) and the 公开表 workbook from a checked workbook.

Exit 0 written; 1 the workbook has errors (nothing written) or the narrative still has 【请填写】
placeholders (written, but not final; --allow-placeholders accepts them); 3 unreadable input; 5 an output
cannot be written, including --pdf without LibreOffice installed or a failed conversion (nothing written:
the outputs are one set)."""

from __future__ import annotations

from pathlib import Path

import click

from .. import texts
from ..errors import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE
from .common import force_option, output_set, run


@click.command(name="compile")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, readable=False))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="输出文件夹（不存在时自动创建）。",
)
@force_option
@click.option("--allow-placeholders", is_flag=True, help="情况说明中仍有【请填写：…】时也按成功退出（用于先看草稿）。")
@click.option(
    "--pdf",
    "pdf",
    is_flag=True,
    help="同时用 LibreOffice 生成情况说明的 PDF（未安装 LibreOffice 时退出代码 5，不生成任何文件）。",
)
def command(file: Path, out_dir: Path, force: bool, allow_placeholders: bool, pdf: bool) -> None:
    """生成情况说明（Word、Markdown）和公开表（含概览页）。先检查，有错误时不生成。"""
    from ..publish import compile_book
    from ..report.text import render
    from ..validate import validate_file

    report = validate_file(file)
    if report.unreadable or report.errors or report.book is None:
        click.echo(render(report))
        if not report.unreadable:
            click.echo(texts.text("app.compile.refused"))
        raise SystemExit(EXIT_UNREADABLE if report.unreadable else EXIT_INVALID)
    if report.warnings:
        click.echo(render(report))
    from ..outputs import make_folder

    with output_set():  # the .docx, the .md and the .xlsx appear together or not at all
        make_folder(out_dir)
        result = run(compile_book, report.book, out_dir, [file], force, pdf)
    for path in result.files:
        click.echo(texts.text("app.written", path=str(path)))
    if result.audit:  # the narrative audited against the workbook (xltools audit)
        from ..validate import FileReport

        click.echo(render(FileReport(str(result.markdown), result.audit)))
    if result.placeholders:
        click.echo(texts.text("app.compile.placeholders", n=len(result.placeholders)))
        for p in result.placeholders:
            click.echo(texts.text("app.compile.placeholder", sheet=p.sheet, cell=p.cell, label=p.label))
        if not allow_placeholders:
            click.echo(texts.text("app.compile.placeholders_hint"))
            raise SystemExit(EXIT_INVALID)
    raise SystemExit(EXIT_OK)
