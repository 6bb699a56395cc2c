"""The registry's lists as files (insured.exports): the persons and the access log. Each rebuilds
its list for a user from the page's parameters, so the same list is made at once or by a job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from insured import access, access_log, selectors
from insured.exports import Column, Kind, ListExport
from insured.forms import AccessLogFilterForm, PersonFilterForm
from insured.history import staff_name
from insured.models import AccessRecord, InsuredPerson
from insured.selectors import PaymentState

FILTERS = ("township", "village", "status", "payment")


def persons_in_scope(user: Any) -> QuerySet[InsuredPerson]:
    return access.scoped(InsuredPerson.objects.select_related("village__parent"), user, "village")


def person_rows(user: Any, params: Mapping[str, Any], form: PersonFilterForm | None = None) -> QuerySet[InsuredPerson]:
    """The person list as the page shows it: `params` holds the filters, the search (`q`, kept in
    the session by the page) and the `year` whose contribution is shown; `form`, the filters' form
    the page has already built from them."""
    if form is None:
        form = PersonFilterForm({k: params[k] for k in FILTERS if k in params}, scope=access.scope_region(user))
    return selectors.person_list(persons_in_scope(user), form.filters(params.get("q", "")), int(params["year"]))


def person_columns(user: Any, params: Mapping[str, Any]) -> list[Column]:
    columns = [
        Column(_("Name"), lambda p: p.name, width=10),
        Column(_("Resident ID number"), lambda p: p.masked_id_no, width=20),
        Column(_("Person number"), lambda p: p.person_no, width=16),
        Column(_("Sex"), lambda p: p.get_sex_display(), width=6),
        Column(_("Township"), lambda p: p.village.parent.name if p.village.parent else "", width=12),
        Column(_("Village"), lambda p: p.village.name, width=12),
        Column(_("Status"), lambda p: p.get_status_display(), width=10),
        Column(_("Enrolment date"), lambda p: p.enrolled_on, Kind.DAY, width=16),
    ]
    if access.has_capability(user, access.CONTRIBUTION_VIEW):
        columns += [
            Column(
                _("Contribution of %(year)s") % {"year": params["year"]},
                lambda p: PaymentState.labels[p.payment_state],
                width=14,
            ),
            Column(_("Arrived on"), lambda p: p.paid_on, Kind.DAY, width=16),
            Column(_("Tier (yuan)"), lambda p: p.tier, Kind.MONEY, width=12),
        ]
    return columns


PERSONS = ListExport(
    kind="insured.persons",
    label=_("Persons"),
    stem="persons",
    columns=person_columns,
    rows=person_rows,
    person_of=lambda p: p.pk,
)

ACCESS_FILTERS = ("what", "user", "since", "until")


def access_rows(user: Any, params: Mapping[str, Any]) -> QuerySet[AccessRecord]:
    """The access log as the auditor's page shows it: its filters and the person searched for (`q`)."""
    records = access_log.records_for(user)
    if params.get("q"):
        records = records.filter(person__in=selectors.person_search(persons_in_scope(user), params["q"]))
    filters = AccessLogFilterForm({k: params[k] for k in ACCESS_FILTERS if k in params} or None)
    return filters.apply(records) if filters.is_valid() else records


ACCESS_LOG = ListExport(
    kind="insured.access_log",
    label=_("Access log"),
    stem="access-log",
    columns=lambda user, params: [
        Column(_("Time"), lambda r: r.at, Kind.MOMENT, width=20),
        Column(_("Member of staff"), lambda r: staff_name(r.user), width=12),
        Column(_("Person"), lambda r: r.person.name, width=10),
        Column(_("Resident ID number"), lambda r: r.person.masked_id_no, width=20),
        Column(_("What"), lambda r: r.get_what_display(), width=12),
        Column(_("Detail"), lambda r: r.detail, width=30),
    ],
    rows=access_rows,
    person_of=lambda r: r.person_id,
)
