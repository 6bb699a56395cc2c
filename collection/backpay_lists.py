"""The back-payment list as a file (insured.exports): rebuilt for a user from the page's tab, so
the same list is made at once or by a background job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from collection import backpay_selectors as selectors
from collection.backpay_models import BackPaymentApplication
from collection.capabilities import BACKPAY_REVIEW
from insured import access, queues
from insured.exports import Column, Kind, ListExport
from insured.history import staff_name

Status = BackPaymentApplication.Status
REVIEW_TAB = queues.REVIEW_TAB
ALL_TAB = queues.ALL_TAB


def tab_of(user: Any, params: Mapping[str, Any]) -> str:
    return queues.shown_tab(params, statuses=Status, can_review=access.has_capability(user, BACKPAY_REVIEW))


def application_rows(user: Any, params: Mapping[str, Any]) -> QuerySet[BackPaymentApplication]:
    tab = tab_of(user, params)
    if tab == REVIEW_TAB:
        rows = selectors.review_queue(user)
    else:
        rows = selectors.applications_for(user)
        rows = rows if tab == ALL_TAB else rows.filter(status=tab)
    return rows.prefetch_related("years")


def _years(a: BackPaymentApplication) -> str:
    return "、".join(str(y.year) for y in sorted(a.years.all(), key=lambda y: y.year))


APPLICATIONS = ListExport(
    kind="collection.backpay",
    label=gettext_lazy("Back payments"),
    stem="back-payments",
    columns=lambda user, params: [
        Column(gettext_lazy("Application number"), lambda a: a.number, width=20),
        Column(gettext_lazy("Entered at"), lambda a: a.submitted_at, Kind.MOMENT, width=20),
        Column(gettext_lazy("Insured person"), lambda a: a.person.name, width=10),
        Column(gettext_lazy("Resident ID number"), lambda a: a.person.masked_id_no, width=20),
        Column(gettext_lazy("Township"), lambda a: a.person.village.parent.name, width=12),
        Column(gettext_lazy("Village"), lambda a: a.person.village.name, width=12),
        Column(gettext_lazy("Scheme"), lambda a: a.get_scheme_display(), width=12),
        Column(gettext_lazy("Basis"), lambda a: a.get_basis_display(), width=24),
        Column(gettext_lazy("Years paid back"), _years, width=24),
        Column(gettext_lazy("Tier (yuan a year)"), lambda a: a.tier, Kind.MONEY, width=12),
        Column(gettext_lazy("Total (yuan)"), lambda a: a.total, Kind.MONEY, width=12),
        Column(gettext_lazy("Status"), lambda a: a.get_status_display(), width=16),
        Column(gettext_lazy("Entered by"), lambda a: staff_name(a.submitted_by), width=10),
        Column(gettext_lazy("Reviewed by"), lambda a: staff_name(a.reviewed_by) if a.reviewed_by else "", width=10),
    ],
    rows=application_rows,
    person_of=lambda a: a.person_id,
)
