"""Reading an uploaded spreadsheet: which format and encoding it is in, where its header row
is, and each cell as the column wants it."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.utils.translation import gettext as _

from insured.spreadsheets import cells
from insured.spreadsheets.cells import CellProblem, ColumnKind, Formula

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# An .xlsx is a zip: what it may unpack to, so a small upload cannot expand to gigabytes.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
HEADER_SEARCH_LINES = 10
# A line whose first column says one of these is the total under the list, not a row of it.
TOTAL_MARKERS = frozenset({"合计", "总计", "小计"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old .xls format (and encrypted workbooks)
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as printed on the template and named in messages
    kind: ColumnKind = ColumnKind.TEXT
    aliases: tuple[str, ...] = ()
    required: bool = True
    choices: tuple[str, ...] = ()  # offered in the template (and checked when kind is CHOICE)
    width: int = 14
    example: Any = None

    def names(self) -> set[str]:
        return {cells.normalise_header(n) for n in (self.header, *self.aliases)}


@dataclass(frozen=True)
class Layout:
    """What a kind of spreadsheet looks like: its columns, the column that numbers its rows
    (序号), and how big a file may be."""

    title: str
    columns: tuple[Column, ...]
    row_key: str | None = None
    max_rows: int = MAX_ROWS
    max_bytes: int = MAX_BYTES
    notes: tuple[str, ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class RowError:
    """One thing wrong in one row: its 序号 (`row`), the spreadsheet line, the column's header."""

    row: int | None
    line: int | None
    column: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "line": self.line, "column": self.column, "code": self.code, "message": self.message}


class SpreadsheetError(Exception):
    """The file as a whole cannot be taken: nothing in it is looked at row by row."""

    def __init__(self, code: str, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column

    def as_row_error(self) -> RowError:
        return RowError(None, None, self.column, self.code, self.message)


@dataclass
class Sheet:
    """An uploaded file, read: its rows as a tablib Dataset whose headers are the layout's column
    keys, each row's spreadsheet line and 序号, and the problems found in the cells."""

    layout: Layout
    filename: str
    raw: bytes
    format: str  # "xlsx" or "csv"
    encoding: str | None  # of a CSV: "utf-8", "utf-8-sig", "gb18030", "utf-16"
    delimiter: str | None
    header_line: int
    positions: dict[str, int]  # column key -> index of the column in the file
    dataset: tablib.Dataset
    lines: list[int] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)

    def records(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(row number, line, {column key: value}) for every row."""
        keys = self.dataset.headers
        for row_number, line, values in zip(self.row_numbers, self.lines, self.dataset, strict=True):
            yield row_number, line, dict(zip(keys, values, strict=True))

    def error(self, index: int, key: str | None, code: str, message: str) -> RowError:
        """A RowError for row `index` (0-based) and column `key`, as an app reports what it refused."""
        header = self.layout.column(key).header if key else None
        return RowError(self.row_numbers[index], self.lines[index], header, code, message)


def read(data: bytes, filename: str, layout: Layout) -> Sheet:
    """Read an uploaded file, or raise SpreadsheetError saying in Chinese why it cannot be."""
    if not data:
        raise SpreadsheetError("file_empty", _("The file is empty."))
    if len(data) > layout.max_bytes:
        raise SpreadsheetError(
            "file_too_large",
            _("The file is %(size)s MB; at most %(max)s MB can be uploaded. Split the list into several files.")
            % {"size": f"{len(data) / 1048576:.1f}", "max": layout.max_bytes // 1048576},
        )
    if data.startswith(_OLE_MAGIC):
        raise SpreadsheetError(
            "xls_not_supported",
            _(
                "This is an old Excel 97-2003 (.xls) file or a password-protected workbook. Open it in Excel or WPS, "
                "remove any password and save it as an Excel workbook (.xlsx), then upload that."
            ),
        )
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, filename, layout)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise SpreadsheetError("not_a_spreadsheet", _not_a_spreadsheet())
    return _read_csv(data, filename, layout)


def _not_a_spreadsheet() -> str:
    return _("The file is not a spreadsheet. Upload the list as an Excel workbook (.xlsx) or a CSV file.")


# --- Formats -----------------------------------------------------------------------------------


def _read_xlsx(data: bytes, filename: str, layout: Layout) -> Sheet:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SpreadsheetError("not_a_spreadsheet", _not_a_spreadsheet()) from None
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError("not_a_spreadsheet", _not_a_spreadsheet())
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            "file_too_large", _("The workbook unpacks to more than %(max)s MB.") % {"max": MAX_UNPACKED_BYTES >> 20}
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged workbook; all mean the same here
        raise SpreadsheetError("not_a_spreadsheet", _not_a_spreadsheet()) from None
    try:
        if not book.worksheets:
            raise SpreadsheetError("no_rows", _("The workbook has no worksheet."))
        sheet = book.worksheets[0]
        # The declared size is not trusted: a file claiming 16,384 columns would be padded to them.
        sheet.reset_dimensions()
        rows = ([_xlsx_value(c) for c in row] for row in sheet.iter_rows(min_row=1))
        return _build(rows, layout, filename=filename, raw=data, fmt="xlsx", encoding=None, delimiter=None)
    finally:
        book.close()


def _xlsx_value(cell: Any) -> Any:
    if cell.data_type == "f":
        value = cell.value
        return Formula(value if isinstance(value, str) else getattr(value, "text", "="))
    if cell.data_type == "e":
        return Formula(str(cell.value))  # #N/A, #REF!: the result of a formula
    return cell.value


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without BOM), UTF-16 (Excel's
    "Unicode text") or GB18030 (what Chinese Excel and WPS save as CSV). UTF-8 is tried before
    GB18030 because GB18030 text is almost never valid UTF-8, while UTF-8 text often decodes as
    GB18030 into the wrong characters; what decodes as neither is refused, never guessed."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text or "\ufffd" in text:
            continue
        return text, encoding
    raise SpreadsheetError(
        "encoding_unknown",
        _(
            "The file is not an Excel workbook and its text is neither UTF-8 nor GB18030. Save it from Excel "
            "or WPS as an Excel workbook (.xlsx) or as CSV (UTF-8), then upload that."
        ),
    )


def _delimiter(text: str, encoding: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return "\t" if encoding == "utf-16" else ","
    return best


def _read_csv(data: bytes, filename: str, layout: Layout) -> Sheet:
    text, encoding = decode_text(data)
    delimiter = _delimiter(text, encoding)
    try:
        rows = [[_csv_value(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error:
        raise SpreadsheetError("not_a_spreadsheet", _not_a_spreadsheet()) from None
    return _build(iter(rows), layout, filename=filename, raw=data, fmt="csv", encoding=encoding, delimiter=delimiter)


def _csv_value(value: str) -> Any:
    # A CSV cell has no formulas, but a cell typed as one would run when the file is opened in Excel.
    return Formula(value) if value.lstrip().startswith("=") else value


# --- Header and rows ---------------------------------------------------------------------------


def _find_header(rows: Iterator[list[Any]], layout: Layout) -> tuple[int, dict[str, int], list[str]]:
    required = [c for c in layout.columns if c.required]
    for line, row in enumerate(rows, start=1):
        if line > HEADER_SEARCH_LINES:
            break
        texts = [cells.normalise_header(v.text if isinstance(v, Formula) else v) for v in row]
        positions = _positions(texts, layout)
        if len([c for c in required if c.key in positions]) * 2 >= len(required) and positions:
            missing = [c.header for c in required if c.key not in positions]
            if missing:
                raise SpreadsheetError(
                    "column_missing",
                    _("The column %(columns)s is missing from the header row (line %(line)s).")
                    % {"columns": "、".join(missing), "line": line},
                    missing[0],
                )
            return line, positions, texts
    expected = "、".join(c.header for c in layout.columns)
    raise SpreadsheetError(
        "header_missing",
        _(
            "The header row was not found in the first %(n)s lines. The list needs the columns: %(columns)s. "
            "Download the template and copy the rows into it."
        )
        % {"n": HEADER_SEARCH_LINES, "columns": expected},
    )


def _positions(texts: list[str], layout: Layout) -> dict[str, int]:
    positions: dict[str, int] = {}
    for column in layout.columns:
        names = column.names()
        found = [i for i, text in enumerate(texts) if text in names]
        if len(found) > 1:
            raise SpreadsheetError(
                "column_duplicate",
                _("The column %(column)s appears twice in the header row.") % {"column": column.header},
                column.header,
            )
        if found:
            positions[column.key] = found[0]
    return positions


CONVERTERS: dict[ColumnKind, Callable[[Any], Any]] = {
    ColumnKind.TEXT: cells.as_text,
    ColumnKind.NAME: cells.as_name,
    ColumnKind.ID_NO: cells.as_id_no,
    ColumnKind.AMOUNT: cells.as_amount,
    ColumnKind.INTEGER: cells.as_integer,
    ColumnKind.DATE: cells.as_date,
    ColumnKind.CODE: cells.as_code,
}


def _convert(column: Column, raw: Any) -> Any:
    if isinstance(raw, Formula):
        raise CellProblem(
            "formula",
            _("The cell holds a formula (%(formula)s); formulas are not read. Type the value itself.")
            % {"formula": raw.text[:40]},
        )
    if column.kind == ColumnKind.CHOICE:
        return cells.as_choice(raw, column.choices)
    return CONVERTERS[column.kind](raw)


def _is_blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _build(
    rows: Iterator[list[Any]],
    layout: Layout,
    *,
    filename: str,
    raw: bytes,
    fmt: str,
    encoding: str | None,
    delimiter: str | None,
) -> Sheet:
    header_line, positions, _texts = _find_header(rows, layout)
    columns = [c for c in layout.columns if c.key in positions]
    sheet = Sheet(
        layout=layout,
        filename=filename,
        raw=raw,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        header_line=header_line,
        positions=positions,
        dataset=tablib.Dataset(headers=[c.key for c in columns]),
    )
    first_index = min(positions.values())
    for line, row in enumerate(rows, start=header_line + 1):
        if _is_blank(row):
            continue
        first = row[first_index] if first_index < len(row) else None
        if isinstance(first, str) and cells.normalise_header(first) in TOTAL_MARKERS:
            continue
        if len(sheet.lines) >= layout.max_rows:
            raise SpreadsheetError(
                "too_many_rows",
                _("The list has more than %(max)s rows; split it into several files.") % {"max": layout.max_rows},
            )
        _add_row(sheet, columns, line, row)
    if not sheet.lines:
        raise SpreadsheetError("no_rows", _("The list has a header row but no rows under it."))
    return sheet


def _add_row(sheet: Sheet, columns: list[Column], line: int, row: list[Any]) -> None:
    values: list[Any] = []
    problems: list[tuple[Column, CellProblem]] = []
    for column in columns:
        index = sheet.positions[column.key]
        raw = row[index] if index < len(row) else None
        try:
            value = _convert(column, raw)
        except CellProblem as problem:
            value = None
            problems.append((column, problem))
        else:
            if value is None and column.required:
                problems.append(
                    (column, CellProblem("required", _("%(column)s is empty.") % {"column": column.header}))
                )
        values.append(value)
    sheet.dataset.append(values)
    position = len(sheet.lines) + 1
    key = sheet.layout.row_key
    number = values[sheet.dataset.headers.index(key)] if key in sheet.positions else None
    sheet.lines.append(line)
    sheet.row_numbers.append(number if isinstance(number, int) and number > 0 else position)
    sheet.errors.extend(RowError(sheet.row_numbers[-1], line, c.header, p.code, p.message) for c, p in problems)
