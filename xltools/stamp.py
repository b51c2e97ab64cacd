"""Names of the sheets the template adds around the edition's tables (shared by writer and reader);
the names a clerk sees are xltools/texts/sheets.toml."""

from . import texts

STAMP_SHEET = "_xltools"  # very hidden: edition id, version, year, fingerprint
CODE_SHEET = texts.text("sheets.codes")  # hidden: code lists and enumerations behind the dropdowns
GUIDE_SHEET = texts.text("sheets.guide")  # the instructions sheet
FINDINGS_SHEET = texts.text(
    "sheets.findings"
)  # added first by `validate --annotate`; ignored when the copy is validated again
