"""The summary form 补助/资助汇总表 (001 附件4): the figures on the page, and the form as a PDF or a
workbook. A county's (or a wider region's) is made by a worker while the page shows the progress."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from collective import jobs as collective_jobs
from collective import summary
from collective.forms import SummaryForm
from collective.plugin import COLLECTIVE_SUMMARY
from insured import access, jobs
from insured.models import Region
from insured.spreadsheets import XLSX_CONTENT_TYPE

# The levels whose summary is made in the background: a county has hundreds of villages.
BACKGROUND_LEVELS = (Region.Level.COUNTY, Region.Level.CITY, Region.Level.PROVINCE)


@access.capability_required(COLLECTIVE_SUMMARY)
@require_GET
def summary_page(request: HttpRequest) -> HttpResponse:
    form = SummaryForm(request.GET or None)
    result = None
    query = ""
    if form.is_bound and form.is_valid():
        wanted = form.to_filter()
        result = summary.summary_for(request.user, wanted)
        query = urlencode({k: v for k, v in wanted.as_params().items() if v not in ("", None)})
    return render(request, "collective/summary.html", {"form": form, "result": result, "query": query})


@access.capability_required(COLLECTIVE_SUMMARY)
@require_GET
def summary_download(request: HttpRequest, fmt: str) -> HttpResponse:
    form = SummaryForm(request.GET)
    if fmt not in ("pdf", "xlsx") or not form.is_valid():
        return render(request, "collective/summary.html", {"form": form, "result": None}, status=400)
    wanted = form.to_filter()
    if access.scope_region(request.user).level in BACKGROUND_LEVELS:
        job = jobs.job_create(
            kind=collective_jobs.SUMMARY, user=request.user, params={**wanted.as_params(), "format": fmt}, total=2
        )
        return redirect("insured:job-detail", pk=job.pk)
    from collective import pdf

    result = summary.summary_for(request.user, wanted)
    if fmt == "xlsx":
        response = HttpResponse(summary.summary_xlsx(result, printed_by=request.user), content_type=XLSX_CONTENT_TYPE)
    else:
        response = HttpResponse(pdf.summary_pdf(result, printed_by=request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="summary-{result.region.code}-{wanted.year}.{fmt}"'
    return response
