"""Coverage 应保尽保 (003 二(一), 六(三)): the counts per township and village with their rates, the
gap list and the reverse list (IDs masked on screen), their exports for the villages' follow-up
(whole IDs for the offices that visit the households, recorded), and the imports: a township's
household-registration extract, the departments' lists of students and of the employee scheme."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from insured import access, exports, jobs
from insured.models import Region
from insured.spreadsheets import XLSX_CONTENT_TYPE, template
from oversight import jobs as oversight_jobs
from oversight import layouts, lists
from oversight.forms import DepartmentListUploadForm, ExtractUploadForm
from oversight.plugin import COVERAGE_FULL_ID, COVERAGE_IMPORT, COVERAGE_VIEW
from oversight.selectors import coverage as selectors
from oversight.services import coverage as services
from oversight.views.common import shown_region, trail

ERRORS_ON_PAGE = 500
EXPORT_SYNC_ROWS = 5000
LISTS = ("gap", "reverse")


def _townships_for(user: Any) -> list[tuple[str, str]]:
    townships = access.scoped(Region.objects.filter(level=Region.Level.TOWNSHIP), user, "").order_by("code")
    return [(t.code, t.name) for t in townships]


def _may_import_lists(user: Any) -> bool:
    region = access.scope_region(user)
    return access.has_capability(user, COVERAGE_IMPORT) and region is not None and region.level == Region.Level.COUNTY


def _page(request: HttpRequest, region: Region, **extra: Any) -> HttpResponse:
    user = request.user
    importer = access.has_capability(user, COVERAGE_IMPORT)
    context = {
        "region": region,
        "trail": trail(user, region),
        "coverage": selectors.coverage_counts(region),
        "extracts": selectors.current_extracts(region),
        "lists": selectors.current_lists(region),
        "exports": selectors.recent_exports(region),
        "extract_form": ExtractUploadForm(townships=_townships_for(user)) if importer else None,
        "list_form": DepartmentListUploadForm() if _may_import_lists(user) else None,
        "full_ids": access.has_capability(user, COVERAGE_FULL_ID),
        "sync_rows": layouts.SYNC_ROWS,
        **extra,
    }
    if extra.get("invalid") is not None:
        sheet = extra["invalid"].error_sheet()
        context |= {
            "errors": extra["invalid"].errors[:ERRORS_ON_PAGE],
            "error_count": len(extra["invalid"].errors),
            "errors_shown": ERRORS_ON_PAGE,
            "error_sheet": sheet,
            "error_sheet_url": _data_url(sheet) if sheet else "",
        }
    return render(request, "oversight/coverage.html", context)


def _data_url(sheet: Any) -> str:
    """The error sheet travels inside the page: nothing of a refused file is kept on the server."""
    return f"data:{sheet.content_type.replace(' ', '')};base64,{base64.b64encode(sheet.content).decode()}"


@access.capability_required(COVERAGE_VIEW)
@require_GET
def coverage_page(request: HttpRequest) -> HttpResponse:
    return _page(request, shown_region(request))


@access.capability_required(COVERAGE_VIEW)
@require_GET
def gap_list(request: HttpRequest) -> HttpResponse:
    region = shown_region(request)
    records = access.scoped(selectors.gap_records(region, timezone.localdate()), request.user, "village")
    context = {
        "region": region,
        "trail": trail(request.user, region),
        "page": Paginator(records, 50).get_page(request.GET.get("page")),
        "today": timezone.localdate(),
        "full_ids": access.has_capability(request.user, COVERAGE_FULL_ID),
    }
    return render(request, "oversight/gap_list.html", context)


@access.capability_required(COVERAGE_VIEW)
@require_GET
def reverse_list(request: HttpRequest) -> HttpResponse:
    region = shown_region(request)
    persons = access.scoped(selectors.reverse_records(region), request.user, "village")
    context = {
        "region": region,
        "trail": trail(request.user, region),
        "page": Paginator(persons, 50).get_page(request.GET.get("page")),
        "full_ids": access.has_capability(request.user, COVERAGE_FULL_ID),
    }
    return render(request, "oversight/reverse_list.html", context)


@access.capability_required(COVERAGE_VIEW)
@require_GET
def list_export(request: HttpRequest, kind: str) -> HttpResponse:
    """A list as a spreadsheet: masked IDs for anyone who sees the list, whole IDs for the offices that
    follow it up (COVERAGE_FULL_ID). Either way the export and whom it names are recorded."""
    if kind not in LISTS:
        raise Http404
    region = shown_region(request)
    full_ids = request.GET.get("ids") == "full"
    if full_ids and not access.has_capability(request.user, COVERAGE_FULL_ID):
        raise PermissionDenied
    count = oversight_jobs.list_rows(request.user, region, kind).count()
    params = {"region": region.code, "kind": kind, "full_ids": full_ids}
    if count > EXPORT_SYNC_ROWS:
        job = jobs.job_create(kind=oversight_jobs.LIST_EXPORT, user=request.user, params=params, total=count)
        return redirect("insured:job-detail", pk=job.pk)
    content, filename = oversight_jobs.list_export(request.user, region, kind, full_ids=full_ids)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@access.capability_required(COVERAGE_IMPORT)
@require_POST
def extract_upload(request: HttpRequest) -> HttpResponse:
    region = access.scope_region(request.user)
    form = ExtractUploadForm(request.POST, request.FILES, townships=_townships_for(request.user))
    if not form.is_valid():
        return _page(request, region, extract_form=form)
    township = access.scoped_get(
        Region.objects.filter(level=Region.Level.TOWNSHIP), request.user, "", code=form.cleaned_data["township"]
    )
    upload = form.cleaned_data["file"]
    content, name, data_date = upload.read(), upload.name, form.cleaned_data["data_date"]
    try:
        sheet = services.extract_read(content, name)
        if len(sheet) > layouts.SYNC_ROWS:
            job = jobs.job_create(
                kind=oversight_jobs.EXTRACT_IMPORT,
                user=request.user,
                params={"township": township.code, "data_date": data_date.isoformat()},
                input_content=content,
                input_name=name,
                total=len(sheet),
            )
            return redirect("insured:job-detail", pk=job.pk)
        result = services.extract_import(
            township=township, content=content, filename=name, user=request.user, data_date=data_date, sheet=sheet
        )
    except services.ListInvalid as invalid:
        return _page(request, region, extract_form=form, invalid=invalid)
    messages.success(request, oversight_jobs.extract_message(result))
    return redirect(f"{reverse('oversight:coverage')}?region={township.code}")


@access.capability_required(COVERAGE_IMPORT)
@require_POST
def department_list_upload(request: HttpRequest) -> HttpResponse:
    region = access.scope_region(request.user)
    if not _may_import_lists(request.user):
        raise PermissionDenied
    form = DepartmentListUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, region, list_form=form)
    upload = form.cleaned_data["file"]
    data = form.cleaned_data
    content, name = upload.read(), upload.name
    params = {"kind": data["kind"], "department": data["department"], "data_date": data["data_date"].isoformat()}
    try:
        sheet = services.department_list_read(content, name)
        if len(sheet) > layouts.SYNC_ROWS:
            job = jobs.job_create(
                kind=oversight_jobs.LIST_IMPORT,
                user=request.user,
                params=params,
                input_content=content,
                input_name=name,
                total=len(sheet),
            )
            return redirect("insured:job-detail", pk=job.pk)
        result = services.department_list_import(
            county=region,
            kind=data["kind"],
            department=data["department"],
            content=content,
            filename=name,
            user=request.user,
            data_date=data["data_date"],
            sheet=sheet,
        )
    except services.ListInvalid as invalid:
        return _page(request, region, list_form=form, invalid=invalid)
    messages.success(request, oversight_jobs.list_message(result))
    return redirect("oversight:coverage")


@access.capability_required(COVERAGE_VIEW)
@require_GET
def upload_template(request: HttpRequest, which: str) -> HttpResponse:
    layout = {"extract": layouts.EXTRACT, "list": layouts.DEPARTMENT_LIST}.get(which)
    if layout is None:
        raise Http404
    example = [[c.example for c in layout.columns]]
    response = HttpResponse(template(layout, example_rows=example), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{which}-template.xlsx"'
    return response


@access.capability_required(COVERAGE_VIEW)
@require_GET
def coverage_export(request: HttpRequest) -> HttpResponse:
    """The counts table as a file (insured.exports); it names no one."""
    region = shown_region(request)
    back = f"{reverse('oversight:coverage')}?region={region.code}"
    return exports.export(request, lists.COVERAGE, {"region": region.code}, back)
