"""Every write of the registry. Other apps call these, never the models; the ledger's writes
are insured.ledger's."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import rules
from insured.identity import parse_resident_id
from insured.models import InsuredPerson, Region, SpecialGroupMembership


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
