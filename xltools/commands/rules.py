"""xltools rules: every rule id from the registry, in the order of the stages that emit them, with its
title (and, with --long, what it checks, why it matters and the module that emits it)."""

from __future__ import annotations

import click


@click.command(name="rules")
@click.option("--long", "long_", is_flag=True, help="同时列出每条规则检查什么、为什么重要和出自哪个模块。")
def command(long_: bool) -> None:
    """列出全部检查规则。"""
    from .. import texts
    from ..rules.registry import declared

    entries = texts.catalogue()
    for rule, module in declared().items():
        entry = entries.get(rule, {})
        click.echo(f"{rule}\t{entry.get('title', '')}")
        if long_:
            click.echo(texts.text("rules.command.what", text=entry.get("description", "")))
            click.echo(texts.text("rules.command.why", text=entry.get("why", "")))
            click.echo(texts.text("rules.command.where", module=module))
