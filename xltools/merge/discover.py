"""Turn the PATH arguments into the list of input files, recording every folder that could not be searched.

Folders are searched recursively for spreadsheets (.xlsx and .xlsm are read; .xls/.et/.ods are inputs
too, reported as unreadable with the fix). Skipped and recorded: Excel/WPS lock files (~$…), hidden files
and folders, the tool's own outputs (…检查结果.xlsx/.xlsm, the merge's temporary files, the output being written).
A file named explicitly is always an input, whatever its name. The same file reached twice (named
twice, or through a symbolic link) is one input. Symbolic links to folders are followed once; a link
that leads back into a folder already searched (a loop) is skipped and recorded. A symbolic link that leads
outside every named folder is skipped and recorded unless follow_links is given (`merge --follow-links`):
a link in an inbox must not pull in the whole parent tree.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import texts

# Spreadsheets a department may send: .xlsx is read; the others are inputs too, so the bureau learns that a
# .xls or WPS .et file cannot be used (and why) instead of the department silently counting as 未报送.
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".et", ".ods")
# `validate --annotate` copies (…检查结果.xlsx, or .xlsm for a macro workbook): the department's own data again.
OUTPUT_SUFFIXES = tuple(texts.text("report.output_name", stem="", suffix=s) for s in (".xlsx", ".xlsm"))


@dataclass
class Problem:
    path: str
    error: str  # short reason (the OS's words)


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    reals: list[str] = field(default_factory=list)  # each file's real path, as found (os.path.realpath)
    problems: list[Problem] = field(default_factory=list)  # folders that could not be searched: inputs too
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why): lock files, outputs, link loops


def _skip_reason(name: str, exclude: set[str], real: str) -> str:
    if name.startswith("~$"):
        return texts.text("merge.skip_lock_file")
    if name.startswith("."):
        return texts.text("merge.skip_hidden_file")
    if name.lower().endswith(OUTPUT_SUFFIXES):
        return texts.text("merge.skip_annotated_copy")
    if real in exclude:
        return texts.text("merge.skip_own_output")
    return ""


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def _inside(real: str, roots: list[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def discover(paths: Iterable[str | Path], exclude: Iterable[str | Path] = (), follow_links: bool = False) -> Discovery:
    out = Discovery()
    paths = [str(p) for p in paths]
    roots = [_real(p) for p in paths if os.path.isdir(p)]
    excluded = {_real(str(p)) for p in exclude}
    seen_files: set[str] = set()
    seen_dirs: set[tuple[int, int]] = set()

    def add(path: str, real: str) -> None:
        if real not in seen_files:
            seen_files.add(real)
            out.files.append(path)
            out.reals.append(real)

    def walk(top: str) -> None:
        try:
            st = os.stat(top)
        except OSError as e:
            out.problems.append(Problem(top, e.strerror or str(e)))
            return
        if (st.st_dev, st.st_ino) in seen_dirs:
            out.skipped.append((top, texts.text("merge.skip_link_loop")))
            return
        seen_dirs.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(top) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            out.problems.append(Problem(top, e.strerror or str(e)))
            return
        subdirs = []
        for entry in entries:
            full = os.path.join(top, entry.name)
            try:
                is_dir = entry.is_dir()  # follows symbolic links
                is_file = entry.is_file()
            except OSError as e:  # a symbolic link loop (x -> x): stat fails; nothing behind it to lose
                out.skipped.append((full, texts.text("merge.skip_link_broken", error=e.strerror or e)))
                continue
            if not follow_links and entry.is_symlink() and not _inside(_real(full), roots):
                out.skipped.append((full, texts.text("app.skip_link_outside", target=_real(full))))
                continue
            if is_dir:
                if entry.name.startswith("."):
                    out.skipped.append((full, texts.text("merge.skip_hidden_folder")))
                else:
                    subdirs.append(full)
                continue
            if not entry.name.lower().endswith(SPREADSHEETS):
                continue
            if entry.is_symlink() and not is_file:
                out.skipped.append((full, texts.text("merge.skip_dangling_link")))
                continue
            real = _real(full)
            why = _skip_reason(entry.name, excluded, real)
            if why:
                out.skipped.append((full, why))
            else:
                add(full, real)
        for d in subdirs:
            walk(d)

    for p in paths:
        p = str(p)
        try:
            mode = os.stat(p).st_mode
        except OSError:
            add(p, _real(p))  # missing or unreachable: the worker reports it as 无法读取
            continue
        if stat.S_ISDIR(mode):
            walk(p)
        else:
            add(p, _real(p))
    return out
