"""Load an edition from schemas/<id>/ into the frozen model. A bad edition raises EditionError
naming the file and the key, so a finance bureau editing TOML sees what to fix."""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import texts
from ..errors import EditionError
from ..money import UNIT_FACTORS
from ..tomlfile import load as _toml
from . import expr as ex
from .model import Breakdown, CodeEntry, CodeList, Column, Edition, Figure, Identity, RecordSet, Row, Table, TextCell

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_EDITION = "hebei-county-2020"  # what `xltools template` writes when no --edition is given


def search_path() -> list[Path]:
    """Where editions are looked for: $XLTOOLS_EDITIONS (os.pathsep-separated), the installed copy, the checkout."""
    paths = [Path(p) for p in os.environ.get("XLTOOLS_EDITIONS", "").split(os.pathsep) if p]
    paths += [PACKAGE_DIR / "schemas", PACKAGE_DIR.parent / "schemas"]
    return [p for p in paths if p.is_dir()]


def available() -> list[Path]:
    seen: dict[str, Path] = {}
    for base in search_path():
        for d in sorted(base.iterdir()):
            if (d / "edition.toml").is_file() and d.name not in seen:
                seen[d.name] = d
    return list(seen.values())


def find(name: str) -> Path:
    p = Path(name)
    if (p / "edition.toml").is_file():
        return p
    for d in available():
        if d.name == name:
            return d
    known = "、".join(d.name for d in available()) or texts.text("edition.load.no_editions")
    raise EditionError(texts.raw("edition.load.unknown_edition").format(name=name, known=known))


def _lookup(chain: tuple[Path, ...], rel: str) -> Path:
    """The file at rel in the first edition of the chain that has it (else the child's own path)."""
    for base in chain:
        if (base / rel).is_file():
            return base / rel
    return chain[0] / rel


def _codes(chain: tuple[Path, ...], cid: str, spec: dict[str, Any], year: int) -> CodeList:
    file = str(spec["file"])
    target = _lookup(chain, file.format(year=year))
    if "{year}" in file and not target.is_file():
        # Fall back to the nearest earlier year's list (the bureau confirms it for the year).
        for y in range(year - 1, year - 30, -1):
            if _lookup(chain, file.format(year=y)).is_file():
                target = _lookup(chain, file.format(year=y))
                break
    entries: dict[str, CodeEntry] = {}
    try:
        with target.open(encoding="utf-8", newline="") as fh:
            for line, rec in enumerate(csv.DictReader(fh), start=2):
                code = (rec.get("code") or "").strip()
                name = (rec.get("name") or "").strip()
                if not code or code in entries or not code.isdigit():
                    raise EditionError(
                        texts.raw("edition.load.code_invalid").format(target=target, line=line, code=code)
                    )
                if not name:
                    raise EditionError(
                        texts.raw("edition.load.code_without_name").format(target=target, line=line, code=code)
                    )
                entries[code] = CodeEntry(
                    code,
                    name,
                    (rec.get("status") or "R").strip(),
                    (rec.get("note") or "").strip(),
                    (rec.get("group") or "").strip(),
                )
    except FileNotFoundError:
        raise EditionError(texts.raw("edition.load.code_list_file_missing").format(target=target, cid=cid)) from None
    complete = spec.get("complete", False)
    if not isinstance(complete, bool):
        raise EditionError(texts.text("codes.complete_not_bool", cid=cid, value=repr(complete)))
    return CodeList(cid, str(spec.get("title", cid)), tuple(spec.get("levels", ())), entries, complete)


def _stale(chain: tuple[Path, ...], spec: dict[str, Any] | None) -> dict[str, tuple[str, str, int]]:
    if not spec:
        return {}
    out: dict[str, tuple[str, str, int]] = {}
    file = _lookup(chain, spec["file"])
    try:
        with file.open(encoding="utf-8", newline="") as fh:
            for line, rec in enumerate(csv.DictReader(fh), start=2):
                try:
                    out[rec["old_name"].strip()] = (
                        rec["code"].strip(),
                        rec["new_name"].strip(),
                        int(rec["since_year"]),
                    )
                except (KeyError, AttributeError, TypeError, ValueError):
                    raise EditionError(
                        texts.raw("edition.load.stale_columns_missing").format(file=file, line=line)
                    ) from None
    except FileNotFoundError:
        raise EditionError(texts.raw("edition.load.stale_file_missing").format(file=file)) from None
    return out


def _column(raw: dict[str, Any], where: str) -> Column:
    try:
        return Column(
            key=raw["key"],
            header=tuple(raw["header"]),
            type=raw.get("type", "money"),
            side=int(raw.get("side", 0)),
            width=float(raw.get("width", 14)),
            required=str(raw.get("required", "")),
            enum=raw.get("enum", ""),
            strict=bool(raw.get("strict", True)),
            pattern=raw.get("pattern", ""),
            pattern_hint=raw.get("pattern_hint", ""),
            unique=bool(raw.get("unique", False)),
            ref=raw.get("ref", ""),
            total=bool(raw.get("total", True)),
            wrap=bool(raw.get("wrap", False)),
        )
    except KeyError as e:
        raise EditionError(
            texts.raw("edition.load.column_key_missing").format(where=where, e_args_0=e.args[0])
        ) from None


_DIGITS = texts.text("edition.numerals.digits")


def chinese_numeral(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一 (1 to 99), for numbered row labels such as 一、二、…"""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _DIGITS[tens]) + texts.text("edition.numerals.ten") if tens else "") + (
        _DIGITS[ones] if ones else ""
    )


def _rows(raw_rows: list[dict[str, Any]], codes: dict[str, CodeList], where: str) -> tuple[Row, ...]:
    rows: list[Row] = []
    for raw in raw_rows:
        if "from_codes" in raw:
            cl = codes.get(raw["from_codes"])
            if cl is None:
                raise EditionError(
                    texts.raw("edition.load.row_unknown_code_list").format(
                        where=where, raw_from_codes=raw["from_codes"]
                    )
                )
            prefix = raw.get("id_prefix", "c")
            # label: a format of the row label, e.g. "{cn}、{name}" -> 一、一般公共服务支出 ({n}: 1, 2, …; {code}).
            fmt = str(raw.get("label", "{name}"))
            entries = sorted(cl.at_level(int(raw.get("level", 1))), key=lambda e: e.code)
            for i, e in enumerate(entries, start=1):
                try:
                    label = fmt.format(name=e.name, code=e.code, n=i, cn=chinese_numeral(i))
                except (KeyError, IndexError, ValueError) as err:
                    raise EditionError(
                        texts.raw("edition.load.row_label_format_invalid").format(where=where, fmt=fmt, err=err)
                    ) from None
                rows.append(
                    Row(
                        id=f"{prefix}{e.code}",
                        label=label,
                        side=int(raw.get("side", 0)),
                        bottom=bool(raw.get("bottom", False)),
                        code=e.code,
                    )
                )
            continue
        try:
            rows.append(
                Row(
                    id=raw["id"],
                    label=raw["label"],
                    side=int(raw.get("side", 0)),
                    bottom=bool(raw.get("bottom", False)),
                    type=raw.get("type", ""),
                    enum=raw.get("enum", ""),
                    required=str(raw.get("required", "")),
                    pattern=raw.get("pattern", ""),
                    pattern_hint=raw.get("pattern_hint", ""),
                    na=tuple(raw.get("na", ())),
                )
            )
        except KeyError as e:
            raise EditionError(
                texts.raw("edition.load.row_key_missing").format(where=where, e_args_0=e.args[0])
            ) from None
    ids = [r.id for r in rows]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise EditionError(texts.raw("edition.load.duplicate_row_ids").format(where=where, sorted_dup=sorted(dup)))
    return tuple(rows)


def _table(chain: tuple[Path, ...], tid: str, codes: dict[str, CodeList], money_unit: str) -> Table:
    file = _lookup(chain, f"tables/{tid}.toml")
    raw = _toml(file)
    if raw.get("id", tid) != tid:
        raise EditionError(texts.raw("edition.load.table_id_mismatch").format(file=file, raw_get_id=raw.get("id")))
    unit = raw.get("unit", "money")
    kind = raw.get("kind", "fixed")
    if kind not in ("fixed", "list"):
        raise EditionError(texts.raw("edition.load.table_kind_invalid").format(file=file))
    cols = tuple(_column(c, str(file)) for c in raw.get("columns", ()))
    if not cols:
        raise EditionError(texts.raw("edition.load.table_without_columns").format(file=file))
    code_list = raw.get("code_list", "")
    if code_list and code_list not in codes:
        raise EditionError(texts.raw("edition.load.table_unknown_code_list").format(file=file, code_list=code_list))
    return Table(
        id=tid,
        sheet=raw["sheet"],
        title=raw["title"],
        kind=kind,
        unit=money_unit if unit == "money" else unit,
        columns=cols,
        rows=_rows(raw.get("rows", []), codes, str(file)) if kind == "fixed" else (),
        official=bool(raw.get("official", False)),
        rows_max=int(raw.get("rows_max", 0)),
        total_row=bool(raw.get("total_row", False)),
        code_list=code_list,
        units=bool(raw.get("units", False)),
        empty_note=raw.get("empty_note", ""),
        info=raw.get("info", ""),
        blank=raw.get("blank", "zero"),
    )


def _expand(raw: dict[str, Any], codes: dict[str, CodeList]) -> list[dict[str, str]]:
    """Expand 'each' and 'each_code: codes:<list>:<level>' into the substitutions of each copy."""
    each = raw.get("each") or [[]]
    code_spec = raw.get("each_code", "")
    code_values: list[str | None] = [None]
    if code_spec.startswith("codes:"):
        _, cid, level = code_spec.split(":")
        code_values = [e.code for e in sorted(codes[cid].at_level(int(level)), key=lambda e: e.code)]
    out = []
    for tup, code in itertools.product(each, code_values):
        subs = {str(i): str(v) for i, v in enumerate(tup)}
        if code is not None:
            subs["code"] = code
        out.append(subs)
    return out


def _identities(chain: tuple[Path, ...], codes: dict[str, CodeList]) -> tuple[Identity, ...]:
    layers = _layers(chain, "identities.toml")
    if not layers:
        return ()
    file = layers[-1][0]
    out: list[Identity] = []
    for raw in _inherited(layers, ("identity",)).get("identity", []):
        iid = raw.get("id", "")
        where = f"{file} [{iid}]"
        sev = raw.get("severity", "error")
        if sev not in ("error", "warning"):
            raise EditionError(texts.raw("edition.load.identity_severity_invalid").format(where=where))
        if raw.get("kind") == "monotone":
            out.append(
                Identity(
                    id=iid,
                    title=raw.get("title", iid),
                    expr=None,
                    kind="monotone",
                    table=raw["table"],
                    columns=tuple(raw["columns"]),
                    severity=sev,
                    hint=raw.get("hint", ""),
                    final=Decimal(str(raw["final"])) if "final" in raw else None,
                )
            )
            continue
        text = raw.get("expr", "")
        each_rows = raw.get("each_code", "") if str(raw.get("each_code", "")).startswith("rows:") else ""
        try:
            when = ex.parse(raw["when"]) if raw.get("when") else None
        except ex.ExprError as e:
            raise EditionError(f"{where}: {e}") from None
        for subs in _expand(raw, codes):
            body = text
            for k, v in subs.items():  # an each_code = "rows:…" identity keeps {code} for check time
                body = body.replace("{" + k + "}", v)
            try:
                parsed = None if each_rows else ex.parse(body, raw.get("per_row") or None)
            except ex.ExprError as e:
                raise EditionError(f"{where}: {e}") from None
            out.append(
                Identity(
                    id=iid,
                    title=raw.get("title", iid),
                    expr=parsed,
                    formula=bool(raw.get("formula", False)),
                    per_row=raw.get("per_row", ""),
                    when=when,
                    severity=sev,
                    hint=raw.get("hint", ""),
                    each_rows=each_rows,
                    template=body if each_rows else "",
                )
            )
    return tuple(out)


def _money_factor(raw: dict[str, Any], where: str) -> int:
    """The money unit in 元 (Fiscal Data Package's factor): derived from money_unit, which it must agree with."""
    unit = raw["money_unit"]
    if unit not in UNIT_FACTORS:
        raise EditionError(
            texts.raw("edition.load.money_unit_invalid").format(where=where, join_UNIT_FACTORS="、".join(UNIT_FACTORS))
        )
    factor = int(UNIT_FACTORS[unit])
    if int(raw.get("money_factor", factor)) != factor:
        raise EditionError(
            texts.raw("edition.load.money_factor_mismatch").format(where=where, unit=unit, factor=factor)
        )
    return factor


# ---- editions that extend editions ----

EXTENDS = "extends"
_EXTENDS_LINE = re.compile(rb"^[ \t]*extends[ \t]*=[^\n]*\n?", re.M)


def _chain(path: Path) -> tuple[Path, ...]:
    """The edition's folder, then the folders of the editions it extends (nearest first)."""
    chain = [path]
    while True:
        raw = _toml(chain[-1] / "edition.toml")
        parent = raw.get(EXTENDS)
        if not parent:
            return tuple(chain)
        nxt = find(str(parent)).resolve()
        if nxt in chain:
            names = " → ".join(p.name for p in [*chain, nxt])
            raise EditionError(
                texts.raw("edition.load.extends_cycle").format(
                    chain_0_edition_toml=chain[0] / "edition.toml", names=names
                )
            )
        chain.append(nxt)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """over on top of base: tables merge key by key, any other value replaces."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _edition_raw(chain: tuple[Path, ...]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for base in reversed(chain):
        merged = _deep_merge(merged, _toml(base / "edition.toml"))
    merged.pop(EXTENDS, None)
    return merged


def _layers(chain: tuple[Path, ...], rel: str) -> list[tuple[Path, dict[str, Any]]]:
    """The files at rel that make up the child's view, root first: the nearest file, and its ancestors'
    while each declares inherit = true (a file that does not inherit replaces the parent's)."""
    out: list[tuple[Path, dict[str, Any]]] = []
    for base in chain:
        if (base / rel).is_file():
            raw = _toml(base / rel)
            out.insert(0, (base / rel, raw))
            if not raw.get("inherit", False):
                break
    return out


def _inherited(layers: list[tuple[Path, dict[str, Any]]], lists: tuple[str, ...]) -> dict[str, Any]:
    """A file merged with the files it inherits from: entries of the named lists are overridden by id
    (in place) or added; `remove = [ids]` drops entries by id; other keys replace the parent's."""
    merged: dict[str, Any] = {}
    for file, raw in layers:
        removed = set(raw.get("remove", ()))
        for k, v in raw.items():
            if k in ("inherit", "remove"):
                continue
            if k in lists and raw.get("inherit", False):
                entries = list(merged.get(k, []))
                index = {e.get("id"): i for i, e in enumerate(entries)}
                for e in v:
                    if e.get("id") in index:
                        entries[index[e.get("id")]] = e
                    else:
                        index[e.get("id")] = len(entries)
                        entries.append(e)
                merged[k] = entries
            else:
                merged[k] = v
        if removed:
            known = {e.get("id") for k in lists for e in merged.get(k, [])}
            unknown = sorted(removed - known)
            if unknown:
                raise EditionError(texts.raw("edition.load.remove_unknown_ids").format(file=file, unknown=unknown))
            for k in lists:
                merged[k] = [e for e in merged.get(k, []) if e.get("id") not in removed]
    return merged


def _fingerprint(chain: tuple[Path, ...], raw: dict[str, Any]) -> str:
    """The template's shape: every file the template is derived from, inherited ones included (narrative
    templates, figures and migration maps do not change it). Files are hashed by their path in the
    edition, so an edition and its copy as a child of another hash alike."""
    parts: dict[str, bytes] = {}
    # edition.toml: the child's own (its extends line is not shape), plus its ancestors' when they still
    # contribute a key the child does not set.
    own = _toml(chain[0] / "edition.toml")
    own.pop(EXTENDS, None)
    eds = chain[:1] if own == raw else chain
    parts["edition.toml"] = b"".join(_EXTENDS_LINE.sub(b"", (p / "edition.toml").read_bytes()) for p in reversed(eds))
    layers = _layers(chain, "identities.toml")
    if layers:
        parts["identities.toml"] = b"".join(f.read_bytes() for f, _ in layers)
    rels = ["instructions.txt", *(f"tables/{t}.toml" for t in raw.get("tables", ()))]
    for cid, spec in raw.get("codes", {}).items():
        pattern = str(spec.get("file", ""))
        for base in chain:
            rels += [p.relative_to(base).as_posix() for p in base.glob(pattern.replace("{year}", "*"))]
        del cid
    for rel in rels:
        f = _lookup(chain, rel)
        if f.is_file():
            parts[rel] = f.read_bytes()
    h = hashlib.sha256()
    for rel in sorted(parts):
        h.update(rel.encode())
        h.update(parts[rel])
    return h.hexdigest()[:16]


# ---- figures.toml: what the tables mean ----

FIGURES_FILE = "figures.toml"


def _figures(chain: tuple[Path, ...], money_unit: str) -> dict[str, Any]:
    layers = _layers(chain, FIGURES_FILE)
    if not layers:
        raise EditionError(
            texts.raw("edition.load.figures_file_missing").format(chain_0_FIGURES_FILE=chain[0] / FIGURES_FILE)
        )
    where = str(layers[-1][0])
    raw = _inherited(layers, ("figure", "text", "records", "breakdown"))
    figures: list[Figure] = []
    try:
        for f in raw.get("figure", []):
            w = f"{where} [figure {f.get('id', '?')}]"
            try:
                side = ex.parse(f"{f['expr']} == 0").lhs
            except ex.ExprError as e:
                raise EditionError(f"{w}: {e}") from None
            unit = str(f.get("unit", "money"))
            figures.append(
                Figure(
                    id=str(f["id"]),
                    name=str(f["name"]),
                    synonyms=tuple(str(x) for x in f.get("synonyms", ())),
                    group=str(f.get("group", "")),
                    side=side,
                    unit=money_unit if unit == "money" else unit,
                    prior=str(f.get("prior", "")),
                    label=str(f.get("label", "")),
                    money=unit == "money" or unit in UNIT_FACTORS,
                    expr=str(f["expr"]),
                )
            )
        cells = []
        for t in raw.get("text", []):
            parts = str(t["cell"]).split(".")
            if len(parts) != 3:
                raise EditionError(
                    texts.raw("edition.load.text_cell_invalid").format(where=where, t_id=t["id"], t_cell=t["cell"])
                )
            cells.append(TextCell(str(t["id"]), str(t.get("name", t["id"])), *parts))
        records = tuple(
            RecordSet(
                str(r["id"]),
                str(r.get("name", r["id"])),
                str(r["table"]),
                tuple((str(k), str(v)) for k, v in r.get("children", {}).items()),
            )
            for r in raw.get("records", [])
        )
        breakdowns = tuple(
            Breakdown(
                str(b["id"]),
                str(b["code_list"]),
                str(b["sheet"]),
                str(b["title"]),
                tuple((str(c["table"]), str(c["col"]), str(c["label"])) for c in b["columns"]),
            )
            for b in raw.get("breakdown", [])
        )
    except KeyError as e:
        raise EditionError(
            texts.raw("edition.load.figure_key_missing").format(where=where, e_args_0=e.args[0])
        ) from None
    for kind, ids in (("figure", [f.id for f in figures]), ("text", [t.id for t in cells])):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise EditionError(texts.raw("edition.load.figure_id_duplicate").format(where=where, kind=kind, dup=dup))
    return {
        "figures": tuple(figures),
        "text_cells": tuple(cells),
        "record_sets": records,
        "key_figures": tuple(str(k) for k in raw.get("key_figures", ())),
        "breakdowns": breakdowns,
    }


@lru_cache(maxsize=16)
def load_edition(name: str = DEFAULT_EDITION, year: int | None = None) -> Edition:
    path = find(name).resolve()
    chain = _chain(path)
    raw = _edition_raw(chain)
    where = str(path / "edition.toml")
    try:
        years = tuple(int(y) for y in raw["years"])
        year = int(year if year is not None else raw.get("default_year", years[0]))
        if year not in years:
            raise EditionError(
                texts.raw("edition.load.year_not_covered").format(
                    raw_id=raw["id"], year=year, join_map_str_years="、".join(map(str, years))
                )
            )
        codes = {cid: _codes(chain, cid, spec, year) for cid, spec in raw.get("codes", {}).items() if cid != "stale"}
        money_unit = raw["money_unit"]
        removed = set(raw.get("remove_tables", ()))
        tables = tuple(_table(chain, tid, codes, money_unit) for tid in raw["tables"] if tid not in removed)
        lo_hi = raw.get("magnitude", {})
        edition = Edition(
            id=raw["id"],
            version=str(raw["version"]),
            accepted_versions=tuple(raw.get("accepted_versions", [raw["version"]])),
            title=raw["title"],
            year=year,
            years=years,
            money_unit=money_unit,
            money_factor=_money_factor(raw, where),
            money_decimals=int(raw.get("money_decimals", 2)),
            tolerance=Decimal(str(raw.get("tolerance", "0"))),
            tables=tables,
            codes=codes,
            stale_names=_stale(chain, raw.get("codes", {}).get("stale")),
            enums={k: tuple(v) for k, v in raw.get("enums", {}).items()},
            identities=_identities(chain, codes),
            magnitude=(
                Decimal(str(lo_hi.get("low", 5000))),
                Decimal(str(lo_hi.get("high", 20000))),
                tuple((a, b) for a, b in lo_hi.get("pairs", [])),
            ),
            path=path,
            options=dict(raw.get("options", {})),
            fingerprint=_fingerprint(chain, raw),
            tolerance_per_term=Decimal(str(raw.get("tolerance_per_term", "0"))),
            parent=str(_toml(path / "edition.toml").get(EXTENDS, "")),
            ancestors=tuple(str(_toml(p / "edition.toml").get("id", p.name)) for p in chain[1:]),
            paths=chain,
            **_figures(chain, money_unit),
        )
    except KeyError as e:
        raise EditionError(
            texts.raw("edition.load.edition_key_missing").format(where=where, e_args_0=e.args[0])
        ) from None
    from .check import check_edition  # late import: check needs the loaded model

    check_edition(edition)
    return edition
