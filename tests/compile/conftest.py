"""Fixtures for compile: the corrected example compiled once through the CLI, and its outputs read back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from xltools.cli import cli

from ..conftest import EXAMPLE

NAME = "中共隆尧县委网络安全和信息化委员会办公室"
NARRATIVE = f"{NAME}2020年部门预算信息公开情况说明"
TABLES = f"{NAME}2020年部门预算公开表"


@dataclass
class Compiled:
    out: Path
    output: str  # what compile printed

    @property
    def docx_path(self) -> Path:
        return self.out / f"{NARRATIVE}.docx"

    @property
    def md_path(self) -> Path:
        return self.out / f"{NARRATIVE}.md"

    @property
    def xlsx_path(self) -> Path:
        return self.out / f"{TABLES}.xlsx"


def run_compile(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["compile", *args])
    return res.exit_code, res.output


@pytest.fixture(scope="session")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    out = tmp_path_factory.mktemp("compiled")
    code, output = run_compile(str(EXAMPLE), "-o", str(out))
    assert code == 0, output
    return Compiled(out, output)


@pytest.fixture(scope="session")
def document(compiled: Compiled) -> docx.document.Document:
    return docx.Document(str(compiled.docx_path))


def body_blocks(doc: docx.document.Document) -> list[tuple[str, object]]:
    """The document in order: ("p", style, text) for paragraphs, ("t", rows) for tables."""
    out: list[tuple[str, object]] = []
    tables = iter(doc.tables)
    paragraphs = iter(doc.paragraphs)
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = next(paragraphs)
            out.append(("p", (p.style.name, p.text)))
        elif tag == "tbl":
            t = next(tables)
            out.append(("t", [[c.text for c in row.cells] for row in t.rows]))
    return out
