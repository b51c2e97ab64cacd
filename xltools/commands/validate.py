"""xltools validate: check filled workbooks; exit 0 valid, 1 data errors, 3 unreadable input."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text 给人看，json 给程序读。")
@click.option("--edition", "-e", default=None, metavar="ID", help="期望的版本（默认按工作簿中的标记识别）。")
def command(files: tuple[Path, ...], fmt: str, edition: str | None) -> None:
    """检查一个或多个填好的工作簿。"""
    from ..edition import load_edition
    from ..validate import validate_file
    from .common import run

    ed = run(load_edition, edition) if edition else None
    reports = [validate_file(p, ed) for p in files]
    if fmt == "json":
        from ..report.json import render

        click.echo(render(reports))
    else:
        from ..report.text import render as render_text

        for r in reports:
            click.echo(render_text(r))
    if any(r.unreadable for r in reports):
        raise SystemExit(EXIT_UNREADABLE)
    raise SystemExit(EXIT_INVALID if any(r.errors for r in reports) else EXIT_OK)
