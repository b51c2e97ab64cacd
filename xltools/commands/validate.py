"""xltools validate: check filled workbooks; exit 0 valid, 1 data errors, 3 unreadable input, 2 usage.

Optional outputs: --annotate (a copy of the workbook with the problems marked in place), --html (an
offline report) and --since (progress against an earlier JSON report).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE, XltoolsError
from .common import force_option


def _targets(
    files: tuple[Path, ...], out: str | None, default: Any, suffixes: tuple[str, ...], option: str
) -> list[Path | None]:
    """One output path per input (None when the option was not given)."""
    if out is None:
        return [None] * len(files)
    if out:
        if len(files) > 1:
            raise click.UsageError(f"检查多个文件时，{option} 后面不能指定输出文件名（每个文件会各自生成一个）。")
        target = Path(out)
        if target.suffix.lower() not in suffixes:
            raise click.UsageError(
                f"{option} 的输出文件名应以 {' 或 '.join(suffixes)} 结尾：{out}。（要检查的文件请写在 {option} 前面。）"
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
            raise click.UsageError(f"两个输出文件重名：{p}。请分别检查这些文件，或指定不同的输出文件名。")
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

    reports = [validate_file(p, ed) for p in files]
    if fmt == "json":
        from ..report.json import render

        click.echo(render(reports))
    else:
        from ..report.text import render as render_text

        for r in reports:
            click.echo(render_text(r))

    failed: list[int] = []  # exit codes of outputs that could not be written; the other files still get theirs
    for r, x_out, h_out in zip(reports, xlsx_out, html_out, strict=True):
        if x_out is not None:
            failed += _write_annotated(r, x_out, say)
        if h_out is not None:
            failed += _write_html(r, h_out, say)
    if previous is not None and since is not None:
        from ..report.since import render as render_since

        for r in reports:
            say(render_since(r, previous, since))

    if failed:
        raise SystemExit(failed[0])
    if any(r.unreadable for r in reports):
        raise SystemExit(EXIT_UNREADABLE)
    raise SystemExit(EXIT_INVALID if any(r.errors for r in reports) else EXIT_OK)


def _write_annotated(report: Any, out: Path, say: Any) -> list[int]:
    from ..report.annotate import annotate_report

    if report.unreadable:
        click.echo(f"未生成带标注的副本：“{report.path}”无法读取（原因见上）。", err=True)
        return []
    try:
        result = annotate_report(report, out)
    except XltoolsError as e:
        click.echo(f"错误：无法为“{report.path}”生成带标注的副本：{e}", err=True)
        return [e.exit_code]
    except OSError as e:
        _cannot_write(out, e)
        return [EXIT_USAGE]
    n = sum(len(cells) for cells in result.marked.values())
    say(f"已生成带标注的副本：{out}（标出 {n} 个单元格，“错误清单”中列出 {result.rows} 个问题；原文件未改动）")
    for text in result.lost:
        click.echo(f"注意：{text}", err=True)
    return []


def _write_html(report: Any, out: Path, say: Any) -> list[int]:
    from ..report.html import write_html

    try:
        write_html(report, out)
    except OSError as e:
        _cannot_write(out, e)
        return [EXIT_USAGE]
    say(f"已生成网页报告：{out}")
    return []


def _cannot_write(out: Path, e: OSError) -> None:
    why = "（该文件可能正在 Excel 或 WPS 中打开，请先关闭）" if isinstance(e, PermissionError) else ""
    click.echo(f"错误：无法写出“{out}”：{e.strerror or e}{why}", err=True)
