"""Query pieces shared by the reconciliation and the ledger check (payments.ledger_check)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from insured import ledger
from insured.models import AccountEntry, InsuredPerson, Region
from payments.models import ArrivalNotice
from payments.reconciliation.figures import COUNTED_STATES, MONEY

State = ArrivalNotice.State


def moments(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as [from, to) in local time: a payment at 23:59 Beijing time belongs to its day."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz),
    )


def payment_entries() -> QuerySet[AccountEntry]:
    """Inside a notice query: the payment's own ledger entry (insured.ledger.notice_key)."""
    key = ledger.key_expression(ledger.NOTICE_PREFIX, OuterRef("voucher_no"), OuterRef("line_no"))
    return AccountEntry.objects.filter(source_key=key).order_by()


def reversal_entries() -> QuerySet[AccountEntry]:
    """Inside a notice query: the entry a reversal notice posted against the reversed payment's
    own entry (insured.ledger.reversal_key; not the one against its subsidy)."""
    reversed_key = ledger.key_expression(
        ledger.NOTICE_PREFIX, OuterRef("reverses_voucher_no"), OuterRef("reverses_line_no")
    )
    own_key = Concat(
        ledger.key_expression(ledger.REVERSAL_PREFIX, OuterRef("voucher_no"), OuterRef("line_no")),
        Value(":"),
        Cast("reverses_id", CharField()),
        output_field=CharField(),
    )
    return AccountEntry.objects.filter(reverses__source_key=reversed_key, source_key=own_key).order_by()


def _client_region_covers(region: Region) -> Q:
    """A notice naming no known person is counted where the tax client that sent it serves:
    in its own region and above; a county also counts those of a client serving its whole city
    or province (they may be its residents), a township never (it cannot know they are its)."""
    within = Q(batch__client__region__code__startswith=region.prefix)
    if region.level in (Region.Level.TOWNSHIP, Region.Level.VILLAGE):
        return within
    return within | Q(batch__client__region__code__in=[r.code for r in region.ancestors()])


def period_notices(region: Region, start: dt.date, end: dt.date) -> QuerySet[ArrivalNotice]:
    """The period's notices in the region, each with its township, sign and ledger amount."""
    since, until = moments(start, end)
    # A notice not yet processed has no person; the ID number it names may still find one.
    by_id_no = InsuredPerson.objects.filter(id_no=OuterRef("insured_id_no")).order_by()
    is_payment = Q(reverses_voucher_no="")
    return (
        # Every state but duplicate, named so the (state, paid_at) index serves the period.
        ArrivalNotice.objects.filter(state__in=COUNTED_STATES, paid_at__gte=since, paid_at__lt=until)
        .alias(place=Coalesce("person__village__code", Subquery(by_id_no.values("village__code")[:1])))
        .filter(Q(place__startswith=region.prefix) | (Q(place__isnull=True) & _client_region_covers(region)))
        .annotate(
            township_id=Coalesce(
                "person__village__parent_id",
                Subquery(by_id_no.values("village__parent_id")[:1]),
                output_field=IntegerField(),
            ),
            sign=Case(When(is_payment, then=Value(1)), default=Value(-1), output_field=IntegerField()),
            signed_amount=Case(When(is_payment, then=F("amount")), default=-F("amount"), output_field=MONEY),
            # Processing writes a notice's state and its entries in one transaction, so a notice
            # still "received" has no entry of its own (an entry under its key is an earlier one's).
            entry_amount=Case(
                When(state=State.RECEIVED, then=Value(None)),
                When(is_payment, then=Subquery(payment_entries().values("amount")[:1])),
                default=Subquery(reversal_entries().values("amount")[:1]),
                output_field=MONEY,
            ),
        )
    )


def notices_named_by(**filters: Any) -> QuerySet[ArrivalNotice]:
    return (
        ArrivalNotice.objects.alias(line_text=Cast("line_no", CharField()))
        .filter(voucher_no=OuterRef("k_voucher"), line_text=OuterRef("k_line"))
        .filter(**filters)
    )
