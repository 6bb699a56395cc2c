"""Every write of the registry and the ledger. Other apps call these, never the models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import rules
from insured.identity import parse_resident_id
from insured.models import (
    AccountEntry,
    InsuredPerson,
    PersonYear,
    PolicyYear,
    Region,
    SpecialGroupMembership,
)
from insured.selectors import policy_for

Kind = AccountEntry.Kind


def _history_user(obj: object, user: AbstractBaseUser | None) -> None:
    # simple-history takes the author from the request middleware; services called from
    # commands and tasks name the author explicitly.
    if user is not None:
        obj._history_user = user  # type: ignore[attr-defined]


@transaction.atomic
def person_create(
    *,
    user: AbstractBaseUser | None,
    today: dt.date | None = None,
    agency_region: Region | None = None,
    **fields: object,
) -> InsuredPerson:
    today = today or timezone.localdate()
    parsed = parse_resident_id(str(fields.pop("id_no")), today=today)
    person = InsuredPerson(id_no=parsed.number, birth_date=parsed.birth_date, sex=parsed.sex, **fields)
    if not person.person_no:
        person.person_no = _next_person_no(person.village)
    rules.check_eligibility(person, today, agency_region)
    if InsuredPerson.objects.filter(id_no=person.id_no).exists():
        raise rules.RuleViolation(
            "duplicate_person", _("A person with this resident ID number is already registered."), "id_no"
        )
    _history_user(person, user)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two clerks registering the same person at once: the unique index decides.
        raise rules.RuleViolation(
            "duplicate_person",
            _("A person with this resident ID number or person number is already registered."),
            "id_no",
        ) from None
    return person


def _next_person_no(village: Region) -> str:
    """County code and an eight-digit sequence; the unique index settles a collision."""
    county = village.code[:6]
    last = (
        InsuredPerson.objects.filter(person_no__startswith=county, person_no__regex=r"^[0-9]{14}$")
        .order_by("-person_no")
        .values_list("person_no", flat=True)
        .first()
    )
    return f"{county}{int(last[6:]) + 1 if last else 1:08d}"


@transaction.atomic
def person_update(
    person: InsuredPerson,
    *,
    user: AbstractBaseUser | None,
    today: dt.date | None = None,
    agency_region: Region | None = None,
    **fields: object,
) -> InsuredPerson:
    today = today or timezone.localdate()
    locked = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    for name, value in fields.items():
        if name == "person_no" and not value:
            continue
        setattr(locked, name, value)
    if locked.status == InsuredPerson.Status.ENROLLED:
        rules.check_eligibility(locked, today, agency_region)
    _history_user(locked, user)
    locked.save()
    return locked


def membership_add(
    *,
    person: InsuredPerson,
    group: str,
    source_department: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    user: AbstractBaseUser | None = None,
) -> SpecialGroupMembership:
    membership = SpecialGroupMembership(
        person=person, group=group, source_department=source_department, valid_from=valid_from, valid_to=valid_to
    )
    membership.full_clean()
    _history_user(membership, user)
    membership.save()
    return membership


def _entry(
    person_id: int,
    year: int,
    kind: str,
    amount: Decimal,
    source_type: str,
    source_key: str,
    user: AbstractBaseUser | None,
    note: str = "",
) -> AccountEntry:
    return AccountEntry(
        person_id=person_id,
        year=year,
        kind=kind,
        amount=amount,
        source_type=source_type,
        source_key=source_key,
        note=note,
        posted_by=user if user and user.pk else None,
    )


@transaction.atomic
def own_contribution_post(
    *,
    person: InsuredPerson,
    year: int,
    amount: Decimal,
    arrived_on: dt.date,
    source_type: str,
    source_key: str,
    user: AbstractBaseUser | None = None,
    policy: PolicyYear | None = None,
) -> bool:
    """Credit an own contribution and, beside it, its tier's government subsidy (rule 5, 7).

    Returns False when this source was already posted: a source credits at most once.
    """
    person_year = PersonYear.objects.locked(person.pk, year)
    if AccountEntry.objects.filter(source_key=source_key).exists():
        return False
    policy = policy or policy_for(person.village, year)
    rules.check_own_contribution_tier(policy, amount, groups=lambda: person.active_groups(arrived_on), name=person.name)
    subsidy = rules.government_subsidy_for(Kind.OWN, amount, policy)
    entries = [_entry(person.pk, year, Kind.OWN, amount, source_type, source_key, user)]
    if subsidy:
        entries.append(
            _entry(person.pk, year, Kind.GOVERNMENT_SUBSIDY, subsidy, source_type, f"{source_key}:subsidy", user)
        )
    AccountEntry.objects.bulk_create(entries)
    PersonYear.objects.filter(pk=person_year.pk).update(
        own_amount=F("own_amount") + amount,
        own_arrived_on=person_year.own_arrived_on or arrived_on,
    )
    return True


@transaction.atomic
def government_paid_post(
    *,
    person: InsuredPerson,
    year: int,
    amount: Decimal,
    source_type: str,
    source_key: str,
    user: AbstractBaseUser | None = None,
) -> bool:
    """Credit a government-paid contribution 政府代缴 for a special-group member."""
    person_year = PersonYear.objects.locked(person.pk, year)
    if AccountEntry.objects.filter(source_key=source_key).exists():
        return False
    _entry(person.pk, year, Kind.GOVERNMENT_PAID, amount, source_type, source_key, user).save()
    PersonYear.objects.filter(pk=person_year.pk).update(gov_paid_amount=F("gov_paid_amount") + amount)
    return True


@transaction.atomic
def support_reserve(*, person: InsuredPerson, year: int, amount: Decimal) -> PersonYear:
    """Reserve sponsorship or collective subsidy against the year's cap (rules 1 and 2).

    The person-year row is locked first, so two approvals for one person at the same moment
    run one after the other and the second sees the first's reservation.
    """
    person_year = PersonYear.objects.locked(person.pk, year)
    policy = policy_for(person.village, year)
    rules.check_own_contribution_arrived(person_year, policy)
    rules.check_cap(year=year, cap=policy.top_tier, used=person_year.support_used, amount=amount)
    PersonYear.objects.filter(pk=person_year.pk).update(support_reserved=F("support_reserved") + amount)
    person_year.refresh_from_db()
    return person_year


@transaction.atomic
def support_release(*, person: InsuredPerson, year: int, amount: Decimal) -> PersonYear:
    """Give back a reservation that will not be paid (rejected, withdrawn, voided)."""
    person_year = PersonYear.objects.locked(person.pk, year)
    if person_year.support_reserved < amount:
        raise ValueError(f"releasing {amount} but only {person_year.support_reserved} is reserved")
    PersonYear.objects.filter(pk=person_year.pk).update(support_reserved=F("support_reserved") - amount)
    person_year.refresh_from_db()
    return person_year
