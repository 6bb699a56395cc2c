"""The background jobs of collection (insured.jobs): a long department list checked and applied with
its progress. Each reads in the scope of the user who asked and calls one service."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collection import services
from insured import jobs
from insured.models import Job, Region

LIST_IMPORT = "collection.list_import"
ERRORS_SHOWN = 200


def import_message(result: services.ImportResult) -> str:
    listed = result.group_list
    if not result.created:
        return _("This file was imported before (%(name)s); nothing changed.") % {"name": listed.source_name}
    return _(
        "The list of %(department)s for %(month)s is imported: %(new)s new, %(left)s left, %(unchanged)s "
        "unchanged, %(follow)s to follow up; %(made)s government-paid receivables made."
    ) % {
        "department": listed.department,
        "month": f"{listed.list_month:%Y-%m}",
        "new": listed.new_count,
        "left": listed.left_count,
        "unchanged": listed.unchanged_count,
        "follow": listed.follow_up_count,
        "made": result.generated,
    }


def run_list_import(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    if job.region.level != Region.Level.COUNTY:
        raise ValueError("a special-group list is imported by the county's staff")
    try:
        result = services.group_list_import(
            county=job.region,
            list_month=dt.date.fromisoformat(job.params["list_month"]),
            department=job.params["department"],
            content=jobs.input_bytes(job),
            filename=job.input_name,
            user=job.requested_by,
            progress=progress,
        )
    except services.ListInvalid as invalid:
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
                "url": reverse("collection:home"),
                "url_label": _("Back to the special groups"),
            },
        )
    url = reverse("collection:list-detail", args=[result.group_list.pk])
    return jobs.JobResult(message=import_message(result), data={"url": url, "url_label": _("Open the difference")})


KINDS = (jobs.JobKind(LIST_IMPORT, gettext_lazy("Special-group list import"), run_list_import),)
