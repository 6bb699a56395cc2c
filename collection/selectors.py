"""Reads of collection, each cut to the user's region: the lists and their differences, the
township 台账 of notice 003 二(一) and 五(三), what the government still has to pay this year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from collection.models import GroupList, GroupListRow
from collection.services import ENROLLED, GOV_PAID_SOURCE, gov_paid_members
from insured import access, rules
from insured.models import InsuredPerson, PolicyYear, Region, SpecialGroup, SpecialGroupMembership
from insured.selectors import PolicyResolver
from payments.models import PaymentKind, Receivable

Outcome = GroupListRow.Outcome
COUNTY_LEVELS = (Region.Level.COUNTY, Region.Level.CITY, Region.Level.PROVINCE)


def lists_for(user: Any) -> QuerySet[GroupList]:
    """The imports a user sees: their county's (a township office sees its county's lists, and in
    them only its own township's rows)."""
    region = access.scope_region(user)
    lists = GroupList.objects.select_related("county", "uploaded_by")
    if region is None:
        return lists.none()
    if region.level in COUNTY_LEVELS:
        return access.scoped(lists, user, "county")
    county = region.parent if region.level == Region.Level.TOWNSHIP else region.parent.parent
    return lists.filter(county=county)


def rows_for(user: Any, rows: QuerySet[GroupListRow]) -> QuerySet[GroupListRow]:
    """Rows in the user's scope: a county's staff see every row of their lists, a township office
    the rows of persons registered in its township."""
    region = access.scope_region(user)
    if region is None:
        return rows.none()
    if region.level in COUNTY_LEVELS:
        return access.scoped(rows, user, "group_list__county")
    return access.scoped(rows, user, "township")


def outcome_counts(rows: QuerySet[GroupListRow]) -> dict[str, int]:
    counts = {o: 0 for o in Outcome.values}
    for row in rows.order_by().values("outcome").annotate(n=Count("pk")):
        counts[row["outcome"]] = row["n"]
    return counts


def difference_rows(user: Any, group_list: GroupList, outcome: str | None) -> QuerySet[GroupListRow]:
    rows = rows_for(user, group_list.rows.select_related("township", "person__village"))
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("outcome", "line", "id")


def townships_for(user: Any) -> QuerySet[Region]:
    return access.scoped(Region.objects.filter(level=Region.Level.TOWNSHIP), user, "").order_by("code")


@dataclass
class LedgerLine:
    """One special group's line of a township's 台账."""

    group: str
    label: str
    members: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> list[int]:
        return [self.outcomes[o] for o in Outcome.values]


def township_ledger(township: Region, month: dt.date | None, today: dt.date) -> dict[str, Any]:
    """003 二(一) 建立健全政府代缴"五类"人员工作台账: per group, the members today, and what the
    month's lists said of the township's people (new, left, unchanged and each follow-up)."""
    lines = {g: LedgerLine(g, str(label), outcomes={o: 0 for o in Outcome.values}) for g, label in SpecialGroup.choices}
    members = (
        SpecialGroupMembership.objects.filter(person__village__parent=township, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values("group")
        .annotate(n=Count("person", distinct=True))
        .order_by()
    )
    for row in members:
        lines[row["group"]].members = row["n"]
    rows = GroupListRow.objects.filter(township=township)
    if month is not None:
        rows = rows.filter(group_list__list_month=month)
    for row in rows.values("group", "outcome").annotate(n=Count("pk")).order_by():
        lines[row["group"]].outcomes[row["outcome"]] = row["n"]
    totals = {o: sum(line.outcomes[o] for line in lines.values()) for o in Outcome.values}
    return {
        "lines": list(lines.values()),
        "totals": totals,
        "total_counts": [totals[o] for o in Outcome.values],
        "members_total": sum(line.members for line in lines.values()),
    }


def ledger_rows(township: Region, month: dt.date | None, outcome: str | None) -> QuerySet[GroupListRow]:
    rows = GroupListRow.objects.filter(township=township).select_related("group_list", "person__village")
    if month is not None:
        rows = rows.filter(group_list__list_month=month)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("outcome", "group", "id_no")


def list_months(user: Any) -> list[dt.date]:
    return sorted(set(lists_for(user).values_list("list_month", flat=True)), reverse=True)


# --- What the government still has to pay -----------------------------------------------------------


def policy_of(region: Region, year: int) -> PolicyYear | None:
    """The policy of a county, township or village's year (their codes begin with the county's)."""
    return PolicyResolver().get(region.code, year)


def gov_paid_unpaid(user: Any, year: int) -> QuerySet[Receivable]:
    """The government-paid receivables of the year not yet paid, in the user's scope."""
    receivables = Receivable.objects.filter(
        source_type=GOV_PAID_SOURCE,
        kind=PaymentKind.GOVERNMENT_PAID,
        year=year,
        status__in=[Receivable.Status.OPEN, Receivable.Status.SENT],
    ).select_related("person__village__parent")
    return access.scoped(receivables, user, "person__village").order_by("person__village__code", "person__person_no")


@dataclass(frozen=True)
class GovPaidStanding:
    year: int
    deadline: dt.date | None
    state: str  # rules.gov_paid_deadline_state
    days_left: int | None
    unpaid: int
    paid: int
    to_generate: int


def gov_paid_standing(user: Any, region: Region, year: int, today: dt.date) -> GovPaidStanding:
    """The year's government-paid work in the user's scope: receivables unpaid and paid, members
    still without one (what the next generation makes), and the deadline (003 二(二))."""
    policy = policy_of(region, year)
    deadline = policy.gov_paid_deadline if policy else None
    receivables = access.scoped(
        Receivable.objects.filter(source_type=GOV_PAID_SOURCE, year=year), user, "person__village"
    )
    counts = receivables.aggregate(
        unpaid=Count("pk", filter=Q(status__in=[Receivable.Status.OPEN, Receivable.Status.SENT])),
        paid=Count("pk", filter=Q(status=Receivable.Status.PAID)),
    )
    to_generate = 0
    if policy is not None and rules.paying_groups(policy):
        villages = access.scoped(Region.objects.filter(level=Region.Level.VILLAGE), user, "")
        to_generate = gov_paid_members(list(villages.values_list("pk", flat=True)), policy, year).count()
    return GovPaidStanding(
        year=year,
        deadline=deadline,
        state=rules.gov_paid_deadline_state(deadline, today),
        days_left=(deadline - today).days if deadline else None,
        unpaid=counts["unpaid"],
        paid=counts["paid"],
        to_generate=to_generate,
    )


def groups_in_order(memberships: Iterable[SpecialGroupMembership]) -> list[SpecialGroupMembership]:
    """A person's memberships (read already, with the person) by group, the latest first."""
    latest_first = sorted(memberships, key=lambda m: m.valid_from, reverse=True)
    return sorted(latest_first, key=lambda m: m.group)


def person_gov_paid(person: InsuredPerson, year: int) -> Receivable | None:
    return (
        Receivable.objects.filter(person=person, year=year, kind=PaymentKind.GOVERNMENT_PAID)
        .order_by("-created_at")
        .first()
    )


def is_enrolled(person: InsuredPerson) -> bool:
    return person.status in ENROLLED
