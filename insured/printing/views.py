"""The printing pages: a batch of forms chosen by filters and printed in the background, the print
log beside the access log, and the check-code lookup that shows what a form said when printed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from insured import access
from insured.printing import batches, selectors
from insured.printing.forms import PrintLogFilterForm, VerifyForm

PREVIEW_ROWS = 10


@access.capability_required(access.PRINT_BATCH)
@require_http_methods(["GET", "POST"])
def batch_page(request: HttpRequest) -> HttpResponse:
    """Choose a kind of form and its filters (GET shows how many forms they select), then print
    them (POST: a background job, whose page shows the progress and the download)."""
    kinds = batches.kinds_for(request.user)
    data = request.POST if request.method == "POST" else request.GET
    kind = batches.kind_for(request.user, data.get("batch", "")) or (kinds[0] if kinds else None)
    form = kind.filters(data if "batch" in data else None) if kind else None
    selected = kind.select(request.user, form.cleaned_data) if form is not None and form.is_valid() else None
    if request.method == "POST" and selected is not None:
        try:
            job = batches.batch_create(user=request.user, kind=kind, form=form)
        except batches.BatchRefused as refused:
            messages.error(request, refused.message)
        else:
            return redirect("insured:job-detail", pk=job.pk)
    context = {
        "kinds": kinds,
        "kind": kind,
        "form": form,
        "count": selected.count() if selected is not None else None,
        "preview": [kind.describe(d) for d in selected[:PREVIEW_ROWS]] if selected is not None else [],
        "max_forms": batches.MAX_FORMS,
    }
    return render(request, "insured/print_batch.html", context, status=400 if request.method == "POST" else 200)


@access.capability_required(access.AUDIT_VIEW)
@require_GET
def print_log(request: HttpRequest) -> HttpResponse:
    """Who printed what, in the reader's region: every form, newest first."""
    filters = PrintLogFilterForm(request.GET or None, forms_printed=selectors.forms_printed(request.user))
    records = selectors.records_for(request.user)
    if filters.is_valid():
        records = filters.apply(records)
    context = {"filters": filters, "page": Paginator(records, 50).get_page(request.GET.get("page"))}
    return render(request, "insured/print_log.html", context)


@access.capability_required(access.PRINT_VERIFY)
@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """A check code typed from a paper form: what every form printed with it said, and whether the
    document has changed since (a check code is not personal data: it may be in the URL)."""
    form = VerifyForm(request.GET or None)
    printings = selectors.printings_of_code(request.user, form.cleaned_data["code"]) if form.is_valid() else None
    return render(request, "insured/print_verify.html", {"form": form, "printings": printings})
