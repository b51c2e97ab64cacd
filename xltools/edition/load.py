"""Load an edition from schemas/<id>/ into the frozen model. A bad edition raises EditionError
naming the file and the key, so a finance bureau editing TOML sees what to fix."""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import EditionError
from ..money import UNIT_FACTORS
from ..tomlfile import load as _toml
from . import expr as ex
from .model import CodeEntry, CodeList, Column, Edition, Identity, Row, Table

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
    known = "、".join(d.name for d in available()) or "（无）"
    raise EditionError(f"找不到版本 {name!r}。可用版本：{known}")


def _codes(path: Path, cid: str, spec: dict[str, Any], year: int) -> CodeList:
    file = str(spec["file"])
    target = path / file.format(year=year)
    if "{year}" in file and not target.is_file():
        # Fall back to the nearest earlier year's list (the bureau confirms it for the year).
        for y in range(year - 1, year - 30, -1):
            if (path / file.format(year=y)).is_file():
                target = path / file.format(year=y)
                break
    entries: dict[str, CodeEntry] = {}
    try:
        with target.open(encoding="utf-8", newline="") as fh:
            for line, rec in enumerate(csv.DictReader(fh), start=2):
                code = (rec.get("code") or "").strip()
                name = (rec.get("name") or "").strip()
                if not code or code in entries or not code.isdigit():
                    raise EditionError(f"{target}:{line}: 编码为空、重复或不是数字：{code!r}")
                if not name:
                    raise EditionError(f"{target}:{line}: 编码 {code} 没有名称")
                entries[code] = CodeEntry(
                    code,
                    name,
                    (rec.get("status") or "R").strip(),
                    (rec.get("note") or "").strip(),
                    (rec.get("group") or "").strip(),
                )
    except FileNotFoundError:
        raise EditionError(f"{target}: 代码表文件不存在（{cid}）") from None
    return CodeList(cid, str(spec.get("title", cid)), tuple(spec.get("levels", ())), entries)


def _stale(path: Path, spec: dict[str, Any] | None) -> dict[str, tuple[str, str, int]]:
    if not spec:
        return {}
    out: dict[str, tuple[str, str, int]] = {}
    file = path / spec["file"]
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
                    raise EditionError(f"{file}:{line}: 需要 code、old_name、new_name、since_year 四列") from None
    except FileNotFoundError:
        raise EditionError(f"{file}: 文件不存在") from None
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
        raise EditionError(f"{where}: 列缺少 {e.args[0]}") from None


_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一 (1 to 99), for numbered row labels such as 一、二、…"""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _DIGITS[tens]) + "十" if tens else "") + (_DIGITS[ones] if ones else "")


def _rows(raw_rows: list[dict[str, Any]], codes: dict[str, CodeList], where: str) -> tuple[Row, ...]:
    rows: list[Row] = []
    for raw in raw_rows:
        if "from_codes" in raw:
            cl = codes.get(raw["from_codes"])
            if cl is None:
                raise EditionError(f"{where}: 未知代码表 {raw['from_codes']!r}")
            prefix = raw.get("id_prefix", "c")
            # label: a format of the row label, e.g. "{cn}、{name}" -> 一、一般公共服务支出 ({n}: 1, 2, …; {code}).
            fmt = str(raw.get("label", "{name}"))
            entries = sorted(cl.at_level(int(raw.get("level", 1))), key=lambda e: e.code)
            for i, e in enumerate(entries, start=1):
                try:
                    label = fmt.format(name=e.name, code=e.code, n=i, cn=chinese_numeral(i))
                except (KeyError, IndexError, ValueError) as err:
                    raise EditionError(f"{where}: from_codes 的 label 格式无效：{fmt!r}（{err}）") from None
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
            raise EditionError(f"{where}: 行缺少 {e.args[0]}") from None
    ids = [r.id for r in rows]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise EditionError(f"{where}: 行编号重复：{sorted(dup)}")
    return tuple(rows)


def _table(path: Path, tid: str, codes: dict[str, CodeList], money_unit: str) -> Table:
    file = path / "tables" / f"{tid}.toml"
    raw = _toml(file)
    if raw.get("id", tid) != tid:
        raise EditionError(f"{file}: id {raw.get('id')!r} 与文件名不符")
    unit = raw.get("unit", "money")
    kind = raw.get("kind", "fixed")
    if kind not in ("fixed", "list"):
        raise EditionError(f"{file}: kind 只能是 fixed 或 list")
    cols = tuple(_column(c, str(file)) for c in raw.get("columns", ()))
    if not cols:
        raise EditionError(f"{file}: 没有列")
    code_list = raw.get("code_list", "")
    if code_list and code_list not in codes:
        raise EditionError(f"{file}: 未知代码表 {code_list!r}")
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


def _identities(path: Path, codes: dict[str, CodeList]) -> tuple[Identity, ...]:
    file = path / "identities.toml"
    if not file.is_file():
        return ()
    out: list[Identity] = []
    for raw in _toml(file).get("identity", []):
        iid = raw.get("id", "")
        where = f"{file} [{iid}]"
        sev = raw.get("severity", "error")
        if sev not in ("error", "warning"):
            raise EditionError(f"{where}: severity 只能是 error 或 warning")
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
        raise EditionError(f"{where}: money_unit 只能是 {'、'.join(UNIT_FACTORS)}")
    factor = int(UNIT_FACTORS[unit])
    if int(raw.get("money_factor", factor)) != factor:
        raise EditionError(f"{where}: money_factor 与 money_unit（{unit}）不符，应为 {factor}")
    return factor


def _fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    # The fingerprint is the template's shape: narrative templates and migration maps do not change it.
    # (Parts relative to the edition folder: an edition may itself live under a folder named like that.)
    for f in sorted(
        p for p in path.rglob("*") if p.is_file() and not {"narrative", "migrate"} & set(p.relative_to(path).parts)
    ):
        h.update(f.relative_to(path).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


@lru_cache(maxsize=16)
def load_edition(name: str = DEFAULT_EDITION, year: int | None = None) -> Edition:
    path = find(name).resolve()
    raw = _toml(path / "edition.toml")
    where = str(path / "edition.toml")
    try:
        years = tuple(int(y) for y in raw["years"])
        year = int(year if year is not None else raw.get("default_year", years[0]))
        if year not in years:
            raise EditionError(f"版本 {raw['id']} 不适用于 {year} 年（适用年度：{'、'.join(map(str, years))}）")
        codes = {cid: _codes(path, cid, spec, year) for cid, spec in raw.get("codes", {}).items() if cid != "stale"}
        money_unit = raw["money_unit"]
        tables = tuple(_table(path, tid, codes, money_unit) for tid in raw["tables"])
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
            stale_names=_stale(path, raw.get("codes", {}).get("stale")),
            enums={k: tuple(v) for k, v in raw.get("enums", {}).items()},
            identities=_identities(path, codes),
            magnitude=(
                Decimal(str(lo_hi.get("low", 5000))),
                Decimal(str(lo_hi.get("high", 20000))),
                tuple((a, b) for a, b in lo_hi.get("pairs", [])),
            ),
            path=path,
            options=dict(raw.get("options", {})),
            fingerprint=_fingerprint(path),
            tolerance_per_term=Decimal(str(raw.get("tolerance_per_term", "0"))),
        )
    except KeyError as e:
        raise EditionError(f"{where}: 缺少 {e.args[0]}") from None
    from .check import check_edition  # late import: check needs the loaded model

    check_edition(edition)
    return edition
