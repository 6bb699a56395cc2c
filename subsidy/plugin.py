"""What personal sponsorship adds to the system (insured.plugins; registered in SubsidyConfig.ready).

County staff only: 000 五(一) "经办权限不可下放给乡镇", so neither the township office nor the
village accountant holds any of these.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from insured.models import Role
from insured.plugins import DemoContext, DemoStep, MenuEntry, Plugin, SourceLink
from subsidy.capabilities import SOURCE_TYPE, SPONSORSHIP_ENTER, SPONSORSHIP_REVIEW, SPONSORSHIP_VIEW


def _application_links(numbers: Sequence[str]) -> dict[str, SourceLink]:
    """The applications behind sponsorship receivables, for the person page's account."""
    from subsidy.models import SponsorshipApplication

    found = SponsorshipApplication.objects.filter(number__in=numbers).values_list("number", "pk")
    return {
        number: SourceLink(
            gettext("sponsorship application %(number)s") % {"number": number},
            reverse("subsidy:detail", args=[pk]),
            SPONSORSHIP_VIEW,
        )
        for number, pk in found
    }


def _pending_support(person_ids: Collection[int], year: int) -> dict[int, Decimal]:
    from subsidy import selectors

    return selectors.pending_support(person_ids, year)


def _demo(context: DemoContext) -> dict[str, int]:
    from subsidy import demo

    return demo.build(context)


PLUGIN = Plugin(
    app="subsidy",
    grants={
        Role.CLERK: {SPONSORSHIP_VIEW, SPONSORSHIP_ENTER},
        Role.REVIEWER: {SPONSORSHIP_VIEW, SPONSORSHIP_REVIEW},
        Role.FINANCE: {SPONSORSHIP_VIEW},
        Role.AUDITOR: {SPONSORSHIP_VIEW},
        Role.ADMINISTRATOR: {SPONSORSHIP_VIEW},
    },
    menu=(MenuEntry(_("Personal sponsorship"), "subsidy:list", SPONSORSHIP_VIEW, order=40),),
    record_links={SOURCE_TYPE: _application_links},
    pending_support=_pending_support,
    # After the refunds' step: its persons are taken first, and a month of applications follows.
    demo=DemoStep(_demo, order=60),
)
