"""xltools migrate: carry last year's workbook into this year's template (上年数, texts), listing what
could not be carried."""

from __future__ import annotations

from pathlib import Path

import click

from .. import texts
from .common import force_option, output_set, run


@click.command(name="migrate")
@click.argument("old", type=click.Path(path_type=Path, readable=False))
@click.option("--to", "to", required=True, metavar="ID", help="新工作簿的版本编号，如 hebei-county-yth。")
@click.option("--year", "-y", type=int, default=None, help="新工作簿的预算年度（默认：上年工作簿年度加1）。")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出文件（.xlsx）。"
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="迁移规则文件（默认：schemas/<版本>/migrate/from-<上年版本>.toml）。",
)
@force_option
def command(old: Path, to: str, year: int | None, output: Path, mapping: Path | None, force: bool) -> None:
    """把上年工作簿迁移到本年模板：上年预算数填入“上年数”表，文字说明等照录，列出未能迁移的内容。"""
    from ..migrate import migrate_file

    with output_set():
        mig = run(migrate_file, old, to, year, output, force, mapping)
    src, dst = mig.source, mig.target
    click.echo(
        texts.text(
            "app.migrate.written",
            path=str(output),
            edition=dst.id,
            year=dst.year,
            old=old.name,
            old_edition=src.id,
            old_year=src.year,
        )
    )
    unit = (
        texts.text("app.migrate.unit_changed", old=src.money_unit, new=dst.money_unit, decimals=dst.money_decimals)
        if src.money_unit != dst.money_unit
        else f"{dst.money_unit}"
    )
    click.echo(texts.text("app.migrate.carried", amounts=len(mig.amounts), unit=unit, copied=mig.copied))
    for note in mig.notes:
        click.echo(texts.text("app.note", text=note))
    if mig.unmapped:
        click.echo(texts.text("app.migrate.unmapped"))
        for u in mig.unmapped:
            click.echo(f"  {u}")
    else:
        click.echo(texts.text("app.migrate.all_carried"))
