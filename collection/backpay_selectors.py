"""Reads of back payment and the supplementary pension, always cut to the user's region through
the person's village: an application outside it is simply not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from collection import backpay_services as services
from collection.backpay_models import BackPaymentApplication, BackPaymentScheme, BackPaymentYear
from collection.capabilities import BACKPAY_ENTER
from insured import access, rules
from insured.history import Change, changes_of
from insured.identity import normalize_id_no
from insured.models import AccountEntry, InsuredPerson, PolicyTier
from insured.printing.forms import month_bounds
from insured.selectors import policy_for_or_none
from payments.models import ArrivalNotice

REGION_PATH = "person__village"
Kind = AccountEntry.Kind


def applications_for(user: Any) -> QuerySet[BackPaymentApplication]:
    return access.scoped(
        BackPaymentApplication.objects.select_related(
            "person__village__parent", "submitted_by", "reviewed_by", "closed_by"
        ),
        user,
        REGION_PATH,
    )


def application_get(user: Any, pk: int) -> BackPaymentApplication:
    return access.scoped_get(applications_for(user), user, REGION_PATH, pk=pk)


def review_queue(user: Any) -> QuerySet[BackPaymentApplication]:
    """What waits for this reviewer, oldest first; never what they entered themselves."""
    return (
        applications_for(user)
        .filter(status=BackPaymentApplication.Status.SUBMITTED)
        .exclude(submitted_by=user)
        .order_by("submitted_at", "id")
    )


def person_in_scope(user: Any, id_no: str) -> InsuredPerson | None:
    persons = access.scoped(InsuredPerson.objects.select_related("village__parent"), user, "village")
    return persons.filter(id_no=normalize_id_no(id_no)).first()


def person_get(user: Any, pk: int) -> InsuredPerson:
    persons = InsuredPerson.objects.select_related("village__parent").prefetch_related("memberships")
    return access.scoped_get(persons, user, "village", pk=pk)


def application_years(application: BackPaymentApplication) -> list[BackPaymentYear]:
    return list(application.years.select_related("receivable").order_by("year"))


def credit_notices(application: BackPaymentApplication) -> dict[int, ArrivalNotice]:
    """The tax payment that credited each year (year → notice)."""
    notices = ArrivalNotice.objects.filter(
        receivable__back_payment_year__application=application, state=ArrivalNotice.State.CREDITED
    ).order_by("paid_at", "id")
    return {n.year: n for n in notices}


def application_history(application: BackPaymentApplication) -> list[Change]:
    """Every saved change of the application and of its years, newest first."""
    records = list(application.history.select_related("history_user"))
    changes = changes_of(records, BackPaymentApplication, lambda r: _("back-payment application"))
    for row in application.years.all():
        year_records = list(row.history.select_related("history_user"))
        changes += changes_of(year_records, BackPaymentYear, lambda r, y=row.year: _("year %(year)s") % {"year": y})
    return sorted(changes, key=lambda c: c.when, reverse=True)


def waiting_payments(person: InsuredPerson) -> list[ArrivalNotice]:
    """Payments for past years of this person waiting for a back payment to be approved (rule 5)."""
    return list(
        ArrivalNotice.objects.filter(
            insured_id_no=person.id_no,
            state=ArrivalNotice.State.UNMATCHED,
            reason=ArrivalNotice.Reason.BACK_PAYMENT_REQUIRED,
        ).order_by("year", "paid_at")
    )


@dataclass(frozen=True)
class IntakeChoices:
    """What the township office chooses from for one person and scheme."""

    scheme: str
    tiers: list[PolicyTier]
    years: list[int]  # past years not paid and not applied for, latest first
    paid: set[int]
    applied: dict[int, str]
    aged_allowance: int | None  # 到龄补缴: how many years may be paid back; None when not 60 yet


def intake_choices(person: InsuredPerson, scheme: str, today: dt.date | None = None) -> IntakeChoices:
    today = today or timezone.localdate()
    policy = policy_for_or_none(person.village, today.year)
    tiers = []
    if policy is not None:
        tiers = policy.supplementary_tiers() if scheme == BackPaymentScheme.SUPPLEMENTARY else policy.basic_tiers()
    paid = services.paid_years(person, scheme)
    applied = services.applied_years(person, scheme)
    first = rules.first_eligible_year(person.birth_date)
    years = [y for y in range(today.year - 1, first - 1, -1) if y not in paid and y not in applied]
    aged = None
    if scheme == BackPaymentScheme.BASIC and rules.reaches_pension_age(person.birth_date, today):
        aged, _open = rules.aged_back_payment_years(birth_date=person.birth_date, paid_years=paid, today=today)
    return IntakeChoices(scheme, tiers, years, paid, applied, aged)


@dataclass(frozen=True)
class SupplementaryYear:
    year: int
    contribution: Decimal
    subsidy: Decimal


def supplementary_account(person: InsuredPerson, entries: list[AccountEntry] | None = None) -> list[SupplementaryYear]:
    """The supplementary pension in the account, year by year, apart from the basic pension (004):
    contributions and their subsidy, less what a reversal or a refund took out. `entries`: every
    entry of the person, when read already."""
    if entries is None:
        entries = list(person.entries.select_related("reverses").order_by("-year", "posted_at", "id"))
    kinds = {e.pk: e.kind for e in entries}
    contribution: dict[int, Decimal] = {}
    subsidy: dict[int, Decimal] = {}
    for e in entries:
        # An entry takes out one of the same person's (insured.ledger); the fallback reads it.
        kind = (kinds.get(e.reverses_id) or e.reverses.kind) if e.reverses_id else e.kind
        if kind == Kind.SUPPLEMENTARY:
            contribution[e.year] = contribution.get(e.year, Decimal("0.00")) + e.amount
        elif kind == Kind.SUPPLEMENTARY_SUBSIDY:
            subsidy[e.year] = subsidy.get(e.year, Decimal("0.00")) + e.amount
    years = sorted(set(contribution) | set(subsidy), reverse=True)
    return [SupplementaryYear(y, contribution.get(y, Decimal("0.00")), subsidy.get(y, Decimal("0.00"))) for y in years]


def person_panel(user: Any, person: InsuredPerson, *, entries: list[AccountEntry] | None = None) -> dict[str, Any]:
    """The back-payment panel of the person page; `entries`: the person's ledger if read already."""
    supplementary = supplementary_account(person, entries)
    return {
        "person": person,
        "applications": list(
            applications_for(user).filter(person=person).prefetch_related("years").order_by("-submitted_at")[:50]
        ),
        "waiting": waiting_payments(person),
        "supplementary": supplementary,
        "supplementary_total": sum((y.contribution + y.subsidy for y in supplementary), Decimal("0.00")),
        "can_enter": access.has_capability(user, BACKPAY_ENTER),
    }


def applications_to_print(user: Any, filters: dict[str, Any]) -> QuerySet[BackPaymentApplication]:
    """The application forms of a month (entered then), in one state or all, in the order they were
    entered: what the auditor prints as one batch."""
    start, end = month_bounds(filters["month"])
    applications = applications_for(user).filter(submitted_at__gte=start, submitted_at__lt=end)
    if filters.get("status"):
        applications = applications.filter(status=filters["status"])
    return applications.select_related("person__village__parent__parent__parent__parent").order_by("submitted_at", "id")
