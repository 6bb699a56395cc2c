"""What payments adds to the system (insured.plugins; registered in PaymentsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from insured.access import ACCOUNT_VIEW
from insured.models import Role
from insured.plugins import DemoStep, MenuEntry, PersonPage, PersonPanel, Plugin
from payments.capabilities import (
    BANK_STATEMENT_IMPORT,
    PAYMENTS_ASSIGN,
    PAYMENTS_CONFIRM,
    PAYMENTS_VIEW,
    RECEIVABLES_EXPORT,
    RECONCILIATION_VIEW,
)

_READERS = {PAYMENTS_VIEW, RECONCILIATION_VIEW}


def _payments_panel(request: HttpRequest, page: PersonPage) -> dict[str, Any]:
    from payments import selectors

    return {"payments": selectors.person_payments(page.person.pk)[:100]}


def _entry_sources(entries: Any) -> Any:
    from payments import selectors

    return selectors.entry_sources(entries)


def _demo(context: Any) -> dict[str, int]:
    from payments import demo

    return demo.build(context)


PLUGIN = Plugin(
    app="payments",
    grants={
        Role.CLERK: _READERS | {PAYMENTS_ASSIGN, RECEIVABLES_EXPORT, BANK_STATEMENT_IMPORT},
        Role.REVIEWER: _READERS | {PAYMENTS_CONFIRM},
        Role.FINANCE: _READERS | {PAYMENTS_CONFIRM, RECEIVABLES_EXPORT, BANK_STATEMENT_IMPORT},
        Role.AUDITOR: _READERS,
        Role.ADMINISTRATOR: _READERS,
    },
    menu=(
        MenuEntry(_("Unmatched payments"), "payments:queue", PAYMENTS_VIEW, order=30),
        MenuEntry(_("Arrival notices"), "payments:batch-list", PAYMENTS_VIEW, order=31),
        MenuEntry(_("Receivables"), "payments:receivable-list", PAYMENTS_VIEW, order=32),
        MenuEntry(_("Reconciliation"), "payments:reconciliation", RECONCILIATION_VIEW, order=90),
    ),
    person_panels=(
        PersonPanel(
            template="payments/person_payments_panel.html", capability=ACCOUNT_VIEW, context=_payments_panel, order=10
        ),
    ),
    entry_sources=_entry_sources,
    demo=DemoStep(_demo, order=10),
)
