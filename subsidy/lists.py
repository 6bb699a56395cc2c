"""The sponsorship list as a file (insured.exports): rebuilt for a user from the page's tab, so
the same list is made at once or by a background job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from insured import access, queues
from insured.exports import Column, Kind, ListExport
from insured.history import staff_name
from subsidy import selectors
from subsidy.capabilities import SPONSORSHIP_REVIEW
from subsidy.models import SponsorshipApplication

Status = SponsorshipApplication.Status
REVIEW_TAB = queues.REVIEW_TAB
ALL_TAB = queues.ALL_TAB


def tab_of(user: Any, params: Mapping[str, Any]) -> str:
    return queues.shown_tab(params, statuses=Status, can_review=access.has_capability(user, SPONSORSHIP_REVIEW))


# What the list and its export show of each application's relations, and no more: planning the
# nine-table join of everything an application page shows took 9 ms of the reviewer's queue
# (docs/benchmarks.md).
LISTED_RELATIONS = ("beneficiary__village__parent", "submitted_by", "reviewed_by")


def application_rows(user: Any, params: Mapping[str, Any]) -> QuerySet[SponsorshipApplication]:
    tab = tab_of(user, params)
    if tab == REVIEW_TAB:
        applications = selectors.review_queue(user)
    else:
        applications = selectors.applications_for(user)
        applications = applications if tab == ALL_TAB else applications.filter(status=tab)
    return applications.select_related(None).select_related(*LISTED_RELATIONS)


APPLICATIONS = ListExport(
    kind="subsidy.applications",
    label=gettext_lazy("Personal sponsorship"),
    stem="sponsorship",
    columns=lambda user, params: [
        Column(gettext_lazy("Application number"), lambda a: a.number, width=20),
        Column(gettext_lazy("Entered at"), lambda a: a.submitted_at, Kind.MOMENT, width=20),
        Column(gettext_lazy("Beneficiary"), lambda a: a.beneficiary.name, width=10),
        Column(gettext_lazy("Resident ID number"), lambda a: a.beneficiary.masked_id_no, width=20),
        Column(gettext_lazy("Township"), lambda a: a.beneficiary.village.parent.name, width=12),
        Column(gettext_lazy("Village"), lambda a: a.beneficiary.village.name, width=12),
        Column(gettext_lazy("Sponsor"), lambda a: a.sponsor_name, width=10),
        Column(gettext_lazy("Relation to the beneficiary"), lambda a: a.get_relation_display(), width=10),
        Column(gettext_lazy("Year"), lambda a: a.year, Kind.NUMBER, width=6),
        Column(gettext_lazy("Amount (yuan)"), lambda a: a.amount, Kind.MONEY, width=12),
        Column(gettext_lazy("Status"), lambda a: a.get_status_display(), width=16),
        Column(gettext_lazy("Entered by"), lambda a: staff_name(a.submitted_by), width=10),
        Column(gettext_lazy("Reviewed by"), lambda a: staff_name(a.reviewed_by) if a.reviewed_by else "", width=10),
    ],
    rows=application_rows,
    person_of=lambda a: a.beneficiary_id,
)
