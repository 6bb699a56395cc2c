"""Reconciliation 对账 and the ledger check.

Notice 003 五(三): the tax system, the bank and the pension system must agree on the number of
payments and their amounts. For a period, per township and kind, three figures are counted:

- tax: the notices tax sent (duplicates left out) paid in the period; a reversal 冲正 counts
  minus one and minus its amount;
- receivables: the receivables settled in the period, to set beside the notices that name a
  receivable (own contributions usually have none);
- ledger: the personal-account entries posted from those notices (the payment's own entry, not
  the subsidy beside it; a reversal entry counts minus one);
- returned: the notices that waited in the unmatched queue and were refunded to the payer without
  ever being credited (tax = ledger + returned).

Beside them, the period's refunds 退费 per township (notice 002 附件2 四): money taken out of the
accounts to the applicants, the government's part of it returned to the fund, and payments
refunded from the queue.

Every difference is listed with its cause. All figures come from a handful of aggregate queries;
nothing is read one notice at a time. `manage.py check_ledger`, the deeper test without a
period, reads notice keys with the helpers below.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from insured.models import InsuredPerson, Region
from payments.kinds import PAYMENT_KIND_OF_ENTRY
from payments.models import ReconciliationRun
from payments.reconciliation.compute import reconcile
from payments.reconciliation.figures import (
    COUNTED_STATES,
    KIND_ORDER,
    ZERO,
    Cause,
    Difference,
    Figure,
    Reconciliation,
    RefundRow,
    Row,
    cause_label,
    period_bounds,
)
from payments.reconciliation.queries import notices_named_by

logger = logging.getLogger(__name__)

__all__ = [
    "COUNTED_STATES",
    "KIND_ORDER",
    "PAYMENT_KIND_OF_ENTRY",
    "ZERO",
    "Cause",
    "Difference",
    "Figure",
    "Reconciliation",
    "RefundRow",
    "Row",
    "cause_label",
    "notices_named_by",
    "period_bounds",
    "reconcile",
    "reconcile_yesterday_everywhere",
    "reconciliation_store",
]


def reconciliation_store(
    region: Region, start: dt.date, end: dt.date, period: str, user: Any = None
) -> ReconciliationRun:
    result = reconcile(region, start, end)
    run = ReconciliationRun.objects.create(
        region=region,
        period=period,
        start=start,
        end=end,
        created_by=user if user is not None and user.pk else None,
        rows=[r.as_json() for r in result.all_rows],
        differences=[d.as_json() for d in result.differences],
        has_differences=result.has_differences,
    )
    if run.has_differences:
        logger.warning(
            "reconciliation %s %s–%s: %s differences", region.code, start, end, len(result.differences) or "figure"
        )
    return run


def reconcile_yesterday_everywhere() -> list[ReconciliationRun]:
    """The nightly job: one run per county with insured persons. Run twice, it stores once."""
    day = timezone.localdate() - dt.timedelta(days=1)
    counties = (
        Region.objects.filter(level=Region.Level.COUNTY)
        .filter(Exists(InsuredPerson.objects.filter(village__parent__parent=OuterRef("pk"))))
        .order_by("code")
    )
    runs = []
    for county in counties:
        with transaction.atomic():
            # Two workers running the job at once: the second waits here for the first's run
            # to commit, then finds it and stores none.
            Region.objects.select_for_update().get(pk=county.pk)
            nightly = ReconciliationRun.objects.filter(
                region=county, period=ReconciliationRun.Period.DAY, start=day, end=day, created_by__isnull=True
            )
            if not nightly.exists():
                runs.append(reconciliation_store(county, day, day, ReconciliationRun.Period.DAY))
    return runs
