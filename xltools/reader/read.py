"""read_workbook(path or bytes) -> ReadResult(Book, …): a sheet in the writers' own form gives its values,
formulas and error cells in one pass over its XML (ooxml/values.py, which gives python-calamine's grid); any
other sheet's values come through python-calamine and its formulas and error cells from the scan of its XML
(ooxml/scan.py). Positions come from edition.layout. The file's bytes are read once; every reader reads the
same bytes. Never trusts a cached formula value."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from .. import texts
from ..book import CHANGED, FORMULA, INPUT, OVERWRITTEN, REFUSED, Book, Cell
from ..cells import a1
from ..edition import available, load_edition
from ..edition.formulas import excel_formula, is_formula, normalise_formula
from ..edition.layout import table_layout
from ..edition.model import Column, Edition, Row, Table
from ..errors import EditionError
from ..findings import ERROR, NOTICE, WARNING, Finding, finding
from ..ooxml.package import MAX_GRID, Package, Source, formula_text, open_package, unreadable
from ..ooxml.scan import SheetScan
from ..stamp import CODE_SHEET, FINDINGS_SHEET, GUIDE_SHEET, STAMP_SHEET
from ..typedcells import bad_string_index, constant_value, formula_kind, wrong_type
from ..typedcells import shown as shown_value
from .normalise import SLOW, WARNINGS, clean_code, clean_text, parse_number, plain

try:  # calamine's own exception types (XmlError, ZipError, WorksheetNotFound, …) share this base
    from python_calamine import CalamineError

    CALAMINE_ERRORS: tuple[type[BaseException], ...] = (CalamineError,)
except ImportError:  # pragma: no cover
    CALAMINE_ERRORS = ()

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them; read.corrupt, a
# sheet that cannot be parsed, is declared by open.py).
RULES = (
    "read.not-xltools",
    "read.wrong-edition",
    "read.unknown-edition",
    "read.wrong-year",
    "read.wrong-version",
    "read.sheet-missing",
    "read.sheet-too-large",
    "read.invalid-sheet",
    "read.sheet-extra",
    "read.header-changed",
    "read.row-label-changed",
    "read.rows-beyond-area",
    "read.macro",
    "cell.formula-changed",
    "cell.excess-precision",
    "cell.error-value",
    "cell.wrong-type",
    "cell.bad-string-index",
    "cell.formula-in-input",
    "cell.formula-constant",
)
# Normalisations that keep the value (reported, not blocking); the rest are errors.
NUMERIC = frozenset({"money", "number", "percent", "year"})
WARNING_NOTES = WARNINGS | {"cell.excess-precision"}


@dataclass
class ReadResult:
    book: Book
    package: Package
    findings: list[Finding] = field(default_factory=list)
    # With keep_grids: each table sheet read whole, as calamine gave it (values, merged areas), and the workbook's
    # sheet order, so that the HTML report draws them without reading the file again.
    grids: dict[str, tuple[list[list[Any]], list[Any]]] | None = None
    sheet_names: list[str] = field(default_factory=list)


def _too_big(pkg: Package, sheet: str) -> tuple[int, int, str] | None:
    """The used range of a sheet when it is too large to load (checked before calamine builds its grid)."""
    rows, cols, far = pkg.extent(sheet)
    return (rows, cols, far) if rows * cols > MAX_GRID else None


QUICK_VALUES = True  # sheets in the writers' own form read in one pass (a test reads with it off and compares)


class _Workbook:
    """The workbook's values: each sheet read in one pass when it is in the writers' own form
    (Package.quick_values), else by python-calamine, opened on first need (keep_grids: always, for the merged
    areas the report draws)."""

    def __init__(self, pkg: Package, path: Path, keep_grids: bool) -> None:
        self.pkg, self.path = pkg, path
        self.quick = QUICK_VALUES and not keep_grids and pkg.quick_book() is not None
        self._wb: Any = None
        if not self.quick:
            self.calamine()  # a workbook calamine cannot open is refused before anything else, as it always was

    def calamine(self) -> Any:
        if self._wb is None:
            from python_calamine import CalamineWorkbook

            try:
                self._wb = CalamineWorkbook.from_filelike(io.BytesIO(self.pkg.value_bytes()))
            except Exception as e:  # calamine raises its own error types for damaged content
                raise unreadable("read.corrupt", self.path, detail=_sheet_error(e)) from None
        return self._wb

    @property
    def sheet_names(self) -> list[str]:
        return list(self.pkg.sheets) if self.quick else list(self.calamine().sheet_names)

    def values(self, sheet: str) -> tuple[list[list[Any]], dict[str, bytes], dict[str, str]] | None:
        return self.pkg.quick_values(sheet) if self.quick else None


def _stamp(pkg: Package, wb: _Workbook) -> dict[str, str]:
    stamp: dict[str, str] = {}
    present = STAMP_SHEET in wb.sheet_names
    quick = wb.values(STAMP_SHEET) if present else None
    if quick is not None:
        rows = quick[0]
    elif present and not _too_big(pkg, STAMP_SHEET):
        try:
            rows = wb.calamine().get_sheet_by_name(STAMP_SHEET).to_python(skip_empty_area=False)
        except CALAMINE_ERRORS:  # a damaged stamp sheet: the document properties still carry the stamp
            rows = []
    else:
        rows = []
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0]:
            stamp[row[0]] = str(row[1])
    for k, v in pkg.custom.items():
        if k.startswith("xltools_"):
            stamp.setdefault(k[len("xltools_") :], v)
    return stamp


def _edition_for(pkg: Package, stamp: dict[str, str], path: Path, expected: Edition | None) -> Edition:
    if "edition" not in stamp:
        guess = ""
        try:
            ed = expected or load_edition()
            overlap = set(pkg.sheets) & {t.sheet for t in ed.tables}
            if overlap:
                guess = texts.text("reader.copied_sheets", n=len(overlap))
        except EditionError:
            pass
        raise unreadable("read.not-xltools", path, guess=guess)
    eid = stamp["edition"]
    try:
        year = int(float(stamp.get("year", "0") or 0)) or None
    except (ValueError, OverflowError):
        year = None
    if expected is not None and (eid != expected.id or (year is not None and year != expected.year)):
        raise unreadable(
            "read.wrong-edition",
            path,
            edition=eid,
            year=year or texts.text("reader.unknown"),
            expected=expected.id,
            expected_year=expected.year,
        )
    try:
        ed = load_edition(eid, year)
    except EditionError:
        known = "、".join(d.name for d in available())
        try:
            load_edition(eid)
        except EditionError:
            raise unreadable("read.unknown-edition", path, edition=eid, known=known) from None
        raise unreadable(
            "read.wrong-year", path, year=year, edition=eid, years="、".join(map(str, load_edition(eid).years))
        ) from None
    version = stamp.get("version", "")
    if version not in ed.accepted_versions:
        raise unreadable(
            "read.wrong-version",
            path,
            edition=eid,
            version=version or texts.text("reader.unknown"),
            accepted="、".join(ed.accepted_versions),
        )
    return ed


def _grid_get(grid: list[list[Any]], row: int, col: int) -> Any:
    """1-based Excel row, 0-based column; '' outside the sheet's used area."""
    if 0 < row <= len(grid):
        r = grid[row - 1]
        if col < len(r):
            return r[col]
    return ""


class _Reader:
    def __init__(self, ed: Edition, pkg: Package, wb: _Workbook, path: Path, keep_grids: bool = False) -> None:
        self.ed, self.pkg, self.wb, self.path = ed, pkg, wb, path
        self.grids: dict[str, tuple[list[list[Any]], list[Any]]] | None = {} if keep_grids else None
        self.book = Book(ed, str(path))
        self.findings: list[Finding] = []
        self.errors: dict[str, str] = {}  # A1 -> Excel error value (#DIV/0!) of the sheet being read
        self.strings: dict[str, str] = {}  # A1 -> shared-string index as stored, of the sheet being read
        self._sst: int | None = None

    def sst_count(self) -> int:
        if self._sst is None:
            self._sst = self.pkg.shared_strings
        return self._sst

    def _bad_string_indexes(self, scan: SheetScan) -> dict[str, str]:
        """A1 -> index as stored of every shared-string cell whose index names no shared string (calamine would
        read another). The scan's values are checked at once; the per-cell view only when one is off."""
        values = scan.string_values
        if values is not None and (not values or _all_below(values, self.sst_count())):
            return {}
        count = self.sst_count()
        return {
            c.ref: index
            for c in scan.cells()
            if c.t == "s" and c.has_value and bad_string_index(index := (c.value or "").strip(), count)
        }

    def note(self, rule: str, severity: str, t: Table, ref: str, **params: Any) -> None:
        self.findings.append(finding(rule, severity, t.sheet, ref, table=t.id, **params))

    def run(self) -> None:
        names = self.wb.sheet_names
        present = set(names)
        expected = {t.sheet for t in self.ed.tables}
        extra = [
            s for s in names if s not in expected and s not in (STAMP_SHEET, CODE_SHEET, GUIDE_SHEET, FINDINGS_SHEET)
        ]
        for t in self.ed.tables:
            if t.sheet not in present:
                renamed = texts.text("reader.renamed_guess", names="、".join(extra)) if extra else ""
                self.findings.append(
                    finding(
                        "read.sheet-missing",
                        ERROR,
                        t.sheet,
                        "",
                        table=t.id,
                        expected=t.sheet,
                        title=t.title,
                        renamed=renamed,
                    )
                )
                self.book.missing_tables.add(t.id)
                continue
            quick = self.wb.values(t.sheet)
            if quick is not None:  # values, formulas and error cells in one pass (ooxml/values.py)
                grid, formulas, self.errors = quick
                self.strings = {}  # every shared-string index was found to name a string
            else:
                read = self._calamine_sheet(t)
                if read is None:
                    self.book.missing_tables.add(t.id)
                    continue
                grid, formulas = read
            if not self._structure_ok(t, grid):
                self.book.missing_tables.add(t.id)
                continue
            self._values(t, grid, formulas)
        for name in extra:
            self.findings.append(finding("read.sheet-extra", WARNING, name, "A1", name=name))

    def _calamine_sheet(self, t: Table) -> tuple[list[list[Any]], dict[str, bytes]] | None:
        """A sheet's grid by calamine and its formulas by the scan (its error cells and odd shared-string indexes
        into self.errors and self.strings); None when it cannot be read (a finding says why)."""
        try:
            big = _too_big(self.pkg, t.sheet)
            if big is not None:
                rows, cols, far = big
                self.findings.append(
                    finding(
                        "read.sheet-too-large",
                        ERROR,
                        t.sheet,
                        far,
                        table=t.id,
                        rows=rows,
                        cols=cols,
                        far=far,
                        limit=f"{MAX_GRID:,}",
                    )
                )
                return None
            ws = self.wb.calamine().get_sheet_by_name(t.sheet)
            grid = ws.to_python(skip_empty_area=False)
            scan = self.pkg.scan(t.sheet)
            self.errors = scan.errors
            self.strings = self._bad_string_indexes(scan)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError, *CALAMINE_ERRORS) as e:
            self.findings.append(finding("read.invalid-sheet", ERROR, t.sheet, "", table=t.id, detail=_sheet_error(e)))
            return None
        if self.grids is not None:
            self.grids[t.sheet] = (grid, list(getattr(ws, "merged_cell_ranges", None) or []))
        return grid, scan.formulas

    # ---- structure: headers and fixed labels where the template put them ----
    def _structure_ok(self, t: Table, grid: list[list[Any]]) -> bool:
        lay = table_layout(self.ed, t.id)
        for r0, c0, text in _header_plan(self.ed, t.id):
            raw = _grid_get(grid, r0, c0)
            if raw == text:
                continue  # the common case, without normalising
            got = clean_text(raw).value or ""
            if got.replace("\n", "") != text:
                self.note("read.header-changed", ERROR, t, a1(r0, c0), expected=text, actual=got)
                return False
        if t.kind == "fixed":
            for label_text, row, col in _label_plan(self.ed, t.id):
                raw = _grid_get(grid, row, col)
                if raw == label_text:
                    continue
                got = clean_text(raw).value or ""
                if got != label_text:
                    self.note("read.row-label-changed", ERROR, t, a1(row, col), expected=label_text, actual=got)
                    return False
        else:
            last = lay.last_row
            for row in range(last + 1, len(grid) + 1):
                if any(v not in ("", None) for v in grid[row - 1][: lay.n_cols]):
                    self.note("read.rows-beyond-area", ERROR, t, a1(row, 0), row=row, last=last)
                    break
        return True

    # ---- values ----
    def _values(self, t: Table, grid: list[list[Any]], formulas: dict[str, bytes]) -> None:
        lay = table_layout(self.ed, t.id)
        if t.kind == "fixed":
            if not QUICK_CELLS:
                for r, c, key, excel_row, col, a, formula, _, _ in _fixed_plan(self.ed, t.id):
                    self._cell(t, r, c, key, excel_row, col, a, formula, grid, formulas)
                return
            plan = _fixed_plan(self.ed, t.id)
            if not self.strings and not self.errors and _intact(_fixed_formulas(self.ed, t.id), formulas):
                self._intact_fixed(t, grid, plan, formulas)
                return
            # The usual cell without the call to _cell (_quick_cell); anything else, or a cell the scan flagged,
            # goes through _cell.
            ed, cells, errors, strings, tid, sheet, n = (
                self.ed,
                self.book.cells,
                self.errors,
                self.strings,
                t.id,
                t.sheet,
                len(grid),
            )
            for r, c, key, excel_row, col, a, formula, ctype, expected in _fixed_plan(ed, t.id):
                if a not in strings and a not in errors:
                    line = grid[excel_row - 1] if 0 < excel_row <= n else ()
                    raw = line[col] if col < len(line) else ""
                    cell = _quick_cell(ed, tid, key, c.key, sheet, a, raw, formula, formulas.get(a), expected, ctype)
                    if cell is not None:
                        cells[(tid, key, c.key)] = cell
                        continue
                self._cell(t, r, c, key, excel_row, col, a, formula, grid, formulas)
            return
        rows: list[str] = []
        columns = _list_plan(self.ed, t.id)
        if t.total_row:
            excel_row = lay.excel_row("total")
            for c, col, letter, _ in columns:
                if is_formula(self.ed, t, "total", c.key):
                    self._cell(t, None, c, "total", excel_row, col, f"{letter}{excel_row}", True, grid, formulas)
        # A row is present when any cell a clerk types into is non-empty (formula columns do not count).
        typed = [col for c, col, _, formula in columns if not formula and c.type != "name"]
        named = [(col, letter) for c, col, letter, _ in columns if c.type == "name"]
        # The typed cells of a row picked in one call (most rows of a list area are empty: one test each).
        pick = itemgetter(*typed) if len(typed) > 1 else None
        need = max(typed, default=0) + 1
        n = len(grid)
        quick, ed, cells, errors, strings = QUICK_CELLS, self.ed, self.book.cells, self.errors, self.strings
        tid, sheet, built = t.id, t.sheet, _list_rows(ed, t.id)
        flagged = bool(strings or errors)
        for i, excel_row in enumerate(lay.input_rows()):
            if excel_row > n:
                break
            line = grid[excel_row - 1]
            width = len(line)
            if pick is not None and width >= need:
                got = pick(line)
                filled = got.count("") + got.count(None) != len(got)  # some cell neither "" nor None
            else:
                filled = any(col < width and line[col] not in ("", None) for col in typed)
            if not filled and named:  # a name typed over the auto-name formula also counts
                filled = any(
                    f"{letter}{excel_row}" not in formulas and col < width and line[col] not in ("", None)
                    for col, letter in named
                )
            if filled:
                key, row_plan = built.get(i) or _list_row(built, ed, tid, i, excel_row)
                rows.append(key)
                for c, col, a, formula, expected, where, is_name in row_plan:
                    if quick and (not flagged or (a not in strings and a not in errors)):
                        raw = line[col] if col < width else ""
                        cell = _quick_cell(
                            ed, tid, key, c.key, sheet, a, raw, formula, formulas.get(a), expected, c.type, is_name
                        )
                        if cell is not None:
                            cells[where] = cell
                            continue
                    self._cell(t, None, c, key, excel_row, col, a, formula, grid, formulas)
        self.book.list_rows[t.id] = rows

    def _intact_fixed(self, t: Table, grid: list[list[Any]], plan: tuple[Any, ...], formulas: dict[str, bytes]) -> None:
        """A fixed table whose every formula is the template's and whose input cells hold none (checked for the
        whole sheet at once by _intact): what _quick_cell gives, without its per-cell formula tests."""
        ed, cells, tid, sheet, n = self.ed, self.book.cells, t.id, t.sheet, len(grid)
        for r, c, key, excel_row, col, a, formula, ctype, expected in plan:
            line = grid[excel_row - 1] if 0 < excel_row <= n else ()
            raw = line[col] if col < len(line) else ""
            # _intact found the template's bytes at every formula cell and none at an input cell
            cell = _quick_cell(
                ed, tid, key, c.key, sheet, a, raw, formula, expected if formula else None, expected, ctype
            )
            if cell is None:
                self._cell(t, r, c, key, excel_row, col, a, formula, grid, formulas)
            else:
                cells[(tid, key, c.key)] = cell

    def _cell(
        self,
        t: Table,
        r: Row | None,
        c: Column,
        key: str,
        excel_row: int,
        col: int,
        a: str,
        formula: bool,
        grid: list[list[Any]],
        formulas: dict[str, bytes],
    ) -> None:
        line = grid[excel_row - 1] if 0 < excel_row <= len(grid) else ()
        raw = line[col] if col < len(line) else ""
        error_value = raw == "" and a in self.errors
        if error_value:
            raw = self.errors[a]  # calamine gives an error value as a blank: never read it as 0
        cell = Cell(t.id, key, c.key, t.sheet, a, None, raw, INPUT)
        self.book.cells[(t.id, key, c.key)] = cell
        if a in self.strings:  # a shared-string index that names no string: calamine reads another
            index = self.strings[a] if len(self.strings[a]) <= 24 else self.strings[a][:24] + "…"
            self.note("cell.bad-string-index", ERROR, t, a, label=_label(t, r, c), index=index, count=self.sst_count())
            cell.state = REFUSED
            return
        if c.type == "name" and a in formulas:
            cell.state = FORMULA  # the template's auto name: we look the code up ourselves
            return
        if formula:
            if a in formulas:
                got = formulas[a]
                if (
                    not got
                    or got == _expected_xml(self.ed, t.id, key, c.key)
                    or normalise_formula(formula_text(got)) == normalise_formula(excel_formula(self.ed, t, key, c.key))
                ):
                    cell.state = FORMULA
                    return
                cell.state = CHANGED
                cell.value = self._parse(t, r, c, raw, a, quiet=True)
                if cell.value is None:
                    self.note(
                        "cell.formula-changed", WARNING, t, a, expected_formula=excel_formula(self.ed, t, key, c.key)
                    )
                return
            cell.state = OVERWRITTEN
        elif a in formulas:  # a formula typed into an input cell (typedcells.py)
            cell.value = self._typed_formula(t, r, c, a, formulas[a])
            if cell.value is None:
                cell.state = REFUSED
            return
        if raw == "" or raw is None:
            return  # blank: nothing to normalise
        ctype = r.type if r is not None and r.type else c.type  # t.cell_type(r, c)
        if not error_value:
            value = plain(raw, ctype, self.ed.money_decimals)
            if value is not SLOW:
                cell.value = value  # the usual cell: what _parse would give, without a note
                return
        if ctype not in NUMERIC and (error_value or wrong_type(raw)):  # numbers: cell.not-a-number
            if error_value:
                self.note("cell.error-value", ERROR, t, a, label=_label(t, r, c), value=raw)
            else:  # a date or TRUE where text belongs (Excel converts "2020-03-01" by itself)
                what, value = wrong_type(raw), shown_value(raw)
                self.note("cell.wrong-type", ERROR, t, a, label=_label(t, r, c), what=what, value=value)
            cell.state = REFUSED
            return
        cell.value = self._parse(t, r, c, raw, a, ctype=ctype)

    def _typed_formula(self, t: Table, r: Row | None, c: Column, a: str, raw: bytes) -> Decimal | str | None:
        """Arithmetic on constants is recomputed (a notice); any other formula is refused at the cell."""
        text = formula_text(raw) if raw else ""
        kind = formula_kind(text)
        shown = text if len(text) <= 60 else text[:60] + "…"
        if kind == "constant" and t.cell_type(r, c) in NUMERIC:
            exact = constant_value(text)
            assert exact is not None
            value = format(exact, "f")
            self.note("cell.formula-constant", NOTICE, t, a, label=_label(t, r, c), formula=shown, value=value)
            return self._parse(t, r, c, int(exact) if exact == exact.to_integral_value() else float(value), a)
        self.note("cell.formula-in-input", ERROR, t, a, label=_label(t, r, c), formula=shown or "…", reason=kind)
        return None

    def _parse(
        self, t: Table, r: Row | None, c: Column, raw: Any, a: str, quiet: bool = False, ctype: str = ""
    ) -> Decimal | str | None:
        ctype = ctype or t.cell_type(r, c)
        if ctype in ("money", "number", "percent", "year"):
            parsed = parse_number(raw, t.unit or self.ed.money_unit, percent=ctype == "percent")
        elif ctype in ("code", "unit"):
            parsed = clean_code(raw)
        else:
            parsed = clean_text(raw)
        if (
            ctype == "money"
            and isinstance(parsed.value, Decimal)
            and parsed.value.as_tuple().exponent < -self.ed.money_decimals
        ):  # type: ignore[operator]
            parsed.notes.append(
                ("cell.excess-precision", {"raw": format(parsed.value, "f"), "decimals": self.ed.money_decimals})
            )
            # Checked at the printed precision: 0.001 元 is one finding here, not a difference of "0.00" at
            # every total it enters.
            parsed.value = parsed.value.quantize(Decimal(1).scaleb(-self.ed.money_decimals), ROUND_HALF_UP)
        if not quiet and parsed.notes:
            label = _label(t, r, c)
            for rule, params in parsed.notes:
                sev = WARNING if rule in WARNING_NOTES else ERROR
                self.note(rule, sev, t, a, label=label, unit=t.unit or self.ed.money_unit, **params)
        return parsed.value


def _all_below(values: list[bytes], count: int) -> bool:
    """Whether every value is a plain number below count (digits only: a sign, a blank or an entity is not)."""
    return all(map(bytes.isdigit, values)) and max(map(len, values)) <= 18 and max(map(int, values)) < count


@lru_cache(maxsize=65536)
def _expected_xml(ed: Edition, table_id: str, row: str, col: str) -> bytes:
    """The template's formula as xlsxwriter stores it in the sheet XML: the common case compares bytes."""
    return xml_escape(excel_formula(ed, ed.table(table_id), row, col)[1:]).encode()


@lru_cache(maxsize=256)
def _header_plan(ed: Edition, table_id: str) -> tuple[tuple[int, int, str], ...]:
    """(row, column, text) of every header block the template wrote."""
    return tuple((r0, c0, text) for r0, c0, _r1, _c1, text in table_layout(ed, table_id).header_cells())


@lru_cache(maxsize=256)
def _label_plan(ed: Edition, table_id: str) -> tuple[tuple[str, int, int], ...]:
    """(label, row, column) of every fixed row's label."""
    t, lay = ed.table(table_id), table_layout(ed, table_id)
    out = []
    for r in t.rows:
        label = t.label_column(r.side)
        if label is not None:
            out.append((r.label, lay.excel_row(r.id), lay.col_index[label.key]))
    return tuple(out)


@lru_cache(maxsize=256)
def _fixed_plan(ed: Edition, table_id: str) -> tuple[tuple[Row, Column, str, int, int, str, bool, str, bytes], ...]:
    """Every value cell of a fixed table (computed once): its row and column, position, whether it is a formula,
    its type (t.cell_type) and, for a formula, the template's formula as stored in the sheet XML."""
    t, lay = ed.table(table_id), table_layout(ed, table_id)
    out = []
    for r in t.rows:
        for c in t.value_columns(r.side):
            if c.key in r.na:
                continue
            formula = is_formula(ed, t, r.id, c.key)
            expected = _expected_xml(ed, table_id, r.id, c.key) if formula else b""
            a = lay.cell(r.id, c.key)
            out.append((r, c, r.id, lay.excel_row(r.id), lay.col_index[c.key], a, formula, r.type or c.type, expected))
    return tuple(out)


@lru_cache(maxsize=256)
def _fixed_formulas(ed: Edition, table_id: str) -> tuple[tuple[str, ...], tuple[bytes, ...], frozenset[str]]:
    """A fixed table's formula cells, the template's formula bytes at each, and its input cells (A1)."""
    plan = _fixed_plan(ed, table_id)
    return (
        tuple(a for *_, a, formula, _c, _e in plan if formula),
        tuple(expected for *_, formula, _c, expected in plan if formula),
        frozenset(a for *_, a, formula, _c, _e in plan if not formula),
    )


def _intact(expect: tuple[tuple[str, ...], tuple[bytes, ...], frozenset[str]], formulas: dict[str, bytes]) -> bool:
    """Whether every formula cell holds the template's formula bytes and no input cell holds a formula, in two
    C-level comparisons for the whole sheet (a shared formula's follower, stored as '', is not intact here)."""
    refs, expected, inputs = expect
    return formulas.keys().isdisjoint(inputs) and tuple(map(formulas.get, refs)) == expected


QUICK_CELLS = True  # the usual cell of a table read without _cell (a test reads with it off and compares)


def _quick_cell(
    ed: Edition,
    tid: str,
    key: str,
    ckey: str,
    sheet: str,
    a: str,
    raw: Any,
    formula: bool,
    got: bytes | None,
    expected: bytes | None,
    ctype: str,
    is_name: bool = False,
) -> Cell | None:
    """The usual cell, as _cell would read it: an intact template formula (the bytes xlsxwriter wrote), a list
    table's auto name (the code is looked up by us, as in _cell) or a plain input (normalise.plain); None sends
    the cell to _cell. got: the formula stored at the cell (None: none); expected: the template's formula bytes."""
    if formula:
        if got is not None and (not got or got == expected):
            return Cell(tid, key, ckey, sheet, a, None, raw, FORMULA)
        return None
    if got is not None:  # a formula in an input cell: the template's auto name, else one typed there
        return Cell(tid, key, ckey, sheet, a, None, raw, FORMULA) if is_name else None
    if raw == "" or raw is None:
        return Cell(tid, key, ckey, sheet, a, None, raw, INPUT)
    value = plain(raw, ctype, ed.money_decimals)
    return None if value is SLOW else Cell(tid, key, ckey, sheet, a, value, raw, INPUT)


@lru_cache(maxsize=256)
def _list_plan(ed: Edition, table_id: str) -> tuple[tuple[Column, int, str, bool], ...]:
    """Every column of a list table: (column, index, letters, per-row formula)."""
    t, lay = ed.table(table_id), table_layout(ed, table_id)
    return tuple((c, lay.col_index[c.key], lay.col_letters[c.key], is_formula(ed, t, "r0", c.key)) for c in t.columns)


@lru_cache(maxsize=256)
def _list_rows(ed: Edition, table_id: str) -> dict[int, tuple[str, tuple[Any, ...]]]:
    """The per-edition facts of a list table's input rows, filled in as rows are first met (see _list_row)."""
    return {}


def _list_row(
    built: dict[int, tuple[str, tuple[Any, ...]]], ed: Edition, table_id: str, i: int, excel_row: int
) -> tuple[str, tuple[Any, ...]]:
    """Row i of a list table: its key and, per column, (column, index, A1, per-row formula, the template's
    formula bytes or None, the book's cell key, whether it is the name column). Made once per edition."""
    key = f"r{i}"
    out = tuple(
        (
            c,
            col,
            f"{letter}{excel_row}",
            formula,
            _expected_xml(ed, table_id, key, c.key) if formula else None,
            (table_id, key, c.key),
            c.type == "name",
        )
        for c, col, letter, formula in _list_plan(ed, table_id)
    )
    built[i] = (key, out)
    return built[i]


def _sheet_error(e: BaseException) -> str:
    """A Chinese reason for a parser's exception (its own words stay in parentheses for the maintainer)."""
    name = type(e).__name__
    reasons = texts.raw("reader.parser_errors")
    return texts.text("reader.parser_error", what=reasons.get(name, reasons["default"]), name=name)


def _label(t: Table, r: Row | None, c: Column) -> str:
    if r is not None:
        if len(t.value_columns(r.side)) == 1:
            return texts.text("reader.label", name=r.label)
        return texts.text("reader.label_of", row=r.label, col=c.title)
    return texts.text("reader.label", name=c.title)


def read_workbook(
    source: Source, edition: Edition | None = None, name: str | Path | None = None, keep_grids: bool = False
) -> ReadResult:
    """Read and normalise a workbook: a path, or the file's bytes already read (`name` is then the path shown
    in messages). Raises UnreadableError (exit 3) when it cannot be used at all. keep_grids: keep each table
    sheet's values for a report to draw (ReadResult.grids)."""
    pkg = open_package(source, name)
    path = pkg.path
    try:
        wb = _Workbook(pkg, path, keep_grids)
        stamp = _stamp(pkg, wb)
        ed = _edition_for(pkg, stamp, path, edition)
        reader = _Reader(ed, pkg, wb, path, keep_grids)
        if pkg.has_macros:
            reader.findings.append(finding("read.macro", WARNING, "", "", path=str(path), detail="vbaProject.bin"))
        reader.run()
        reader.book.stamp = stamp
        return ReadResult(reader.book, pkg, reader.findings, reader.grids, list(wb.sheet_names) if keep_grids else [])
    finally:
        pkg.close()
