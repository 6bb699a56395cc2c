"""Spreadsheets people upload and download: lists from villages and departments, checked row by
row and taken whole or not at all.

`read()` turns an uploaded `.xlsx` or `.csv` into a `Sheet`: the header row found and mapped by
normalised Chinese names, every cell normalised (full-width to half-width, spaces), formula cells
and ID numbers that a spreadsheet stored as numbers refused, and the cell problems collected as
`RowError`s (序号, spreadsheet line, column, code, Chinese message). A file that cannot be read
at all (not a spreadsheet, an unknown text encoding, no rows, a missing column, too big) raises
`SpreadsheetError`. The rows travel as a `tablib.Dataset` (django-import-export's dataset), so an
app may hand them to an import-export `Resource` as well as to its own set-based checks.

`error_sheet()` gives the same file back with an error column added, `template()` the blank file
to fill in, with the ID column formatted as text. `safe_cell()` escapes cells that a spreadsheet
would run as formulas, for every file we write.

What each app checks beyond the cells (who the person is, the policy rules) is the app's; the
rows it refuses become `RowError`s too, so one list reaches the page, the API and the error sheet.
"""

from insured.spreadsheets.cells import ColumnKind, safe_cell
from insured.spreadsheets.reading import (
    Column,
    Layout,
    RowError,
    Sheet,
    SpreadsheetError,
    read,
)
from insured.spreadsheets.writing import XLSX_CONTENT_TYPE, ErrorSheet, error_sheet, template

__all__ = [
    "XLSX_CONTENT_TYPE",
    "Column",
    "ColumnKind",
    "ErrorSheet",
    "Layout",
    "RowError",
    "Sheet",
    "SpreadsheetError",
    "error_sheet",
    "read",
    "safe_cell",
    "template",
]
