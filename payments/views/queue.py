"""Staff pages of payments: notice batches, receivables and their files for tax, and the
unmatched queue 手工划账 with its maker-checker."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from insured import access
from insured import exports as xlsx
from insured.forms import add_rule_error
from insured.identity import normalize_id_no
from insured.models import InsuredPerson
from insured.rules import RuleViolation
from payments import exports, lists, selectors, services
from payments.capabilities import PAYMENTS_ASSIGN, PAYMENTS_CONFIRM, PAYMENTS_VIEW, RECEIVABLES_EXPORT
from payments.forms import AssignForm, ReceivableFilterForm
from payments.models import ArrivalNotice, ManualAssignment


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.batches_for(request.user), 30).get_page(request.GET.get("page"))
    figures = selectors.batch_figures(request.user, list(page.object_list))
    rows = [(batch, figures[batch.pk]) for batch in page.object_list]
    context = {"page": page, "rows": rows, "work": selectors.waiting_work(selectors.batches_for(request.user))}
    return render(request, "payments/batch_list.html", context)


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_list_export(request: HttpRequest) -> HttpResponse:
    return xlsx.export(request, lists.BATCHES, {}, reverse("payments:batch-list"))


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    notices = selectors.notices_for(request.user).filter(batch=batch).select_related("person").order_by("id")
    page = Paginator(notices, 100).get_page(request.GET.get("page"))
    figures = selectors.batch_figures(request.user, [batch])[batch.pk]
    return render(request, "payments/batch_detail.html", {"batch": batch, "figures": figures, "page": page})


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def batch_detail_export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    return xlsx.export(request, lists.NOTICES, {"batch": batch.pk}, reverse("payments:batch-detail", args=[batch.pk]))


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def receivable_list(request: HttpRequest) -> HttpResponse:
    filters = ReceivableFilterForm(request.GET)
    receivables = lists.receivable_rows(request.user, request.GET)
    context = {
        "filters": filters,
        "page": Paginator(receivables, 50).get_page(request.GET.get("page")),
        "exports": selectors.exports_for(request.user)[:20],
    }
    return render(request, "payments/receivable_list.html", context)


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def receivable_export_xlsx(request: HttpRequest) -> HttpResponse:
    back = f"{reverse('payments:receivable-list')}?{request.GET.urlencode()}"
    return xlsx.export(request, lists.RECEIVABLES, request.GET.dict(), back)


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


@access.capability_required(PAYMENTS_VIEW)
@require_GET
def queue_export(request: HttpRequest) -> HttpResponse:
    return xlsx.export(request, lists.QUEUE, {}, reverse("payments:queue"))


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
