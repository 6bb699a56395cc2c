"""Staff pages of payments: notice batches, receivables and their files for tax, and the
unmatched queue 手工划账 with its maker-checker."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from insured import access, access_log
from insured import exports as xlsx
from insured.exports import Column, Kind
from insured.forms import add_rule_error
from insured.history import staff_name
from insured.identity import mask_id_no, normalize_id_no
from insured.models import InsuredPerson
from insured.rules import RuleViolation
from payments import exports, selectors, services
from payments.forms import AssignForm, ReceivableFilterForm
from payments.models import ArrivalNotice, ManualAssignment
from payments.plugin import PAYMENTS_ASSIGN, PAYMENTS_CONFIRM, PAYMENTS_VIEW, RECEIVABLES_EXPORT


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.batches_for(request.user), 30).get_page(request.GET.get("page"))
    figures = selectors.batch_figures(request.user, list(page.object_list))
    rows = [(batch, figures[batch.pk]) for batch in page.object_list]
    context = {"page": page, "rows": rows, "work": selectors.waiting_work(selectors.batches_for(request.user))}
    return render(request, "payments/batch_list.html", context)


BATCH_COLUMNS = [
    Column(gettext_lazy("Batch"), lambda r: r[0].batch_id, width=22),
    Column(gettext_lazy("Tax client"), lambda r: r[0].client.name, width=20),
    Column(gettext_lazy("Source"), lambda r: r[0].get_source_display(), width=10),
    Column(gettext_lazy("Received at"), lambda r: r[0].received_at, Kind.MOMENT, width=20),
    Column(gettext_lazy("Status"), lambda r: r[0].get_status_display(), width=14),
    Column(gettext_lazy("Notices"), lambda r: r[1].notices, Kind.NUMBER, width=10),
    Column(gettext_lazy("Total amount"), lambda r: r[1].total, Kind.MONEY, width=16),
    Column(pgettext_lazy("number of notices", "Credited"), lambda r: r[1].credited, Kind.NUMBER, width=10),
    Column(pgettext_lazy("number of notices", "Duplicates"), lambda r: r[1].duplicates, Kind.NUMBER, width=10),
    Column(pgettext_lazy("number of notices", "Unmatched"), lambda r: r[1].unmatched, Kind.NUMBER, width=10),
    Column(pgettext_lazy("number of notices", "Reversals"), lambda r: r[1].reversed, Kind.NUMBER, width=10),
]


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_list_export(request: HttpRequest) -> HttpResponse:
    batches = selectors.batches_for(request.user)
    refused = xlsx.refuse_if_too_long(request, batches.count(), reverse("payments:batch-list"))
    if refused is not None:
        return refused
    batches = list(batches)
    figures = selectors.batch_figures(request.user, batches)
    return xlsx.xlsx_response("batches", _("Arrival notices"), BATCH_COLUMNS, [(b, figures[b.pk]) for b in batches])


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    notices = selectors.notices_for(request.user).filter(batch=batch).select_related("person").order_by("id")
    page = Paginator(notices, 100).get_page(request.GET.get("page"))
    figures = selectors.batch_figures(request.user, [batch])[batch.pk]
    return render(request, "payments/batch_detail.html", {"batch": batch, "figures": figures, "page": page})


NOTICE_COLUMNS = [
    Column(gettext_lazy("E-tax voucher"), lambda n: n.voucher_no, width=24),
    Column(gettext_lazy("Line"), lambda n: n.line_no, Kind.NUMBER, width=6),
    Column(gettext_lazy("Kind"), lambda n: n.get_kind_display(), width=14),
    Column(gettext_lazy("Insured person"), lambda n: n.insured_name, width=10),
    Column(gettext_lazy("Resident ID number"), lambda n: mask_id_no(n.insured_id_no), width=20),
    Column(gettext_lazy("Amount"), lambda n: n.amount, Kind.MONEY, width=12),
    Column(gettext_lazy("Year"), lambda n: n.year, Kind.NUMBER, width=6),
    Column(gettext_lazy("Paid at"), lambda n: n.paid_at, Kind.MOMENT, width=20),
    Column(gettext_lazy("Channel"), lambda n: n.get_channel_display(), width=12),
    Column(gettext_lazy("Receivable number"), lambda n: n.receivable_no, width=22),
    Column(gettext_lazy("State"), lambda n: n.get_state_display(), width=14),
    Column(gettext_lazy("Reason"), lambda n: n.get_reason_display() if n.reason else "", width=30),
]


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_detail_export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    notices = selectors.notices_for(request.user).filter(batch=batch).order_by("id")
    refused = xlsx.refuse_if_too_long(request, notices.count(), reverse("payments:batch-detail", args=[batch.pk]))
    if refused is not None:
        return refused
    notices = list(notices)
    _record_export(request, notices, f"batch-{batch.batch_id}.xlsx")
    return xlsx.xlsx_response(f"batch-{batch.pk}", _("Arrival notices"), NOTICE_COLUMNS, notices)


def _record_export(request: HttpRequest, notices: list[ArrivalNotice], detail: str) -> None:
    access_log.record(request.user, [n.person_id for n in notices if n.person_id], access_log.What.EXPORT, detail)


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def _receivables(request: HttpRequest) -> tuple[ReceivableFilterForm, Any]:
    filters = ReceivableFilterForm(request.GET)
    return filters, filters.apply(selectors.receivables_for(request.user))


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def receivable_list(request: HttpRequest) -> HttpResponse:
    filters, receivables = _receivables(request)
    context = {
        "filters": filters,
        "page": Paginator(receivables, 50).get_page(request.GET.get("page")),
        "exports": selectors.exports_for(request.user)[:20],
    }
    return render(request, "payments/receivable_list.html", context)


RECEIVABLE_COLUMNS = [
    Column(gettext_lazy("Receivable number"), lambda r: r.number, width=22),
    Column(gettext_lazy("Kind"), lambda r: r.get_kind_display(), width=14),
    Column(gettext_lazy("Insured person"), lambda r: r.person.name, width=10),
    Column(gettext_lazy("Resident ID number"), lambda r: r.person.masked_id_no, width=20),
    Column(gettext_lazy("Township"), lambda r: r.person.village.parent.name, width=12),
    Column(gettext_lazy("Village"), lambda r: r.person.village.name, width=12),
    Column(gettext_lazy("Payer"), lambda r: r.payer_name, width=16),
    Column(gettext_lazy("Year"), lambda r: r.year, Kind.NUMBER, width=6),
    Column(gettext_lazy("Amount"), lambda r: r.amount, Kind.MONEY, width=12),
    Column(gettext_lazy("Due date"), lambda r: r.due_date, Kind.DAY, width=16),
    Column(gettext_lazy("Status"), lambda r: r.get_status_display(), width=14),
    Column(gettext_lazy("Made by"), lambda r: staff_name(r.created_by) if r.created_by else "", width=10),
]


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def receivable_export_xlsx(request: HttpRequest) -> HttpResponse:
    _filters, receivables = _receivables(request)
    back = f"{reverse('payments:receivable-list')}?{request.GET.urlencode()}"
    refused = xlsx.refuse_if_too_long(request, receivables.count(), back)
    if refused is not None:
        return refused
    rows = list(receivables.select_related("created_by"))
    access_log.record(request.user, [r.person_id for r in rows], access_log.What.EXPORT, "receivables.xlsx")
    return xlsx.xlsx_response("receivables", _("Receivables"), RECEIVABLE_COLUMNS, rows)


@access.capability_required(RECEIVABLES_EXPORT)
@require_POST
def export_create(request: HttpRequest) -> HttpResponse:
    export = services.export_create(region=access.scope_region(request.user), user=request.user)
    if export is None:
        messages.info(request, _("There are no new or cancelled receivables to send to tax."))
    else:
        messages.success(request, _("Export %(no)s is ready to download for tax.") % {"no": export.number})
    return redirect("payments:receivable-list")


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def export_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    export = get_object_or_404(selectors.exports_for(request.user), pk=pk)
    if fmt not in ("json", "csv"):
        raise Http404
    if fmt == "json":
        body, content_type = exports.receivables_json(export), "application/json"
    else:
        body, content_type = exports.receivables_csv(export), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.number}.{fmt}"'
    return response


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    items = selectors.unmatched_queue(request.user)
    context = {
        "items": items,
        "page": Paginator(items, 50).get_page(request.GET.get("page")),
        "overdue": sum(1 for i in items if i.is_overdue),
        # Where a refund starts, once the refunds app serves it (the township office takes refunds).
        "refund_start": _url_or_empty("refunds:intake-lookup"),
    }
    return render(request, "payments/queue.html", context)


def _url_or_empty(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


QUEUE_COLUMNS = [
    Column(gettext_lazy("Paid at"), lambda i: i.notice.paid_at, Kind.MOMENT, width=20),
    Column(gettext_lazy("Waiting days"), lambda i: i.waiting_days, Kind.NUMBER, width=8),
    Column(gettext_lazy("Due"), lambda i: i.due_on, Kind.DAY, width=16),
    Column(gettext_lazy("Overdue"), lambda i: _("yes") if i.is_overdue else "", width=8),
    Column(gettext_lazy("E-tax voucher"), lambda i: i.notice.voucher_no, width=24),
    Column(gettext_lazy("Line"), lambda i: i.notice.line_no, Kind.NUMBER, width=6),
    Column(gettext_lazy("Receivable number"), lambda i: i.notice.receivable_no, width=22),
    Column(gettext_lazy("Kind"), lambda i: i.notice.get_kind_display(), width=14),
    Column(gettext_lazy("Insured person as tax reported"), lambda i: i.notice.insured_name, width=12),
    Column(gettext_lazy("Resident ID number"), lambda i: mask_id_no(i.notice.insured_id_no), width=20),
    Column(gettext_lazy("Amount"), lambda i: i.notice.amount, Kind.MONEY, width=12),
    Column(gettext_lazy("Reason"), lambda i: i.notice.get_reason_display(), width=30),
    Column(gettext_lazy("What resolves it"), lambda i: i.remedy.advice, width=50),
    Column(
        gettext_lazy("Assignment waiting for confirmation"),
        lambda i: (
            _("to %(name)s, proposed by %(who)s")
            % {"name": i.pending.person.name, "who": staff_name(i.pending.proposed_by)}
            if i.pending
            else ""
        ),
        width=30,
    ),
]


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def queue_export(request: HttpRequest) -> HttpResponse:
    items = selectors.unmatched_queue(request.user)
    refused = xlsx.refuse_if_too_long(request, len(items), reverse("payments:queue"))
    if refused is not None:
        return refused
    _record_export(request, [i.notice for i in items], "unmatched.xlsx")
    return xlsx.xlsx_response("unmatched", _("Unmatched payments"), QUEUE_COLUMNS, items)


@access.capability_required(PAYMENTS_ASSIGN)
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(selectors.notices_for(request.user).filter(state=ArrivalNotice.State.UNMATCHED), pk=pk)
    form = AssignForm(
        request.POST or None, initial={"id_no": notice.insured_id_no, "receivable_no": notice.receivable_no}
    )
    if request.method == "POST" and form.is_valid():
        persons = access.scoped(InsuredPerson.objects.all(), request.user, "village")
        person = persons.filter(id_no=normalize_id_no(form.cleaned_data["id_no"])).first()
        receivable = None
        if form.cleaned_data["receivable_no"]:
            receivable = (
                selectors.receivables_for(request.user)
                .filter(number=form.cleaned_data["receivable_no"].strip())
                .first()
            )
        if person is None:
            form.add_error("id_no", _("No insured person with this ID number in your region."))
        elif form.cleaned_data["receivable_no"] and receivable is None:
            form.add_error("receivable_no", _("No receivable with this number in your region."))
        else:
            try:
                services.assignment_propose(
                    notice=notice,
                    person=person,
                    receivable=receivable,
                    user=request.user,
                    note=form.cleaned_data["note"],
                )
            except RuleViolation as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _("The assignment waits for a colleague to confirm it."))
                return redirect("payments:queue")
    return render(request, "payments/assign.html", {"notice": notice, "form": form})


@access.capability_required(PAYMENTS_CONFIRM)
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    notices = selectors.notices_for(request.user)
    assignment = get_object_or_404(ManualAssignment.objects.filter(notice__in=notices), pk=pk)
    confirm = request.POST.get("decision") == "confirm"
    try:
        services.assignment_decide(assignment=assignment, user=request.user, confirm=confirm)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The payment has been credited.")
            if confirm
            else _("The assignment was rejected; the payment waits again."),
        )
    return redirect("payments:queue")
