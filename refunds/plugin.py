"""What refunds add to the system (insured.plugins; registered in RefundsConfig.ready).

002 附件2: the township office 乡镇人社所 takes the application and signs its first review; the
county reviews it; the county's finance reviewer 财务复核人 requests the money and records the
bank's result; the auditor reads everything in scope and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from insured.models import Role
from insured.plugins import DemoStep, MenuEntry, PersonPage, PersonPanel, Plugin

REFUND_VIEW = "refund.view"  # applications, their copies and forms
REFUND_ENTER = "refund.enter"  # township: take, correct, withdraw
REFUND_FIRST_REVIEW = "refund.first_review"  # township: 初审签章 and the hand-over to the county
REFUND_REVIEW = "refund.review"  # county: 复核, approve or return
REFUND_FINANCE = "refund.finance"  # county finance: 请款 and the bank's result
REFUND_BATCHES = "refund.batches"  # county: read the requests and the reports to tax
REFUND_REPORT = "refund.report"  # county: pass the paid refunds to tax

_COUNTY_READERS = {REFUND_VIEW, REFUND_BATCHES}


def _person_panel(request: HttpRequest, page: PersonPage) -> dict[str, Any]:
    from insured import access
    from refunds import selectors

    return {
        "person": page.person,
        "refunds": list(selectors.person_refunds(page.person)[:50]),
        "can_enter": access.has_capability(request.user, REFUND_ENTER),
    }


def _demo(context: Any) -> dict[str, int]:
    from refunds import demo

    return demo.build(context)


PLUGIN = Plugin(
    app="refunds",
    grants={
        Role.TOWNSHIP_OFFICE: {REFUND_VIEW, REFUND_ENTER, REFUND_FIRST_REVIEW},
        Role.REVIEWER: _COUNTY_READERS | {REFUND_REVIEW},
        Role.FINANCE: _COUNTY_READERS | {REFUND_FINANCE, REFUND_REPORT},
        Role.CLERK: _COUNTY_READERS | {REFUND_REPORT},
        Role.AUDITOR: _COUNTY_READERS,
        Role.ADMINISTRATOR: _COUNTY_READERS,
    },
    menu=(
        MenuEntry(_("Refunds"), "refunds:list", REFUND_VIEW, order=50),
        MenuEntry(_("Refund requests and reports"), "refunds:request-list", REFUND_BATCHES, order=51),
    ),
    person_panels=(
        PersonPanel(template="refunds/person_panel.html", capability=REFUND_VIEW, context=_person_panel, order=30),
    ),
    demo=DemoStep(_demo, order=50),
)
