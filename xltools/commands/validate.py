"""xltools validate: check filled workbooks; exit 0 valid, 1 data errors, 3 unreadable input, 2 usage.

Optional outputs: --annotate (a copy of the workbook with the problems marked in place), --html (an
offline report) and --since (progress against an earlier JSON report).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import texts
from ..errors import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, CannotWriteError, XltoolsError
from ..outputs import transaction
from .common import force_option


def _targets(
    files: tuple[Path, ...], out: str | None, default: Any, suffixes: tuple[str, ...], option: str
) -> list[Path | None]:
    """One output path per input (None when the option was not given)."""
    if out is None:
        return [None] * len(files)
    if out:
        if len(files) > 1:
            raise click.UsageError(texts.text("validate.one_name_many_files", option=option))
        target = Path(out)
        if target.suffix.lower() not in suffixes:
            raise click.UsageError(
                texts.text("validate.wrong_suffix", option=option, suffixes=" 或 ".join(suffixes), out=out)
            )
        return [target]
    return [default(Path(p)) for p in files]


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="输出格式：text 给人看，json 给程序读。",
)
@click.option("--edition", "-e", default=None, metavar="ID", help="期望的版本（默认按工作簿中的标记识别）。")
@click.option(
    "--annotate",
    "annotate",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[OUT]",
    help="另存一份带标注的副本：出错单元格标红（错误）或标黄（提醒）并加批注，首页为“错误清单”。"
    "默认文件名为“原文件名.检查结果.xlsx”。原文件不会被改动。",
)
@click.option(
    "--html",
    "html",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[OUT]",
    help="另存一份网页报告（单个 .html 文件，可离线打开）。默认文件名为“原文件名.检查结果.html”。",
)
@click.option(
    "--since",
    "since",
    default=None,
    type=click.Path(path_type=Path),
    metavar="PREVIOUS.json",
    help="与上次保存的 JSON 报告比较，显示已修复、新增和剩余的问题数。",
)
@force_option
def command(
    files: tuple[Path, ...],
    fmt: str,
    edition: str | None,
    annotate: str | None,
    html: str | None,
    since: Path | None,
    force: bool,
) -> None:
    """检查一个或多个填好的工作簿。

    例：xltools validate 部门预算.xlsx --annotate --html（要检查的文件写在选项前面）。
    """
    from ..edition import load_edition
    from ..outputs import check_target
    from ..report.annotate import default_output as annotate_default
    from ..report.html import default_output as html_default
    from .common import run

    ed = run(load_edition, edition) if edition else None
    notices_to_stderr = fmt == "json"  # stdout stays pure JSON

    def say(text: str) -> None:
        click.echo(text, err=notices_to_stderr)

    # Check every requested output before doing any work, so a refusal never leaves half the outputs.
    xlsx_out = _targets(files, annotate, annotate_default, (".xlsx", ".xlsm"), "--annotate")
    html_out = _targets(files, html, html_default, (".html", ".htm"), "--html")
    planned = [p for p in xlsx_out + html_out if p is not None]
    seen: set[Path] = set()
    for p in planned:
        if p.resolve() in seen:
            raise click.UsageError(texts.text("validate.same_output", path=str(p)))
        seen.add(p.resolve())
        run(check_target, p, files, force)
    previous = None
    if since is not None:
        from ..report.since import PreviousReportError, load_previous

        try:
            previous = load_previous(since)
        except PreviousReportError as e:
            raise click.BadParameter(str(e), param_hint="--since") from None

    from ..validate import validate_file

    # A file whose HTML report is asked for keeps the grids it draws (the sheets with findings) until it is written.
    reports = [validate_file(p, ed, keep_grids=h is not None) for p, h in zip(files, html_out, strict=True)]
    if fmt == "json":
        from ..report.json import render

        click.echo(render(reports))
    else:
        from ..report.text import render as render_text

        for r in reports:
            click.echo(render_text(r))

    # All requested outputs of the run appear together, or none (outputs.transaction): a full disk halfway
    # through leaves no annotated copy without its HTML report.
    done: list[str] = []
    failed: list[int] = []  # exit codes of files whose copy could not be made; the other files still get theirs
    try:
        with transaction():
            for r, x_out, h_out in zip(reports, xlsx_out, html_out, strict=True):
                if x_out is not None:
                    failed += _write_annotated(r, x_out, done)
                if h_out is not None:
                    _write_html(r, h_out, done)
    except CannotWriteError as e:
        click.echo(texts.text("app.error", message=str(e)), err=True)
        failed, done = [e.exit_code], []
    for line in done:
        say(line)
    if previous is not None and since is not None:
        from ..report.since import render as render_since

        for r in reports:
            say(render_since(r, previous, since))

    if failed:
        raise SystemExit(failed[0])
    if any(r.unreadable for r in reports):
        raise SystemExit(EXIT_UNREADABLE)
    raise SystemExit(EXIT_INVALID if any(r.errors for r in reports) else EXIT_OK)


def _write_annotated(report: Any, out: Path, done: list[str]) -> list[int]:
    from ..report.annotate import annotate_report

    if report.unreadable:
        click.echo(texts.text("validate.annotate_unreadable", path=report.path), err=True)
        return []
    try:
        result = annotate_report(report, out)
    except CannotWriteError:
        raise
    except XltoolsError as e:
        click.echo(texts.text("validate.annotate_failed", path=report.path, error=str(e)), err=True)
        return [e.exit_code]
    n = sum(len(cells) for cells in result.marked.values())
    done.append(texts.text("validate.annotated", out=str(out), cells=n, rows=result.rows))
    for text in result.lost:
        click.echo(texts.text("validate.note", text=text), err=True)
    return []


def _write_html(report: Any, out: Path, done: list[str]) -> None:
    from ..report.html import write_html

    write_html(report, out)
    done.append(texts.text("validate.html_written", out=str(out)))
