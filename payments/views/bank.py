"""The bank statements of the fund's income account 收入户 (003 五(三)): the list of those imported for
the user's county, the upload (row by row, whole or not at all; a long file in the background), and
the blank template. Reconciliation shows what they say (payments.reconciliation.bank)."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from insured import access, jobs
from insured.models import Region
from insured.spreadsheets import XLSX_CONTENT_TYPE, template
from payments import bank
from payments import jobs as payments_jobs
from payments.capabilities import BANK_STATEMENT_IMPORT, RECONCILIATION_VIEW
from payments.forms import BankStatementForm
from payments.models import BankStatement

ERRORS_ON_PAGE = 500
# A longer statement is checked and stored by a worker while the page shows the progress.
SYNC_LINES = 2000


def _page(request: HttpRequest, form: BankStatementForm | None = None, invalid: Any = None) -> HttpResponse:
    statements = access.scoped(BankStatement.objects.select_related("uploaded_by"), request.user, "region")
    sheet = invalid.error_sheet() if invalid is not None else None
    region = access.scope_region(request.user)
    context = {
        "page": Paginator(statements, 30).get_page(request.GET.get("page")),
        "form": form or BankStatementForm(),
        "may_import": access.has_capability(request.user, BANK_STATEMENT_IMPORT)
        and region is not None
        and region.level == Region.Level.COUNTY,
        "errors": invalid.errors[:ERRORS_ON_PAGE] if invalid is not None else [],
        "error_count": len(invalid.errors) if invalid is not None else 0,
        "errors_shown": ERRORS_ON_PAGE,
        "error_sheet": sheet,
        "error_sheet_url": _data_url(sheet) if sheet else "",
        "sync_lines": SYNC_LINES,
    }
    return render(request, "payments/bank_statements.html", context)


def _data_url(sheet: Any) -> str:
    """The error sheet travels inside the page: nothing of a refused file is kept on the server."""
    content_type = sheet.content_type.replace(" ", "")
    return f"data:{content_type};base64,{base64.b64encode(sheet.content).decode()}"


@access.capability_required(RECONCILIATION_VIEW)
@require_GET
def statement_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@access.capability_required(BANK_STATEMENT_IMPORT)
@require_POST
def statement_upload(request: HttpRequest) -> HttpResponse:
    region = access.scope_region(request.user)
    form = BankStatementForm(request.POST, request.FILES)
    if region is None or region.level != Region.Level.COUNTY:
        form.add_error(None, _("A bank statement is of a county's fund account: it is imported by the county's staff."))
    if not form.is_valid():
        return _page(request, form=form)
    upload = form.cleaned_data["file"]
    if upload.size > bank.LAYOUT.max_bytes:
        form.add_error("file", _("The file may be at most %(mb)s MB.") % {"mb": bank.LAYOUT.max_bytes >> 20})
        return _page(request, form=form)
    content, name = upload.read(), upload.name
    data = form.cleaned_data
    try:
        sheet = bank.statement_read(content, name)
        if len(sheet) > SYNC_LINES:
            job = jobs.job_create(
                kind=payments_jobs.BANK_STATEMENT,
                user=request.user,
                params={
                    "account": data["account"],
                    "start": data["start"].isoformat() if data["start"] else None,
                    "end": data["end"].isoformat() if data["end"] else None,
                },
                input_content=content,
                input_name=name,
                total=1,
            )
            return redirect("insured:job-detail", pk=job.pk)
        result = bank.statement_import(
            region=region,
            content=content,
            filename=name,
            user=request.user,
            account=data["account"],
            start=data["start"],
            end=data["end"],
        )
    except bank.StatementInvalid as invalid:
        return _page(request, form=form, invalid=invalid)
    statement = result.statement
    if result.created:
        messages.success(request, bank.imported_message(statement))
    else:
        messages.info(
            request, _("This file was imported before (%(name)s); nothing changed.") % {"name": statement.source_name}
        )
    return redirect(bank.reconciliation_url(statement))


@access.capability_required(RECONCILIATION_VIEW)
@require_GET
def statement_template(request: HttpRequest) -> HttpResponse:
    example = [[c.example for c in bank.LAYOUT.columns]]
    response = HttpResponse(template(bank.LAYOUT, example_rows=example), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="bank-statement-template.xlsx"'
    return response
