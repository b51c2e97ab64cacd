"""The environment's corpus (issue 13): not a bad workbook but a bad place to write, an untrusted side input
(a roster, a --since report) or a user's interruption. Each scenario builds its folder, names the command to
run and states exactly what must happen: the exit code, the catalogue sentences the message must contain
(with the path it names), the inputs that must stay byte-identical, the outputs that must (not) exist, and
that no temporary file is left behind. `test_env.py` runs every scenario.

How a scenario runs:
- "inproc": `xltools.cli.main(args)` in the test process (fast); `inject` may make one write fail or make
  another run's file appear halfway, to test a set of outputs deterministically.
- "child": the real executable in a child process under a memory limit and a wall-clock bound (harness.py),
  for what could abort or hang a process: a Rust allocation failure, a FIFO, Ctrl-C.
- needs "tmpfs": a small tmpfs mounted at the scenario's output folder (full disk, read-only); skipped with
  the reason where the machine does not allow mounting. needs "drop_dac": root without the capability that
  ignores file permissions (setpriv), so a read-only folder refuses root as it refuses a clerk.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from xltools import texts

from .corpus import edition, example_data, where, with_cell, workbook_bytes
from .corpus import kind as corpus_kind

Inject = Callable[[pytest.MonkeyPatch, "Setup"], None]


@dataclass
class Setup:
    args: list[str]
    keep: list[Path] = field(default_factory=list)  # inputs: byte-identical afterwards
    absent: list[Path] = field(default_factory=list)  # outputs that must not exist afterwards
    present: list[Path] = field(default_factory=list)  # outputs that must exist afterwards
    clean: list[Path] = field(default_factory=list)  # folders with no .xltools-* temporary file afterwards
    names: list[str] = field(default_factory=list)  # paths the message must name
    tmpfs: tuple[Path, str] | None = None  # (mount point, mount options) the test mounts before running
    check: Callable[[Setup], None] | None = None  # anything else to verify afterwards
    sigint_after_workers: bool = False  # child: send Ctrl-C to the process group once its workers run
    digests: dict[Path, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str  # what happened, in the words of the user
    make: Callable[[Path], Setup]
    exit: int
    says: tuple[str, ...] = ()  # catalogue keys whose sentence (before its first placeholder) the message shows
    mode: str = "inproc"  # or "child"
    needs: str = ""  # "", "tmpfs", "drop_dac"
    inject: Inject | None = None
    memory_mb: int = 500


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    sid: str,
    title: str,
    exit: int,
    says: tuple[str, ...] = (),
    *,
    mode: str = "inproc",
    needs: str = "",
    inject: Inject | None = None,
    memory_mb: int = 500,
) -> Callable[[Callable[[Path], Setup]], Callable[[Path], Setup]]:
    def deco(fn: Callable[[Path], Setup]) -> Callable[[Path], Setup]:
        SCENARIOS[sid] = Scenario(sid, title, fn, exit, says, mode, needs, inject, memory_mb)
        return fn

    return deco


def fragment(key: str) -> str:
    """The part of a catalogue sentence before its first placeholder (what the message must contain)."""
    return texts.text(key).split("{")[0]


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# ---------------------------------------------------------------- inputs


@lru_cache(maxsize=4)
def _department(seed: int) -> bytes:
    from xltools.synth import department
    from xltools.template.write import write_template

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "w.xlsx"
        write_template(edition(), p, department(edition(), seed))
        return p.read_bytes()


def inbox(folder: Path, n: int = 2) -> Path:
    box = folder / "inbox"
    box.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (box / f"dept-{i:04d}.xlsx").write_bytes(_department(i))
    return box


def clerk_file(folder: Path, name: str = "部门预算.xlsx") -> Path:
    p = folder / name
    p.write_bytes(workbook_bytes())
    return p


def inputs_of(box: Path) -> list[Path]:
    return sorted(box.glob("*.xlsx"))


MERGE = ["merge", "--jobs", "1"]


# ---------------------------------------------------------------- data loss


@scenario("merge-output-over-input", "汇总结果指定为收件夹里某部门的文件，还加了 --force", 2, ("outputs.is_input",))
def _over_input(folder: Path) -> Setup:
    box = inbox(folder)
    target = box / "dept-0000.xlsx"
    return Setup(
        [*MERGE, str(box), "-o", str(target), "--force"], keep=inputs_of(box), clean=[box], names=[str(target)]
    )


@scenario(
    "merge-json-over-input", "汇总摘要 --json 指定为收件夹里某部门的文件，还加了 --force", 2, ("outputs.is_input",)
)
def _json_over_input(folder: Path) -> Setup:
    box = inbox(folder)
    target = box / "dept-0001.xlsx"
    out = folder / "county.xlsx"
    return Setup(
        [*MERGE, str(box), "-o", str(out), "--json", str(target), "--force"],
        keep=inputs_of(box),
        absent=[out],
        clean=[box],
        names=[str(target)],
    )


def _old_output_replaced(s: Setup) -> None:
    from xltools.outputs import is_xltools_output

    assert is_xltools_output(s.present[0], "merge") and s.present[0].read_bytes() != b"old"


@scenario("merge-old-output-force", "收件夹里上次的汇总结果，用 --force 重新汇总（对照：应当覆盖）", 0)
def _old_output(folder: Path) -> Setup:
    from xltools.cli import main

    box = inbox(folder)
    out = box / "county.xlsx"
    inputs = inputs_of(box)
    try:
        main([*MERGE, str(box), "-o", str(out)])
    except SystemExit as e:
        assert e.code == 0
    return Setup(
        [*MERGE, str(box), "-o", str(out), "--force"],
        keep=inputs,
        present=[out],
        clean=[box],
        check=_old_output_replaced,
    )


def _appears_meanwhile(module: str, name: str) -> Inject:
    """Wrap a writer so that, while this run writes, another run's file appears at the first target."""

    def inject(mp: pytest.MonkeyPatch, s: Setup) -> None:
        import importlib

        mod = importlib.import_module(module)
        real = getattr(mod, name)
        target = s.keep[-1]

        def writer(*a: Any, **k: Any) -> Any:
            out = real(*a, **k)
            if not target.exists():
                target.write_bytes(b"written by another run")
                s.digests[target] = sha(target)
            return out

        mp.setattr(mod, name, writer)

    return inject


def _appeared_check(s: Setup) -> None:
    assert s.keep[-1].read_bytes() == b"written by another run"


@scenario(
    "output-appears-meanwhile",
    "两次运行同时写同一个新文件：本次写完时，另一次运行已经写出了它",
    5,
    ("outputs.appeared",),
    inject=_appears_meanwhile("xltools.merge.merge", "write_xlsx"),
)
def _meanwhile(folder: Path) -> Setup:
    box = inbox(folder)
    out = folder / "c.xlsx"
    js = folder / "c.json"
    s = Setup([*MERGE, str(box), "-o", str(out), "--json", str(js)], keep=inputs_of(box), absent=[js], clean=[folder])
    s.keep.append(out)  # checked after the run: it holds the other run's bytes
    s.names.append(str(out))
    s.check = _appeared_check
    return s


def _fail_writer(module: str, name: str) -> Inject:
    """The last output of a set fails as on a full disk, after the others were written."""

    def inject(mp: pytest.MonkeyPatch, s: Setup) -> None:
        import importlib

        mod = importlib.import_module(module)

        def writer(*a: Any, **k: Any) -> Any:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        mp.setattr(mod, name, writer)

    return inject


@scenario(
    "compile-set-fails-at-last",
    "生成情况说明时磁盘在写最后一个文件（公开表）时满了",
    5,
    ("outputs.cause.disk_full",),
    inject=_fail_writer("xltools.publish.run", "write_publication"),
)
def _compile_last(folder: Path) -> Setup:
    src = clerk_file(folder)
    out = folder / "out"
    return Setup(["compile", str(src), "-o", str(out)], keep=[src], absent=[out], clean=[folder])


def _html_fails(mp: pytest.MonkeyPatch, s: Setup) -> None:
    import xltools.report.html as html
    from xltools.outputs import atomic_write

    def write_html(report: Any, out: Path) -> Path:
        def fill(tmp: Path) -> None:
            tmp.write_bytes(b"<html>")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return atomic_write(out, fill)

    mp.setattr(html, "write_html", write_html)


@scenario(
    "validate-set-fails-at-html",
    "检查时另存带标注的副本和网页报告，磁盘在写网页报告时满了",
    5,
    ("outputs.cause.disk_full",),
    inject=_html_fails,
)
def _validate_last(folder: Path) -> Setup:
    src = clerk_file(folder)
    xlsx, html = folder / "copy.xlsx", folder / "report.html"
    return Setup(
        ["validate", str(src), "--annotate", str(xlsx), "--html", str(html)],
        keep=[src],
        absent=[xlsx, html],
        clean=[folder],
        names=[str(html)],
    )


@scenario(
    "merge-set-fails-at-json",
    "汇总时另存 JSON 摘要和开放数据，磁盘在写 JSON 时满了",
    5,
    ("outputs.cause.disk_full",),
    inject=_fail_writer("xltools.merge.merge", "write_json"),
)
def _merge_last(folder: Path) -> Setup:
    box = inbox(folder)
    out, js, exp = folder / "c.xlsx", folder / "c.json", folder / "export"
    return Setup(
        [*MERGE, str(box), "-o", str(out), "--json", str(js), "--export-dir", str(exp)],
        keep=inputs_of(box),
        absent=[out, js, exp],
        clean=[folder],
    )


# ---------------------------------------------------------------- the environment


def _mounted(folder: Path) -> Path:
    """The mount point of the scenario's small disk (the test mounts it after the inputs are made)."""
    point = folder / "disk"
    point.mkdir()
    return point


@scenario("compile-disk-full", "输出文件夹所在的磁盘已满", 5, ("outputs.cause.disk_full",), needs="tmpfs")
def _compile_full(folder: Path) -> Setup:
    src = clerk_file(folder)
    disk = _mounted(folder)
    out = disk / "out"
    return Setup(
        ["compile", str(src), "-o", str(out)], keep=[src], absent=[out], clean=[disk], tmpfs=(disk, "size=48k")
    )


@scenario("validate-disk-full", "带标注的副本和网页报告写到已满的磁盘", 5, ("outputs.cause.disk_full",), needs="tmpfs")
def _validate_full(folder: Path) -> Setup:
    src = clerk_file(folder)
    disk = _mounted(folder)
    xlsx, html = disk / "copy.xlsx", disk / "report.html"
    return Setup(
        ["validate", str(src), "--annotate", str(xlsx), "--html", str(html)],
        keep=[src],
        absent=[xlsx, html],
        clean=[disk],
        names=[str(xlsx)],
        tmpfs=(disk, "size=32k"),
    )


@scenario("merge-disk-full", "汇总结果写到已满的磁盘", 5, ("outputs.cause.disk_full",), needs="tmpfs")
def _merge_full(folder: Path) -> Setup:
    box = inbox(folder)
    disk = _mounted(folder)
    out, js = disk / "c.xlsx", disk / "c.json"
    return Setup(
        [*MERGE, str(box), "-o", str(out), "--json", str(js)],
        keep=inputs_of(box),
        absent=[out, js],
        clean=[disk],
        names=[str(out)],
        tmpfs=(disk, "size=16k"),
    )


@scenario("template-read-only", "模板写到只读的位置", 5, ("outputs.cause.read_only",), needs="tmpfs")
def _template_ro(folder: Path) -> Setup:
    disk = _mounted(folder)
    out = disk / "t.xlsx"
    return Setup(["template", "-o", str(out)], absent=[out], names=[str(out)], tmpfs=(disk, "size=1m,ro"))


@scenario(
    "compile-read-only", "情况说明写到只读的位置（输出文件夹尚不存在）", 5, ("outputs.cause.read_only",), needs="tmpfs"
)
def _compile_ro(folder: Path) -> Setup:
    src = clerk_file(folder)
    disk = _mounted(folder)
    out = disk / "out"
    return Setup(
        ["compile", str(src), "-o", str(out)], keep=[src], absent=[out], names=[str(out)], tmpfs=(disk, "size=1m,ro")
    )


@scenario(
    "merge-no-permission",
    "汇总结果写到没有写入权限的文件夹",
    5,
    ("outputs.cause.permission",),
    mode="child",
    needs="drop_dac",
)
def _merge_perm(folder: Path) -> Setup:
    box = inbox(folder)
    locked = folder / "locked"
    locked.mkdir()
    out = locked / "c.xlsx"
    os.chmod(locked, 0o555)
    return Setup(
        [*MERGE, str(box), "-o", str(out)], keep=inputs_of(box), absent=[out], clean=[locked], names=[str(out)]
    )


@scenario("template-name-too-long", "输出文件名超过文件系统的长度上限", 5, ("outputs.cause.name_too_long",))
def _name_long(folder: Path) -> Setup:
    out = folder / ("预算模板" * 30 + ".xlsx")
    return Setup(["template", "-o", str(out)], absent=[out], clean=[folder], names=[str(out)])


LONG_NAME = "河北省邢台市隆尧县" + "某某委员会办公室下属事务服务中心" * 6  # 105 characters, 315 bytes in UTF-8


def _long_name_check(s: Setup) -> None:
    out = s.present[0]
    made = sorted(out.iterdir())
    assert sorted(p.suffix for p in made) == [".docx", ".md", ".xlsx"], made
    for p in made:
        assert len(p.name.encode()) <= 255 and "…" in p.name
    md = next(p for p in made if p.suffix == ".md").read_text(encoding="utf-8")
    assert LONG_NAME in md  # the full name stays in the document
    with zipfile.ZipFile(next(p for p in made if p.suffix == ".docx")) as zf:
        assert LONG_NAME in zf.read("word/document.xml").decode("utf-8")


@scenario("compile-long-unit-name", "单位名称长达 105 个字（文件名放不下）", 0)
def _long_unit(folder: Path) -> Setup:
    data = example_data()
    data["cover"]["name"]["value"] = LONG_NAME
    src = folder / "长名称.xlsx"
    src.write_bytes(workbook_bytes(data))
    out = folder / "out"
    return Setup(
        ["compile", str(src), "-o", str(out), "--allow-placeholders"],
        keep=[src],
        present=[out],
        clean=[out],
        check=_long_name_check,
    )


# ---------------------------------------------------------------- untrusted side inputs: the roster


def _roster_xlsx(path: Path, far: str) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["单位编码", "单位名称"])
    ws.write_row(1, 0, ["101001", "某局"])
    ws.write(far, "x")
    wb.close()
    return path


def _roster_merge(folder: Path, roster: Path, **kw: Any) -> Setup:
    box = inbox(folder, 1)
    out = folder / "c.xlsx"
    return Setup([*MERGE, str(box), "-o", str(out), "--roster", str(roster)], keep=[roster], absent=[out], **kw)


@scenario(
    "roster-far-cell",
    "名单 .xlsx 只有 5 KB，但在 XFD1048576 有一个值",
    3,
    ("roster.sheet_too_large",),
    mode="child",
)
def _roster_far(folder: Path) -> Setup:
    return _roster_merge(folder, _roster_xlsx(folder / "名单.xlsx", "XFD1048576"), names=["XFD1048576"])


@scenario(
    "roster-alm20001",
    "名单 .xlsx 在 ALM20001 有一个值（2000 万个单元格）",
    3,
    ("roster.sheet_too_large",),
    mode="child",
    memory_mb=300,
)
def _roster_alm(folder: Path) -> Setup:
    return _roster_merge(folder, _roster_xlsx(folder / "名单.xlsx", "ALM20001"), names=["ALM20001"])


@scenario("roster-field-too-long", "名单 CSV 中一个字段超过 128 KB", 3, ("roster.field_too_long",))
def _roster_field(folder: Path) -> Setup:
    p = folder / "名单.csv"
    p.write_text('单位编码,单位名称\n101001,"' + "某" * 140_000 + '"\n', encoding="utf-8")
    return _roster_merge(folder, p)


@scenario("roster-unterminated-quote", "名单 CSV 中一个引号没有配对", 3, ("roster.unterminated_quote",))
def _roster_quote(folder: Path) -> Setup:
    p = folder / "名单.csv"
    p.write_text('单位编码,单位名称\n101001,"某局\n101002,另一局\n', encoding="utf-8")
    return _roster_merge(folder, p)


def _utf16_check(s: Setup) -> None:
    summary = json.loads(s.present[1].read_text(encoding="utf-8"))
    assert summary["counts"]["missing"] == 1, summary["counts"]  # the roster was read: 101002 未报送


@scenario("roster-utf16-no-bom", "名单另存为 UTF-16 文本但没有字节顺序标记（对照：应当读出）", 0)
def _roster_utf16(folder: Path) -> Setup:
    box = inbox(folder, 1)
    code = _code_of_department(0)
    p = folder / "名单.csv"
    p.write_bytes(f"单位编码,单位名称\n{code},第一局\n101002,未报送局\n".encode("utf-16-le"))
    out, js = folder / "c.xlsx", folder / "c.json"
    return Setup(
        [*MERGE, str(box), "-o", str(out), "--roster", str(p), "--json", str(js)],
        keep=[p],
        present=[out, js],
        check=_utf16_check,
    )


def _code_of_department(seed: int) -> str:
    from xltools.synth import department

    return str(department(edition(), seed)["cover"]["code"]["value"])


@scenario("roster-fifo", "名单路径是一个命名管道（读取会永远等待）", 2, ("roster.not_regular",), mode="child")
def _roster_fifo(folder: Path) -> Setup:
    p = folder / "名单.csv"
    os.mkfifo(p)
    box = inbox(folder, 1)
    out = folder / "c.xlsx"
    return Setup([*MERGE, str(box), "-o", str(out), "--roster", str(p)], absent=[out])


# ---------------------------------------------------------------- untrusted side inputs: --since


def _since(folder: Path, previous: Path, **kw: Any) -> Setup:
    src = clerk_file(folder)
    return Setup(["validate", str(src), "--since", str(previous)], keep=[src], **kw)


@scenario("since-deep-nesting", "--since 给出的 JSON 嵌套了 100,000 层", 2, ("since.not_json",))
def _since_deep(folder: Path) -> Setup:
    p = folder / "上次.json"
    p.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return _since(folder, p)


@scenario("since-nested-report", "--since 的报告中某个字段嵌套了 500 层", 2, ("since.too_deep",))
def _since_nested(folder: Path) -> Setup:
    p = folder / "上次.json"
    deep = "[" * 500 + "]" * 500
    p.write_text(f'{{"schema": "x", "files": [{{"findings": {deep}}}]}}', encoding="utf-8")
    return _since(folder, p)


@scenario("since-fifo", "--since 给出的是命名管道（读取会永远等待）", 2, ("since.not_regular",), mode="child")
def _since_fifo(folder: Path) -> Setup:
    p = folder / "上次.json"
    os.mkfifo(p)
    return _since(folder, p)


@scenario("since-too-big", "--since 给出的文件有 60 MB", 2, ("since.too_big",))
def _since_big(folder: Path) -> Setup:
    p = folder / "上次.json"
    with p.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(60 * 1024 * 1024)
    return _since(folder, p)


# ---------------------------------------------------------------- Ctrl-C and symbolic links


@scenario("merge-ctrl-c", "汇总进行中按了 Ctrl-C", 130, ("app.interrupted",), mode="child")
def _ctrl_c(folder: Path) -> Setup:
    box = inbox(folder, 2)
    for i in range(2, 400):  # enough work that the interruption lands while workers read (an idle machine is fast)
        os.link(box / f"dept-{i % 2:04d}.xlsx", box / f"copy-{i:04d}.xlsx")
    out, js = folder / "c.xlsx", folder / "c.json"
    return Setup(
        ["merge", "--jobs", "2", str(box), "-o", str(out), "--json", str(js)],
        keep=inputs_of(box)[:2],
        absent=[out, js],
        clean=[folder],
        sigint_after_workers=True,
    )


def _links_check(s: Setup) -> None:
    summary = json.loads(s.present[1].read_text(encoding="utf-8"))
    assert summary["counts"]["included"] == 1, summary["counts"]
    reasons = {Path(x["path"]).name: x["reason"] for x in summary["skipped"]}
    outside = fragment("app.skip_link_outside")
    assert reasons.keys() >= {"parent", "other.xlsx"} and all(outside in reasons[k] for k in ("parent", "other.xlsx"))


def _links(folder: Path) -> tuple[Path, Path]:
    box = inbox(folder, 1)
    outside = folder / "outside"
    outside.mkdir()
    (outside / "dept-9.xlsx").write_bytes(_department(9))
    (box / "parent").symlink_to(outside)
    (box / "other.xlsx").symlink_to(outside / "dept-9.xlsx")
    return box, outside


@scenario("merge-link-outside", "收件夹里有指向文件夹以外的符号链接", 0)
def _link_outside(folder: Path) -> Setup:
    box, _ = _links(folder)
    out, js = folder / "c.xlsx", folder / "c.json"
    return Setup([*MERGE, str(box), "-o", str(out), "--json", str(js)], present=[out, js], check=_links_check)


def _follow_check(s: Setup) -> None:
    summary = json.loads(s.present[1].read_text(encoding="utf-8"))
    assert summary["counts"]["included"] == 2, summary["counts"]  # the linked file is one input, reached twice


@scenario("merge-link-follow", "同上，但加了 --follow-links（对照：应当汇总链接的文件）", 0)
def _link_follow(folder: Path) -> Setup:
    box, _ = _links(folder)
    out, js = folder / "c.xlsx", folder / "c.json"
    return Setup(
        [*MERGE, str(box), "-o", str(out), "--json", str(js), "--follow-links"], present=[out, js], check=_follow_check
    )


# ---------------------------------------------------------------- nothing wrong accepted silently (file kinds)
# Registered with corpus.kind, so test_corpus.py runs them like every other bad workbook (findings, the text
# report, the CLI in a bounded child process). Expected outcomes: ENV_EXPECTED, (exit, errors, warnings).

ENV_EXPECTED: dict[str, tuple[int, tuple[tuple[str, str, str], ...], tuple[tuple[str, str, str], ...]]] = {}
_MONEY = ("t02", "r0", "special")  # an empty 元 input cell of the example (corpus.EMPTY_MONEY)
_FILLED = ("t02", "r0", "general")  # an input cell holding 477884


def _place(rule: str, table: str, row: str, col: str) -> tuple[str, str, str]:
    sheet, a1 = where(table, row, col)
    return rule, sheet, a1


def _cell_kind(kid: str, title: str, at: tuple[str, str, str], inner: str, t: str | None, expect: Any) -> None:
    corpus_kind(kid, title)(lambda: with_cell(*at, inner, t))
    ENV_EXPECTED[kid] = expect


def _error(rule: str, at: tuple[str, str, str], required: bool = False) -> Any:
    """One error at the cell, and only one: a refused content is not also reported as an empty required cell
    (`required` only documents that the cell is a required one)."""
    return (1, (_place(rule, *at),), ())


def _date_styled(at: tuple[str, str, str], serial: str) -> bytes:
    """The example with a date-formatted number in a cell: a style with the built-in date format 14 added."""
    import re

    from .corpus import edit_zip, members, sheet_part

    zb = workbook_bytes()
    styles = members(zb)["xl/styles.xml"].decode()
    m = re.search(r'<cellXfs count="(\d+)">', styles)
    assert m
    index = int(m.group(1))
    date_xf = '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    styles = styles.replace(m.group(0), f'<cellXfs count="{index + 1}">').replace("</cellXfs>", date_xf + "</cellXfs>")
    sheet, a1 = where(*at)
    pattern = re.compile(rb'<c r="' + a1.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    new = f'<c r="{a1}" s="{index}"><v>{serial}</v></c>'.encode()
    return edit_zip(zb, {"xl/styles.xml": styles.encode(), sheet_part(zb, sheet): lambda x: pattern.sub(new, x, 1)})


_NAME = ("cover", "name", "value")
_CODE = ("cover", "code", "value")
_TEXT = ("text", "duties", "text")

_cell_kind(
    "error-value-as-name",
    "单位名称是 Excel 错误值 #N/A",
    _NAME,
    "<v>#N/A</v>",
    "e",
    _error("cell.error-value", _NAME, True),
)
_cell_kind(
    "error-value-as-code",
    "单位编码是 Excel 错误值 #REF!",
    _CODE,
    "<v>#REF!</v>",
    "e",
    _error("cell.error-value", _CODE, True),
)
_cell_kind(
    "error-value-in-text",
    "文字说明是 Excel 错误值 #VALUE!",
    _TEXT,
    "<v>#VALUE!</v>",
    "e",
    _error("cell.error-value", _TEXT),
)
corpus_kind("date-as-name", "单位名称被 Excel 转换成了日期 2020-03-01")(lambda: _date_styled(_NAME, "43891"))
ENV_EXPECTED["date-as-name"] = _error("cell.wrong-type", _NAME, True)
_cell_kind("bool-as-name", "单位名称是逻辑值 TRUE", _NAME, "<v>1</v>", "b", _error("cell.wrong-type", _NAME, True))
_cell_kind(
    "string-index-negative",
    "单位名称引用共享字符串 -1",
    _NAME,
    "<v>-1</v>",
    "s",
    _error("cell.bad-string-index", _NAME, True),
)
_cell_kind(
    "string-index-huge",
    "单位名称引用共享字符串 10^20",
    _NAME,
    "<v>100000000000000000000</v>",
    "s",
    _error("cell.bad-string-index", _NAME, True),
)
_cell_kind(
    "formula-external-link",
    "金额单元格中是外部链接公式 =[1]Sheet1!A1（缓存值 5）",
    _MONEY,
    "<f>[1]Sheet1!A1</f><v>5</v>",
    None,
    _error("cell.formula-in-input", _MONEY),
)
_cell_kind(
    "formula-webservice",
    "金额单元格中是 =WEBSERVICE(…)",
    _MONEY,
    '<f>WEBSERVICE("http://example.invalid/x")</f><v>5</v>',
    None,
    _error("cell.formula-in-input", _MONEY),
)
_cell_kind(
    "formula-volatile",
    "金额单元格中是 =RAND()",
    _MONEY,
    "<f>RAND()</f><v>0.5</v>",
    None,
    _error("cell.formula-in-input", _MONEY),
)
_cell_kind(
    "formula-now-in-name",
    "单位名称中是 =NOW()",
    _NAME,
    "<f>NOW()</f><v>43891.5</v>",
    None,
    _error("cell.formula-in-input", _NAME, True),
)
_cell_kind(
    "formula-without-cached-value",
    "金额单元格中是公式 =F7+F8，没有缓存值（openpyxl 写出的样子）",
    _MONEY,
    "<f>F7+F8</f>",
    None,
    _error("cell.formula-in-input", _MONEY),
)
_cell_kind(
    "formula-constant",
    "金额单元格中是算式 =477000+884（缓存值错写为 0）",
    _FILLED,
    "<f>477000+884</f><v>0</v>",
    None,
    (0, (), ()),  # a notice, cell.formula-constant: test_env.py checks it and the amount
)
_cell_kind(
    "sub-fen-amount",
    "元为单位的金额填了 477884.001（不足 1 分的尾数）",
    _FILLED,
    "<v>477884.001</v>",
    None,
    (0, (), (_place("cell.excess-precision", *_FILLED),)),
)
