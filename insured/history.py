"""The audit trail shown on a person's page: who changed what, when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insured import formats
from insured.models import InsuredPerson, SpecialGroupMembership


@dataclass
class Change:
    when: dt.datetime
    who: str
    action: str
    subject: str
    details: list[tuple[str, str, str]] = field(default_factory=list)


_ACTIONS = {"+": gettext_lazy("created"), "~": gettext_lazy("changed"), "-": gettext_lazy("deleted")}


def _label(model: type, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def staff_name(user: AbstractBaseUser | None) -> str:
    """How a member of staff is named on pages and forms: the full name, else the login."""
    if user is None:
        return _("system")
    return f"{getattr(user, 'last_name', '')}{getattr(user, 'first_name', '')}" or user.get_username()


def _display(record, name: str) -> str:
    value = getattr(record, name)
    getter = getattr(record, f"get_{name}_display", None)
    if getter is not None:
        return str(getter())
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return formats.moment(value)
    if isinstance(value, dt.date):
        return formats.day(value)
    if isinstance(value, Decimal):
        return formats.money(value)
    if isinstance(value, AbstractBaseUser):
        return staff_name(value)
    return str(value)


def changes_of(records: list, model: type, subject) -> list[Change]:
    """The changes between consecutive historical records of one object, oldest first."""
    out: list[Change] = []
    ordered = sorted(records, key=lambda r: r.history_date)
    previous = None
    for record in ordered:
        who = staff_name(record.history_user)
        change = Change(record.history_date, who, str(_ACTIONS.get(record.history_type, "")), subject(record))
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            change.details = [
                (_label(model, c.field), _display(previous, c.field), _display(record, c.field)) for c in delta.changes
            ]
            if not change.details:
                previous = record
                continue
        out.append(change)
        previous = record
    return out


def person_history(person: InsuredPerson) -> list[Change]:
    person_records = list(person.history.select_related("history_user", "village").all())
    changes = changes_of(person_records, InsuredPerson, lambda r: _("person record"))
    membership_records = SpecialGroupMembership.history.filter(person_id=person.pk).select_related("history_user")
    by_membership: dict[int, list] = {}
    for record in membership_records:
        by_membership.setdefault(record.id, []).append(record)
    for records in by_membership.values():
        changes += changes_of(
            records, SpecialGroupMembership, lambda r: _("special group: %(g)s") % {"g": r.get_group_display()}
        )
    return sorted(changes, key=lambda c: c.when, reverse=True)
