"""xltools editions: list the editions this installation knows."""

from __future__ import annotations

import click


@click.command(name="editions")
def command() -> None:
    """列出可用的版本。"""
    from ..edition.load import available, load_edition
    from ..errors import EditionError

    for path in available():
        try:
            ed = load_edition(path.name)
        except EditionError as e:
            click.echo(f"{path.name}\t（无法加载：{e}）")
            continue
        years = "、".join(map(str, ed.years))
        click.echo(f"{ed.id}\t版本 {ed.version}\t年度 {years}\t金额单位 {ed.money_unit}\t{ed.title}")
        for cl in ed.codes.values():
            unverified = sum(1 for e in cl.entries.values() if e.status == "R")
            click.echo(f"    {cl.title}：{len(cl.entries)} 条，其中未核实（R）{unverified} 条")
