"""Every write of the registry. Other apps call these, never the models; the ledger's writes
are insured.ledger's."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, Group, Permission
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
    existing = InsuredPerson.objects.filter(id_no=person.id_no).select_related("village").first()
    if existing is not None:
        raise _already_registered(existing, agency_region)
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


def _already_registered(existing: InsuredPerson, agency_region: Region | None) -> rules.RuleViolation:
    """Inside the agency's region the clerk may see the record; outside it, say only that the person
    cannot be registered here and whom to ask, never where they are registered (personal data)."""
    if agency_region is None or agency_region.contains(existing.village):
        return rules.RuleViolation(
            "duplicate_person",
            _("A person with this resident ID number is already registered here (person number %(no)s).")
            % {"no": existing.person_no},
            "id_no",
        )
    return rules.RuleViolation(
        "registered_elsewhere",
        _(
            "This person cannot be registered here. Ask the county social insurance agency, which can check "
            "the person's enrolment and arrange a transfer if one is due."
        ),
        "id_no",
    )


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


# What a county administrator (Role.ADMINISTRATOR) may do in the Django admin, every model cut to
# their region (insured.admin_scope). Superuser status is for the platform's operator only.
ADMINISTRATOR_PERMISSIONS = {
    "insured": {
        "region": ("view", "add", "change"),
        "policyyear": ("view", "add", "change"),
        "policytier": ("view", "add", "change", "delete"),
        "staffprofile": ("view", "add", "change"),
        "specialgroupmembership": ("view", "add", "change"),
        "holiday": ("view",),
    },
    "auth": {"user": ("view", "add", "change")},
    "payments": {"taxclient": ("view", "add", "change"), "noticebatch": ("view",), "receivable": ("view",)},
    # Refund cases span counties: a superuser changes them (refunds.admin); the rest is read here.
    "refunds": {
        "refundcase": ("view",),
        "refundapplication": ("view",),
        "refundrequest": ("view",),
        "refundtaxreport": ("view",),
    },
}
ADMINISTRATOR_GROUP = "county administrators"


def administrator_group_sync() -> Group:
    """The permission group of county administrators, made or brought up to date (run after migrate)."""
    group, _created = Group.objects.get_or_create(name=ADMINISTRATOR_GROUP)
    wanted = [
        f"{action}_{model}"
        for models in ADMINISTRATOR_PERMISSIONS.values()
        for model, actions in models.items()
        for action in actions
    ]
    permissions = Permission.objects.filter(
        content_type__app_label__in=list(ADMINISTRATOR_PERMISSIONS), codename__in=wanted
    )
    group.permissions.set(permissions)
    return group
