"""xltools merge: consolidate department workbooks; exit 0 merged (rejected inputs are reported),
1 refused (mixed editions/years) or nothing included, 2 usage, 4 internal."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .. import texts
from .common import force_option, output_set, run


def _show_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@click.command(name="merge")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="汇总结果（.xlsx）。"
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="单位名单（.csv 或 .xlsx，列：单位编码、单位名称），用于列出未报送单位。",
)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="并行进程数（默认：全部 CPU 核）。")
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="另存机器可读的汇总摘要（JSON，格式见 docs/merge-json.md）。",
)
@click.option(
    "--export-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="另存开放数据：长表 CSV 和 datapackage.json。",
)
@click.option("--prefer-latest", is_flag=True, help="同一单位编码有多份文件时，纳入修改时间最新的一份。")
@click.option(
    "--resume",
    is_flag=True,
    help="接着上次中断的汇总继续：复用已完成的结果（保存在 OUT.xlsx.xltools-spool/，逐个核对 SHA-256，改过的文件重新检查）。",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="在 Dask 集群上检查各文件（如 tcp://HOST:8786；也可设环境变量 XLTOOLS_DASK_SCHEDULER）。"
    '需先 pip install "xltools[dask]"。',
)
@click.option(
    "--follow-links",
    is_flag=True,
    help="跟随指向输入文件夹以外的符号链接（默认不跟随，只汇总所给文件夹内的文件）。",
)
@force_option
def command(
    paths: tuple[Path, ...],
    out: Path,
    roster: Path | None,
    jobs: int | None,
    json_path: Path | None,
    export_dir: Path | None,
    prefer_latest: bool,
    resume: bool,
    scheduler: str | None,
    force: bool,
    follow_links: bool,
) -> None:
    """汇总各部门工作簿（PATH 可以是文件或文件夹）。"""
    from ..merge import merge

    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=texts.text("merge.progress_label"), file=sys.stderr)
            bar.__enter__()
        bar.update(1)

    try:
        with output_set():  # OUT.xlsx, --json and --export-dir appear together or not at all
            result = run(
                merge,
                paths,
                out,
                roster=roster,
                jobs=jobs,
                json_path=json_path,
                export_dir=export_dir,
                prefer_latest=prefer_latest,
                progress=progress if _show_progress() else None,
                force=force,
                follow_links=follow_links,
                resume=resume,
                scheduler=scheduler,
            )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if result.reused:
        click.echo(texts.text("merge.resumed", count=result.reused), err=True)
    for line in result.refusal_lines():
        click.echo(line, err=True)
    for path in result.written:
        click.echo(texts.text("merge.output_written", path=path), err=True)
    click.echo(result.summary_line())
    raise SystemExit(result.exit_code)
