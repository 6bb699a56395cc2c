"""The weekly reports 周报 of the user's county (003 六(二)): the list with both files to download, and
a week's report made on demand in the background (insured.jobs). County staff only: a township or a
village reads its progress on the progress page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from insured import access, jobs
from insured.models import Region
from oversight import jobs as oversight_jobs
from oversight.forms import WeekForm
from oversight.models import WeeklyReport
from oversight.plugin import REPORT_MAKE, REPORT_VIEW

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _reports(request: HttpRequest):
    return access.scoped(WeeklyReport.objects.select_related("county", "made_by"), request.user, "county")


def _county(request: HttpRequest) -> Region | None:
    region = access.scope_region(request.user)
    return region if region is not None and region.level == Region.Level.COUNTY else None


def _list(request: HttpRequest, form: WeekForm | None = None) -> HttpResponse:
    context = {
        "page": Paginator(_reports(request), 30).get_page(request.GET.get("page")),
        "form": form or WeekForm(),
        "may_make": access.has_capability(request.user, REPORT_MAKE) and _county(request) is not None,
    }
    return render(request, "oversight/report_list.html", context)


@access.capability_required(REPORT_VIEW)
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@access.capability_required(REPORT_MAKE)
@require_POST
def report_make(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    form = WeekForm(request.POST, today=timezone.localdate())
    if county is None:  # the report is a county's: its staff make it
        raise Http404
    if not form.is_valid():
        return _list(request, form)
    job = jobs.job_create(
        kind=oversight_jobs.WEEKLY_REPORT,
        user=request.user,
        params={"county": county.code, "week_start": form.cleaned_data["day"].isoformat()},
        total=2,
    )
    return redirect("insured:job-detail", pk=job.pk)


@access.capability_required(REPORT_VIEW)
@require_GET
def report_download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    report = access.scoped_get(_reports(request), request.user, "county", pk=pk)
    stored = getattr(report, fmt)
    if not stored:
        raise Http404
    name = f"周报-{report.county.name}-{report.week_start:%Y%m%d}.{fmt}"
    return FileResponse(stored.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt])
