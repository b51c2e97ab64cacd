"""Pre-filled templates: this year's workbook with the cover (单位编码, 单位名称, 年度) filled in, migrated
from last year's workbook when one is on file. Used by the intake server and by
`xltools template --roster`; no web framework here."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ..edition.model import Edition

COVER_TEXTS = ("unit_code", "unit_name", "budget_year")  # the figures contract's required text cells


def cover_refs(ed: Edition) -> dict[str, tuple[str, str, str]]:
    """(table, row, col) of the unit code, name and year cells, as the edition names them (figures.toml)."""
    return {tid: (ed.text_cell(tid).table, ed.text_cell(tid).row, ed.text_cell(tid).col) for tid in COVER_TEXTS}


def cover_data(ed: Edition, code: str, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """`data` (plain template data, e.g. a migration's) with the department's code, name and the edition's
    year on the cover."""
    out: dict[str, Any] = copy.deepcopy(data or {})
    for key, value in (("unit_code", code), ("unit_name", name), ("budget_year", ed.year)):
        table, row, col = cover_refs(ed)[key]
        out.setdefault(table, {}).setdefault(row, {})[col] = value
    return out


def submitted_unit(book: Any) -> tuple[str, str]:
    """(单位编码, 单位名称) as written on a read workbook's cover."""
    return book.text_cell("unit_code").strip(), book.text_cell("unit_name").strip()


def write_department_template(ed: Edition, code: str, name: str, out: Path, last_year: Path | None = None) -> list[str]:
    """Write one department's pre-filled template to `out` (atomically). With last year's workbook, its
    figures are migrated first (as `xltools migrate` does); returns the migration's notes (empty without)."""
    from ..outputs import atomic_write
    from ..template.write import write_template

    data: dict[str, Any] = {}
    stamp: dict[str, str] = {}
    notes: list[str] = []
    if last_year is not None:
        from ..migrate import load_mapping, migrate_book
        from ..reader.read import read_workbook

        book = read_workbook(last_year).book
        mig = migrate_book(book, ed, load_mapping(book.edition, ed))
        data, stamp = mig.data, mig.stamp
        notes = [str(n) for n in mig.notes] + [str(u) for u in getattr(mig, "unmapped", [])]
    filled = cover_data(ed, code, name, data)
    atomic_write(Path(out), lambda tmp: write_template(ed, tmp, filled, stamp=stamp))
    return notes


def safe_filename(text: str) -> str:
    """A file name from a department's name: path separators and characters Windows refuses removed."""
    bad = '<>:"/\\|?*'
    cleaned = "".join("_" if (c in bad or ord(c) < 32) else c for c in text).strip(" .")
    return cleaned[:80] or "unit"


def template_name(ed: Edition, code: str, name: str) -> str:
    from .. import texts

    return safe_filename(texts.text("server.template_file", code=code, name=name, year=ed.year)) + ".xlsx"


def write_roster_templates(ed: Edition, roster_path: Path, folder: Path, overwrite: bool = False) -> list[Path]:
    """One pre-filled template per roster entry in `folder`; the whole set is checked before any is written."""
    from ..merge.roster import read_roster
    from ..outputs import check_target

    roster = read_roster(roster_path)
    targets = [(e, Path(folder) / template_name(ed, e.code, e.name)) for e in roster.entries]
    for _, path in targets:
        check_target(path, [Path(roster_path)], overwrite)
    for e, path in targets:
        write_department_template(ed, e.code, e.name, path)
    return [p for _, p in targets]


def roster_command(edition: str | None, year: int | None, roster: Path, folder: Path, force: bool) -> None:
    """`xltools template --roster 名单.csv -o DIR`: one pre-filled template per department, no server."""
    import click

    from .. import texts
    from ..commands.common import run
    from ..edition import load_edition
    from ..edition.load import DEFAULT_EDITION
    from ..errors import OutputError

    ed = run(load_edition, edition or DEFAULT_EDITION, year)
    if folder.exists() and not folder.is_dir():
        run(_raise, OutputError(texts.text("server.cli.not_a_folder", path=folder)))
    folder.mkdir(parents=True, exist_ok=True)
    written = run(write_roster_templates, ed, roster, folder, force)
    click.echo(texts.text("server.cli.templates_done", n=len(written), folder=folder, edition=ed.id, year=ed.year))


def _raise(e: Exception) -> None:
    raise e
