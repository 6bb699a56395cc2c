"""Collection's pages: the departments' special-group lists (import, the difference each made), the
township 台账 (003 二(一)), and the government-paid contributions still unpaid (003 二(二)). Each view
parses, authorises, calls one service or selector and renders; every query is cut to the user's
region, IDs masked."""

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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collection import jobs as collection_jobs
from collection import layouts, lists, selectors, services
from collection.capabilities import GROUPS_IMPORT, GROUPS_VIEW
from collection.forms import GroupListUploadForm, LedgerForm, OutcomeFilterForm
from collection.models import GroupListRow
from insured import access, exports, jobs
from insured.models import Region
from insured.spreadsheets import XLSX_CONTENT_TYPE, template

PAGE_SIZE = 50
ERRORS_ON_PAGE = 500


def _may_import(user: Any) -> bool:
    region = access.scope_region(user)
    return access.has_capability(user, GROUPS_IMPORT) and region is not None and region.level == Region.Level.COUNTY


def _home(request: HttpRequest, **extra: Any) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    region = access.scope_region(user)
    context = {
        "lists": selectors.lists_for(user)[:24],
        "townships": selectors.townships_for(user),
        "form": GroupListUploadForm() if _may_import(user) else None,
        "standing": selectors.gov_paid_standing(user, region, today.year, today),
        "may_generate": _may_import(user),
        "sync_rows": layouts.SYNC_ROWS,
        **extra,
    }
    return render(request, "collection/home.html", context)


@access.capability_required(GROUPS_VIEW)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _home(request)


def _data_url(sheet: Any) -> str:
    return f"data:{sheet.content_type.replace(' ', '')};base64,{base64.b64encode(sheet.content).decode()}"


@access.capability_required(GROUPS_IMPORT)
@require_POST
def list_upload(request: HttpRequest) -> HttpResponse:
    if not _may_import(request.user):
        raise PermissionDenied
    county = access.scope_region(request.user)
    form = GroupListUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _home(request, form=form)
    data = form.cleaned_data
    content, name = data["file"].read(), data["file"].name
    try:
        sheet = services.group_list_read(content, name)
        if len(sheet) > layouts.SYNC_ROWS:
            params = {"department": data["department"], "list_month": data["list_month"].isoformat()}
            job = jobs.job_create(
                kind=collection_jobs.LIST_IMPORT,
                user=request.user,
                params=params,
                input_content=content,
                input_name=name,
                total=len(sheet),
            )
            return redirect("insured:job-detail", pk=job.pk)
        result = services.group_list_import(
            county=county,
            list_month=data["list_month"],
            department=data["department"],
            content=content,
            filename=name,
            user=request.user,
            sheet=sheet,
        )
    except services.ListInvalid as invalid:
        error_sheet = invalid.error_sheet()
        return _home(
            request,
            form=form,
            errors=invalid.errors[:ERRORS_ON_PAGE],
            error_count=len(invalid.errors),
            errors_shown=min(len(invalid.errors), ERRORS_ON_PAGE),
            error_sheet=error_sheet,
            error_sheet_url=_data_url(error_sheet) if error_sheet else "",
        )
    messages.success(request, collection_jobs.import_message(result))
    return redirect("collection:list-detail", pk=result.group_list.pk)


@access.capability_required(GROUPS_VIEW)
@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The difference an import made: new members, members who left, unchanged, and the persons
    listed for follow-up (not enrolled, not local, dead, in the employee scheme)."""
    group_list = selectors.lists_for(request.user).filter(pk=pk).first()
    if group_list is None:
        raise Http404
    filters = OutcomeFilterForm(request.GET)
    outcome = filters.cleaned_data["outcome"] if filters.is_valid() else ""
    rows = selectors.difference_rows(request.user, group_list, outcome or None)
    counts = selectors.outcome_counts(selectors.rows_for(request.user, group_list.rows.all()))
    context = {
        "group_list": group_list,
        "filters": filters,
        "outcome": outcome,
        "counts": [
            (value, label, counts[value], value in GroupListRow.FOLLOW_UP and counts[value] > 0)
            for value, label in GroupListRow.Outcome.choices
        ],
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "collection/list_detail.html", context)


@access.capability_required(GROUPS_VIEW)
@require_GET
def township_ledger(request: HttpRequest) -> HttpResponse:
    """003 二(一) 政府代缴"五类"人员工作台账: a township's members by group and what the month's lists
    said of its people, with the people behind each count."""
    townships = list(selectors.townships_for(request.user))
    if not townships:
        raise Http404
    months = selectors.list_months(request.user)
    data = request.GET.copy()
    data.setdefault("township", townships[0].code)
    form = LedgerForm(data, townships=[(t.code, t.name) for t in townships], months=months)
    if not form.is_valid():
        form = LedgerForm(
            {"township": townships[0].code}, townships=[(t.code, t.name) for t in townships], months=months
        )
        form.is_valid()
    township = next(t for t in townships if t.code == form.cleaned_data["township"])
    month, outcome = form.cleaned_data.get("month"), form.cleaned_data.get("outcome") or None
    today = timezone.localdate()
    context = {
        "form": form,
        "township": township,
        "month": month,
        "outcome": outcome,
        "ledger": selectors.township_ledger(township, month, today),
        "outcomes": GroupListRow.Outcome.choices,
        "page": Paginator(selectors.ledger_rows(township, month, outcome), PAGE_SIZE).get_page(request.GET.get("page")),
        "today": today,
    }
    return render(request, "collection/ledger.html", context)


@access.capability_required(GROUPS_VIEW)
@require_GET
def gov_paid(request: HttpRequest) -> HttpResponse:
    """The government-paid contributions of the year not yet paid, as the deadline approaches."""
    today = timezone.localdate()
    region = access.scope_region(request.user)
    context = {
        "standing": selectors.gov_paid_standing(request.user, region, today.year, today),
        "page": Paginator(selectors.gov_paid_unpaid(request.user, today.year), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
        "may_generate": _may_import(request.user),
    }
    return render(request, "collection/gov_paid.html", context)


@access.capability_required(GROUPS_IMPORT)
@require_POST
def gov_paid_generate(request: HttpRequest) -> HttpResponse:
    """动态清零、应代尽代: a receivable for every member the year pays for and has not yet."""
    if not _may_import(request.user):
        raise PermissionDenied
    year = timezone.localdate().year
    made = services.gov_paid_generate(county=access.scope_region(request.user), year=year, user=request.user)
    messages.success(
        request,
        _("%(n)s government-paid receivables of %(year)s were made; they go to tax with the next export.")
        % {"n": made, "year": year},
    )
    return redirect("collection:gov-paid")


@access.capability_required(GROUPS_VIEW)
@require_GET
def upload_template(request: HttpRequest) -> HttpResponse:
    example = [[c.example for c in layouts.GROUP_LIST.columns]]
    response = HttpResponse(template(layouts.GROUP_LIST, example_rows=example), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="special-group-list-template.xlsx"'
    return response


@access.capability_required(GROUPS_VIEW)
@require_GET
def list_export(request: HttpRequest, pk: int) -> HttpResponse:
    back = reverse("collection:list-detail", args=[pk])
    return exports.export(request, lists.DIFFERENCE, {**request.GET.dict(), "list": pk}, back)


@access.capability_required(GROUPS_VIEW)
@require_GET
def ledger_export(request: HttpRequest) -> HttpResponse:
    back = f"{reverse('collection:ledger')}?{request.GET.urlencode()}"
    return exports.export(request, lists.LEDGER, request.GET.dict(), back)


@access.capability_required(GROUPS_VIEW)
@require_GET
def gov_paid_export(request: HttpRequest) -> HttpResponse:
    return exports.export(request, lists.UNPAID, {}, reverse("collection:gov-paid"))
