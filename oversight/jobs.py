"""The background jobs of oversight (insured.jobs): a long extract or department list checked and
stored, a long follow-up list exported, a week's report made on demand. Each reads in the scope of
the user who asked and calls one service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insured import access, jobs
from insured.models import Job, Region
from insured.spreadsheets import XLSX_CONTENT_TYPE
from oversight import exports
from oversight.models import CoverageExport, DepartmentList
from oversight.selectors import coverage as selectors
from oversight.services import coverage as services

EXTRACT_IMPORT = "oversight.extract_import"
LIST_IMPORT = "oversight.list_import"
LIST_EXPORT = "oversight.list_export"
WEEKLY_REPORT = "oversight.weekly_report"
ERRORS_SHOWN = 200


# --- What the pages and the jobs share ----------------------------------------------------------------


def list_rows(user: Any, region: Region, kind: str) -> QuerySet:
    """The rows of a follow-up list the user may see in the region."""
    if kind == CoverageExport.Kind.GAP:
        return access.scoped(selectors.gap_records(region, timezone.localdate()), user, "village")
    return access.scoped(selectors.reverse_records(region), user, "village")


def list_export(user: Any, region: Region, kind: str, *, full_ids: bool) -> tuple[bytes, str]:
    """The list as a spreadsheet, its export recorded with whom it names."""
    rows = list(list_rows(user, region, kind))
    if kind == CoverageExport.Kind.GAP:
        content = exports.gap_xlsx(rows, full_ids=full_ids, today=timezone.localdate())
        services.export_record(user=user, kind=kind, region=region, full_ids=full_ids, record_ids=[r.pk for r in rows])
    else:
        content = exports.reverse_xlsx(rows, full_ids=full_ids)
        services.export_record(user=user, kind=kind, region=region, full_ids=full_ids, person_ids=[p.pk for p in rows])
    return content, f"{kind}-{region.code}-{timezone.localdate():%Y%m%d}.xlsx"


def extract_message(result: services.ImportResult) -> str:
    extract = result.extract
    if not result.created:
        return _("This file was imported before (%(name)s); nothing changed.") % {"name": extract.source_name}
    return _(
        "The extract of %(township)s is imported: %(rows)s residents, %(moved)s moved away, %(dead)s dead. "
        "The counts and lists below are worked out from it."
    ) % {
        "township": extract.township.name,
        "rows": extract.row_count,
        "moved": extract.moved_count,
        "dead": extract.dead_count,
    }


def list_message(result: services.ImportResult) -> str:
    listed = result.department_list
    if not result.created:
        return _("This file was imported before (%(name)s); nothing changed.") % {"name": listed.source_name}
    return _("The list of %(kind)s from %(department)s is imported: %(rows)s persons.") % {
        "kind": listed.get_kind_display(),
        "department": listed.department,
        "rows": listed.row_count,
    }


def _refused(invalid: services.ListInvalid) -> jobs.JobResult:
    sheet = invalid.error_sheet()
    return jobs.JobResult(
        message=_(
            "The list has %(n)s errors; nothing was saved. Download the list with its errors, correct it "
            "and upload it again."
        )
        % {"n": len(invalid.errors)},
        content=sheet.content if sheet else None,
        filename=sheet.filename if sheet else "",
        content_type=sheet.content_type if sheet else "",
        data={
            "errors": [e.as_dict() for e in invalid.errors[:ERRORS_SHOWN]],
            "errors_shown": min(len(invalid.errors), ERRORS_SHOWN),
            "error_count": len(invalid.errors),
            "url": reverse("oversight:coverage"),
            "url_label": _("Back to coverage"),
        },
    )


# --- The jobs ------------------------------------------------------------------------------------------


def run_extract_import(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    user = job.requested_by
    township = access.scoped_get(
        Region.objects.filter(level=Region.Level.TOWNSHIP), user, "", code=job.params["township"]
    )
    try:
        result = services.extract_import(
            township=township,
            content=jobs.input_bytes(job),
            filename=job.input_name,
            user=user,
            data_date=dt.date.fromisoformat(job.params["data_date"]),
            progress=progress,
        )
    except services.ListInvalid as invalid:
        return _refused(invalid)
    url = f"{reverse('oversight:coverage')}?region={township.code}"
    return jobs.JobResult(message=extract_message(result), data={"url": url, "url_label": _("Open coverage")})


def run_list_import(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    if job.region.level != Region.Level.COUNTY or job.params.get("kind") not in DepartmentList.Kind.values:
        raise ValueError("a department list is imported by the county's staff")
    try:
        result = services.department_list_import(
            county=job.region,
            kind=job.params["kind"],
            department=job.params["department"],
            content=jobs.input_bytes(job),
            filename=job.input_name,
            user=job.requested_by,
            data_date=dt.date.fromisoformat(job.params["data_date"]),
            progress=progress,
        )
    except services.ListInvalid as invalid:
        return _refused(invalid)
    return jobs.JobResult(
        message=list_message(result), data={"url": reverse("oversight:coverage"), "url_label": _("Open coverage")}
    )


def run_list_export(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    user = job.requested_by
    region = access.scoped_get(Region.objects.all(), user, "", code=job.params["region"])
    progress(0, job.total or 1)
    content, filename = list_export(user, region, job.params["kind"], full_ids=bool(job.params.get("full_ids")))
    return jobs.JobResult(
        message=_("The list is ready to download."),
        content=content,
        filename=filename,
        content_type=XLSX_CONTENT_TYPE,
    )


def run_weekly_report(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    from oversight.services import reports

    county = access.scoped_get(
        Region.objects.filter(level=Region.Level.COUNTY), job.requested_by, "", code=job.params["county"]
    )
    progress(0, 2)
    report = reports.weekly_report_make(county, dt.date.fromisoformat(job.params["week_start"]), user=job.requested_by)
    progress(2, 2)
    return jobs.JobResult(
        message=_("The report of the week from %(day)s is made.") % {"day": report.week_start.isoformat()},
        data={"url": reverse("oversight:report-list"), "url_label": _("Open the weekly reports")},
    )


KINDS = (
    jobs.JobKind(EXTRACT_IMPORT, gettext_lazy("Household-registration extract import"), run_extract_import),
    jobs.JobKind(LIST_IMPORT, gettext_lazy("Department list import"), run_list_import),
    jobs.JobKind(LIST_EXPORT, gettext_lazy("Follow-up list export"), run_list_export),
    jobs.JobKind(WEEKLY_REPORT, gettext_lazy("Weekly report"), run_weekly_report),
)
