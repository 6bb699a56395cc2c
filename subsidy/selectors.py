"""Reads of personal sponsorship, always cut to the user's region through the beneficiary's
village: an application outside it is simply not found."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from insured import access, bulk
from insured.history import Change, changes_of
from insured.identity import normalize_id_no
from insured.models import InsuredPerson
from insured.printing.forms import month_bounds
from payments.models import ArrivalNotice
from subsidy.models import SponsorshipApplication

REGION_PATH = "beneficiary__village"


def applications_for(user: Any) -> QuerySet[SponsorshipApplication]:
    return access.scoped(
        SponsorshipApplication.objects.select_related(
            "beneficiary__village__parent", "submitted_by", "reviewed_by", "signed_by", "closed_by", "receivable"
        ),
        user,
        REGION_PATH,
    )


def application_get(user: Any, pk: int) -> SponsorshipApplication:
    return access.scoped_get(applications_for(user), user, REGION_PATH, pk=pk)


def review_queue(user: Any) -> QuerySet[SponsorshipApplication]:
    """What waits for this reviewer, oldest first; never what they entered themselves."""
    return (
        applications_for(user)
        .filter(status=SponsorshipApplication.Status.SUBMITTED)
        .exclude(submitted_by=user)
        .order_by("submitted_at", "id")
    )


def beneficiary_by_id_no(user: Any, id_no: str) -> InsuredPerson | None:
    persons = access.scoped(InsuredPerson.objects.select_related("village__parent"), user, "village")
    return persons.filter(id_no=normalize_id_no(id_no)).first()


def application_by_check_code(user: Any, code: str) -> SponsorshipApplication | None:
    return applications_for(user).filter(check_code=code.strip().upper()).first()


def credit_notice(application: SponsorshipApplication) -> ArrivalNotice | None:
    """The tax payment that credited the application: its voucher and time (000 三(三)2)."""
    if application.receivable is None:
        return None
    return application.receivable.notices.filter(state=ArrivalNotice.State.CREDITED).order_by("paid_at", "id").first()


def application_history(application: SponsorshipApplication) -> list[Change]:
    """Every saved change, newest first, with each changed field as (label, before, after)."""
    records = list(application.history.select_related("history_user"))
    return changes_of(records, SponsorshipApplication, lambda r: _("application"))[::-1]


def pending_support(person_ids: Collection[int], year: int) -> dict[int, Decimal]:
    """Sponsorship entered but not yet reviewed, by beneficiary: what rule 1 counts in the other
    apps' checks before approval (insured.plugins.pending_support). Approved sponsorship is
    reserved on the person-year and is not counted here."""
    rows = (
        SponsorshipApplication.objects.filter(
            beneficiary_id__in=bulk.any_of(person_ids, "bigint"),
            year=year,
            status=SponsorshipApplication.Status.SUBMITTED,
        )
        .order_by()
        .values("beneficiary_id")
        .annotate(total=Sum("amount"))
    )
    return {row["beneficiary_id"]: row["total"] for row in rows}


def applications_to_print(user: Any, filters: dict[str, Any]) -> QuerySet[SponsorshipApplication]:
    """The application forms of a month (entered then), in one state or all, in the order they
    were entered: what the auditor prints as one batch."""
    start, end = month_bounds(filters["month"])
    applications = applications_for(user).filter(submitted_at__gte=start, submitted_at__lt=end)
    if filters.get("status"):
        applications = applications.filter(status=filters["status"])
    # The form prints the residence from the county down: its regions come in the same query.
    return applications.select_related("beneficiary__village__parent__parent__parent__parent").order_by(
        "submitted_at", "id"
    )
