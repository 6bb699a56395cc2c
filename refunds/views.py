"""Staff pages of refunds 退费 (notice 002 附件2): the township's intake, first review and
hand-over, the county's review, finance's request and payment results, the copies, the printed
forms. Everything read is cut to the user's region; out of scope is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from insured import access, access_log
from insured.forms import add_rule_error
from insured.models import InsuredPerson
from insured.rules import RuleViolation
from refunds import selectors, services
from refunds.copies import LABELS, content_type_of
from refunds.forms import CorrectForm, IntakeForm, PaymentForm, PersonLookupForm, ReasonForm, RequestForm
from refunds.models import RefundApplication
from refunds.plugin import (
    REFUND_BATCHES,
    REFUND_ENTER,
    REFUND_FINANCE,
    REFUND_FIRST_REVIEW,
    REFUND_REPORT,
    REFUND_REVIEW,
    REFUND_VIEW,
)

Status = RefundApplication.Status
WORK_TAB = "work"
ALL_TAB = "all"


# --- The list ------------------------------------------------------------------------------------


def _steps(user: Any) -> selectors.Steps:
    return selectors.Steps(
        enter=access.has_capability(user, REFUND_ENTER),
        first_review=access.has_capability(user, REFUND_FIRST_REVIEW),
        review=access.has_capability(user, REFUND_REVIEW),
        finance=access.has_capability(user, REFUND_FINANCE),
    )


def _tabs(request: HttpRequest) -> list[tuple[str, str, int]]:
    counts = selectors.status_counts(request.user)
    tabs = [(WORK_TAB, gettext_lazy("Waiting for me"), selectors.work_for(request.user, _steps(request.user)).count())]
    tabs += [(value, label, counts.get(value, 0)) for value, label in Status.choices]
    tabs.append((ALL_TAB, gettext_lazy("All"), sum(counts.values())))
    return tabs


@access.capability_required(REFUND_VIEW)
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or WORK_TAB
    if status == WORK_TAB:
        applications = selectors.work_for(request.user, _steps(request.user))
    elif status in Status.values:
        applications = selectors.applications_for(request.user).filter(status=status)
    else:
        status, applications = ALL_TAB, selectors.applications_for(request.user)
    context = {
        "page": Paginator(applications, 50).get_page(request.GET.get("page")),
        "status": status,
        "tabs": _tabs(request),
    }
    return render(request, "refunds/application_list.html", context)


# --- Intake at the township office -------------------------------------------------------------------


@access.capability_required(REFUND_ENTER)
@require_http_methods(["GET", "POST"])
def intake_lookup(request: HttpRequest) -> HttpResponse:
    """The resident ID is posted, never put in a URL; the intake page then names the person by pk."""
    form = PersonLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = selectors.person_in_scope(request.user, form.cleaned_data["id_no"])
        if person is not None:
            return redirect("refunds:intake", person_pk=person.pk)
        # Unknown and outside the township read the same: a record out of scope is not found.
        form.add_error(
            "id_no",
            _("No insured person with this resident ID number is registered in %(region)s.")
            % {"region": access.scope_region(request.user).name},
        )
    return render(request, "refunds/intake_lookup.html", {"form": form})


def _intake_context(
    person: InsuredPerson,
    form: IntakeForm,
    plan: services.Plan | None,
    years: list[selectors.YearChoices],
    waiting: list[selectors.WaitingChoice],
) -> dict[str, Any]:
    return {
        "person": person,
        "form": form,
        "years": years,
        "waiting": waiting,
        "cases": list(form.fields["case"].queryset),
        "plan": plan,
        "chosen_entries": set(form.data.getlist("entries")) if form.is_bound else set(),
        "chosen_notices": set(form.data.getlist("notices")) if form.is_bound else set(),
    }


@access.capability_required(REFUND_ENTER)
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = selectors.person_get(request.user, person_pk)
    access_log.record(request.user, [person.pk], access_log.What.ACCOUNT, "refund intake")
    years, waiting = selectors.refund_choices(person), selectors.waiting_choices(person)
    form = IntakeForm(
        request.POST or None,
        request.FILES or None,
        person=person,
        cases=selectors.active_cases(),
        years=years,
        waiting=waiting,
    )
    plan = None
    if request.method == "POST" and form.is_valid():
        region = access.scope_region(request.user)
        try:
            if request.POST.get("action") == "check":
                plan = services.application_check(form.to_input(person), agency_region=region)
            else:
                application = services.application_receive(
                    form.to_input(person), copies=form.copies(), user=request.user, agency_region=region
                )
                messages.success(
                    request,
                    _("Refund application %(number)s has been taken; a colleague signs its first review next.")
                    % {"number": application.number},
                )
                return redirect("refunds:detail", pk=application.pk)
        except RuleViolation as exc:
            add_rule_error(form, exc)
    return render(request, "refunds/intake.html", _intake_context(person, form, plan, years, waiting))


# --- One application -----------------------------------------------------------------------------


def _actions(user: Any, a: RefundApplication) -> dict[str, bool]:
    """Which buttons to show; the services decide again when one is pressed."""
    township = {a.received_by_id, a.corrected_by_id}
    county_makers = township | {a.first_reviewed_by_id}
    can = access.has_capability
    return {
        "first_review": can(user, REFUND_FIRST_REVIEW) and a.status == Status.RECEIVED and user.pk not in township,
        "own_intake": can(user, REFUND_FIRST_REVIEW) and a.status == Status.RECEIVED and user.pk in township,
        "hand_over": can(user, REFUND_FIRST_REVIEW) and a.status == Status.FIRST_REVIEWED,
        "review": can(user, REFUND_REVIEW) and a.status == Status.HANDED_OVER and user.pk not in county_makers,
        "correct": can(user, REFUND_ENTER) and a.status in RefundApplication.CORRECTABLE,
        "withdraw": can(user, REFUND_ENTER) and a.status in RefundApplication.WITHDRAWABLE,
        "payment": can(user, REFUND_FINANCE) and a.status == Status.REQUESTED and user.pk != a.reviewed_by_id,
    }


@access.capability_required(REFUND_VIEW)
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    access_log.record(request.user, [application.person_id], access_log.What.PAGE, application.number)
    context = {
        "application": application,
        "lines": selectors.application_lines(application),
        "steps": selectors.application_steps(application),
        "copies": [(f, LABELS[f], getattr(application, f)) for f in RefundApplication.COPIES],
        "missing": services.missing_copies(application),
        "actions": _actions(request.user, application),
        "reason_form": ReasonForm(),
        "payment_form": PaymentForm(initial={"paid_on": timezone.localdate()}),
    }
    return render(request, "refunds/application_detail.html", context)


def _step(request: HttpRequest, pk: int, take: Callable[[RefundApplication], object], done: str) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    try:
        take(application)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("refunds:detail", pk=application.pk)


@access.capability_required(REFUND_FIRST_REVIEW)
@require_POST
def first_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_first_review(a, user=request.user),
        _("The first review is signed; send the application to the county with the month's others."),
    )


@access.capability_required(REFUND_REVIEW)
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_approve(a, user=request.user),
        _("The refund is approved; it joins its month's request for money."),
    )


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@access.capability_required(REFUND_REVIEW)
@require_POST
def return_to_township(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_return(a, user=request.user, reason=_reason(request)),
        _("The application is returned to the township with the reason."),
    )


@access.capability_required(REFUND_ENTER)
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_withdraw(a, user=request.user),
        _("The application is withdrawn; the money it held is free again."),
    )


@access.capability_required(REFUND_FINANCE)
@require_POST
def record_payment(request: HttpRequest, pk: int) -> HttpResponse:
    form = PaymentForm(request.POST)
    if not form.is_valid():
        application = selectors.application_get(request.user, pk)  # out of scope is 404 first
        messages.error(request, _("Give the payment date as a date."))
        return redirect("refunds:detail", pk=application.pk)
    return _step(
        request,
        pk,
        lambda a: services.application_record_payment(a, user=request.user, **form.cleaned_data),
        _("The payment is recorded; the refund is taken out of the account."),
    )


@access.capability_required(REFUND_FINANCE)
@require_POST
def record_failure(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda a: services.application_record_failure(a, user=request.user, reason=_reason(request)),
        _("The failed payment is recorded; the application goes back to the township."),
    )


@access.capability_required(REFUND_ENTER)
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    form = CorrectForm.for_application(application, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_correct(
                application, user=request.user, applicant=form.applicant(), copies=form.copies()
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The application is corrected; a colleague signs its first review again."))
            return redirect("refunds:detail", pk=application.pk)
    return render(request, "refunds/correct.html", {"application": application, "form": form})


# --- The township's hand-over ------------------------------------------------------------------------


@access.capability_required(REFUND_FIRST_REVIEW)
@require_http_methods(["GET", "POST"])
def hand_over(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            sent = services.applications_hand_over(user=request.user, region=access.scope_region(request.user))
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(n)s applications were sent to the county; they join the request of %(month)s.")
                % {"n": len(sent), "month": f"{sent[0].batch_month:%Y-%m}"},
            )
            return redirect("refunds:list")
    preview = selectors.hand_over_preview(request.user, timezone.localdate())
    return render(request, "refunds/hand_over.html", {"preview": preview})


# --- Copies and the printed form ------------------------------------------------------------------


@access.capability_required(REFUND_VIEW)
@require_GET
def copy_file(request: HttpRequest, pk: int, field: str) -> FileResponse:
    """A copy, only to someone who may see the application; never a public media URL."""
    application = selectors.application_get(request.user, pk)
    if field not in RefundApplication.COPIES or not getattr(application, field):
        raise Http404
    stored = getattr(application, field)
    if not stored.storage.exists(stored.name):
        raise Http404  # the file was lost from MEDIA_ROOT: nothing to serve, and no 500
    access_log.record(request.user, [application.person_id], access_log.What.FORM, f"{application.number} {field}")
    response = FileResponse(stored.storage.open(stored.name, "rb"), content_type=content_type_of(stored))
    response["Content-Disposition"] = f'inline; filename="{application.number}-{field}{stored.name[-4:]}"'
    response["Cache-Control"] = "private, no-store"
    return response


@access.capability_required(REFUND_VIEW)
@require_GET
def application_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from refunds import pdf

    application = selectors.application_get(request.user, pk)
    # Printing records the form in the print log and the person in the access log.
    body = pdf.application_pdf(application, printed_by=request.user)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{application.number}.pdf"'
    return response


# --- Requests for money and reports to tax -------------------------------------------------------


@access.capability_required(REFUND_BATCHES)
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    waiting = selectors.waiting_for_request(request.user)
    context = {
        "requests": selectors.requests_for(request.user)[:60],
        "waiting": waiting,
        "reports": selectors.reports_for(request.user)[:60],
        "unreported": selectors.unreported(request.user),
        "form": RequestForm(months=[m.month for m in waiting]),
        "can_request": access.has_capability(request.user, REFUND_FINANCE),
        "can_report": access.has_capability(request.user, REFUND_REPORT),
    }
    return render(request, "refunds/request_list.html", context)


@access.capability_required(REFUND_FINANCE)
@require_POST
def request_create(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST, months=[m.month for m in selectors.waiting_for_request(request.user)])
    region = selectors.county_of(request.user)
    if not form.is_valid() or region is None:
        messages.error(request, _("Choose the month whose money is requested."))
        return redirect("refunds:request-list")
    try:
        made = services.request_create(region=region, month=form.cleaned_data["month"], user=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("refunds:request-list")
    messages.success(
        request, _("Request %(number)s is made; print its summary for the finance bureau.") % {"number": made.number}
    )
    return redirect("refunds:request-detail", pk=made.pk)


@access.capability_required(REFUND_BATCHES)
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    made = selectors.request_get(request.user, pk)
    return render(
        request,
        "refunds/request_detail.html",
        {"request_": made, "applications": selectors.request_applications(made)},
    )


@access.capability_required(REFUND_BATCHES)
@require_GET
def request_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from refunds import pdf

    made = selectors.request_get(request.user, pk)
    # Printing records the form in the print log and each person it names in the access log.
    body = pdf.request_pdf(made, printed_by=request.user)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{made.number}.pdf"'
    return response


@access.capability_required(REFUND_BATCHES)
@require_GET
def request_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from refunds import exports

    made = selectors.request_get(request.user, pk)
    body = exports.request_xlsx(made)
    _record_named(request, made.applications.values_list("person_id", flat=True), access_log.What.EXPORT, made.number)
    response = HttpResponse(body, content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{made.number}.xlsx"'
    return response


@access.capability_required(REFUND_REPORT)
@require_POST
def report_create(request: HttpRequest) -> HttpResponse:
    region = selectors.county_of(request.user)
    if region is None:
        raise Http404
    try:
        report = services.tax_report_create(region=region, user=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Report %(number)s is made; download it for tax as JSON or CSV.") % {"number": report.number}
        )
    return redirect("refunds:request-list")


@access.capability_required(REFUND_BATCHES)
@require_GET
def report_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from refunds import exports

    report = selectors.report_get(request.user, pk)
    if fmt == "json":
        response = HttpResponse(exports.report_json(report), content_type="application/json; charset=utf-8")
    elif fmt == "csv":
        response = HttpResponse(exports.report_csv(report), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    named = report.applications.values_list("person_id", flat=True)
    _record_named(request, named, access_log.What.EXPORT, f"{report.number}.{fmt}")
    response["Content-Disposition"] = f'attachment; filename="{report.number}.{fmt}"'
    return response


def _record_named(request: HttpRequest, person_ids: Any, what: str, detail: str) -> None:
    """Each person a printed list or a file names goes into the access log (insured.access_log)."""
    access_log.record(request.user, list(person_ids), what, detail)
