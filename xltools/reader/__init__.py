"""Reading a filled workbook into a Book: safe opening, normalisation, formula detection."""
