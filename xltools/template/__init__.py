"""The blank (or pre-filled) workbook, written with xlsxwriter from the edition."""
