"""The home page, organisations and their virtual unit code, the year's plan, social sponsorships,
and the upload of a roster under a filing."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from collective import jobs as collective_jobs
from collective import rosters, selectors, services
from collective.forms import OrganisationForm, PlanForm, RosterFilterForm, SponsorForm, UploadForm, VirtualUnitForm
from collective.models import Filing, Organisation, Roster
from collective.plugin import (
    COLLECTIVE_FILE,
    COLLECTIVE_REVIEW,
    COLLECTIVE_VIEW,
    COLLECTIVE_VIRTUAL_UNIT,
    SOCIAL_ENTER,
)
from collective.views.common import may_file, require_filer
from insured import access, jobs
from insured.forms import add_rule_error
from insured.rules import RuleViolation
from insured.spreadsheets import XLSX_CONTENT_TYPE, template

ERRORS_ON_PAGE = 500


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    status_form = RosterFilterForm(request.GET or None)
    status = status_form.cleaned_data["status"] if status_form.is_valid() else ""
    roster_list = selectors.rosters_for(user).exclude(status=Roster.Status.DISCARDED)
    if status:
        roster_list = roster_list.filter(status=status)
    context = {
        "queue": selectors.review_queue(user) if access.has_capability(user, COLLECTIVE_REVIEW) else None,
        "organisations": selectors.organisations_for(user)[:200],
        "filings": selectors.filings_for(user)[:200],
        "page": Paginator(roster_list, 50).get_page(request.GET.get("page")),
        "status": status,
        "status_form": status_form,
        "statuses": Roster.Status.choices,
        "today": timezone.localdate(),
    }
    return render(request, "collective/home.html", context)


# --- Organisations -----------------------------------------------------------------------------------


@access.capability_required(COLLECTIVE_FILE)
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None, scope=access.scope_region(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_register(form.to_input(), user=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "%(name)s is registered. The county agency records its virtual unit code once tax has set it up; "
                    "then the plan can be filed."
                )
                % {"name": organisation.name},
            )
            return redirect("collective:organisation-detail", pk=organisation.pk)
    return render(request, "collective/organisation_form.html", {"form": form, "organisation": None})


@access.capability_required(COLLECTIVE_FILE)
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_get(request.user, pk)
    form = OrganisationForm(
        request.POST or None, scope=access.scope_region(request.user), initial=OrganisationForm.initial_of(organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(organisation, form.to_input(), user=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("collective:organisation-detail", pk=organisation.pk)
    return render(request, "collective/organisation_form.html", {"form": form, "organisation": organisation})


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_get(request.user, pk)
    context = {
        "organisation": organisation,
        "filings": selectors.filings_for(request.user).filter(organisation=organisation),
        "virtual_unit_form": VirtualUnitForm(initial={"code": organisation.virtual_unit_code}),
        "may_record": access.has_capability(request.user, COLLECTIVE_VIRTUAL_UNIT),
        "may_file": access.has_capability(request.user, COLLECTIVE_FILE),
        "history": selectors.history_of(organisation, Organisation, _("organisation")),
        "year": timezone.localdate().year,
    }
    return render(request, "collective/organisation_detail.html", context)


@access.capability_required(COLLECTIVE_VIRTUAL_UNIT)
@require_POST
def organisation_virtual_unit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_get(request.user, pk)
    form = VirtualUnitForm(request.POST)
    code = form.cleaned_data["code"] if form.is_valid() else ""
    try:
        services.organisation_record_virtual_unit(organisation, code=code, user=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The virtual unit code is recorded; the organisation may file."))
    return redirect("collective:organisation-detail", pk=organisation.pk)


# --- Plans and social sponsorships ---------------------------------------------------------------------


@access.capability_required(COLLECTIVE_FILE)
@require_http_methods(["GET", "POST"])
def filing_create(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_get(request.user, pk)
    form = PlanForm(request.POST or None, request.FILES or None, year=timezone.localdate().year)
    if request.method == "POST" and form.is_valid():
        try:
            filing = services.filing_create(organisation, form.to_input(), user=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("The plan %(number)s is filed; upload the roster under it.") % {"number": filing.number}
            )
            return redirect("collective:filing-detail", pk=filing.pk)
    context = {"form": form, "organisation": organisation, "filing": None, "blocked": not organisation.can_file}
    return render(request, "collective/plan_form.html", context)


@access.capability_required(COLLECTIVE_FILE)
@require_http_methods(["GET", "POST"])
def filing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    filing = selectors.filing_get(request.user, pk)
    if filing.kind != Filing.Kind.COLLECTIVE:
        raise Http404
    form = PlanForm(request.POST or None, request.FILES or None, year=filing.year, initial=PlanForm.initial_of(filing))
    if request.method == "POST" and form.is_valid():
        try:
            services.filing_update(filing, form.to_input(), user=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("collective:filing-detail", pk=filing.pk)
    context = {"form": form, "organisation": filing.organisation, "filing": filing, "blocked": False}
    return render(request, "collective/plan_form.html", context)


@access.capability_required(SOCIAL_ENTER)
@require_http_methods(["GET", "POST"])
def social_create(request: HttpRequest) -> HttpResponse:
    form = SponsorForm(request.POST or None, year=timezone.localdate().year)
    if request.method == "POST" and form.is_valid():
        try:
            filing = services.social_filing_create(
                form.to_input(), user=request.user, agency_region=access.scope_region(request.user)
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("The sponsorship %(number)s is entered; upload its roster.") % {"number": filing.number}
            )
            return redirect("collective:filing-detail", pk=filing.pk)
    return render(request, "collective/social_form.html", {"form": form})


def _filing_page(
    request: HttpRequest, filing: Filing, *, form: UploadForm | None = None, invalid: Any = None
) -> HttpResponse:
    error_sheet = invalid.error_sheet() if invalid is not None else None
    context = {
        "filing": filing,
        "rosters": selectors.rosters_for(request.user).filter(filing=filing).exclude(status=Roster.Status.DISCARDED),
        "totals": selectors.filing_totals(filing),
        "upload_form": form or UploadForm(),
        "may_file": may_file(request.user, filing),
        "errors": invalid.errors[:ERRORS_ON_PAGE] if invalid is not None else [],
        "error_count": len(invalid.errors) if invalid is not None else 0,
        "errors_shown": ERRORS_ON_PAGE,
        "error_sheet": error_sheet,
        "error_sheet_url": _data_url(error_sheet) if error_sheet else "",
        "history": selectors.history_of(filing, Filing, _("filing")),
        "sync_rows": rosters.SYNC_ROWS,
    }
    return render(request, "collective/filing_detail.html", context)


def _data_url(sheet: Any) -> str:
    """The error sheet travels inside the page: nothing of a file with errors is kept on the server."""
    content_type = sheet.content_type.replace(" ", "")
    return f"data:{content_type};base64,{base64.b64encode(sheet.content).decode()}"


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _filing_page(request, selectors.filing_get(request.user, pk))


@access.capability_required(COLLECTIVE_VIEW)
@require_POST
def filing_upload(request: HttpRequest, pk: int) -> HttpResponse:
    filing = selectors.filing_get(request.user, pk)
    require_filer(request.user, filing)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _filing_page(request, filing, form=form)
    upload = form.cleaned_data["file"]
    if upload.size > rosters.LAYOUT.max_bytes:
        form.add_error("file", _("The file may be at most %(mb)s MB.") % {"mb": rosters.LAYOUT.max_bytes >> 20})
        return _filing_page(request, filing, form=form)
    content, name = upload.read(), upload.name
    try:
        sheet = services.roster_read(content, name)
        if len(sheet) > rosters.SYNC_ROWS:
            # A long list is checked by a worker while the page shows the progress.
            job = jobs.job_create(
                kind=collective_jobs.ROSTER_UPLOAD,
                user=request.user,
                params={"filing_id": filing.pk},
                input_content=content,
                input_name=name,
                total=len(sheet),
            )
            return redirect("insured:job-detail", pk=job.pk)
        result = services.roster_upload(filing, content, name, user=request.user, sheet=sheet)
    except services.RosterInvalid as invalid:
        return _filing_page(request, filing, form=form, invalid=invalid)
    messages.success(
        request,
        _("All %(count)s rows passed; the roster is saved with a total of %(total)s yuan. Check it and submit it.")
        % {"count": result.count, "total": f"{result.total:,.2f}"},
    )
    return redirect("collective:roster-detail", pk=result.roster.pk)


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def filing_minutes(request: HttpRequest, pk: int) -> FileResponse:
    filing = selectors.filing_get(request.user, pk)
    if not filing.minutes:
        raise Http404
    return FileResponse(filing.minutes.open("rb"), as_attachment=True, filename=filing.minutes_name or "minutes")


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def filing_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from collective import pdf

    filing = selectors.filing_get(request.user, pk)
    if filing.kind != Filing.Kind.COLLECTIVE:
        raise Http404
    response = HttpResponse(pdf.filing_pdf(filing, printed_by=request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filing.number}.pdf"'
    return response


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def roster_template(request: HttpRequest) -> HttpResponse:
    example = [[c.example for c in rosters.LAYOUT.columns]]
    response = HttpResponse(template(rosters.LAYOUT, example_rows=example), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response
