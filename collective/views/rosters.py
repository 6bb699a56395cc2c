"""A roster's page: its rows with their payment, its steps (submit, first review, approval, sending
back), its printed forms and the file it came from; the check of a printed form's code."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from collective import jobs as collective_jobs
from collective import selectors, services
from collective.forms import RejectForm
from collective.models import Roster
from collective.plugin import COLLECTIVE_APPROVE, COLLECTIVE_REVIEW, COLLECTIVE_VIEW
from collective.views.common import may_file, roster_step
from insured import access, access_log, formats, jobs
from insured.history import staff_name
from insured.printing import selectors as printing_selectors

Status = Roster.Status
# A longer roster is printed by a worker (insured.jobs) while the page shows the progress.
PDF_SYNC_ROWS = 300
FORM_TITLES = {
    "roster": gettext_lazy("Roster form (attachment 3)"),
    "notice": gettext_lazy("Payment notice"),
    "statement": gettext_lazy("Receivable check list"),
}


def _actions(user: Any, roster: Roster) -> dict[str, bool]:
    """Which buttons to show; the services decide again when one is pressed."""
    reviewer = access.has_capability(user, COLLECTIVE_REVIEW)
    approver = access.has_capability(user, COLLECTIVE_APPROVE)
    entered = user.pk in (roster.uploaded_by_id, roster.submitted_by_id)
    return {
        "submit": may_file(user, roster.filing) and roster.status == Status.DRAFT,
        "review": reviewer and roster.status == Status.SUBMITTED and not entered,
        "approve": approver and roster.status == Status.REVIEWED and user.pk != roster.reviewed_by_id and not entered,
        "reject": reviewer and roster.status in Roster.PENDING and not entered,
        "own_entry": (reviewer or approver) and roster.status in Roster.PENDING and entered,
        "first_reviewer": approver and roster.status == Status.REVIEWED and user.pk == roster.reviewed_by_id,
        "payment_forms": roster.status in Roster.APPROVED_STATES,
    }


def _steps(roster: Roster) -> list[tuple[str, str, Any, str]]:
    r = roster
    steps = [(_("Uploaded and checked"), staff_name(r.uploaded_by), r.uploaded_at, r.source_name)]
    if r.submitted_at:
        due = ""
        if r.first_review_due_on:
            due = _("first review due %(day)s") % {"day": formats.day(r.first_review_due_on)}
        steps.append((_("Submitted to the county"), staff_name(r.submitted_by), r.submitted_at, due))
    if r.reviewed_at:
        steps.append((_("First review passed"), staff_name(r.reviewed_by), r.reviewed_at, ""))
    if r.approved_at:
        note = _("every row reserved under the cap; receivables sent to tax")
        steps.append((_("Approved"), staff_name(r.approved_by), r.approved_at, note))
    if r.rejected_at:
        steps.append((_("Sent back"), staff_name(r.rejected_by), r.rejected_at, r.rejection_reason))
    if r.paid_at:
        steps.append((_("Paid in full through tax"), staff_name(None), r.paid_at, ""))
    return steps


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roster = selectors.roster_get(request.user, pk)
    today = timezone.localdate()
    context = {
        "roster": roster,
        "filing": roster.filing,
        "counts": selectors.row_counts(roster),
        "page": Paginator(selectors.roster_rows(roster), 100).get_page(request.GET.get("page")),
        "actions": _actions(request.user, roster),
        "steps": _steps(roster),
        "overdue": selectors.is_overdue(roster, today),
        "history": selectors.roster_history(roster),
        "reject_form": RejectForm(),
        "forms": FORM_TITLES,
    }
    return render(request, "collective/roster_detail.html", context)


@access.capability_required(COLLECTIVE_VIEW)
@require_POST
def roster_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return roster_step(
        request,
        pk,
        lambda r: services.roster_submit(r, user=request.user),
        _("The roster is submitted; the county reviews it within 3 working days."),
        filer=True,
    )


@access.capability_required(COLLECTIVE_VIEW)
@require_POST
def roster_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return roster_step(
        request, pk, lambda r: services.roster_discard(r, user=request.user), _("The roster is dropped."), filer=True
    )


@access.capability_required(COLLECTIVE_REVIEW)
@require_POST
def roster_review(request: HttpRequest, pk: int) -> HttpResponse:
    return roster_step(
        request,
        pk,
        lambda r: services.roster_review(r, user=request.user),
        _("The first review is recorded; another reviewer approves it."),
    )


@access.capability_required(COLLECTIVE_APPROVE)
@require_POST
def roster_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return roster_step(
        request,
        pk,
        lambda r: services.roster_approve(r, user=request.user),
        _(
            "The roster is approved: every row is reserved under the cap and its receivable sent to tax. Print the "
            "payment notice for the payer."
        ),
    )


@access.capability_required(COLLECTIVE_REVIEW)
@require_POST
def roster_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return roster_step(
        request,
        pk,
        lambda r: services.roster_reject(r, user=request.user, reason=reason),
        _("The roster is sent back with the reason."),
    )


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def roster_form(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    from collective import pdf

    roster = selectors.roster_get(request.user, pk)
    printed = pdf.FORMS.get(form)
    if printed is None or (printed.needs_approval and roster.status not in Roster.APPROVED_STATES):
        raise Http404
    if roster.row_count > PDF_SYNC_ROWS:
        job = jobs.job_create(
            kind=collective_jobs.ROSTER_PDF,
            user=request.user,
            params={"roster_id": roster.pk, "form": form},
            total=1,
        )
        return redirect("insured:job-detail", pk=job.pk)
    # The form names every person of the roster with the whole ID: printing records them all.
    content = printed.render(roster, printed_by=request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{roster.number}-{form}.pdf"'
    return response


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def roster_source(request: HttpRequest, pk: int) -> FileResponse:
    roster = selectors.roster_get(request.user, pk)
    if not roster.source_file:
        raise Http404
    access_log.record(request.user, selectors.roster_person_ids(roster), access_log.What.EXPORT, roster.number)
    return FileResponse(roster.source_file.open("rb"), as_attachment=True, filename=roster.source_name or "roster")


@access.capability_required(COLLECTIVE_VIEW)
@require_GET
def roster_verify(request: HttpRequest) -> HttpResponse:
    code = (request.GET.get("code") or "").strip()[:10]
    roster = selectors.roster_by_check_code(request.user, code) if code else None
    # What the forms carrying this code said when printed (insured.printing), beside what it is now.
    printings = printing_selectors.printings_of_code(request.user, code.upper()) if code else []
    context = {"code": code, "roster": roster, "printings": printings, "searched": bool(code)}
    return render(request, "collective/verify.html", context)
