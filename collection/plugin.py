"""What collection adds to the system (insured.plugins; registered in CollectionConfig.ready).

Notices 002 二 and 四, 003 二 and 六(三), 004: the special-group lists 五类人员 and the
government-paid contributions 政府代缴, back payments 补缴, the supplementary pension 补充养老保险
and the collection window.

The county clerk imports the departments' monthly lists and generates the government-paid
receivables; reviewers, finance and auditors read the lists, the 台账 and what is still unpaid;
a township office reads its own township's 台账 (003 五(三): 各镇、街道 … 建立健全工作台账).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from collection.capabilities import (
    BACKPAY_ENTER,
    BACKPAY_REVIEW,
    BACKPAY_SOURCE_TYPE,
    BACKPAY_VIEW,
    GROUPS_IMPORT,
    GROUPS_VIEW,
)
from insured.models import Role
from insured.plugins import DemoContext, DemoStep, MenuEntry, PersonPage, PersonPanel, Plugin, SourceLink

# --- Back payment 补缴 and the supplementary pension 补充养老保险 (003 六(三); 002 四(四); 004) ----------
# The township office enters an application for a person of its township (002 四(四)); a county
# reviewer approves it (never the one who entered it); everyone else at the county reads.

BACKPAY_GRANTS: dict[str, set[str]] = {
    Role.TOWNSHIP_OFFICE: {BACKPAY_VIEW, BACKPAY_ENTER},
    Role.REVIEWER: {BACKPAY_VIEW, BACKPAY_REVIEW},
    Role.CLERK: {BACKPAY_VIEW},
    Role.FINANCE: {BACKPAY_VIEW},
    Role.AUDITOR: {BACKPAY_VIEW},
    Role.ADMINISTRATOR: {BACKPAY_VIEW},
}


def _backpay_panel(request: HttpRequest, page: PersonPage) -> dict[str, Any]:
    from collection import backpay_selectors

    entries = page.account.entries if page.account is not None else None
    return backpay_selectors.person_panel(request.user, page.person, entries=entries)


def _backpay_links(refs: Sequence[str]) -> dict[str, SourceLink]:
    """The applications behind back-payment receivables, for the person page's account."""
    from collection.backpay_models import BackPaymentApplication

    numbers = {ref: ref.rsplit("-", 1)[0] for ref in refs}
    found = dict(BackPaymentApplication.objects.filter(number__in=set(numbers.values())).values_list("number", "pk"))
    return {
        ref: SourceLink(
            gettext("back-payment application %(number)s") % {"number": number},
            reverse("collection:backpay-detail", args=[found[number]]),
            BACKPAY_VIEW,
        )
        for ref, number in numbers.items()
        if number in found
    }


def _backpay_demo(context: DemoContext) -> dict[str, int]:
    from collection import backpay_demo

    return backpay_demo.build(context)


BACKPAY_MENU = (MenuEntry(_("Back payments"), "collection:backpay-list", BACKPAY_VIEW, order=45),)
BACKPAY_PANELS = (
    PersonPanel(
        template="collection/backpay/person_panel.html", capability=BACKPAY_VIEW, context=_backpay_panel, order=25
    ),
)
BACKPAY_RECORD_LINKS = {BACKPAY_SOURCE_TYPE: _backpay_links}
# After payments' step (the accounts) and before refunds' (which takes persons of its own).
BACKPAY_DEMO = DemoStep(_backpay_demo, order=30)
# --- end of back payment ------------------------------------------------------------------------


def _person_panel(request: HttpRequest, page: PersonPage) -> dict[str, Any]:
    from collection import selectors

    year = page.today.year
    return {
        "group_memberships": selectors.groups_in_order(page.person.memberships.all()),
        "gov_paid_receivable": selectors.person_gov_paid(page.person, year),
        "gov_paid_year": year,
    }


def _demo(context: DemoContext) -> dict[str, int]:
    """The special groups' list and its receivables, then the back payments (one step for the app)."""
    from collection import demo

    return {**demo.build(context), **_backpay_demo(context)}


PLUGIN = Plugin(
    app="collection",
    grants={
        role: BACKPAY_GRANTS.get(role, set()) | groups
        for role, groups in {
            Role.CLERK: {GROUPS_VIEW, GROUPS_IMPORT},
            Role.REVIEWER: {GROUPS_VIEW},
            Role.FINANCE: {GROUPS_VIEW},
            Role.AUDITOR: {GROUPS_VIEW},
            Role.TOWNSHIP_OFFICE: {GROUPS_VIEW},
            Role.ADMINISTRATOR: {GROUPS_VIEW},
        }.items()
    },
    menu=(
        MenuEntry(_("Special groups"), "collection:home", GROUPS_VIEW, order=40),
        MenuEntry(_("Government-paid contributions"), "collection:gov-paid", GROUPS_VIEW, order=41),
        *BACKPAY_MENU,
    ),
    person_panels=(
        PersonPanel(template="collection/person_panel.html", capability=GROUPS_VIEW, context=_person_panel, order=15),
        *BACKPAY_PANELS,
    ),
    record_links=BACKPAY_RECORD_LINKS,
    demo=DemoStep(_demo, order=BACKPAY_DEMO.order),
)
