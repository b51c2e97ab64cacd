"""The classification code lists: each CSV against the sources it names (codes/sources.toml), the 三公 codes,
and no false errors: a valid department using any listed code gives 0 errors; a well-formed code a list lacks
is a warning while the list is not declared complete, an error once it is."""

from __future__ import annotations

import csv
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltools.book import book_from_data
from xltools.edition import Edition, load_edition
from xltools.edition.layout import table_layout
from xltools.rules.check import check_book
from xltools.synth import _Gen, department
from xltools.template.write import write_template
from xltools.tomlfile import load as load_toml
from xltools.validate import validate_file

from .conftest import ROOT

SCHEMAS = ROOT / "schemas"
EDITIONS = sorted(p.name for p in SCHEMAS.iterdir() if (p / "codes" / "sources.toml").is_file())
# (edition, year) of every code-list file: 2020; 2021 (2022 and 2023 fall back to it); 2024; 2025.
YEARS = [
    ("hebei-county-2020", 2020),
    ("hebei-county-yth", 2021),
    ("hebei-county-yth", 2024),
    ("hebei-county-yth", 2025),
]
SANGONG = {"30212": "因公出国（境）费用", "30217": "公务接待费", "30231": "公务用车运行维护费", "31013": "公务用车购置"}
LEVEL = {3: 0, 5: 1, 7: 2}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _lists(edition: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(list id, its sources.toml entry, the sources) of one edition."""
    side = load_toml(SCHEMAS / edition / "codes" / "sources.toml")
    return [(lid, spec, side["sources"]) for lid, spec in side["lists"].items()]


@pytest.mark.parametrize("edition", EDITIONS)
def test_counts_per_class_match_the_sources(edition: str) -> None:
    for lid, spec, _sources in _lists(edition):
        rows = _rows(SCHEMAS / edition / "codes" / spec["file"])
        got: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in rows:
            got[r["code"][:3]][LEVEL[len(r["code"])]] += 1
        width = len(next(iter(spec["counts"].values())))
        assert {k: v[:width] for k, v in got.items()} == spec["counts"], lid
        assert all(v[0] == 1 for v in spec["counts"].values()), lid  # one 类 row per class


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_entry_names_a_source_and_a_status(edition: str) -> None:
    for lid, spec, sources in _lists(edition):
        for r in _rows(SCHEMAS / edition / "codes" / spec["file"]):
            assert r["status"] in ("V", "U", "R"), (lid, r["code"])
            assert r["source"] in sources, (lid, r["code"], r["source"])
            if r["status"] == "R":  # unverified entries are flagged with why
                assert r["note"].strip(), (lid, r["code"])


@pytest.mark.parametrize("edition", EDITIONS)
def test_complete_only_on_an_official_source(edition: str) -> None:
    declared = load_toml(SCHEMAS / edition / "edition.toml")["codes"]
    for lid, spec, sources in _lists(edition):
        cid = lid.split("-")[0]
        assert declared[cid].get("complete", False) == spec["complete"], lid
        if spec["complete"]:
            used = {r["source"] for r in _rows(SCHEMAS / edition / "codes" / spec["file"])}
            assert {sources[s]["kind"] for s in used} == {"official"}, lid


@pytest.mark.parametrize("edition,year", YEARS)
def test_loaded_lists_are_the_files(edition: str, year: int) -> None:
    ed = load_edition(edition, year)
    for cid, cl in ed.codes.items():
        assert not cl.complete
        stats = Counter(e.status for e in cl.entries.values())
        assert set(stats) <= {"V", "U", "R"} and sum(stats.values()) == len(cl.entries), cid
    fn = ed.codes["function"]
    assert fn.entries["2060501"].name == "机构运行" and fn.entries["2060501"].status == "U"
    assert ("234" in fn.entries) == (year == 2020)  # 抗疫特别国债安排的支出: 2020 only in these lists
    renamed = year >= 2024  # 21305 as the 2024 科目 names it (财预〔2023〕83号)
    assert (fn.entries["21305"].name == "巩固脱贫攻坚成果衔接乡村振兴") == renamed
    assert ("2130504" in fn.entries) == renamed and fn.entries["21305"].status == {2024: "V", 2025: "U"}.get(year, "R")


def test_per_year_files_fall_back_to_the_nearest_earlier_year() -> None:
    names = {y: load_edition("hebei-county-yth", y).codes["function"].entries["21305"].name for y in range(2021, 2026)}
    assert names == {
        2021: "扶贫",
        2022: "扶贫",
        2023: "扶贫",
        2024: "巩固脱贫攻坚成果衔接乡村振兴",
        2025: "巩固脱贫攻坚成果衔接乡村振兴",
    }


@pytest.mark.parametrize("edition", EDITIONS)
def test_sangong_codes_are_marked(edition: str) -> None:
    ec = load_edition(edition).codes["economic"]
    marked = {c: e.name for c, e in ec.entries.items() if e.group == "sangong"}
    assert marked == SANGONG
    assert all(ec.entries[c].status == "V" for c in SANGONG)


# --- no false errors -------------------------------------------------------------------------------------


def _leaves(ed: Edition) -> list[str]:
    fn = ed.codes["function"]
    return sorted(c for c in fn.entries if fn.level_of(c) == 3 and fn.parent(c) in fn.entries and c[:3] in fn.entries)


def _chunks(codes: list[str], n: int) -> list[list[str]]:
    return [codes[i : i + n] for i in range(0, len(codes), n)]


def _with_codes(ed: Edition, seed: int, leaves: list[str], econ: list[str], monkeypatch) -> dict[str, Any]:
    """A synthetic valid department whose function leaves are `leaves` and whose basic-expenditure economic
    rows use `econ` (personnel codes of 301/303 for 人员经费, the others for 公用经费)."""
    original = _Gen.econ_rows

    def econ_rows(
        self: _Gen, personnel: int, public: int, sg: dict[str, int]
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        pers = [c for c in econ if c[:3] in ("301", "303")] or ["30101"]
        pub = [c for c in econ if c[:3] not in ("301", "303") and c not in SANGONG] or ["30201"]
        leaves_: dict[str, dict[str, int]] = {}
        for codes, total, col in ((pers, personnel, "personnel"), (pub, public, "public")):
            share, rest = divmod(total, len(codes))
            for i, c in enumerate(codes):
                leaves_[c] = {col: share + (rest if i == 0 else 0)}
        if not econ:
            return original(self, personnel, public, sg)
        return self._econ_rollup(leaves_, ("personnel", "public")), {}  # no 三公 code in 基本支出: projects pay them

    monkeypatch.setattr(_Gen, "leaf_codes", lambda self: list(leaves))
    monkeypatch.setattr(_Gen, "econ_rows", econ_rows)
    return department(ed, seed)


def _errors(findings) -> list[tuple[str, str, str]]:
    return [(f.rule, f.sheet, f.cell) for f in findings if f.severity == "error"]


@pytest.mark.parametrize("edition,year", YEARS)
def test_a_department_using_any_listed_code_has_no_error(edition: str, year: int, monkeypatch) -> None:
    ed = load_edition(edition, year)
    ec = ed.codes["economic"]
    econ = sorted(c for c in ec.entries if ec.level_of(c) == 2)
    leaf_chunks, econ_chunks = _chunks(_leaves(ed), 6), _chunks(econ, 12)
    assert sum(map(len, leaf_chunks)) == len(ed.codes["function"].at_level(3))  # every 项, under listed parents
    for i, leaves in enumerate(leaf_chunks):
        data = _with_codes(ed, i, leaves, econ_chunks[i % len(econ_chunks)], monkeypatch)
        book = book_from_data(ed, data)
        assert {book.code("t05", r) for r in book.rows("t05")} >= set(leaves)
        assert _errors(check_book(book)) == [], leaves


def test_listed_codes_round_trip_through_the_workbook(tmp_path: Path, monkeypatch) -> None:
    """The same through a written template (dropdown, name lookup, reader): codes new in the list and 三公 codes."""
    ed = load_edition("hebei-county-yth", 2021)
    leaves = ["2060501", "2060599", "2013602", "2080505", "2101101", "2210201"]
    data = _with_codes(ed, 3, leaves, ["30101", "30302", "30217", "30201", "31002"], monkeypatch)
    path = tmp_path / "d.xlsx"
    write_template(ed, path, data)
    report = validate_file(path)
    assert _errors(report.findings) == []
    assert not [f for f in report.findings if f.rule == "cell.code-unlisted"]
    # While the lists are not complete, Excel's dropdown warns about an unlisted code instead of refusing it.
    ws = openpyxl.load_workbook(path)[ed.table("t05").sheet]
    styles = {dv.errorStyle for dv in ws.data_validations.dataValidation if dv.formula1 == "codes_function"}
    assert styles == {"warning"}


def _unlisted(ed: Edition, monkeypatch) -> tuple[dict[str, Any], str]:
    """A valid department, then one 项 code replaced by a well-formed code the list lacks (2060598)."""
    data = _with_codes(ed, 5, ["2060501"], [], monkeypatch)
    for t in ("t02", "t03", "t05"):
        for row in data.get(t, []):
            if row.get("code") == "2060501":
                row["code"] = "2060598"
    assert "2060598" not in ed.codes["function"].entries
    return data, "2060598"


def test_well_formed_unlisted_code_is_a_warning_until_the_list_is_complete(tmp_path: Path, monkeypatch) -> None:
    ed = load_edition("hebei-county-2020", 2020)
    data, code = _unlisted(ed, monkeypatch)
    path = tmp_path / "w.xlsx"
    write_template(ed, path, data)
    report = validate_file(path)
    assert _errors(report.findings) == []
    t05 = ed.table("t05")
    warned = [f for f in report.findings if f.rule == "cell.code-unlisted" and f.sheet == t05.sheet]
    assert [(f.severity, f.params["code"]) for f in warned] == [("warning", code)]
    assert warned[0].message == f"科目编码“{code}”不在本模板科目表中，请核对。"
    row = next(i for i, r in enumerate(data["t05"]) if r.get("code") == code)
    assert warned[0].cell == table_layout(ed, "t05").cell(f"r{row}", "code")  # where the clerk types it
    # A malformed code stays an error.
    for row in data["t05"]:
        if row.get("code") == code:
            row["code"] = "20605-98"
    write_template(ed, path, data)
    assert ("cell.code-format", t05.sheet) in {(r, s) for r, s, _ in _errors(validate_file(path).findings)}


def test_the_same_code_is_an_error_once_the_list_is_declared_complete(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "hebei-county-2020"
    shutil.copytree(SCHEMAS / "hebei-county-2020", folder)
    toml = folder / "edition.toml"
    text = toml.read_text(encoding="utf-8")
    head, _, tail = text.partition("[codes.economic]")
    toml.write_text(head.replace("complete = false", "complete = true") + _ + tail, "utf-8")
    ed = load_edition(str(folder), 2020)  # an edition is found by its folder too
    assert ed.codes["function"].complete and not ed.codes["economic"].complete
    data, _code = _unlisted(ed, monkeypatch)
    findings = check_book(book_from_data(ed, data))
    t05 = ed.table("t05")
    assert ("cell.code-not-in-list", t05.sheet) in {(r, s) for r, s, _ in _errors(findings)}
    assert not [f for f in findings if f.rule == "cell.code-unlisted"]
