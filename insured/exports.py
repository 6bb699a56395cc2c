"""Every list a member of staff can page through can also be taken away as an XLSX file: the same
rows (cut to the user's scope by the caller), the same columns, written the way the pages write
them (insured.formats), resident IDs masked, text that a spreadsheet would run as a formula
escaped.

A list longer than `MAX_ROWS` is refused with a message asking for a narrower filter: the file is
built while the user waits, and beyond that size it would take more than a couple of seconds.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from insured import formats
from insured.spreadsheets import XLSX_CONTENT_TYPE, safe_cell

__all__ = ["MAX_ROWS", "XLSX_CONTENT_TYPE", "Column", "Kind", "refuse_if_too_long", "safe_cell", "xlsx_response"]

MAX_ROWS = 20_000
MONEY_FORMAT = "#,##0.00"


class Kind:
    TEXT = "text"
    MONEY = "money"  # a number cell shown as 7,833.00
    NUMBER = "number"
    DAY = "day"  # 2026年11月22日 (insured.formats.day)
    MOMENT = "moment"  # 2026年11月22日 09:30, Beijing time


@dataclass(frozen=True)
class Column:
    header: Any  # a (lazy) translation
    value: Callable[[Any], Any]
    kind: str = Kind.TEXT
    width: int = 14


def _cell(sheet: Any, value: Any, kind: str) -> WriteOnlyCell:
    if value is None or value == "":
        return WriteOnlyCell(sheet, value=None)
    if kind == Kind.MONEY:
        cell = WriteOnlyCell(sheet, value=Decimal(value))
        cell.number_format = MONEY_FORMAT
        return cell
    if kind == Kind.NUMBER:
        return WriteOnlyCell(sheet, value=value)
    if kind == Kind.DAY:
        return WriteOnlyCell(sheet, value=formats.day(value))
    if kind == Kind.MOMENT:
        return WriteOnlyCell(sheet, value=formats.moment(value))
    # Everything else is text, IDs and codes included, so a number keeps all its digits.
    cell = WriteOnlyCell(sheet, value=safe_cell(str(value)))
    cell.number_format = "@"
    return cell


def workbook(title: str, columns: list[Column], rows: Iterable[Any]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, column in enumerate(columns):
        sheet.column_dimensions[_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(column.header)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, column.value(row), column.kind) for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def filename(stem: str, extension: str = "xlsx", at: dt.datetime | None = None) -> str:
    moment = timezone.localtime(at or timezone.now())
    return f"{stem}-{moment:%Y%m%d-%H%M}.{extension}"


def xlsx_response(stem: str, title: str, columns: list[Column], rows: Iterable[Any]) -> HttpResponse:
    response = HttpResponse(workbook(title, columns, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(stem)}"'
    return response


def refuse_if_too_long(request: HttpRequest, count: int, back: str) -> HttpResponse | None:
    """Back to the list with a message when the list is too long to export while one waits."""
    if count <= MAX_ROWS:
        return None
    messages.error(
        request,
        _("The list holds %(n)s rows; an export takes at most %(max)s. Narrow the list with the filters first.")
        % {"n": formats.count(count), "max": formats.count(MAX_ROWS)},
    )
    return HttpResponseRedirect(back)
