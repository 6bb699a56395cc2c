"""Staff pages of back payment 补缴 (003 六(三); 002 四(四); 004): the township office's intake,
the list and the reviewer's queue, an application's page with its steps and the printed form.
Everything read is cut to the user's region; a person or application outside it is not found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from collection import backpay_lists as lists
from collection import backpay_selectors as selectors
from collection import backpay_services as services
from collection.backpay_forms import BackPaymentForm, PersonLookupForm, RejectForm, SchemeForm
from collection.backpay_models import BackPaymentApplication, BackPaymentScheme
from collection.capabilities import BACKPAY_ENTER, BACKPAY_REVIEW, BACKPAY_VIEW
from insured import access, access_log, exports, queues, rules
from insured.forms import add_rule_error
from insured.history import staff_name
from insured.models import InsuredPerson

Status = BackPaymentApplication.Status
# Before review, or approved with no year paid yet (the service refuses once one is).
WITHDRAWABLE = (Status.SUBMITTED, Status.APPROVED)


# --- Intake (township office) ------------------------------------------------------------------


@access.capability_required(BACKPAY_ENTER)
@require_http_methods(["GET", "POST"])
def intake_lookup(request: HttpRequest) -> HttpResponse:
    """The resident ID is posted, never put in a URL; the intake page then names the person by pk."""
    form = PersonLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = selectors.person_in_scope(request.user, form.cleaned_data["id_no"])
        if person is not None:
            return redirect("collection:backpay-intake", person_pk=person.pk)
        # Unknown and outside the township read the same: a record out of scope is not found.
        form.add_error(
            "id_no",
            _("No insured person with this resident ID number is registered in %(region)s.")
            % {"region": access.scope_region(request.user).name},
        )
    return render(request, "collection/backpay/intake_lookup.html", {"form": form})


def _intake_form(
    request: HttpRequest, person: InsuredPerson, scheme: str, *, scheme_ok: bool
) -> tuple[BackPaymentForm, Any]:
    today = timezone.localdate()
    choices = selectors.intake_choices(person, scheme, today)
    # A scheme that is not one of the two is never taken for the basic pension: nothing is done.
    acting = scheme_ok and request.method == "POST" and request.POST.get("action") in ("check", "submit")
    form = BackPaymentForm(
        request.POST if acting else None,
        choices=choices,
        first_year=rules.first_eligible_year(person.birth_date),
        last_year=today.year - 1,
    )
    return form, choices


def _check_or_submit(
    request: HttpRequest, form: BackPaymentForm, person: InsuredPerson
) -> BackPaymentApplication | services.Assessment | None:
    """The application entered, or on the check button what it comes to; None when a rule refused
    it (the error is then on the form)."""
    data = form.to_input(person)
    region = access.scope_region(request.user)
    try:
        if request.POST.get("action") == "check":
            return services.application_check(data, today=timezone.localdate(), agency_region=region)
        return services.application_submit(data, user=request.user, agency_region=region)
    except rules.RuleViolation as exc:
        add_rule_error(form, exc)
        return None


@access.capability_required(BACKPAY_ENTER)
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = selectors.person_get(request.user, person_pk)
    access_log.record(request.user, [person.pk], access_log.What.ACCOUNT, "back payment intake")
    scheme_form = SchemeForm(request.POST or request.GET or None)
    scheme_ok = scheme_form.is_valid()
    scheme = scheme_form.cleaned_data["scheme"] if scheme_ok else BackPaymentScheme.BASIC
    form, choices = _intake_form(request, person, scheme, scheme_ok=scheme_ok or not scheme_form.is_bound)
    result = _check_or_submit(request, form, person) if form.is_bound and form.is_valid() else None
    if isinstance(result, BackPaymentApplication):
        messages.success(
            request,
            _("Back-payment application %(number)s has been entered; it now waits for a county reviewer.")
            % {"number": result.number},
        )
        return redirect("collection:backpay-detail", pk=result.pk)
    context = {
        "person": person,
        "scheme": scheme,
        "scheme_form": scheme_form
        if scheme_form.is_bound and not scheme_ok
        else SchemeForm(initial={"scheme": scheme}),
        "form": form,
        "choices": choices,
        "assessment": result,
        "waiting": selectors.waiting_payments(person),
    }
    return render(request, "collection/backpay/intake.html", context)


# --- The list and the reviewer's queue ---------------------------------------------------------


@access.capability_required(BACKPAY_VIEW)
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    user, params = request.user, request.GET
    rows = lists.application_rows(user, params)
    context = queues.list_context(
        user, params, in_scope=selectors.applications_for(user), rows=rows, statuses=Status, review=BACKPAY_REVIEW
    )
    return render(request, "collection/backpay/application_list.html", context)


@access.capability_required(BACKPAY_VIEW)
@require_GET
def application_export(request: HttpRequest) -> HttpResponse:
    back = f"{reverse('collection:backpay-list')}?{request.GET.urlencode()}"
    return exports.export(request, lists.APPLICATIONS, request.GET.dict(), back)


# --- One application ---------------------------------------------------------------------------


def _actions(user: Any, application: BackPaymentApplication) -> dict[str, bool]:
    """Which buttons to show; the services decide again when one is pressed."""
    submitted = application.status == Status.SUBMITTED
    may_review = access.has_capability(user, BACKPAY_REVIEW) and submitted
    is_maker = application.submitted_by_id == user.pk
    return {
        "review": may_review and not is_maker,
        "own_entry": may_review and is_maker,
        "withdraw": access.has_capability(user, BACKPAY_ENTER) and application.status in WITHDRAWABLE,
    }


def _steps(application: BackPaymentApplication) -> list[tuple[str, str, Any, str]]:
    a = application
    steps = [(_("Entered by the township office"), staff_name(a.submitted_by), a.submitted_at, a.note)]
    if a.reviewed_at:
        rejected = a.status == Status.REJECTED
        label = _("Rejected") if rejected else _("Approved; one receivable a year sent to tax")
        steps.append((label, staff_name(a.reviewed_by), a.reviewed_at, a.rejection_reason))
    if a.paid_at:
        steps.append((_("Every year paid and credited without government subsidy"), staff_name(None), a.paid_at, ""))
    if a.closed_at:
        steps.append((_("Withdrawn"), staff_name(a.closed_by), a.closed_at, ""))
    return steps


@access.capability_required(BACKPAY_VIEW)
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    credits = selectors.credit_notices(application)
    years = selectors.application_years(application)
    for row in years:
        row.credit = credits.get(row.year)
    context = {
        "application": application,
        "years": years,
        "steps": _steps(application),
        "history": selectors.application_history(application),
        "actions": _actions(request.user, application),
        "reject_form": RejectForm(),
        "waiting": selectors.waiting_payments(application.person) if application.status == Status.SUBMITTED else [],
    }
    return render(request, "collection/backpay/application_detail.html", context)


def _step(request: HttpRequest, pk: int, take: Callable[[BackPaymentApplication], object], done: str) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    try:
        take(application)
    except rules.RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("collection:backpay-detail", pk=application.pk)


@access.capability_required(BACKPAY_REVIEW)
@require_POST
def application_approve(request: HttpRequest, pk: int) -> HttpResponse:
    region = access.scope_region(request.user)
    return _step(
        request,
        pk,
        lambda a: services.application_approve(a, user=request.user, agency_region=region),
        _(
            "The back payment is approved: one receivable a year has been created for tax; a payment that was "
            "waiting for it has been credited without government subsidy."
        ),
    )


@access.capability_required(BACKPAY_REVIEW)
@require_POST
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    if not form.is_valid():
        application = selectors.application_get(request.user, pk)  # out of scope is 404 first
        messages.error(request, form.errors["reason"][0])
        return redirect("collection:backpay-detail", pk=application.pk)
    return _step(
        request,
        pk,
        lambda a: services.application_reject(a, user=request.user, reason=form.cleaned_data["reason"]),
        _("The application is rejected."),
    )


@access.capability_required(BACKPAY_ENTER)
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_withdraw(a, user=request.user),
        _("The application is withdrawn; any receivable sent to tax is cancelled."),
    )


@access.capability_required(BACKPAY_VIEW)
@require_GET
def application_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from collection import backpay_pdf

    application = selectors.application_get(request.user, pk)
    body = backpay_pdf.application_pdf(application, printed_by=request.user)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{application.number}.pdf"'
    return response
