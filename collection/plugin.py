"""What collection adds to the system (insured.plugins; registered in CollectionConfig.ready).

Notices 002 二 and 四, 003 二 and 六(三), 004: the special-group lists 五类人员 and the
government-paid contributions 政府代缴, back payments 补缴, the supplementary pension 补充养老保险
and the collection window.

The county clerk imports the departments' monthly lists and generates the government-paid
receivables; reviewers, finance and auditors read the lists, the 台账 and what is still unpaid;
a township office reads its own township's 台账 (003 五(三): 各镇、街道 … 建立健全工作台账).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from insured.models import InsuredPerson, Role
from insured.plugins import DemoStep, MenuEntry, PersonPanel, Plugin

GROUPS_VIEW = "collection.groups_view"  # the lists, their differences, the 台账, what is unpaid
GROUPS_IMPORT = "collection.groups_import"  # import a department's list; generate the receivables


def _person_panel(request: HttpRequest, person: InsuredPerson) -> dict[str, Any]:
    from django.utils import timezone

    from collection import selectors

    year = timezone.localdate().year
    return {
        "group_memberships": selectors.person_groups(person),
        "gov_paid_receivable": selectors.person_gov_paid(person, year),
        "gov_paid_year": year,
    }


def _demo(context: Any) -> dict[str, int]:
    from collection import demo

    return demo.build(context)


PLUGIN = Plugin(
    app="collection",
    grants={
        Role.CLERK: {GROUPS_VIEW, GROUPS_IMPORT},
        Role.REVIEWER: {GROUPS_VIEW},
        Role.FINANCE: {GROUPS_VIEW},
        Role.AUDITOR: {GROUPS_VIEW},
        Role.TOWNSHIP_OFFICE: {GROUPS_VIEW},
        Role.ADMINISTRATOR: {GROUPS_VIEW},
    },
    menu=(
        MenuEntry(_("Special groups"), "collection:home", GROUPS_VIEW, order=40),
        MenuEntry(_("Government-paid contributions"), "collection:gov-paid", GROUPS_VIEW, order=41),
    ),
    person_panels=(
        PersonPanel(template="collection/person_panel.html", capability=GROUPS_VIEW, context=_person_panel, order=15),
    ),
    demo=DemoStep(_demo, order=30),
)
