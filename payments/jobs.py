"""The background jobs of payments (insured.jobs): a long bank statement checked and stored."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insured import jobs
from insured.models import Job
from payments import bank

BANK_STATEMENT = "payments.bank_statement"
ERRORS_SHOWN = 200


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def run_bank_statement(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    progress(0, 1)
    try:
        result = bank.statement_import(
            region=job.region,
            content=jobs.input_bytes(job),
            filename=job.input_name,
            user=job.requested_by,
            account=job.params.get("account") or "",
            start=_day(job.params.get("start")),
            end=_day(job.params.get("end")),
        )
    except bank.StatementInvalid as invalid:
        sheet = invalid.error_sheet()
        return jobs.JobResult(
            message=_("The statement has %(n)s errors; nothing was saved.") % {"n": len(invalid.errors)},
            content=sheet.content if sheet else None,
            filename=sheet.filename if sheet else "",
            content_type=sheet.content_type if sheet else "",
            data={
                "errors": [e.as_dict() for e in invalid.errors[:ERRORS_SHOWN]],
                "errors_shown": min(len(invalid.errors), ERRORS_SHOWN),
                "error_count": len(invalid.errors),
            },
        )
    progress(1, 1)
    statement = result.statement
    message = (
        bank.imported_message(statement)
        if result.created
        else _("This file was imported before (%(name)s); nothing changed.") % {"name": statement.source_name}
    )
    return jobs.JobResult(
        message=message,
        data={"url": bank.reconciliation_url(statement), "url_label": _("Open the reconciliation")},
    )


KINDS = (jobs.JobKind(BANK_STATEMENT, gettext_lazy("Bank statement import"), run_bank_statement),)
