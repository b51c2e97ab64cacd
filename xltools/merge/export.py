"""Machine outputs of a merge: the JSON summary (docs/merge-json.md) and the open-data export
(tidy CSV + Frictionless datapackage.json with the Fiscal Data Package money factor).

CSV cells are guarded against formula injection: a text field that starts with = + - @, a tab or a
carriage return gets a leading apostrophe (the OWASP recommendation), so a spreadsheet shows it as
text. Amounts (the 金额 column) are numbers and are never altered.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import __version__, texts
from ..edition.model import Edition
from ..outputs import atomic_write, make_folder
from . import spec
from .model import DUPLICATE, ERRORS, INCLUDED, MISMATCH, NOREAD, NOT_ON_ROSTER, FileFacts, InputEntry, MergeResult
from .render import AMOUNT_COL, guard, money_str
from .spool import Spool

JSON_SCHEMA = "xltools-merge-summary"
JSON_VERSION = 1
EXPORT_SCHEMA = "xltools-merge-export"
EXPORT_VERSION = 1
EXPORT_FILES = ("budget-lines.csv", "inputs.csv", "datapackage.json")

# The export's column names are words a user reads: they live in xltools/texts/merge.toml [export].
_LINES: list[dict[str, str]] = texts.raw("merge.export.lines")
LINE_FIELDS = tuple(f["name"] for f in _LINES)
LINE = {f["id"]: f["name"] for f in _LINES}  # column id -> its name
INPUT_FIELDS = tuple(name for name, _type in texts.raw("merge.export.inputs"))
assert LINE_FIELDS[AMOUNT_COL] == LINE["amount"], "render.AMOUNT_COL must name the 金额 column"


def iso_mtime(mtime: float | None) -> str | None:
    if mtime is None:
        return None
    return dt.datetime.fromtimestamp(mtime).astimezone().isoformat(timespec="seconds")


# ---- JSON summary ----


def details(spool: Spool | None, e: InputEntry) -> tuple[FileFacts, list[dict[str, str]]]:
    """An input's file facts and first findings, which wait in the spool (not in memory) until an output needs them."""
    if spool is None or not e.key:
        return FileFacts(), []
    res, county = spool.details(e.key)
    return res.facts, [f.as_dict() for f in (*res.findings, *county)]


def _input_json(seq: int, e: InputEntry, spool: Spool | None) -> dict[str, Any]:
    facts, findings = details(spool, e)
    return {
        "seq": seq,
        "path": e.path,
        "kind": e.kind,
        "status": e.status,
        "status_key": e.status_key,
        "unit_code": e.unit_code,
        "unit_name": e.unit_name,
        "edition": e.edition,
        "version": e.version,
        "year": e.year,
        "sha256": facts.sha256,
        "size": facts.size,
        "mtime": iso_mtime(facts.mtime),
        "errors": e.errors,
        "warnings": e.warnings,
        "reason": e.reason,
        "findings": findings,
    }


_INPUTS = "\x00inputs\x00"  # stands for the inputs array, streamed one input at a time


def summary_json(r: MergeResult) -> dict[str, Any]:
    ed = r.edition
    outcome = "refused" if r.refused is not None else ("merged" if r.included else "nothing-included")
    counts = {
        "inputs": len(r.inputs),
        "included": r.count(INCLUDED),
        "invalid": r.count(ERRORS),
        "unreadable": r.count(NOREAD),
        "duplicate": r.count(DUPLICATE),
        "not_on_roster": r.count(NOT_ON_ROSTER),
        "mismatch": r.count(MISMATCH),
        "missing": len(r.missing),
    }
    out: dict[str, Any] = {
        "schema": JSON_SCHEMA,
        "version": JSON_VERSION,
        "generator": f"xltools {__version__}",
        "outcome": outcome,
        "exit_code": r.exit_code,
        "summary": r.summary_line(),
        "counts": counts,
        "edition": None
        if ed is None
        else {
            "id": ed.id,
            "title": ed.title,
            "version": ed.version,
            "year": ed.year,
            "money_unit": ed.money_unit,
            "money_factor": ed.money_factor,
        },
        "inputs": _INPUTS,
        "refused": None
        if r.refused is None
        else {
            "message": spec.text("refused"),
            "groups": [
                {"edition": g.edition, "version": g.version, "year": g.year, "paths": g.paths} for g in r.refused
            ],
        },
        "roster": None
        if r.roster is None
        else {"path": r.roster.path, "entries": len(r.roster.entries), "notes": r.roster.notes},
        "missing": [{"unit_code": m.code, "unit_name": m.name} for m in r.missing],
        "not_on_roster": [
            {"unit_code": e.unit_code, "unit_name": e.unit_name, "path": e.path, "status": e.status}
            for e in r.not_on_roster
        ],
        "totals": None,
        "skipped": [{"path": p, "reason": why} for p, why in r.skipped],
    }
    if ed is not None and r.refused is None:
        classes = []
        for c in spec.classifications(ed):
            rows = r.totals.classes.get(c.id, [])
            classes.append(
                {
                    "id": c.id,
                    "code_list": c.code_list,
                    "title": c.title,
                    "columns": [{"table": col.table, "column": col.col, "label": col.label} for col in c.columns],
                    "rows": [
                        {
                            "code": x.code,
                            "name": x.name,
                            "level": x.level,
                            "departments": x.depts,
                            "amounts": [money_str(v, ed.money_decimals) for v in x.values],
                        }
                        for x in rows
                    ],
                }
            )
        out["totals"] = {
            "departments": r.count(INCLUDED),
            "money_unit": ed.money_unit,
            "figures": [
                {
                    "id": f.id,
                    "label": f.label,
                    "group": f.group,
                    "amount": money_str(r.totals.figures.get(f.id), ed.money_decimals),
                }
                for f in spec.figures(ed)
            ],
            "classifications": classes,
        }
    return out


def write_json(r: MergeResult, spool: Spool | None, path: Path) -> None:
    """The summary, as json.dumps(indent=2) would write it, with the inputs streamed (memory flat in N)."""
    head, tail = json.dumps(summary_json(r), ensure_ascii=False, indent=2).split(json.dumps(_INPUTS))

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(head)
            if not r.inputs:
                fh.write("[]")
            else:
                fh.write("[")
                for i, e in enumerate(r.inputs, start=1):
                    item = json.dumps(_input_json(i, e, spool), ensure_ascii=False, indent=2)
                    fh.write(("\n" if i == 1 else ",\n") + "\n".join("    " + line for line in item.split("\n")))
                fh.write("\n  ]")
            fh.write(tail + "\n")

    atomic_write(path, write)


# ---- open-data export ----


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for row in rows:
                w.writerow([guard(v) if isinstance(v, str) else v for v in row])

    atomic_write(path, write)


def _write_lines(path: Path, r: MergeResult, spool: Spool) -> None:
    """budget-lines.csv: the header, then each included department's lines as its worker wrote them."""

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerow(LINE_FIELDS)
            for e in r.included:
                fh.write(spool.csv(e.key))

    atomic_write(path, write)


def _input_rows(r: MergeResult, spool: Spool) -> Iterator[tuple[Any, ...]]:
    for i, e in enumerate(r.inputs, start=1):
        facts, _ = details(spool, e)
        yield (
            i,
            e.status,
            e.unit_code,
            e.unit_name,
            e.path,
            e.errors,
            e.warnings,
            e.reason,
            e.edition,
            e.year or "",
            iso_mtime(facts.mtime) or "",
            "" if facts.size is None else facts.size,
            facts.sha256,
        )


def _field(name: str, type_: str, description: str) -> dict[str, str]:
    return {"name": name, "type": type_, "description": description}


def datapackage(r: MergeResult, ed: Edition) -> dict[str, Any]:
    factor = ed.money_factor
    dialect = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True}
    lines: list[dict[str, str]] = []
    for f in _LINES:
        field = _field(f["name"], f["type"], f["description"].format(factor=factor))
        if f["id"] == "amount":
            field["decimalChar"] = "."
        lines.append(field)
    inputs = [_field(n, type_, n) for n, type_ in texts.raw("merge.export.inputs")]
    L = LINE
    return {
        "profile": "tabular-data-package",
        "name": f"xltools-merge-{ed.id}-{ed.year}".lower(),
        "title": texts.text("merge.export.title", year=ed.year, edition_title=ed.title),
        "description": texts.text("merge.export.description"),
        "countryCode": "CN",
        "fiscalPeriod": {"start": f"{ed.year}-01-01", "end": f"{ed.year}-12-31"},
        "resources": [
            {
                "name": "budget-lines",
                "path": "budget-lines.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": dialect,
                "schema": {"fields": lines, "missingValues": [""]},
            },
            {
                "name": "inputs",
                "path": "inputs.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": dialect,
                "schema": {"fields": inputs, "missingValues": [""]},
            },
        ],
        # Fiscal Data Package (v0.3) logical model: the money unit is a factor on the measure (万元 = 10000).
        "model": {
            "measures": {
                L["amount"]: {
                    "source": L["amount"],
                    "currency": "CNY",
                    "factor": factor,
                    "phase": "approved",
                    "title": texts.text("merge.export.measure_title", money_unit=ed.money_unit),
                }
            },
            "dimensions": {
                texts.text("merge.export.dim_unit"): {
                    "dimensionType": "entity",
                    "primaryKey": [L["unit_code"]],
                    "attributes": {
                        L["unit_code"]: {"source": L["unit_code"]},
                        L["unit_name"]: {"source": L["unit_name"], "labelfor": L["unit_code"]},
                    },
                },
                texts.text("merge.export.dim_class"): {
                    "dimensionType": "classification",
                    "primaryKey": [L["code"]],
                    "attributes": {
                        L["code"]: {"source": L["code"]},
                        L["code_name"]: {"source": L["code_name"], "labelfor": L["code"]},
                        L["level"]: {"source": L["level"]},
                    },
                },
                L["table"]: {
                    "dimensionType": "other",
                    "primaryKey": [L["table"]],
                    "attributes": {L["table"]: {"source": L["table"]}},
                },
                L["measure"]: {
                    "dimensionType": "other",
                    "primaryKey": [L["measure"]],
                    "attributes": {L["measure"]: {"source": L["measure"]}},
                },
            },
        },
        "xltools": {
            "schema": EXPORT_SCHEMA,
            "version": EXPORT_VERSION,
            "generator": f"xltools {__version__}",
            "edition": ed.id,
            "edition_version": ed.version,
            "year": ed.year,
            "money_unit": ed.money_unit,
            "departments": r.count(INCLUDED),
            "inputs": len(r.inputs),
            "summary": r.summary_line(),
        },
    }


def write_export(r: MergeResult, spool: Spool, folder: Path) -> list[str]:
    ed = r.edition
    assert ed is not None
    make_folder(folder)  # removed again if the set of outputs is rolled back
    lines, inputs, package = folder / "budget-lines.csv", folder / "inputs.csv", folder / "datapackage.json"
    _write_lines(lines, r, spool)
    _write_csv(inputs, INPUT_FIELDS, _input_rows(r, spool))
    text = json.dumps(datapackage(r, ed), ensure_ascii=False, indent=2) + "\n"
    atomic_write(package, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [str(lines), str(inputs), str(package)]
