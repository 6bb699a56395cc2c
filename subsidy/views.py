"""Staff pages of personal sponsorship 个人资助 (notice 000): the counter window, the list and
the reviewer's queue, an application's page with its steps, the printed form and its check.
County staff only (000 五(一)); everything read is cut to the user's region."""

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

from insured import access, exports, queues
from insured.forms import add_rule_error, focus, unfocus
from insured.history import staff_name
from insured.identity import parse_resident_id
from insured.models import InsuredPerson
from insured.printing import selectors as printing_selectors
from insured.rules import RuleViolation
from insured.selectors import YearStanding, cap_preview, standing_in, year_standing
from payments.models import ArrivalNotice
from subsidy import lists, selectors, services
from subsidy.capabilities import SPONSORSHIP_ENTER, SPONSORSHIP_REVIEW, SPONSORSHIP_VIEW
from subsidy.forms import BeneficiaryLookupForm, RejectForm, SponsorshipForm, VerifyForm
from subsidy.models import SponsorshipApplication

Status = SponsorshipApplication.Status
# The states a clerk may still withdraw from: before payment (000 三(三)).
WITHDRAWABLE = (Status.SUBMITTED, Status.APPROVED, Status.SIGNED)
# 000 三(二): the form is printed once the application has passed review.
PRINTABLE = (Status.APPROVED, Status.SIGNED, Status.CREDITED)
REVIEW_TAB = lists.REVIEW_TAB
ALL_TAB = lists.ALL_TAB


# --- The counter -------------------------------------------------------------------------------


def _beneficiary(request: HttpRequest, lookup: BeneficiaryLookupForm) -> InsuredPerson | None:
    if not lookup.is_bound or not lookup.is_valid():
        return None
    person = selectors.beneficiary_by_id_no(request.user, lookup.cleaned_data["id_no"])
    if person is None:
        # Unknown and outside the region read the same: a record out of scope is not found.
        lookup.add_error(
            "id_no",
            _("No insured person with resident ID number %(id_no)s is registered in %(region)s.")
            % {"id_no": lookup.cleaned_data["id_no"], "region": access.scope_region(request.user).name},
        )
    return person


def _submit_or_check(
    request: HttpRequest, form: SponsorshipForm, person: InsuredPerson
) -> SponsorshipApplication | YearStanding | None:
    """The application saved, or on the check button the standing it would leave; None when a
    rule refused it (the error is then on the form)."""
    data = form.to_input(person)
    region = access.scope_region(request.user)
    try:
        if request.POST.get("action") == "check":
            return services.application_check(data, today=timezone.localdate(), agency_region=region)
        return services.application_submit(data, user=request.user, agency_region=region)
    except RuleViolation as exc:
        add_rule_error(form, exc)
        return None


@access.capability_required(SPONSORSHIP_ENTER)
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """Look up (POST of the ID alone: an ID never goes in a URL), then check or enter (POST with
    the hidden ID and an `action`)."""
    today = timezone.localdate()
    posted = request.method == "POST"
    lookup = BeneficiaryLookupForm(request.POST if posted else None)
    person = _beneficiary(request, lookup)
    acting = posted and request.POST.get("action") in ("check", "submit")
    form = SponsorshipForm(request.POST if acting else None, year=today.year)
    result = _submit_or_check(request, form, person) if person is not None and acting and form.is_valid() else None
    if isinstance(result, SponsorshipApplication):
        messages.success(
            request,
            _("Application %(number)s has been entered; it now waits for a reviewer.") % {"number": result.number},
        )
        return redirect("subsidy:detail", pk=result.pk)
    checked = result if isinstance(result, YearStanding) else None
    if person is not None:
        # Keyboard work: after the look-up the cursor moves to the sponsor; after a passed check,
        # to the button that enters the application (the template); on an error, to its field.
        unfocus(lookup)
        focus(form, None if checked else "sponsor_name")
    context = {
        "lookup": lookup,
        "person": person,
        "standing": year_standing(person, today) if person is not None else None,
        "form": form,
        "checked": checked,
        "preview": cap_preview(checked, form.cleaned_data["amount"]) if checked else None,
    }
    return render(request, "subsidy/counter.html", context)


# --- The list and the reviewer's queue ---------------------------------------------------------


@access.capability_required(SPONSORSHIP_VIEW)
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    user, params = request.user, request.GET
    rows = lists.application_rows(user, params)
    context = queues.list_context(
        user, params, in_scope=selectors.applications_for(user), rows=rows, statuses=Status, review=SPONSORSHIP_REVIEW
    )
    return render(request, "subsidy/application_list.html", context)


@access.capability_required(SPONSORSHIP_VIEW)
@require_GET
def application_export(request: HttpRequest) -> HttpResponse:
    back = f"{reverse('subsidy:list')}?{request.GET.urlencode()}"
    return exports.export(request, lists.APPLICATIONS, request.GET.dict(), back)


# --- One application ---------------------------------------------------------------------------


def _actions(user: Any, application: SponsorshipApplication) -> dict[str, bool]:
    """Which buttons to show; the services decide again when one is pressed."""
    may_review = access.has_capability(user, SPONSORSHIP_REVIEW) and application.status == Status.SUBMITTED
    may_enter = access.has_capability(user, SPONSORSHIP_ENTER)
    is_maker = application.submitted_by_id == user.pk
    return {
        "review": may_review and not is_maker,
        "own_entry": may_review and is_maker,
        "print": application.status in PRINTABLE,
        "sign": may_enter and application.status == Status.APPROVED,
        "withdraw": may_enter and application.status in WITHDRAWABLE,
    }


def _steps(application: SponsorshipApplication, credit: ArrivalNotice | None) -> list[tuple[str, str, Any, str]]:
    """Who did each step and when: (step, by, at, note)."""
    a = application
    steps = [(_("Entered at the counter"), staff_name(a.submitted_by), a.submitted_at, "")]
    if a.reviewed_at:
        rejected = a.status == Status.REJECTED
        label = _("Rejected") if rejected else _("Approved; the amount is reserved under the cap")
        steps.append((label, staff_name(a.reviewed_by), a.reviewed_at, a.rejection_reason))
    if a.signed_at:
        note = _("receivable %(number)s") % {"number": a.receivable.number} if a.receivable else ""
        steps.append((_("Signatures of sponsor and beneficiary recorded"), staff_name(a.signed_by), a.signed_at, note))
    if a.credited_at:
        note = _("e-tax voucher %(voucher)s") % {"voucher": f"{credit.voucher_no}/{credit.line_no}"} if credit else ""
        steps.append((_("Paid through tax and credited to the account"), staff_name(None), a.credited_at, note))
    if a.closed_at:
        label = _("Voided: unpaid when its year ended") if a.status == Status.VOIDED else _("Withdrawn")
        steps.append((label, staff_name(a.closed_by), a.closed_at, ""))
    return steps


@access.capability_required(SPONSORSHIP_VIEW)
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    credit = selectors.credit_notice(application)
    standing = standing_in(application.beneficiary, application.year)
    context = {
        "application": application,
        "standing": standing,
        # Before approval the reviewer sees what approving does to the cap; afterwards the amount
        # is already counted in what is used.
        "preview": cap_preview(standing, application.amount) if application.status == Status.SUBMITTED else None,
        "counted": application.status in (*SponsorshipApplication.RESERVING, Status.CREDITED),
        "sponsor_age": parse_resident_id(application.sponsor_id_no).age_on(timezone.localdate()),
        "credit": credit,
        "steps": _steps(application, credit),
        "history": selectors.application_history(application),
        "actions": _actions(request.user, application),
        "reject_form": RejectForm(),
        "is_credited": application.status == Status.CREDITED,
    }
    return render(request, "subsidy/application_detail.html", context)


def _step(request: HttpRequest, pk: int, take: Callable[[SponsorshipApplication], object], done: str) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    try:
        take(application)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("subsidy:detail", pk=application.pk)


@access.capability_required(SPONSORSHIP_REVIEW)
@require_POST
def application_approve(request: HttpRequest, pk: int) -> HttpResponse:
    region = access.scope_region(request.user)
    return _step(
        request,
        pk,
        lambda a: services.application_approve(a, user=request.user, agency_region=region),
        _("The application is approved and the amount reserved; print the form for both to sign."),
    )


@access.capability_required(SPONSORSHIP_REVIEW)
@require_POST
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    if not form.is_valid():
        application = selectors.application_get(request.user, pk)  # out of scope is 404 first
        messages.error(request, form.errors["reason"][0])
        return redirect("subsidy:detail", pk=application.pk)
    return _step(
        request,
        pk,
        lambda a: services.application_reject(a, user=request.user, reason=form.cleaned_data["reason"]),
        _("The application is rejected."),
    )


@access.capability_required(SPONSORSHIP_ENTER)
@require_POST
def application_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_record_signatures(
            a, user=request.user, agency_region=access.scope_region(request.user)
        ),
        _("The signatures are recorded and the receivable has been created for tax."),
    )


@access.capability_required(SPONSORSHIP_ENTER)
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_withdraw(a, user=request.user),
        _("The application is withdrawn; any reservation under the cap is released."),
    )


# --- The printed form and its check code -------------------------------------------------------


@access.capability_required(SPONSORSHIP_VIEW)
@require_GET
def application_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from subsidy import pdf

    application = selectors.application_get(request.user, pk)
    # Printing records the form in the print log and the beneficiary in the access log.
    body = pdf.application_pdf(application, printed_by=request.user)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{application.number}.pdf"'
    return response


@access.capability_required(SPONSORSHIP_VIEW)
@require_GET
def application_verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET or None)
    application, printings = None, []
    if form.is_valid():
        application = selectors.application_by_check_code(request.user, form.cleaned_data["code"])
        # What the forms carrying this code said when printed (insured.printing), beside what it is now.
        printings = printing_selectors.printings_of_code(request.user, form.cleaned_data["code"])
    return render(
        request,
        "subsidy/verify.html",
        {
            "form": form,
            "application": application,
            "printings": printings,
            "searched": form.is_bound and form.is_valid(),
        },
    )
