"""The county view of a merge (xltools/merge/county.py): list tables stacked across workbooks and validated
by the pandera schema give exactly each file's own column findings; the checks only a county can make
fire at the file, sheet and cell they name, in the merged workbook's 校验结果 and in the JSON."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltools import texts
from xltools.book import Book, book_from_data
from xltools.edition.layout import table_layout
from xltools.merge import merge
from xltools.merge.county import FILE, ROW, checked_rows, stack
from xltools.rules.columns import RULES as columns_rules
from xltools.rules.columns import check_columns, stacked_findings
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file

from .robustness import corpus
from .robustness.expected import EXPECTED
from .robustness.operators import bases, mutants
from .test_rules import CASES

SLOW = bool(os.environ.get("XLTOOLS_SLOW"))
GENERATED = 1000 if SLOW else 20


def _books(tmp_path: Path) -> Iterator[tuple[str, Book]]:
    """Every readable book of the robustness corpus, mutants of the example and of a generated department
    (every operator), the cases of tests/test_rules.py, and generated departments."""
    ed = corpus.edition()
    for kid in _corpus_kinds():
        report = validate_file(corpus.build(kid, tmp_path / "corpus"))
        if report.book is not None:
            yield f"corpus:{kid}", report.book
    for base, data in bases(ed, [7]):
        for m in mutants(ed, base, data, per_op=2):
            yield f"{base}:{m.op}:{m.where}", book_from_data(ed, m.data)
    for rule, mutate, _ in CASES:  # the mutations of tests/test_rules.py, each on the example
        data = corpus.example_data()
        mutate(data)
        yield f"case:{rule}", book_from_data(ed, data)
    for seed in range(GENERATED):
        yield f"seed-{seed}", book_from_data(ed, department(ed, seed))


COLUMN_RULES = set(columns_rules)


def _corpus_kinds() -> list[str]:
    """The readable kinds of the robustness corpus (all of them with XLTOOLS_SLOW=1; in CI those whose
    expected errors include a column check, and the control)."""
    readable = [k for k, e in EXPECTED.items() if e.exit in (0, 1)]
    if SLOW:
        return readable
    return [k for k in readable if k == "valid" or any(r in COLUMN_RULES for r, _, _ in EXPECTED[k].errors)]


def _key(path: str, f: Any) -> tuple[str, ...]:
    return (path, f.rule, f.severity, f.sheet, f.cell, f.message, f.hint)


def test_stacked_column_checks_give_each_files_own_findings(tmp_path: Path) -> None:
    books = list(_books(tmp_path))
    by_edition: dict[Any, list[tuple[str, Book]]] = {}
    for name, book in books:
        by_edition.setdefault(book.edition, []).append((name, book))
    per_file, stacked = [], []
    for ed, group in by_edition.items():
        views = [(name, checked_rows(book)) for name, book in group]
        for t in ed.tables:
            if t.kind != "list":
                continue
            for name, book in group:
                if t.id not in book.missing_tables:
                    per_file.extend(_key(name, f) for f in check_columns(book, t))
            stacked.extend(_key(p, f) for p, f in stacked_findings(ed, t, stack(t, views), FILE, ROW))
    assert len(books) > 100
    assert len(per_file) > 10, "no book reached a column check: the comparison is void"
    assert {k[1] for k in per_file} >= {
        "cell.required",
        "cell.negative",
        "cell.duplicate",
        "cell.code-format",
        "table.plan-range",
    }
    assert sorted(stacked) == sorted(per_file)


# ---- the county checks, through a real merge ----


def _scaled(ed: Any, data: dict[str, Any], factor: int) -> dict[str, Any]:
    """A department's data with every money amount multiplied (still valid: the identities are linear)."""
    out = copy.deepcopy(data)
    for tid, rows in out.items():
        t = ed.table(tid)
        for rec in rows.values() if isinstance(rows, dict) else rows:
            for col, v in rec.items():
                if t.has_column(col) and t.column(col).type == "money" and isinstance(v, (int, Decimal)):
                    rec[col] = Decimal(v) * factor
    return out


@pytest.mark.parametrize("jobs", [1, 2])  # 2: the county checks run in a forked process while OUT.xlsx is written
def test_county_checks_in_the_merged_workbook_and_the_json(
    tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xltools.merge import county as county_module

    ran_in = tmp_path / "pid"
    original = county_module._findings

    def recorded(*args: Any) -> Any:
        ran_in.write_text(str(os.getpid()))
        return original(*args)

    monkeypatch.setattr(county_module, "_findings", recorded)
    ed = corpus.edition()
    datas = [department(ed, s) for s in range(5)]
    # 1: a department submitted again under another 单位编码 (same 单位名称)
    datas[1]["cover"]["name"]["value"] = datas[0]["cover"]["name"]["value"]
    # 2: a project code of department 0 reused by department 2
    datas[2]["proj"][0]["code"] = datas[0]["proj"][0]["code"]
    for rec in datas[2].get("ind", []):
        if rec.get("project") == department(ed, 2)["proj"][0]["code"]:
            rec["project"] = datas[0]["proj"][0]["code"]
    # 3: a department that typed every amount ×10,000 (万元 figures written in a 元 template the other way)
    datas[3] = _scaled(ed, datas[3], 10000)
    paths = []
    for i, d in enumerate(datas):
        p = tmp_path / "in" / f"dept{i}.xlsx"
        p.parent.mkdir(exist_ok=True)
        write_template(ed, p, d)
        assert validate_file(p).valid, [(f.rule, f.sheet, f.cell) for f in validate_file(p).errors]
        paths.append(p)
    out, js = tmp_path / "county.xlsx", tmp_path / "county.json"
    result = merge([tmp_path / "in"], out, jobs=jobs, json_path=js)
    assert result.exit_code == 0 and len(result.included) == 5
    # with a second job the checks ran in another process (the idle core), else in this one
    assert (int(ran_in.read_text()) != os.getpid()) == (jobs > 1)

    def at(t: str, row: str, col: str) -> tuple[str, str]:
        return ed.table(t).sheet, table_layout(ed, t).cell(row, col)

    code_cell = at("cover", "code", "value")
    proj_cell = at("proj", "r0", "code")
    county = {
        (Path(e["path"]).name, f["rule"], f["sheet"], f["cell"])
        for e in json.loads(js.read_text(encoding="utf-8"))["inputs"]
        for f in e["findings"]
        if f["rule"].startswith("county.")
    }
    magnitude = {(n, s, c) for n, r, s, c in county if r == "county.unit-magnitude"}
    assert {x for x in county if x[1] != "county.unit-magnitude"} == {
        ("dept0.xlsx", "county.unit-codes", *code_cell),
        ("dept1.xlsx", "county.unit-codes", *code_cell),
        ("dept0.xlsx", "county.shared-value", *proj_cell),
        ("dept2.xlsx", "county.shared-value", *proj_cell),
    }
    assert magnitude and {n for n, _, _ in magnitude} == {"dept3.xlsx"}, county
    assert at("t01", "inc_total", "inc") in {(s, c) for _, s, c in magnitude}
    # the same findings are listed in 校验结果 with their sheet and cell
    ws = openpyxl.load_workbook(out, read_only=True)[texts.text("merge.sheet_inputs")]
    text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert f"{code_cell[0]}!{code_cell[1]}" in text and f"{proj_cell[0]}!{proj_cell[1]}" in text
    assert "约为全县 5 个单位中位数" in text


def test_shared_values_in_the_order_of_one_pass_over_the_county(tmp_path: Path) -> None:
    """The county findings are made input by input (never all held at once); an input's shared-value findings
    still come in the order of one pass over the county: by the value first met (input by input, row by row),
    then by row. Department 1 uses department 0's 2nd and 1st project codes in its rows 1 and 2, so its
    findings name row 2 (department 0's first code) before row 1; department 2 uses the first code only."""
    ed = corpus.edition()
    datas = [department(ed, s) for s in (0, 1, 3)]
    first, second = datas[0]["proj"][0]["code"], datas[0]["proj"][1]["code"]
    for d, codes in ((datas[1], [second, first]), (datas[2], [first])):
        for rec, code in zip(d["proj"], codes, strict=False):
            for ind in d.get("ind", []):
                if ind.get("project") == rec["code"]:
                    ind["project"] = code
            rec["code"] = code
    folder = tmp_path / "in"
    folder.mkdir()
    for i, d in enumerate(datas):
        write_template(ed, folder / f"dept{i}.xlsx", d)
    js = tmp_path / "county.json"
    result = merge([folder], tmp_path / "county.xlsx", jobs=1, json_path=js)
    assert len(result.included) == 3
    found = {
        Path(e["path"]).name: [(f["cell"], f["message"]) for f in e["findings"] if f["rule"] == "county.shared-value"]
        for e in json.loads(js.read_text(encoding="utf-8"))["inputs"]
    }
    lay = table_layout(ed, "proj")
    r0, r1 = lay.cell("r0", "code"), lay.cell("r1", "code")
    assert [c for c, _ in found["dept0.xlsx"]] == [r0, r1]
    assert [c for c, _ in found["dept1.xlsx"]] == [r1, r0]  # by value first met, not by its own rows
    assert [c for c, _ in found["dept2.xlsx"]] == [r0]
    (m00, m01), (m10, m11), (m20,) = (found[f"dept{i}.xlsx"] for i in range(3))
    assert first in m00[1] and "dept1.xlsx" in m00[1] and "dept2.xlsx" in m00[1]
    assert second in m01[1] and "dept1.xlsx" in m01[1] and "dept2.xlsx" not in m01[1]
    assert first in m10[1] and "dept0.xlsx" in m10[1] and "dept2.xlsx" in m10[1]
    assert second in m11[1] and "dept0.xlsx" in m11[1] and "dept2.xlsx" not in m11[1]
    assert first in m20[1] and "dept0.xlsx" in m20[1] and "dept1.xlsx" in m20[1]


def test_a_much_copied_code_names_a_few_of_its_departments_and_counts_them_all(tmp_path: Path) -> None:
    """Seven departments use one 项目编码: each gets the finding, which counts the six others but names only the
    first NAMED_OTHERS of them (else the county's findings grow with the square of the code's users)."""
    from xltools.merge.county import NAMED_OTHERS

    ed = corpus.edition()
    datas = [department(ed, s) for s in range(7)]
    code = datas[0]["proj"][0]["code"]
    folder = tmp_path / "in"
    folder.mkdir()
    for i, d in enumerate(datas):
        old = d["proj"][0]["code"]
        for ind in d.get("ind", []):
            if ind.get("project") == old:
                ind["project"] = code
        d["proj"][0]["code"] = code
        write_template(ed, folder / f"dept{i}.xlsx", d)
    js = tmp_path / "county.json"
    result = merge([folder], tmp_path / "county.xlsx", jobs=1, json_path=js)
    assert len(result.included) == 7
    cell = table_layout(ed, "proj").cell("r0", "code")
    for e in json.loads(js.read_text(encoding="utf-8"))["inputs"]:
        mine = [f for f in e["findings"] if f["rule"] == "county.shared-value" and code in f["message"]]
        assert [f["cell"] for f in mine] == [cell], e["path"]
        msg = mine[0]["message"]
        assert "其他 6 个单位" in msg and msg.endswith("等。")
        me = Path(e["path"]).name
        named = [f"dept{i}.xlsx" for i in range(7) if f"dept{i}.xlsx" in msg]
        assert me not in named and len(named) == NAMED_OTHERS == 5
