"""xltools serve: the finance bureau's intake in a browser (needs `pip install "xltools[server]"`)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from .. import texts
from ..errors import EXIT_USAGE


def _t(key: str, **kw: object) -> str:
    return texts.text(f"server.cli.{key}", **kw)


def _needs_server() -> None:
    import importlib.util

    if importlib.util.find_spec("django") is None or importlib.util.find_spec("waitress") is None:
        click.echo(_t("needs_extra"), err=True)
        raise SystemExit(EXIT_USAGE)


@click.group(name="serve")
def command() -> None:
    """财政局收件服务：科室在浏览器中下载模板、上传、查看检查结果并报送；财政局审核、汇总。"""
    _needs_server()


@command.command(name="init")
@click.argument("home", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--roster", type=click.Path(dir_okay=False, path_type=Path), required=True, help="部门名单（.csv 或 .xlsx）。"
)
@click.option("--edition", "-e", required=True, metavar="ID", help="本年度的模板版本。")
@click.option("--year", "-y", type=int, required=True, help="预算年度。")
@click.option("--deadline", default="", metavar="YYYY-MM-DD", help="报送截止日期。")
@click.option("--database-url", default="", metavar="URL", help="PostgreSQL 地址（默认在文件夹中使用 SQLite）。")
@click.option(
    "--last-year",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="上年各部门工作簿所在的文件夹：下载的模板会带入上年数据。",
)
def init_cmd(
    home: Path, roster: Path, edition: str, year: int, deadline: str, database_url: str, last_year: Path | None
) -> None:
    """新建收件文件夹：数据库、管理员账户（admin）和名单中的每个部门。"""
    from ..server import ops
    from . import common

    if deadline:
        try:
            dt.date.fromisoformat(deadline)
        except ValueError:
            raise click.BadParameter(deadline, param_hint="--deadline") from None
    password = os.environ.get("XLTOOLS_ADMIN_PASSWORD", "")
    if not password:
        if not sys.stdin.isatty():
            raise click.UsageError(_t("no_password"))
        password = click.prompt(_t("admin_password_prompt"), hide_input=True, confirmation_prompt=True)
    inst = common.run(ops.init, home, roster, edition, year, deadline, database_url, password)
    if last_year is not None:
        ops.attach_last_year(home, last_year)
    from ..server.models import Department

    click.echo(
        _t("init_done", home=home, edition=inst.edition, year=inst.year, n=Department.objects.count(), admin="admin")
    )


@command.command(name="run")
@click.argument("home", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（默认只允许本机访问）。")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--insecure-cookies", is_flag=True, help="局域网明文 HTTP 时使用（登录 Cookie 不要求 HTTPS）。")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="检查用的进程数。")
@click.option(
    "--threads",
    default=32,
    show_default=True,
    type=click.IntRange(1, 256),
    help="处理请求的线程数（上传时多数在等检查进程）。",
)
def run_cmd(home: Path, host: str, port: int, insecure_cookies: bool, workers: int, threads: int) -> None:
    """启动收件服务（waitress，Windows 上也能运行）。"""
    from ..server import ops
    from . import common

    common.run(ops.run, home, host, port, not insecure_cookies, threads, workers, echo=click.echo)


@command.command(name="demo")
@click.option("--port", default=8000, show_default=True, type=int)
def demo_cmd(port: int) -> None:
    """用自带示例和一个小名单启动一个临时演示服务（退出后数据删除）。"""
    from ..server import ops
    from . import common

    common.run(ops.demo, port, echo=click.echo)


@command.command(name="backup")
@click.argument("home", type=click.Path(file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
def backup_cmd(home: Path, out: Path) -> None:
    """备份收件文件夹：数据库（在线一致备份）和所有上传的文件。服务运行时也可以备份。"""
    from ..server import ops
    from . import common

    db, n = common.run(ops.backup, home, out)
    click.echo(_t("backup_done", out=out, db=db or "PostgreSQL", n=n) if db else _t("backup_pg", out=out, n=n))
