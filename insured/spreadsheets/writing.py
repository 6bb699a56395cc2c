"""Spreadsheets we hand back: the uploaded file with an error column added, and the blank
template whose ID column is text, so the numbers keep all 18 characters."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _

from insured.spreadsheets.cells import ColumnKind, safe_cell
from insured.spreadsheets.reading import Layout, RowError, Sheet, decode_text

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv"
TEMPLATE_TEXT_ROWS = 2000  # cells formatted as text below the header, besides the column's own format
_ERROR_FILL = "FED7D7"
_HEADER_FILL = "DCE6F1"
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class ErrorSheet:
    content: bytes
    filename: str
    content_type: str


def _messages_by_line(errors: Sequence[RowError]) -> dict[int, list[RowError]]:
    by_line: dict[int, list[RowError]] = defaultdict(list)
    for error in errors:
        if error.line is not None:
            by_line[error.line].append(error)
    return by_line


def _joined(errors: list[RowError]) -> str:
    return "；".join(f"{e.column}：{e.message}" if e.column else e.message for e in errors)


def _error_filename(filename: str, extension: str) -> str:
    stem = PurePath(filename or "list").stem
    return f"{stem}_{_('errors')}.{extension}"


def error_sheet(sheet: Sheet, errors: Sequence[RowError]) -> ErrorSheet:
    """The uploaded file itself, unchanged but for a column saying what is wrong on each line
    (and, in a workbook, the cells in error shaded)."""
    by_line = _messages_by_line(errors)
    if sheet.format == "xlsx":
        return ErrorSheet(_xlsx_with_errors(sheet, by_line), _error_filename(sheet.filename, "xlsx"), XLSX_CONTENT_TYPE)
    charset = "utf-8" if sheet.encoding == "utf-8-sig" else sheet.encoding
    return ErrorSheet(
        _csv_with_errors(sheet, by_line),
        _error_filename(sheet.filename, "csv"),
        f"{CSV_CONTENT_TYPE}; charset={charset}",
    )


def _xlsx_with_errors(sheet: Sheet, by_line: dict[int, list[RowError]]) -> bytes:
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    book = openpyxl.load_workbook(io.BytesIO(sheet.raw))
    worksheet = book.worksheets[0]
    column = worksheet.max_column + 1
    fill = PatternFill("solid", fgColor=_ERROR_FILL)
    header = worksheet.cell(row=sheet.header_line, column=column, value=_("Errors"))
    header.font = Font(bold=True, color="C53030")
    worksheet.column_dimensions[header.column_letter].width = 60
    position_of = {sheet.layout.column(key).header: index for key, index in sheet.positions.items()}
    for line, errors in by_line.items():
        cell = worksheet.cell(row=line, column=column, value=safe_cell(_joined(errors)))
        cell.fill = fill
        for error in errors:
            if error.column in position_of:
                worksheet.cell(row=line, column=position_of[error.column] + 1).fill = fill
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_with_errors(sheet: Sheet, by_line: dict[int, list[RowError]]) -> bytes:
    text, encoding = decode_text(sheet.raw)
    rows = list(csv.reader(io.StringIO(text), delimiter=sheet.delimiter or ","))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sheet.delimiter or ",", lineterminator="\r\n")
    for line, row in enumerate(rows, start=1):
        if line == sheet.header_line:
            row = [*row, _("Errors")]
        elif line in by_line:
            row = [*row, safe_cell(_joined(by_line[line]))]
        writer.writerow(row)
    # Written back in the encoding it came in, BOM and all, so it opens as the original did.
    return out.getvalue().encode(encoding)


def template(layout: Layout, example_rows: Sequence[Sequence[Any]] = ()) -> bytes:
    """The blank list to fill in: the header row, the ID column formatted as text (so a
    spreadsheet keeps all 18 characters), drop-downs for the columns with choices, and a second
    sheet with the notes. `example_rows` go on the notes sheet, never on the list itself."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _SHEET_TITLE_FORBIDDEN.sub("", layout.title)[:31]
    bold, fill = Font(bold=True), PatternFill("solid", fgColor=_HEADER_FILL)
    for index, column in enumerate(layout.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font, cell.fill = bold, fill
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        number_format = {ColumnKind.ID_NO: "@", ColumnKind.AMOUNT: "0.00"}.get(column.kind)
        if column.kind in (ColumnKind.TEXT, ColumnKind.NAME, ColumnKind.CHOICE, ColumnKind.CODE):
            number_format = "@"
        if number_format:
            dimension.number_format = number_format
            for row in range(2, TEMPLATE_TEXT_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = number_format
        if column.choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
            validation.error = _("Choose one of: %(choices)s.") % {"choices": "、".join(column.choices)}
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{layout.max_rows + 1}")
    sheet.freeze_panes = "A2"
    _notes_sheet(book, layout, example_rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _notes_sheet(book: Any, layout: Layout, example_rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.styles import Font

    notes = book.create_sheet(_("Notes"))
    notes.column_dimensions["A"].width = 110
    notes.append([layout.title])
    notes["A1"].font = Font(bold=True, size=13)
    for line in layout.notes:
        notes.append([line])
    notes.append(
        [
            _(
                "Only the first worksheet is read. Keep the header row; type values, not formulas; keep the ID "
                "column formatted as text. At most %(rows)s rows and %(mb)s MB per file."
            )
            % {"rows": layout.max_rows, "mb": layout.max_bytes // 1048576}
        ]
    )
    if example_rows:
        notes.append([])
        notes.append([_("Example rows (do not copy them into the list):")])
        notes.append([c.header for c in layout.columns])
        for row in example_rows:
            notes.append([safe_cell(v) for v in row])
