"""The OOXML layer: an .xlsx package read once from its bytes and checked (`package`), one pass over each
sheet's XML by the grammar of its tags (`scan`), cell formats (`styles`), and the edits the annotated copy
makes to a copy of the package (`edit`). The reader, the annotated copy and the HTML report all use it."""

from .package import MAX_GRID, Package, Relationship, formula_text, open_package, resolve, unreadable
from .scan import CellXml, SheetScan, scan_sheet

__all__ = [
    "MAX_GRID",
    "CellXml",
    "Package",
    "Relationship",
    "SheetScan",
    "formula_text",
    "open_package",
    "resolve",
    "scan_sheet",
    "unreadable",
]
