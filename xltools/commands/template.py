"""xltools template: write the blank workbook of an edition."""

from __future__ import annotations

from pathlib import Path

import click

from .. import texts
from .common import edition_option, force_option, output_set, run, year_option


@click.command(name="template")
@edition_option
@year_option
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="输出文件（.xlsx）；用 --roster 时为文件夹。"
)
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="部门名单（.csv 或 .xlsx）：为每个部门生成一份封面已填好的模板，写入 -o 指定的文件夹。",
)
@force_option
def command(edition: str | None, year: int | None, output: Path, roster: Path | None, force: bool) -> None:
    """生成空白填报模板。"""
    if roster is not None:
        from ..server.prefill import roster_command

        return roster_command(edition, year, roster, output, force)
    from ..edition import load_edition
    from ..edition.load import DEFAULT_EDITION
    from ..outputs import atomic_write, check_target
    from ..template.write import write_template

    ed = run(load_edition, edition or DEFAULT_EDITION, year)
    with output_set():
        check_target(output, overwrite=force)
        atomic_write(output, lambda tmp: write_template(ed, tmp))
    click.echo(texts.text("app.template.written", path=str(output), edition=ed.id, year=ed.year, version=ed.version))
