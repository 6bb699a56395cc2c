"""Batch printing: the forms a filter selects (a month's sponsorship applications, a filing's
rosters, a month's refunds), printed by a Celery worker as one PDF/A file, a page (or more) per
form, while the job's page shows the progress (insured.jobs).

An app registers each kind of batch it offers from its AppConfig.ready():

    batches.register(batches.BatchKind(
        key="subsidy.applications", label=_("Sponsorship application forms"), capability=SPONSORSHIP_VIEW,
        filters=ApplicationBatchForm, select=selectors.applications_to_print, sheet=pdf.batch_sheet,
        title=pdf.batch_title,
    ))

`filters` is a Django form (its fields are the page's filters); `select(user, cleaned_data)` gives
the documents in the user's scope, in the order they print; `sheet(document, cleaned_data)`
describes one document's form; `title(cleaned_data)` names the file; `describe(document)` lists it
in the page's preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insured import access, jobs
from insured.models import Job
from insured.printing.sheets import Sheet, print_sheets

JOB_KIND = "insured.print_batch"
# A laid-out page holds about 1.2 MB until the file is written (bench/pdf.py): 1,000 forms need a
# worker with ~1.3 GB to spare and take about a minute; beyond that, a narrower filter.
MAX_FORMS = 1000


@dataclass(frozen=True)
class BatchKind:
    key: str
    label: Any  # a lazy translation
    capability: str  # besides PRINT_BATCH: the capability that reads these documents
    filters: type[forms.Form]
    select: Callable[[Any, dict[str, Any]], QuerySet]
    sheet: Callable[[Any, dict[str, Any]], Sheet]
    title: Callable[[dict[str, Any]], str]
    order: int = 100
    describe: Callable[[Any], str] = str  # a document as the page's preview lists it


_kinds: dict[str, BatchKind] = {}


def register(kind: BatchKind) -> None:
    """Idempotent: registering a kind again replaces it."""
    _kinds[kind.key] = kind


def kinds_for(user: Any) -> list[BatchKind]:
    return sorted((k for k in _kinds.values() if access.has_capability(user, k.capability)), key=lambda k: k.order)


def kind_for(user: Any, key: str) -> BatchKind | None:
    kind = _kinds.get(key)
    return kind if kind is not None and access.has_capability(user, kind.capability) else None


def filter_params(form: forms.Form) -> dict[str, str]:
    """The filters as the job keeps them: each field's submitted text, bound again by the worker."""
    return {name: str(form.data.get(form.add_prefix(name), "")) for name in form.fields}


class BatchRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def batch_create(*, user: Any, kind: BatchKind, form: forms.Form) -> Job:
    """Ask a worker for the batch the valid `form` selects. Refused when it selects nothing or
    more than MAX_FORMS."""
    count = kind.select(user, form.cleaned_data).count()
    check_size(count)
    return jobs.job_create(
        kind=JOB_KIND, user=user, params={"batch": kind.key, "filters": filter_params(form)}, total=count + 1
    )


def check_size(count: int) -> None:
    if count == 0:
        raise BatchRefused(_("No form matches these filters; nothing to print."))
    if count > MAX_FORMS:
        raise BatchRefused(
            _("%(count)s forms match; a batch prints at most %(max)s. Narrow the filters.")
            % {"count": count, "max": MAX_FORMS}
        )


def run_batch(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    user = job.requested_by
    kind = kind_for(user, job.params.get("batch", ""))
    if kind is None:
        raise BatchRefused(_("This kind of batch cannot be printed by you."))
    form = kind.filters(data=job.params.get("filters", {}))
    if not form.is_valid():
        raise BatchRefused(_("The filters of this batch are no longer valid; ask for it again."))
    documents = list(kind.select(user, form.cleaned_data)[: MAX_FORMS + 1])
    check_size(len(documents))
    total = len(documents) + 1  # the last step writes the file
    progress(0, total)
    sheets = [kind.sheet(document, form.cleaned_data) for document in documents]
    title = kind.title(form.cleaned_data)
    printed = print_sheets(sheets, user=user, title=title, job=job, progress=lambda done: progress(done, total))
    stamp = timezone.localtime(printed.records[0].at).strftime("%Y%m%d-%H%M")
    return jobs.JobResult(
        message=_("%(count)s forms are printed on %(pages)s pages.") % {"count": len(sheets), "pages": printed.pages},
        content=printed.content,
        filename=f"{kind.key.replace('.', '-')}-{stamp}.pdf",
        content_type="application/pdf",
        data={
            "count": len(sheets),
            "pages": printed.pages,
            "title": title,
            "url": reverse("insured:print-batch") + f"?batch={kind.key}",
            "url_label": _("Print another batch"),
        },
    )


JOB = jobs.JobKind(JOB_KIND, gettext_lazy("Batch printing"), run_batch)
