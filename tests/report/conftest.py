"""Fixtures of the report tests: the bundled example with three cells broken (a total, a code, a
text in a money cell), and helpers to read back what the annotated copy and the HTML page show."""

from __future__ import annotations

import copy
import hashlib
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from xltools.book import Pasted
from xltools.cli import cli
from xltools.edition import Edition
from xltools.edition.layout import table_layout
from xltools.template.write import write_template

from ..conftest import example_data

RED, YELLOW = "FFFF8080", "FFFFD54F"
DEEP_RED, PINK = "FFFF4D4D", "FFFFD6D6"  # the diagnosed cell, the totals it breaks
Place = tuple[str, str]  # (sheet, cell)


def places(ed: Edition) -> dict[str, Place]:
    """The three broken cells and the example's own warning, from the layout (not hard-coded)."""

    def at(table: str, row: str, col: str) -> Place:
        return ed.table(table).sheet, table_layout(ed, table).cell(row, col)

    return {
        "total": at("t07", "budget", "total"),  # a formula total overwritten with a wrong constant
        "code": at("t05", "r4", "code"),  # a fifth row with a code not in the list
        "text": at("assets", "equipment", "value"),  # "N/A" in a money cell
        "warning": at("opex", "amount", "amount"),  # 机关运行经费 above 公用经费: a warning
    }


def broken_data(fixed: tuple[str, ...] = ()) -> dict[str, Any]:
    data = copy.deepcopy(example_data("longyao-cac-2020.xlsx")[2])
    if "total" not in fixed:
        data["t07"]["budget"]["total"] = Pasted(100)
    if "code" not in fixed:
        data["t05"].append({"code": "201369"})  # a digit dropped: malformed, an error (cell.code-format)
    if "text" not in fixed:
        data["assets"]["equipment"]["value"] = "N/A"
    if "warning" not in fixed:
        data["opex"]["amount"]["amount"] = 40000  # above 表6 公用经费 31000 (opex-t06.within-public)
    return data


@pytest.fixture(scope="session")
def broken_src(tmp_path_factory: pytest.TempPathFactory, ed: Edition) -> Path:
    path = tmp_path_factory.mktemp("src") / "broken.xlsx"
    write_template(ed, path, broken_data())
    return path


@pytest.fixture
def broken(tmp_path: Path, broken_src: Path) -> Path:
    """A private copy (outputs are written beside it), under a Chinese file name as clerks use."""
    path = tmp_path / "隆尧网信办2020.xlsx"
    shutil.copyfile(broken_src, path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str | Path) -> tuple[int, str]:
    r = CliRunner().invoke(cli, [str(a) for a in args])
    return r.exit_code, r.output


def filled_cells(path: Path, skip: tuple[str, ...] = ("错误清单",)) -> dict[Place, str]:
    """(sheet, cell) -> 'error'/'warning'/'change'/'broken' for every cell filled with the annotation colours."""
    import openpyxl

    colours = {RED: "error", YELLOW: "warning", DEEP_RED: "change", PINK: "broken"}
    out: dict[Place, str] = {}
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws.title in skip:
            continue
        for row in ws.iter_rows():
            for c in row:
                fill = c.fill
                if fill is not None and fill.fill_type == "solid" and fill.fgColor.rgb in colours:
                    out[(ws.title, c.coordinate)] = colours[fill.fgColor.rgb]
    return out


def sheet_parts(path: Path) -> dict[str, str]:
    from xltools.reader.open import open_package

    pkg = open_package(path)
    try:
        return dict(pkg.sheets)
    finally:
        pkg.close()


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_F = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_V = re.compile(rb"<v>(.*?)</v>|<v/>", re.S)  # <v></v> and <v/> are the same empty value


def formula_values(path: Path) -> dict[tuple[str, str], tuple[bytes, bytes | None]]:
    """(sheet, cell) -> (formula text, cached <v>) of every formula cell, read from the sheet XML."""
    out: dict[tuple[str, str], tuple[bytes, bytes | None]] = {}
    with zipfile.ZipFile(path) as zf:
        for sheet, part in sheet_parts(path).items():
            for m in _CELL.finditer(zf.read(part)):
                body = m.group(2) or b""
                f = _F.search(body)
                if f:
                    v = _V.search(body)
                    out[(sheet, m.group(1).decode())] = (f.group(1) or b"", (v.group(1) or b"") if v else None)
    return out


# ---------------------------------------------------------------- Chromium
def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    assert exe is not None
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            *extra,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


class DomCells(HTMLParser):
    """Highlighted grid cells in a dumped DOM: (sheet, cell, severity), the sheet from the enclosing section."""

    def __init__(self) -> None:
        super().__init__()
        self.sheet = ""
        self.cells: set[tuple[str, str, str]] = set()
        self.body: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "section" and "data-sheet" in a:
            self.sheet = a["data-sheet"] or ""
        classes = (a.get("class") or "").split()
        if tag == "td" and "cell" in classes:
            sev = "error" if "error" in classes else "warning" if "warning" in classes else ""
            self.cells.add((self.sheet, a.get("data-ref") or "", sev))


def dom_cells(dom: str) -> DomCells:
    p = DomCells()
    p.feed(dom)
    return p


def rezip(src: Path, dest: Path, edits: dict[str, Any]) -> Path:
    """Copy a workbook, changing parts: part -> function of its bytes (returning None drops the part)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data: bytes | None = zin.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data)
            if data is not None:
                zout.writestr(info, data)
    return dest
