"""What the registry adds to the system: its capabilities, their roles, its menu entries and the
registry part of the demo county (insured.plugins; registered in InsuredConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from insured.access import (
    ACCOUNT_VIEW,
    API_USE,
    AUDIT_VIEW,
    CONTRIBUTION_VIEW,
    JOB_VIEW,
    PERSON_EDIT,
    PERSON_FULL_ID,
    PERSON_VIEW,
    POLICY_VIEW,
    PRINT_BATCH,
    PRINT_VERIFY,
)
from insured.models import Role
from insured.plugins import MenuEntry, Plugin

_COUNTY_READERS = {PERSON_VIEW, ACCOUNT_VIEW, CONTRIBUTION_VIEW, POLICY_VIEW, JOB_VIEW, PRINT_VERIFY}

PLUGIN = Plugin(
    app="insured",
    grants={
        # The whole resident ID is shown to those who register, review and audit persons; the
        # others see it masked (个人信息保护法: no more than the work needs).
        # Printing forms in stacks is the auditor's work (issue 15); the counter prints them too.
        Role.CLERK: _COUNTY_READERS | {PERSON_EDIT, PERSON_FULL_ID, API_USE, PRINT_BATCH},
        Role.REVIEWER: _COUNTY_READERS | {PERSON_FULL_ID, API_USE},
        Role.FINANCE: _COUNTY_READERS | {API_USE},
        Role.AUDITOR: _COUNTY_READERS | {PERSON_FULL_ID, API_USE, AUDIT_VIEW, PRINT_BATCH},
        # A village accountant sees who lives in the village and whether they have paid this year
        # (and the tier), not their accounts.
        Role.VILLAGE_ACCOUNTANT: {PERSON_VIEW, CONTRIBUTION_VIEW, POLICY_VIEW, JOB_VIEW, PRINT_VERIFY},
        Role.TOWNSHIP_OFFICE: _COUNTY_READERS | {PERSON_EDIT, PERSON_FULL_ID},
        Role.ADMINISTRATOR: _COUNTY_READERS | {API_USE, AUDIT_VIEW},
        # The tax bureau's system signs its requests; it holds no capability and cannot log in.
    },
    menu=(
        MenuEntry(_("Home"), "insured:home", PERSON_VIEW, order=0),
        MenuEntry(_("Persons"), "insured:person-search", PERSON_VIEW, order=10),
        MenuEntry(_("Register a person"), "insured:person-create", PERSON_EDIT, order=20),
        MenuEntry(_("Background jobs"), "insured:job-list", JOB_VIEW, order=94),
        MenuEntry(_("Batch printing"), "insured:print-batch", PRINT_BATCH, order=93),
        MenuEntry(_("Access log"), "insured:access-log", AUDIT_VIEW, order=95),
        MenuEntry(_("Print log"), "insured:print-log", AUDIT_VIEW, order=96),
        MenuEntry(_("API documentation"), "api-docs", API_USE, order=99),
    ),
)
