"""xltools rules: print the catalogue of rule ids with their titles and hints."""

from __future__ import annotations

import click


@click.command(name="rules")
def command() -> None:
    """列出全部检查规则。"""
    from ..texts import catalogue

    for rule, entry in catalogue().items():
        if entry.get("retired"):
            continue
        click.echo(f"{rule}\t{entry.get('title', '')}")
