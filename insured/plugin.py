"""What the registry adds to the system: its capabilities, their roles, its menu entries and the
registry part of the demo county (insured.plugins; registered in InsuredConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from insured.access import ACCOUNT_VIEW, JOB_VIEW, PERSON_EDIT, PERSON_VIEW, POLICY_VIEW
from insured.models import Role
from insured.plugins import MenuEntry, Plugin

_COUNTY_READERS = {PERSON_VIEW, ACCOUNT_VIEW, POLICY_VIEW, JOB_VIEW}

PLUGIN = Plugin(
    app="insured",
    grants={
        Role.CLERK: _COUNTY_READERS | {PERSON_EDIT},
        Role.REVIEWER: _COUNTY_READERS,
        Role.FINANCE: _COUNTY_READERS,
        Role.AUDITOR: _COUNTY_READERS,
        # A village accountant sees who lives in the village, not their accounts.
        Role.VILLAGE_ACCOUNTANT: {PERSON_VIEW, POLICY_VIEW, JOB_VIEW},
        Role.TOWNSHIP_OFFICE: _COUNTY_READERS | {PERSON_EDIT},
        Role.ADMINISTRATOR: _COUNTY_READERS,
    },
    menu=(
        MenuEntry(_("Home"), "insured:home", PERSON_VIEW, order=0),
        MenuEntry(_("Persons"), "insured:person-search", PERSON_VIEW, order=10),
        MenuEntry(_("Register a person"), "insured:person-create", PERSON_EDIT, order=20),
        MenuEntry(_("Background jobs"), "insured:job-list", JOB_VIEW, order=95),
    ),
)
