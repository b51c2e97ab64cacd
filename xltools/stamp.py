"""Names of the sheets the template adds around the edition's tables (shared by writer and reader)."""

STAMP_SHEET = "_xltools"  # very hidden: edition id, version, year, fingerprint
CODE_SHEET = "代码表"  # hidden: code lists and enumerations behind the dropdowns
GUIDE_SHEET = "填报说明"  # the instructions sheet
FINDINGS_SHEET = "错误清单"  # added first by `validate --annotate`; ignored when the copy is validated again
