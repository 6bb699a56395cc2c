"""The reconciliation 对账 page, its CSV and XLSX exports, and the PDF printed for signature."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from insured import access, access_log, formats
from insured.identity import mask_id_no
from insured.models import InsuredPerson
from payments import reconciliation
from payments.capabilities import RECONCILIATION_VIEW
from payments.exports import safe_cell
from payments.forms import ReconciliationForm
from payments.models import ReconciliationRun
from payments.pdf import reconciliation_pdf as reconciliation_pdf_render
from payments.reconciliation import Reconciliation

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


def _reconcile(request: HttpRequest) -> tuple[ReconciliationForm, Reconciliation | None]:
    """The form, and the reconciliation of the user's region for the period it names (yesterday by default)."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    data = request.GET if "date" in request.GET else {"period": ReconciliationRun.Period.DAY, "date": yesterday}
    form = ReconciliationForm(data)
    if not form.is_valid():
        return form, None
    start, end = reconciliation.period_bounds(form.cleaned_data["period"], form.cleaned_data["date"])
    return form, reconciliation.reconcile(access.scope_region(request.user), start, end)


@access.capability_required(RECONCILIATION_VIEW)
@require_GET
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    form, result = _reconcile(request)
    query = urlencode({k: form.data[k] for k in ("period", "date")}) if result else ""
    return render(request, "payments/reconciliation.html", {"form": form, "result": result, "query": query})


@access.capability_required(RECONCILIATION_VIEW)
@require_GET
def reconciliation_csv(request: HttpRequest) -> HttpResponse:
    _form, result = _reconcile(request)
    if result is None:
        return HttpResponseBadRequest(_("Choose a period and a date."))
    out = io.StringIO()
    writer = csv.writer(out)
    refunds = [_refund_table(result)] if result.refunds else []
    bank = [_bank_table(result)] if result.bank else []
    for table in (*_tables(result), *refunds, *bank):
        writer.writerow([safe_cell(c) for c in table[0]])
        writer.writerows([safe_cell(c) for c in line] for line in table[1:])
        writer.writerow([])
    # With a BOM, Excel opens the Chinese names correctly.
    response = HttpResponse(("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    return _attachment(request, response, result, "csv")


@access.capability_required(RECONCILIATION_VIEW)
@require_GET
def reconciliation_xlsx(request: HttpRequest) -> HttpResponse:
    _form, result = _reconcile(request)
    if result is None:
        return HttpResponseBadRequest(_("Choose a period and a date."))
    book = Workbook()
    book.remove(book.active)
    figures, differences = _tables(result)
    _sheet(book, _("Figures"), figures, flag_differing=True)
    _sheet(book, _("Differences"), differences)
    if result.refunds:
        _sheet(book, _("Refunds"), _refund_table(result))
    if result.bank:
        _sheet(book, _("Bank"), _bank_table(result), flag_differing=True)
    out = io.BytesIO()
    book.save(out)
    return _attachment(request, HttpResponse(out.getvalue(), content_type=XLSX_TYPE), result, "xlsx")


@access.capability_required(RECONCILIATION_VIEW)
@require_GET
def reconciliation_pdf(request: HttpRequest) -> HttpResponse:
    _form, result = _reconcile(request)
    if result is None:
        return HttpResponseBadRequest(_("Choose a period and a date."))
    pdf = reconciliation_pdf_render(result, printed_by=request.user)
    return _attachment(request, HttpResponse(pdf, content_type="application/pdf"), result, "pdf")


def _attachment(request: HttpRequest, response: HttpResponse, result: Reconciliation, extension: str) -> HttpResponse:
    """The file as a download; each person its differences name goes into the access log."""
    named = {d.id_no for d in result.differences if d.id_no}
    if named:
        persons = access.scoped(InsuredPerson.objects.filter(id_no__in=named), request.user, "village")
        access_log.record(
            request.user, persons.values_list("pk", flat=True), access_log.What.EXPORT, f"reconciliation.{extension}"
        )
    name = f"reconciliation-{result.region.code}-{result.start:%Y%m%d}-{result.end:%Y%m%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _tables(result: Reconciliation) -> tuple[list[list[Any]], list[list[Any]]]:
    """The figures and the differences as rows of cells, a header first; the same for CSV and XLSX."""
    figures: list[list[Any]] = [
        [
            _("Township code"),
            _("Township"),
            _("Kind"),
            _("Tax notices: count"),
            _("Tax notices: amount"),
            _("Notices naming a receivable: count"),
            _("Notices naming a receivable: amount"),
            _("Receivables paid: count"),
            _("Receivables paid: amount"),
            _("Ledger: count"),
            _("Ledger: amount"),
            _("Refunded without crediting: count"),
            _("Refunded without crediting: amount"),
            _("Differs"),
        ]
    ]
    for row in result.all_rows:
        figures.append(
            [
                row.township_code,
                row.label,
                row.kind_label if row.kind else _("All kinds"),
                row.tax.count,
                row.tax.amount,
                row.tax_with_receivable.count,
                row.tax_with_receivable.amount,
                row.receivables.count,
                row.receivables.amount,
                row.ledger.count,
                row.ledger.amount,
                row.returned.count,
                row.returned.amount,
                _("yes") if row.differs else "",
            ]
        )
    differences: list[list[Any]] = [
        [
            _("Township"),
            _("Kind"),
            _("Cause"),
            _("E-tax voucher"),
            _("Name"),
            _("Resident ID number"),
            _("Receivable"),
            _("Amount"),
            _("Paid or posted at"),
            _("Detail"),
        ]
    ]
    for d in result.differences:
        differences.append(
            [
                d.township_name,
                d.kind_label,
                d.label,
                d.voucher,
                d.person_name,
                mask_id_no(d.id_no),
                d.receivable_no,
                d.amount,
                formats.moment(d.paid_at) if d.paid_at else formats.day(d.day),
                d.detail,
            ]
        )
    return figures, differences


def _refund_table(result: Reconciliation) -> list[list[Any]]:
    """The period's refunds per township (notice 002 attachment 2 section 4), a header first."""
    table: list[list[Any]] = [
        [
            _("Township code"),
            _("Township"),
            _("From accounts to the applicants: count"),
            _("From accounts to the applicants: amount"),
            _("Returned to the fund: count"),
            _("Returned to the fund: amount"),
            _("From the unmatched queue: count"),
            _("From the unmatched queue: amount"),
            _("Paid out"),
        ]
    ]
    for r in result.refunds:
        table.append(
            [
                r.township_code,
                r.label,
                r.to_payee.count,
                r.to_payee.amount,
                r.to_fund.count,
                r.to_fund.amount,
                r.from_queue.count,
                r.from_queue.amount,
                r.paid_out.amount,
            ]
        )
    return table


def _bank_table(result: Reconciliation) -> list[list[Any]]:
    """Day by day, the bank statement of the fund's income account beside the tax notices and the
    ledger (notice 003 section 5(3)), a header first; a day no statement covers shows no bank figure."""
    table: list[list[Any]] = [
        [
            _("Day"),
            _("Bank: count"),
            _("Bank: amount"),
            _("Tax notices: count"),
            _("Tax notices: amount"),
            _("Ledger: count"),
            _("Ledger: amount"),
            _("Bank minus tax"),
            _("Differs"),
        ]
    ]
    for d in [*result.bank.days, result.bank.total]:
        covered = [d.bank.count, d.bank.amount, None] if d.covered else [_("not imported"), "", None]
        table.append(
            [
                formats.day(d.day) if d.day else _("Days imported"),
                covered[0],
                covered[1],
                d.tax.count,
                d.tax.amount,
                d.ledger.count,
                d.ledger.amount,
                d.difference if d.covered else "",
                _("yes") if d.differs else "",
            ]
        )
    return table


def _sheet(book: Workbook, title: str, table: list[list[Any]], flag_differing: bool = False) -> None:
    sheet = book.create_sheet(title)
    for line in table:
        sheet.append([safe_cell(c) for c in line])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    flag = PatternFill("solid", fgColor="FED7D7")
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if hasattr(cell.value, "as_tuple"):  # Decimal amounts
                cell.number_format = MONEY_FORMAT
        if flag_differing and line[-1].value:
            for cell in line:
                cell.fill = flag
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    sheet.freeze_panes = "A2"
