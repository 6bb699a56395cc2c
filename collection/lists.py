"""Collection's lists as files (insured.exports): the difference of an imported list, the people
behind a township's 台账, and the government-paid receivables still unpaid. Each rebuilds its list
for a user from the page's parameters, cut to the user's region, IDs masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from collection import selectors
from collection.models import GroupListRow
from insured.exports import Column, Kind, ListExport
from insured.identity import mask_id_no

OUTCOMES = set(GroupListRow.Outcome.values)


def _outcome(params: Mapping[str, Any]) -> str | None:
    value = params.get("outcome") or None
    return value if value in OUTCOMES else None


def difference_rows(user: Any, params: Mapping[str, Any]) -> Any:
    group_list = selectors.lists_for(user).filter(pk=int(params["list"])).first()
    if group_list is None:
        raise Http404
    return selectors.difference_rows(user, group_list, _outcome(params))


def ledger_rows(user: Any, params: Mapping[str, Any]) -> Any:
    township = selectors.townships_for(user).filter(code=str(params.get("township", ""))).first()
    if township is None:
        raise Http404
    month = params.get("month") or None
    try:
        month = dt.date.fromisoformat(f"{month}-01") if month else None
    except ValueError:
        month = None
    return selectors.ledger_rows(township, month, _outcome(params))


def _row_columns(user: Any, params: Mapping[str, Any]) -> list[Column]:
    return [
        Column(gettext_lazy("List month"), lambda r: f"{r.group_list.list_month:%Y-%m}", width=10),
        Column(gettext_lazy("Providing department"), lambda r: r.group_list.department, width=16),
        Column(gettext_lazy("Line"), lambda r: r.line, Kind.NUMBER, width=6),
        Column(gettext_lazy("What changed"), lambda r: r.get_outcome_display(), width=16),
        Column(gettext_lazy("Special group"), lambda r: r.get_group_display(), width=16),
        Column(gettext_lazy("Name"), lambda r: r.name, width=10),
        Column(gettext_lazy("Resident ID number"), lambda r: mask_id_no(r.id_no), width=20),
        Column(gettext_lazy("Township"), lambda r: r.township.name if r.township_id else "", width=14),
        Column(gettext_lazy("Village"), lambda r: r.person.village.name if r.person_id else "", width=14),
    ]


DIFFERENCE = ListExport(
    kind="collection.difference",
    label=gettext_lazy("Difference of a special-group list"),
    stem="group-list-difference",
    columns=_row_columns,
    rows=difference_rows,
    person_of=lambda r: r.person_id,
)

LEDGER = ListExport(
    kind="collection.ledger",
    label=gettext_lazy("Township ledger of the special groups"),
    stem="group-ledger",
    columns=_row_columns,
    rows=ledger_rows,
    person_of=lambda r: r.person_id,
)


def unpaid_rows(user: Any, params: Mapping[str, Any]) -> Any:
    return selectors.gov_paid_unpaid(user, timezone.localdate().year)


UNPAID = ListExport(
    kind="collection.gov_paid_unpaid",
    label=gettext_lazy("Government-paid contributions not yet paid"),
    stem="gov-paid-unpaid",
    columns=lambda user, params: [
        Column(gettext_lazy("Receivable number"), lambda r: r.number, width=20),
        Column(gettext_lazy("Township"), lambda r: r.person.village.parent.name, width=14),
        Column(gettext_lazy("Village"), lambda r: r.person.village.name, width=14),
        Column(gettext_lazy("Name"), lambda r: r.person.name, width=10),
        Column(gettext_lazy("Resident ID number"), lambda r: mask_id_no(r.person.id_no), width=20),
        Column(gettext_lazy("Amount"), lambda r: r.amount, Kind.MONEY, width=12),
        Column(gettext_lazy("Due date"), lambda r: r.due_date, Kind.DAY, width=14),
        Column(gettext_lazy("Status"), lambda r: r.get_status_display(), width=12),
    ],
    rows=unpaid_rows,
    person_of=lambda r: r.person_id,
)

EXPORTS = (DIFFERENCE, LEDGER, UNPAID)
