"""xltools editions: list the editions this installation knows."""

from __future__ import annotations

import click


@click.command(name="editions")
def command() -> None:
    """列出可用的版本。"""
    from .. import texts
    from ..edition.load import available, load_edition
    from ..errors import EditionError

    for path in available():
        try:
            ed = load_edition(path.name)
        except EditionError as e:
            click.echo(texts.text("rules.command.edition_broken", id=path.name, error=e))
            continue
        years = "、".join(map(str, ed.years))
        click.echo(
            texts.text(
                "rules.command.edition_line",
                id=ed.id,
                version=ed.version,
                years=years,
                unit=ed.money_unit,
                title=ed.title,
            )
        )
        for cl in ed.codes.values():
            unverified = sum(1 for e in cl.entries.values() if e.status == "R")
            click.echo(
                texts.text("rules.command.code_list", title=cl.title, count=len(cl.entries), unverified=unverified)
            )
