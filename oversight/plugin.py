"""What oversight adds to the system (insured.plugins; registered in OversightConfig.ready).

Collection progress is every office's to watch (004 四: the townships answer for theirs), each in
its own region: the county's staff see the county, a township office its township, a village
accountant its village. The weekly report is the county agency's (003 六(二): 社保部门…每周进展通报).
The coverage lists are worked by the county clerk, the township offices and the villages (003
二(一), 六(三)); they and only they export a follow-up list with whole ID numbers, since they visit
the households; an auditor reads and exports with masked numbers. Extracts of a township are
imported by the county clerk or that township's office; the departments' lists by the county clerk.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from insured.models import Role
from insured.plugins import DemoStep, MenuEntry, Plugin

PROGRESS_VIEW = "oversight.progress"  # the progress pages and their API
REPORT_VIEW = "oversight.report"  # the weekly reports of the county: list and download
REPORT_MAKE = "oversight.report_make"  # make a week's report on demand
COVERAGE_VIEW = "oversight.coverage"  # coverage counts, the gap and reverse lists, masked exports
COVERAGE_IMPORT = "oversight.coverage_import"  # household extracts (and, at county level, department lists)
COVERAGE_FULL_ID = "oversight.coverage_full_id"  # export a follow-up list with whole ID numbers

_COUNTY_READ = {PROGRESS_VIEW, REPORT_VIEW, COVERAGE_VIEW}


def _demo(context: Any) -> dict[str, int]:
    from oversight import demo

    return demo.build(context)


PLUGIN = Plugin(
    app="oversight",
    grants={
        Role.CLERK: _COUNTY_READ | {REPORT_MAKE, COVERAGE_IMPORT, COVERAGE_FULL_ID},
        Role.REVIEWER: _COUNTY_READ | {REPORT_MAKE},
        Role.FINANCE: _COUNTY_READ | {REPORT_MAKE},
        Role.AUDITOR: _COUNTY_READ,
        Role.ADMINISTRATOR: _COUNTY_READ | {REPORT_MAKE},
        Role.TOWNSHIP_OFFICE: {PROGRESS_VIEW, COVERAGE_VIEW, COVERAGE_IMPORT, COVERAGE_FULL_ID},
        Role.VILLAGE_ACCOUNTANT: {PROGRESS_VIEW, COVERAGE_VIEW, COVERAGE_FULL_ID},
    },
    menu=(
        MenuEntry(_("Collection progress"), "oversight:progress", PROGRESS_VIEW, order=80),
        MenuEntry(_("Coverage"), "oversight:coverage", COVERAGE_VIEW, order=82),
        MenuEntry(_("Weekly reports"), "oversight:report-list", REPORT_VIEW, order=84),
    ),
    demo=DemoStep(_demo, order=90),
)
