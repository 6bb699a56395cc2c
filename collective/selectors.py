"""Reads of collective subsidy and social sponsorship, always cut to the user's region: an
organisation and a collective filing through their village, a social sponsorship through the
county agency that took it, a roster through its filing, a row in a summary through the
beneficiary's village. Out of scope is not found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from collective.models import Filing, Organisation, Roster, RosterRow
from insured import access, bulk
from insured.history import Change, changes_of

ORGANISATION_PATH = "village"
FILING_PATH = "region"
ROSTER_PATH = "filing__region"
ROW_PATH = "person__village"


def organisations_for(user: Any) -> QuerySet[Organisation]:
    return access.scoped(
        Organisation.objects.select_related("village__parent", "created_by", "virtual_unit_recorded_by"),
        user,
        ORGANISATION_PATH,
    )


def organisation_get(user: Any, pk: int) -> Organisation:
    return access.scoped_get(organisations_for(user), user, ORGANISATION_PATH, pk=pk)


def filings_for(user: Any) -> QuerySet[Filing]:
    return access.scoped(
        Filing.objects.select_related("organisation__village__parent", "region", "created_by"), user, FILING_PATH
    )


def filing_get(user: Any, pk: int) -> Filing:
    return access.scoped_get(filings_for(user), user, FILING_PATH, pk=pk)


def rosters_for(user: Any) -> QuerySet[Roster]:
    return access.scoped(
        Roster.objects.select_related(
            "filing__organisation__village__parent",
            "filing__region",
            "uploaded_by",
            "submitted_by",
            "reviewed_by",
            "approved_by",
            "rejected_by",
        ),
        user,
        ROSTER_PATH,
    )


def roster_get(user: Any, pk: int) -> Roster:
    return access.scoped_get(rosters_for(user), user, ROSTER_PATH, pk=pk)


def roster_by_check_code(user: Any, code: str) -> Roster | None:
    return rosters_for(user).filter(check_code=code.strip().upper()).first()


@dataclass(frozen=True)
class QueueItem:
    roster: Roster
    due_on: dt.date | None
    is_overdue: bool


def review_queue(user: Any, today: dt.date | None = None) -> list[QueueItem]:
    """Rosters waiting for the county, oldest first, with the first review's deadline (001 附件1 三);
    never what the user entered or reviewed first themselves."""
    today = today or timezone.localdate()
    waiting = (
        rosters_for(user)
        .filter(status__in=Roster.PENDING)
        .exclude(uploaded_by=user)
        .exclude(Q(status=Roster.Status.REVIEWED) & Q(reviewed_by=user))
        .order_by("submitted_at", "id")
    )
    return [QueueItem(r, r.first_review_due_on, is_overdue(r, today)) for r in waiting]


def is_overdue(roster: Roster, today: dt.date) -> bool:
    """The first review is late: still waiting for it after its due day."""
    return (
        roster.status == Roster.Status.SUBMITTED
        and roster.first_review_due_on is not None
        and today > roster.first_review_due_on
    )


@dataclass(frozen=True)
class RowCounts:
    count: int
    total: Decimal
    paid_count: int
    paid_total: Decimal
    collective_total: Decimal
    social_total: Decimal

    @property
    def unpaid_count(self) -> int:
        return self.count - self.paid_count

    @property
    def unpaid_total(self) -> Decimal:
        return self.total - self.paid_total


def row_counts(roster: Roster) -> RowCounts:
    paid = Q(paid_at__isnull=False)
    figures = roster.rows.aggregate(
        count=Count("pk"),
        total=Sum("amount"),
        paid_count=Count("pk", filter=paid),
        paid_total=Sum("amount", filter=paid),
        collective_total=Sum("amount", filter=Q(kind=RosterRow.Kind.COLLECTIVE)),
        social_total=Sum("amount", filter=Q(kind=RosterRow.Kind.SOCIAL)),
    )
    zero = Decimal("0.00")
    return RowCounts(**{k: v if v is not None else (0 if k.endswith("count") else zero) for k, v in figures.items()})


def roster_rows(roster: Roster) -> QuerySet[RosterRow]:
    return roster.rows.select_related("person__village__parent", "receivable").order_by("seq")


def roster_person_ids(roster: Roster) -> list[int]:
    return list(roster.rows.values_list("person_id", flat=True))


def person_rows(person_id: int) -> QuerySet[RosterRow]:
    """A person's collective subsidy and social sponsorship, approved or waiting (the person page)."""
    return (
        RosterRow.objects.filter(person_id=person_id)
        .exclude(roster__status__in=[Roster.Status.DRAFT, Roster.Status.DISCARDED])
        .select_related("roster__filing__organisation", "receivable")
        .order_by("-roster__filing__year", "-roster__uploaded_at")
    )


def filing_totals(filing: Filing) -> dict[str, Decimal | int]:
    """The year's live rosters under a plan: how many persons and how much, against the plan."""
    figures = RosterRow.objects.filter(roster__filing=filing, roster__status__in=Roster.LIVE).aggregate(
        count=Count("person", distinct=True), total=Sum("amount")
    )
    return {"count": figures["count"] or 0, "total": figures["total"] or Decimal("0.00")}


def history_of(obj: Any, model: type, subject: str) -> list[Change]:
    records = list(obj.history.select_related("history_user"))
    return changes_of(records, model, lambda r: subject)[::-1]


def roster_history(roster: Roster) -> list[Change]:
    return history_of(roster, Roster, _("roster"))


def pending_support(person_ids: Collection[int], year: int) -> dict[int, Decimal]:
    """Rows submitted but not yet approved, by person: what rule 1 counts in the other apps' checks
    before approval (insured.plugins.pending_support)."""
    rows = (
        RosterRow.objects.filter(person_id__in=bulk.any_of(person_ids, "bigint"), roster__filing__year=year)
        .filter(roster__status__in=Roster.PENDING)
        .order_by()
        .values("person_id")
        .annotate(total=Sum("amount"))
    )
    return {row["person_id"]: row["total"] for row in rows}


def rosters_to_print(user: Any, filters: dict[str, Any]) -> QuerySet[Roster]:
    """The rosters of a year (or of one filing) whose forms the auditor prints as one batch, by
    filing and roster number; a payment notice or a receivables statement only of approved ones."""
    rosters = rosters_for(user).filter(filing__year=filters["year"])
    if filters.get("filing"):
        rosters = rosters.filter(filing__number=filters["filing"])
    if filters.get("status"):
        rosters = rosters.filter(status=filters["status"])
    else:
        rosters = rosters.exclude(status__in=(Roster.Status.DRAFT, Roster.Status.DISCARDED))
    if filters["form"] != "roster":
        rosters = rosters.filter(status__in=Roster.APPROVED_STATES)
    return rosters.order_by("filing__number", "number")
