"""Expected outcome of every corpus kind: the exit code of `xltools validate` and exactly the errors it
reports, as (rule, sheet, cell); warnings listed here must be among those reported (the example's own
机关运行经费 warning is not repeated). A kind with exit 3 reports exactly one file-level finding."""

from __future__ import annotations

from dataclasses import dataclass

from .corpus import EMPTY_MONEY, KINDS, edition, where
from .corpus_env import ENV_EXPECTED

Place = tuple[str, str, str]  # (rule, sheet, cell); sheet and cell are "" for the file as a whole


@dataclass(frozen=True)
class Expect:
    exit: int
    errors: tuple[Place, ...] = ()
    warnings: tuple[Place, ...] = ()


def at(rule: str, table: str, row: str, col: str) -> Place:
    sheet, a1 = where(table, row, col)
    return rule, sheet, a1


def sheet_of(rule: str, table: str, cell: str = "") -> Place:
    return rule, edition().table(table).sheet, cell


def unreadable(rule: str) -> Expect:
    return Expect(3, ((rule, "", ""),))


OK = Expect(0)

EXPECTED: dict[str, Expect] = {
    "valid": OK,
    # ---- the file itself ----
    "empty-file": unreadable("read.empty-file"),
    "directory": unreadable("read.is-directory"),
    "missing-file": unreadable("read.not-found"),
    "symlink-loop": unreadable("read.inaccessible"),
    "no-permission": unreadable("read.permission"),
    "plain-text": unreadable("read.not-xlsx"),
    "csv-gbk": unreadable("read.not-xlsx"),
    "pdf-renamed": unreadable("read.not-xlsx"),
    "png-renamed": unreadable("read.not-xlsx"),
    "html-saved-as-xlsx": unreadable("read.not-xlsx"),
    "xls-renamed": unreadable("read.xls"),
    "encrypted-ole": unreadable("read.encrypted"),
    "encrypted-zip-entry": unreadable("read.encrypted"),
    "truncated-zip": unreadable("read.corrupt"),
    "docx-renamed": unreadable("read.not-xlsx"),
    "ods-renamed": unreadable("read.not-xlsx"),
    "zip-of-workbooks": unreadable("read.not-xlsx"),
    "zip-bomb": unreadable("read.too-large"),
    "zip-bomb-forged-size": unreadable("read.corrupt"),
    "too-many-parts": unreadable("read.too-large"),
    "duplicate-parts": unreadable("read.corrupt"),
    "path-traversal-part": OK,  # never extracted: the stray part is ignored
    "xxe-sheet": unreadable("read.unsafe-xml"),
    "billion-laughs": unreadable("read.unsafe-xml"),
    "dtd-after-long-comment": unreadable("read.unsafe-xml"),
    "dtd-utf16": unreadable("read.unsafe-xml"),
    "xlsm-macros": Expect(0, warnings=(("read.macro", "", ""),)),
    "malformed-sheet-xml": Expect(1, (sheet_of("read.invalid-sheet", "t03"),)),
    "crc-error": unreadable("read.corrupt"),
    "missing-sheet-part": Expect(1, (sheet_of("read.invalid-sheet", "t05"),)),
    "sheet-target-outside": Expect(1, (sheet_of("read.invalid-sheet", "t06"),)),
    "bad-utf8": unreadable("read.corrupt"),
    "bad-shared-string-index": Expect(1, (sheet_of("read.invalid-sheet", "cover"),)),
    "deep-nesting": OK,
    # ---- the stamp ----
    "stamp-removed": unreadable("read.not-xltools"),
    "stamp-sheet-deleted": OK,  # the document properties still carry the stamp
    "unknown-edition": unreadable("read.unknown-edition"),
    "other-year": unreadable("read.wrong-year"),
    "unknown-version": unreadable("read.wrong-version"),
    "other-edition": unreadable("read.wrong-edition"),
    # ---- sheets and structure ----
    "million-rows": unreadable("read.too-large"),
    "hundred-thousand-rows": Expect(1, (("read.rows-beyond-area", where("t02", "r0", "code")[0], "A50"),)),
    "far-away-cell": Expect(1, (sheet_of("read.sheet-too-large", "t02", "XFD1048576"),)),
    "far-cell-by-position": Expect(1, (sheet_of("read.sheet-too-large", "t02", "A1048576"),)),
    "sheet-renamed": Expect(1, (sheet_of("read.sheet-missing", "t03"),), (("read.sheet-extra", "支出表", "A1"),)),
    "sheet-deleted": Expect(1, (sheet_of("read.sheet-missing", "t07"),)),
    "sheet-added": Expect(0, warnings=(("read.sheet-extra", "草稿", "A1"),)),
    "rows-inserted-fixed": Expect(1, (at("read.row-label-changed", "t01", "inc_soe", "inc_item"),)),
    "rows-beyond-area": Expect(1, (("read.rows-beyond-area", where("t03", "r0", "code")[0], "A48"),)),
    "cached-values-missing": OK,
    "header-overwritten": Expect(1, (sheet_of("read.header-changed", "t03", "H3"),)),
    "column-inserted": Expect(1, (sheet_of("read.header-changed", "t02", "D3"),)),
    "merged-header-unmerged": OK,  # only the top-left cell of a merged header holds its text
    "merged-data-cells": Expect(
        1,
        (
            at("table.hierarchy", "t03", "r1", "total"),
            at("table.hierarchy", "t03", "r1", "project"),
            at("cross.not-exceed", "t05", "r3", "total"),
            at("cross.not-exceed", "t05", "r3", "project"),
        ),
    ),
    "formula-pasted-same": Expect(0, warnings=(at("cell.formula-overwritten", "t01", "inc_total", "inc"),)),
    "formula-pasted-wrong": Expect(
        1,
        (
            at("table.sum-of-parts", "t03", "r0", "total"),
            at("table.hierarchy", "t03", "r0", "total"),
            at("cross.totals-agree", "t02", "total", "total"),
            at("table.sum-of-parts", "t01", "inc_total", "inc"),
        ),
    ),
    "formula-edited": Expect(
        1, (at("table.sum-of-parts", "t01", "inc_subtotal", "inc"), at("table.sum-of-parts", "t01", "inc_total", "inc"))
    ),
    "formula-error-cached": OK,  # an intact formula is recomputed, its cached value never trusted
    # ---- values in number cells ----
    "text-in-number": Expect(1, (at("cell.not-a-number", *EMPTY_MONEY),)),
    "na-in-number": Expect(1, (at("cell.not-a-number", *EMPTY_MONEY),)),
    "nan-in-number": Expect(1, (at("cell.not-a-number", *EMPTY_MONEY),)),
    "inf-in-number": Expect(1, (at("cell.not-a-number", *EMPTY_MONEY),)),
    "huge-number": Expect(1, (at("cell.out-of-range", *EMPTY_MONEY),)),
    "tiny-exponent": Expect(1, (at("cell.out-of-range", *EMPTY_MONEY),)),
    "error-value": Expect(1, (at("cell.not-a-number", *EMPTY_MONEY),)),
    "bool-in-number": Expect(1, (at("cell.not-a-number", *EMPTY_MONEY),)),
    "date-in-number": Expect(1, (at("cell.not-a-number", *EMPTY_MONEY),)),
    "negative-amount": Expect(
        1,
        (
            at("cell.negative", "t06", "r1", "personnel"),
            at("cell.negative", "t06", "r1", "total"),
            at("table.hierarchy", "t06", "r0", "personnel"),
            at("table.hierarchy", "t06", "r0", "total"),
        ),
    ),
    "wan-in-yuan": Expect(1, (at("cell.unit-in-cell", *EMPTY_MONEY),)),
    "fullwidth-digits": Expect(0, warnings=(at("cell.text-number", "t02", "r0", "general"),)),
    "thousands-separators": Expect(0, warnings=(at("cell.text-number", "t02", "r0", "general"),)),
    "dash-for-zero": Expect(0, warnings=(at("cell.text-number", *EMPTY_MONEY),)),
    "very-long-string": Expect(0, warnings=(at("cell.too-long", "text", "duties", "text"),)),
    "control-characters": Expect(0, warnings=(at("cell.control-chars", "cover", "name", "value"),)),
    "duplicated-code": Expect(1, (at("table.duplicate-code", "t06", "r2", "code"),)),
    "wrong-cover-year": Expect(1, (at("cell.wrong-year", "cover", "year", "value"),)),
    # ---- other producers' XML: the same findings as the example ----
    "attribute-order": OK,
    "single-quoted-attributes": OK,
    "namespace-prefix": OK,
    "strict-ooxml": OK,
    "sheet-target-parent": OK,
}

EXPECTED.update({k: Expect(*v) for k, v in ENV_EXPECTED.items()})  # issue 13 (corpus_env.py)

assert set(EXPECTED) == set(KINDS), set(EXPECTED) ^ set(KINDS)
