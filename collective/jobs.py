"""The background jobs of collective subsidy (insured.jobs): a large roster checked and saved, the
county's summary form made, a long roster printed. Each reads what it needs through the selectors,
in the scope of the user who asked, and calls one service."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collective import selectors, services, summary
from insured import jobs
from insured.models import Job
from insured.printing.sheets import print_sheets
from insured.spreadsheets import XLSX_CONTENT_TYPE

ROSTER_UPLOAD = "collective.roster_upload"
SUMMARY = "collective.summary"
ROSTER_PDF = "collective.roster_pdf"
ERRORS_SHOWN = 200


def run_roster_upload(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    filing = selectors.filing_get(job.requested_by, job.params["filing_id"])
    content = jobs.input_bytes(job)
    progress(0, 1)
    sheet = services.roster_read(content, job.input_name)
    progress(0, len(sheet))
    try:
        result = services.roster_upload(
            filing, content, job.input_name, user=job.requested_by, progress=progress, sheet=sheet
        )
    except services.RosterInvalid as invalid:
        sheet_file = invalid.error_sheet()
        return jobs.JobResult(
            message=_(
                "The list has %(n)s errors; nothing was saved. Download the list with its errors, correct it "
                "and upload it again."
            )
            % {"n": len(invalid.errors)},
            content=sheet_file.content if sheet_file else None,
            filename=sheet_file.filename if sheet_file else "",
            content_type=sheet_file.content_type if sheet_file else "",
            data={
                "errors": [e.as_dict() for e in invalid.errors[:ERRORS_SHOWN]],
                "errors_shown": min(len(invalid.errors), ERRORS_SHOWN),
                "error_count": len(invalid.errors),
                "url": reverse("collective:filing-detail", args=[filing.pk]),
                "url_label": _("Back to the filing"),
            },
        )
    roster = result.roster
    return jobs.JobResult(
        message=_(
            "All %(count)s rows passed; the roster is saved with a total of %(total)s yuan. Submit it from its page."
        )
        % {"count": result.count, "total": f"{result.total:,.2f}"},
        data={
            "roster_id": roster.pk,
            "count": result.count,
            "total": f"{result.total:.2f}",
            "url": reverse("collective:roster-detail", args=[roster.pk]),
            "url_label": _("Open the roster"),
        },
    )


def run_summary(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    from collective import pdf

    wanted = summary.SummaryFilter.from_params(job.params)
    progress(0, 2)
    result = summary.summary_for(job.requested_by, wanted)
    progress(1, 2)
    if job.params.get("format") == "xlsx":
        content, filename, content_type = (
            summary.summary_xlsx(result, printed_by=job.requested_by),
            "xlsx",
            XLSX_CONTENT_TYPE,
        )
    else:
        printed = print_sheets([pdf.summary_sheet(result)], user=job.requested_by, job=job)
        content, filename, content_type = printed.content, "pdf", "application/pdf"
    progress(2, 2)
    return jobs.JobResult(
        message=_("The summary covers %(lines)s villages, %(count)s persons and %(total)s yuan.")
        % {"lines": len(result.lines), "count": result.count, "total": f"{result.total:,.2f}"},
        content=content,
        filename=f"{result.filename_stem}.{filename}",
        content_type=content_type,
        data={"lines": len(result.lines), "count": result.count, "total": f"{result.total:.2f}"},
    )


def run_roster_pdf(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    from collective import pdf

    roster = selectors.roster_get(job.requested_by, job.params["roster_id"])
    form = job.params["form"]
    progress(0, 1)
    # Recorded in the print log (and the persons it names in the access log) as this job's.
    content = print_sheets([pdf.FORMS[form].sheet(roster)], user=job.requested_by, job=job).content
    progress(1, 1)
    return jobs.JobResult(
        message=_("The form is ready."),
        content=content,
        filename=f"{roster.number}-{form}.pdf",
        content_type="application/pdf",
        data={"url": reverse("collective:roster-detail", args=[roster.pk]), "url_label": _("Back to the roster")},
    )


KINDS = (
    jobs.JobKind(ROSTER_UPLOAD, gettext_lazy("Roster check"), run_roster_upload),
    jobs.JobKind(SUMMARY, gettext_lazy("Subsidy summary form"), run_summary),
    jobs.JobKind(ROSTER_PDF, gettext_lazy("Roster form"), run_roster_pdf),
)
