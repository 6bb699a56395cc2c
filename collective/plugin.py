"""What collective subsidy and social sponsorship add to the system (insured.plugins; registered in
CollectiveConfig.ready).

Village accountants register their organisation, file the year's plan and upload and submit
rosters for their own village (001 附件1 二); the county clerk records the virtual unit code tax
gave (四(一)), enters social sponsorships at the window (附件2) and does the first review; a
reviewer approves (never the first reviewer); finance, auditors and township offices read and print.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from insured.models import Role
from insured.plugins import DemoStep, MenuEntry, PersonPage, PersonPanel, Plugin

COLLECTIVE_VIEW = "collective.view"  # organisations, filings, rosters, the printed forms
COLLECTIVE_FILE = "collective.file"  # register the organisation, file the plan, upload and submit rosters
COLLECTIVE_VIRTUAL_UNIT = "collective.virtual_unit"  # record the virtual unit code tax gave
SOCIAL_ENTER = "collective.social_enter"  # take a social sponsorship and its roster at the window
COLLECTIVE_REVIEW = "collective.review"  # the first review 初审, or send back
COLLECTIVE_APPROVE = "collective.approve"  # approval 核定 (never the first reviewer)
COLLECTIVE_SUMMARY = "collective.summary"  # the summary form 汇总表

_READ = {COLLECTIVE_VIEW, COLLECTIVE_SUMMARY}


def _person_panel(request: HttpRequest, page: PersonPage) -> dict[str, Any]:
    from collective import selectors

    return {"collective_rows": selectors.person_rows(page.person.pk)[:50]}


def _pending_support(person_ids: Collection[int], year: int) -> dict[int, Decimal]:
    from collective import selectors

    return selectors.pending_support(person_ids, year)


def _demo(context: Any) -> dict[str, int]:
    from collective import demo

    return demo.build(context)


PLUGIN = Plugin(
    app="collective",
    grants={
        Role.VILLAGE_ACCOUNTANT: _READ | {COLLECTIVE_FILE},
        Role.TOWNSHIP_OFFICE: _READ,
        Role.CLERK: _READ | {COLLECTIVE_VIRTUAL_UNIT, SOCIAL_ENTER, COLLECTIVE_REVIEW},
        Role.REVIEWER: _READ | {COLLECTIVE_REVIEW, COLLECTIVE_APPROVE},
        Role.FINANCE: _READ,
        Role.AUDITOR: _READ,
        Role.ADMINISTRATOR: _READ,
    },
    menu=(
        MenuEntry(_("Collective subsidy"), "collective:home", COLLECTIVE_VIEW, order=45),
        MenuEntry(_("Subsidy summary"), "collective:summary", COLLECTIVE_SUMMARY, order=46),
    ),
    person_panels=(
        PersonPanel(
            template="collective/person_panel.html", capability=COLLECTIVE_VIEW, context=_person_panel, order=20
        ),
    ),
    demo=DemoStep(_demo, order=20),
    pending_support=_pending_support,
)
