"""The follow-up lists as spreadsheets: the gap list for the villages to visit the households (003
二(一): 应保尽保) and the reverse list (enrolled, registered as moved away or dead). ID numbers are
text cells (all 18 characters kept), whole or masked as the caller may see them; every text cell a
spreadsheet would run as a formula is escaped."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from insured import formats
from insured.identity import mask_id_no
from insured.models import InsuredPerson
from insured.spreadsheets import safe_cell
from oversight.models import ResidentRecord

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def _book(title: str, headers: list[str], rows: Iterable[list[Any]], id_column: int, widths: list[int]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
        sheet.cell(row=sheet.max_row, column=id_column).number_format = "@"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _id(id_no: str, full: bool) -> str:
    return id_no if full else mask_id_no(id_no)


def gap_xlsx(records: Iterable[ResidentRecord], *, full_ids: bool, today: dt.date) -> bytes:
    headers = [
        _("No."),
        _("Township"),
        _("Village"),
        _("Household number"),
        _("Name"),
        _("Sex"),
        _("Age"),
        _("Resident ID number"),
        _("Registration data as of"),
        _("Follow-up (filled in by the village)"),
    ]
    sexes = {"M": _("male"), "F": _("female")}

    def rows() -> Iterable[list[Any]]:
        for number, r in enumerate(records, start=1):
            age = today.year - r.birth_date.year - ((today.month, today.day) < (r.birth_date.month, r.birth_date.day))
            yield [
                number,
                r.village.parent.name,
                r.village.name,
                r.household_no,
                r.name,
                sexes.get(r.sex, r.sex),
                age,
                _id(r.id_no, full_ids),
                formats.day(r.extract.data_date),
                "",
            ]

    return _book(_("Not enrolled"), headers, rows(), 8, [7, 14, 14, 18, 12, 6, 6, 22, 16, 36])


def reverse_xlsx(persons: Iterable[InsuredPerson], *, full_ids: bool) -> bytes:
    headers = [
        _("No."),
        _("Township"),
        _("Village"),
        _("Name"),
        _("Resident ID number"),
        _("Person number"),
        _("Status"),
        _("Registration says"),
        _("Registered now in"),
        _("Registration data as of"),
    ]
    statuses = dict(ResidentRecord.Status.choices)

    def rows() -> Iterable[list[Any]]:
        for number, p in enumerate(persons, start=1):
            now_in = f"{p.registered_now_township}{p.registered_now_in}" if p.registered_now_in else ""
            yield [
                number,
                p.village.parent.name,
                p.village.name,
                p.name,
                _id(p.id_no, full_ids),
                p.person_no,
                p.get_status_display(),
                str(statuses.get(p.registration, p.registration)),
                now_in,
                formats.day(p.registration_date),
            ]

    return _book(_("Moved away or dead"), headers, rows(), 5, [7, 14, 14, 12, 22, 16, 14, 12, 22, 16])
