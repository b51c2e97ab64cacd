"""Helpers shared by commands: running library code with program errors turned into exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from ..errors import XltoolsError

T = TypeVar("T")


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return fn(*args, **kwargs)
    except XltoolsError as e:
        fail(e)


def fail(e: XltoolsError) -> None:
    from .. import texts

    click.echo(texts.text("app.error", message=str(e)), err=True)
    raise SystemExit(e.exit_code) from None


@contextmanager
def output_set() -> Iterator[None]:
    """The outputs written inside the block appear together at its end, or none of them (outputs.transaction);
    a refusal of the environment is a Chinese message and exit 5, not a traceback."""
    from ..outputs import transaction

    try:
        with transaction():
            yield
    except XltoolsError as e:
        fail(e)


edition_option = click.option(
    "--edition",
    "-e",
    "edition",
    default=None,
    metavar="ID",
    help="版本编号，如 hebei-county-2020（默认：工作簿自带的版本）。",
)
year_option = click.option("--year", "-y", type=int, default=None, help="预算年度（默认：版本的默认年度）。")
force_option = click.option("--force", is_flag=True, help="输出文件已存在时覆盖它。")
