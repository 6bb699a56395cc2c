"""The weekly report 周报 as a workbook: the townships, the villages lagging behind, the weeks. The
figures are numbers (rates in per cent), text cells escaped; no personal data."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from insured import formats
from insured.history import staff_name
from insured.spreadsheets import safe_cell
from oversight.selectors.weekly import WeekLine, WeeklyFigures

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
MONEY = "#,##0.00"
RATE = "0.0"


def _title(figures: WeeklyFigures) -> str:
    return _("%(county)s, contribution year %(year)s, week %(week)s (%(start)s to %(end)s): collection progress") % {
        "county": figures.county.full_name,
        "year": figures.year,
        "week": figures.week_number,
        "start": formats.day(figures.week_start),
        "end": formats.day(figures.week_end),
    }


def _line_cells(w: WeekLine, name: str) -> list[Any]:
    now, last = w.now, w.line.last_year
    return [
        name,
        now.liable,
        now.paid,
        now.paid_rate,
        w.week.paid,
        last.paid,
        last.paid_rate,
        w.line.rate_change,
        now.covered,
        now.members,
        now.covered_rate,
        now.own.amount,
        now.gov_paid.amount,
        now.back_payment.count,
        now.back_payment.amount,
        now.sponsorship.amount,
        now.collective.amount,
        now.total_amount,
        w.week.total_amount,
    ]


HEADERS = (
    gettext_lazy("Region"),
    gettext_lazy("Liable"),
    gettext_lazy("Persons paid"),
    gettext_lazy("Paid rate (%)"),
    gettext_lazy("Paid this week"),
    gettext_lazy("Last year, same date: paid"),
    gettext_lazy("Last year, same date: rate (%)"),
    gettext_lazy("Change (points)"),
    gettext_lazy("Government-paid: covered"),
    gettext_lazy("Government-paid: members"),
    gettext_lazy("Government-paid rate (%)"),
    gettext_lazy("Own contributions (yuan)"),
    gettext_lazy("Government-paid (yuan)"),
    gettext_lazy("Back payments"),
    gettext_lazy("Back payments (yuan)"),
    gettext_lazy("Sponsorship (yuan)"),
    gettext_lazy("Collective subsidy (yuan)"),
    gettext_lazy("Amount arrived (yuan)"),
    gettext_lazy("Amount this week (yuan)"),
)


def _sheet(
    book: Workbook, title: str, heading: str, headers: list[str], rows: list[list[Any]], money: set[int]
) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append([safe_cell(heading)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for line in sheet.iter_rows(min_row=3):
        for index, cell in enumerate(line):
            if index in money:
                cell.number_format = MONEY
            elif "%" in str(sheet.cell(row=2, column=index + 1).value or ""):
                cell.number_format = RATE
    for column in sheet.columns:
        sheet.column_dimensions[column[1].column_letter].width = 14
    sheet.column_dimensions["A"].width = 22
    sheet.freeze_panes = "B3"


def weekly_xlsx(figures: WeeklyFigures, *, made_by: Any, made_at: dt.datetime) -> bytes:
    # The report goes out in Chinese whatever language the screen of who asked is in, like a printed form.
    with translation.override("zh-hans"):
        return _weekly_xlsx(figures, made_by=made_by, made_at=made_at)


def _weekly_xlsx(figures: WeeklyFigures, *, made_by: Any, made_at: dt.datetime) -> bytes:
    book = Workbook()
    book.remove(book.active)
    headers = [str(h) for h in HEADERS]
    money = {11, 12, 14, 15, 16, 17, 18}
    rows = [_line_cells(w, w.line.name) for w in figures.lines] + [_line_cells(figures.total, _("Total"))]
    _sheet(book, _("Townships"), _title(figures), headers, rows, money)
    lagging = [_line_cells(w, f"{w.township}{w.line.name}") for w in figures.lagging]
    _sheet(
        book,
        _("Lagging villages"),
        _("Villages below the county's paid rate, the lowest first"),
        headers,
        lagging,
        money,
    )
    weeks = [
        [formats.day(w.start), w.paid, w.paid_last_year] for w in figures.progress.weeks if w.start <= figures.week_end
    ]
    _sheet(
        book,
        _("Week by week"),
        _("Persons paid by each Sunday"),
        [_("Week from"), str(figures.year), str(figures.year - 1)],
        weeks,
        set(),
    )
    note = book.worksheets[0]
    note.append([])
    note.append([_("Made by %(who)s at %(when)s.") % {"who": staff_name(made_by), "when": formats.moment(made_at)}])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
