"""What collection adds to the system (insured.plugins; registered in CollectionConfig.ready).

Notices 002 二 and 四, 003 二 and 六(三), 004: the special-group lists 五类人员 and the
government-paid contributions 政府代缴, back payments 补缴, the supplementary pension 补充养老保险
and the collection window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from insured.models import InsuredPerson, Role
from insured.plugins import DemoContext, DemoStep, MenuEntry, PersonPanel, Plugin, SourceLink

# --- Back payment 补缴 and the supplementary pension 补充养老保险 (003 六(三); 002 四(四); 004) ----------
# The township office enters an application for a person of its township (002 四(四)); a county
# reviewer approves it (never the one who entered it); everyone else at the county reads.
BACKPAY_VIEW = "backpay.view"
BACKPAY_ENTER = "backpay.enter"  # township office: enter and withdraw
BACKPAY_REVIEW = "backpay.review"  # county reviewer: approve or reject
BACKPAY_SOURCE_TYPE = "collection.backpay"  # its receivables; the source ref is "<application number>-<year>"

BACKPAY_GRANTS: dict[str, set[str]] = {
    Role.TOWNSHIP_OFFICE: {BACKPAY_VIEW, BACKPAY_ENTER},
    Role.REVIEWER: {BACKPAY_VIEW, BACKPAY_REVIEW},
    Role.CLERK: {BACKPAY_VIEW},
    Role.FINANCE: {BACKPAY_VIEW},
    Role.AUDITOR: {BACKPAY_VIEW},
    Role.ADMINISTRATOR: {BACKPAY_VIEW},
}


def _backpay_panel(request: HttpRequest, person: InsuredPerson) -> dict[str, Any]:
    from collection import backpay_selectors

    return backpay_selectors.person_panel(request.user, person)


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

PLUGIN = Plugin(
    app="collection",
    grants=BACKPAY_GRANTS,
    menu=BACKPAY_MENU,
    person_panels=BACKPAY_PANELS,
    record_links=BACKPAY_RECORD_LINKS,
    demo=BACKPAY_DEMO,
)
