"""Reads of the payments app, always cut to the user's region."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insured import access, ledger, plugins, rules
from insured.models import AccountEntry
from insured.plugins import SourceLink
from insured.workdays import WorkCalendar
from payments import handlers
from payments.capabilities import PAYMENTS_VIEW
from payments.models import ArrivalNotice, ManualAssignment, NoticeBatch, Receivable, ReceivableExport


def _client_scope(user: Any, path: str) -> Q:
    """A batch belongs to the tax client's region: users in it, or above it, see the batch."""
    region = access.scope_region(user)
    if region is None:
        return Q(pk__in=[])
    ancestors = [r.code for r in region.ancestors()] + [region.code]
    return Q(**{f"{path}__code__startswith": region.prefix}) | Q(**{f"{path}__code__in": ancestors})


def waiting_batch_ids(older_than: dt.timedelta) -> list[int]:
    """Batches stored more than `older_than` ago and still waiting to be processed."""
    cutoff = timezone.now() - older_than
    return list(
        NoticeBatch.objects.filter(status=NoticeBatch.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# The sweep (payments.tasks.batches_redispatch) hands a waiting batch to a worker again when its
# message is presumably lost: it was stored or last handed over a while ago and nobody is working
# on it. While some batch is being processed the queue is moving, and a waiting batch is most
# likely queued behind it: it is handed over again only after a long wait. A batch that keeps
# failing is tried again only now and then, so its error is not repeated every few seconds.
REDISPATCH_WHILE_BUSY_AFTER = dt.timedelta(minutes=10)
FAILING_RETRY_AFTER = dt.timedelta(minutes=10)


def batches_to_redispatch(now: dt.datetime | None = None) -> list[int]:
    from payments.processing import BATCH_LOCK_CLASS, MAX_PARTS

    now = now or timezone.now()
    in_progress = set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT classid::bigint, objid::bigint, objsubid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                # Advisory locks are the whole server's: only this database's batches.
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            for classid, objid, objsubid in cursor.fetchall():
                if objsubid == 2 and BATCH_LOCK_CLASS <= classid < BATCH_LOCK_CLASS + MAX_PARTS:
                    in_progress.add(objid)
    busy = bool(in_progress)
    after = dt.timedelta(seconds=settings.BATCH_REDISPATCH_AFTER_SECONDS)
    quiet_since = now - (REDISPATCH_WHILE_BUSY_AFTER if busy else after)
    waiting = NoticeBatch.objects.filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=quiet_since),
        status=NoticeBatch.Status.RECEIVED,
        received_at__lt=now - after,
    ).exclude(pk__in=in_progress)
    waiting = waiting.exclude(NoticeBatch.failing(), last_error_at__gte=now - FAILING_RETRY_AFTER)
    return list(waiting.order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True)
class WaitingWork:
    """What operators and check_ledger ask: how much waits, since when, and what keeps failing."""

    batches: int
    notices: int
    oldest_received_at: dt.datetime | None
    failing: int

    @property
    def oldest_age_seconds(self) -> int | None:
        if self.oldest_received_at is None:
            return None
        return max(int((timezone.now() - self.oldest_received_at).total_seconds()), 0)


def waiting_work(batches: QuerySet[NoticeBatch] | None = None) -> WaitingWork:
    """Over every batch (operators), or over the batches a user may see (`batches_for(user)`)."""
    waiting = (batches if batches is not None else NoticeBatch.objects.all()).filter(status=NoticeBatch.Status.RECEIVED)
    figures = waiting.aggregate(
        batches=Count("pk"), oldest=Min("received_at"), failing=Count("pk", filter=NoticeBatch.failing())
    )
    # The notices still waiting: of a batch processed in parts, those of its parts not yet processed.
    notices = 0
    if figures["batches"]:
        still = ArrivalNotice.objects.filter(batch__in=waiting.values("pk"), state=ArrivalNotice.State.RECEIVED)
        notices = still.count()
    return WaitingWork(figures["batches"], notices, figures["oldest"], figures["failing"])


def batches_for(user: Any) -> QuerySet[NoticeBatch]:
    return NoticeBatch.objects.filter(_client_scope(user, "client__region")).select_related("client__region")


def notices_for(user: Any) -> QuerySet[ArrivalNotice]:
    """Notices of persons in the user's region, and those of no known person sent by a client
    serving inside it. A client serving a whole city shows each county only that county's
    notices: one that names nobody known could be any county's, so it is the city's to see."""
    region = access.scope_region(user)
    if region is None:
        return ArrivalNotice.objects.none()
    return ArrivalNotice.objects.filter(
        Q(person__village__code__startswith=region.prefix)
        | Q(person__isnull=True, batch__client__region__code__startswith=region.prefix)
    )


@dataclass(frozen=True)
class BatchFigures:
    """A batch's figures as one user may see them: its own counters when its client serves inside
    the user's region, else counted from the user's own notices in it (`is_partial`)."""

    notices: int
    total: Decimal
    credited: int
    duplicates: int
    unmatched: int
    reversed: int
    is_partial: bool = False


def batch_figures(user: Any, batches: list[NoticeBatch]) -> dict[int, BatchFigures]:
    region = access.scope_region(user)
    figures = {}
    wider = []
    for b in batches:
        if region is not None and b.client.region.code.startswith(region.prefix):
            figures[b.pk] = BatchFigures(
                b.declared_count,
                b.declared_total,
                b.credited_count,
                b.duplicate_count,
                b.unmatched_count,
                b.reversed_count,
            )
        else:
            wider.append(b.pk)
    if wider:
        State = ArrivalNotice.State
        payment = Q(reverses_voucher_no="")
        rows = (
            notices_for(user)
            .filter(batch_id__in=wider)
            .values("batch_id")
            .annotate(
                notices=Count("pk"),
                total=Sum("amount"),
                credited=Count("pk", filter=payment & Q(state__in=[State.CREDITED, State.REVERSED])),
                duplicates=Count("pk", filter=Q(state=State.DUPLICATE)),
                unmatched=Count("pk", filter=Q(state=State.UNMATCHED)),
                reversed=Count("pk", filter=~payment & Q(state=State.CREDITED)),
            )
            .order_by()
        )
        counted = {r.pop("batch_id"): r for r in rows}
        for pk in wider:
            r = counted.get(pk, {})
            figures[pk] = BatchFigures(
                r.get("notices", 0),
                r.get("total") or Decimal("0.00"),
                r.get("credited", 0),
                r.get("duplicates", 0),
                r.get("unmatched", 0),
                r.get("reversed", 0),
                is_partial=True,
            )
    return figures


def receivables_for(user: Any) -> QuerySet[Receivable]:
    return access.scoped(Receivable.objects.select_related("person__village__parent"), user, "person__village")


def exports_for(user: Any) -> QuerySet[ReceivableExport]:
    return access.scoped(ReceivableExport.objects.select_related("created_by"), user, "region")


Reason = ArrivalNotice.Reason


@dataclass(frozen=True)
class Remedy:
    """What resolves a payment waiting for one reason, or who must act on it.

    `assign`: assigning it here (to the right person, receivable or back-payment receivable)
    resolves it; `refund`: the payer must be paid back (a refund, taken by the township office);
    `register`: the person must be registered first; `who`: whoever else must act first.
    """

    advice: Any  # a lazy translation
    assign: bool = False
    refund: bool = False
    register: bool = False
    who: Any = ""


REMEDIES: dict[str, Remedy] = {
    Reason.NO_RECEIVABLE: Remedy(
        gettext_lazy("Check the receivable number tax reported and assign the payment to the right receivable."),
        assign=True,
    ),
    Reason.RECEIVABLE_REQUIRED: Remedy(
        gettext_lazy(
            "Find the person's receivable and assign the payment to it; a payment for a past year goes to "
            "its approved back-payment receivable."
        ),
        assign=True,
    ),
    Reason.RECEIVABLE_PAID: Remedy(
        gettext_lazy("The receivable was already paid: this is a second payment, to be refunded to the payer."),
        refund=True,
    ),
    Reason.RECEIVABLE_CLOSED: Remedy(
        gettext_lazy(
            "The receivable was cancelled or voided: assign the payment to the receivable it belongs to, or "
            "refund it to the payer."
        ),
        assign=True,
        refund=True,
    ),
    Reason.RECEIVABLE_MISMATCH: Remedy(
        gettext_lazy(
            "Person, kind or year differ from the receivable: assign the payment to the right person and "
            "receivable, ask tax to correct it, or refund it to the payer."
        ),
        assign=True,
        refund=True,
        who=gettext_lazy("tax bureau"),
    ),
    Reason.AMOUNT_MISMATCH: Remedy(
        gettext_lazy(
            "A receivable is credited only in full: tax reverses the payment and the payer pays the receivable's "
            "amount, or the payment is refunded to the payer."
        ),
        refund=True,
        who=gettext_lazy("tax bureau"),
    ),
    Reason.PERSON_UNKNOWN: Remedy(
        gettext_lazy(
            "Check the ID number tax reported and assign the payment to the right person; a person not yet "
            "registered is registered first."
        ),
        assign=True,
        register=True,
    ),
    Reason.PERSON_CLOSED: Remedy(
        gettext_lazy("The person's record is closed, so nothing can be credited: refund the payment to the payer."),
        refund=True,
    ),
    Reason.NOT_A_TIER: Remedy(
        gettext_lazy(
            "Not a tier of the year: a payment for a past year is assigned to its approved back-payment "
            "receivable; otherwise it is refunded and the person pays a tier."
        ),
        assign=True,
        refund=True,
    ),
    Reason.OWN_ALREADY_PAID: Remedy(
        gettext_lazy(
            "The year's own contribution has already arrived: this second payment is refunded to the payer, "
            "unless it was meant for someone else."
        ),
        assign=True,
        refund=True,
    ),
    Reason.POLICY_INCOMPLETE: Remedy(
        gettext_lazy("The administrator enters the year's policy and subsidies; then assign the payment."),
        assign=True,
        who=gettext_lazy("administrator"),
    ),
    Reason.GOV_PAID_MISMATCH: Remedy(
        gettext_lazy("Not the government-paid amount of the year: tax reverses it and the right amount is paid."),
        who=gettext_lazy("tax bureau"),
    ),
    Reason.CAP_EXCEEDED: Remedy(
        gettext_lazy("It would pass the year's cap (rule 1), so it cannot be credited: refund it to the payer."),
        refund=True,
    ),
    Reason.REVERSAL_UNKNOWN: Remedy(
        gettext_lazy(
            "The payment it reverses has not been credited: once that payment is credited, assign this reversal; "
            "if it never arrives, ask tax."
        ),
        assign=True,
        who=gettext_lazy("tax bureau"),
    ),
    Reason.REVERSAL_MISMATCH: Remedy(
        gettext_lazy("The reversal does not match the payment it names: tax corrects it."),
        who=gettext_lazy("tax bureau"),
    ),
    Reason.OUTSIDE_CLIENT_REGION: Remedy(
        gettext_lazy(
            "The person lives outside the region this tax office serves: the payment goes back to tax, to be "
            "collected where the person is registered."
        ),
        who=gettext_lazy("tax bureau"),
    ),
    Reason.REFUNDED: Remedy(
        gettext_lazy(
            "The payment this reverses was already refunded to the payer, so there is nothing to take back: "
            "tax is told, and withdraws the reversal."
        ),
        who=gettext_lazy("tax bureau"),
    ),
    Reason.REFUND_PENDING: Remedy(
        gettext_lazy(
            "The payment this reverses is on a refund application in progress: once that refund is paid or "
            "withdrawn, assign this reversal."
        ),
        assign=True,
        who=gettext_lazy("township office"),
    ),
    Reason.GOV_PAID_NOT_MEMBER: Remedy(
        gettext_lazy(
            "The government pays only for members of a special group it pays for (rule 10): once the "
            "department's list names the person, assign the payment; otherwise tax reverses it."
        ),
        assign=True,
        who=gettext_lazy("tax bureau"),
    ),
    Reason.GOV_PAID_TWICE: Remedy(
        gettext_lazy(
            "The government has already paid for this person this year (rule 10): tax reverses the second "
            "payment, or it is assigned to the person it was meant for."
        ),
        assign=True,
        who=gettext_lazy("tax bureau"),
    ),
    Reason.OUTSIDE_WINDOW: Remedy(
        gettext_lazy(
            "Paid outside the year's collection window, which the policy year keeps waiting: check it and "
            "assign it, or refund it to the payer."
        ),
        assign=True,
        refund=True,
    ),
    # Rule 5 (003 六(三)): resolved by the approval itself, which credits the waiting payment without
    # subsidy (collection.backpay_services); once approved it can also be assigned to the receivable.
    Reason.BACK_PAYMENT_REQUIRED: Remedy(
        gettext_lazy(
            "A payment for a past year is a back payment: the township office enters a back-payment application "
            "for this person and year at this amount; when the county approves it, this payment is credited "
            "without government subsidy. If no back payment is allowed, refund it to the payer."
        ),
        assign=True,
        refund=True,
        who=gettext_lazy("township office"),
    ),
    Reason.NOT_IN_BASIC_SCHEME: Remedy(
        gettext_lazy(
            "The supplementary pension is only for persons enrolled in the basic scheme (notice 004 section 1(2)): "
            "assign it to the right person, or refund it to the payer."
        ),
        assign=True,
        refund=True,
    ),
    Reason.SUPPLEMENTARY_ALREADY_PAID: Remedy(
        gettext_lazy(
            "The year's supplementary pension contribution has already arrived (notice 004 section 3): this second "
            "payment is refunded to the payer, unless it was meant for someone else."
        ),
        assign=True,
        refund=True,
    ),
}
# A reason this table does not know yet (an app adds reasons): the clerk assigns it by hand.
DEFAULT_REMEDY = Remedy(gettext_lazy("Check the payment and assign it by hand."), assign=True)


def remedy_for(reason: str) -> Remedy:
    return REMEDIES.get(reason, DEFAULT_REMEDY)


@dataclass(frozen=True)
class QueueItem:
    notice: ArrivalNotice
    waiting_days: int
    due_on: dt.date
    is_overdue: bool
    pending: ManualAssignment | None
    held_by: str = ""  # a live refund application paying it back (payments.handlers)

    @property
    def remedy(self) -> Remedy:
        return remedy_for(self.notice.reason)


def unmatched_queue(user: Any, today: dt.date | None = None) -> list[QueueItem]:
    today = today or timezone.localdate()
    pending = Prefetch(
        "assignments",
        queryset=ManualAssignment.objects.filter(status="proposed").select_related(
            "person", "receivable", "proposed_by"
        ),
        to_attr="pending",
    )
    notices = list(
        notices_for(user)
        .filter(state=ArrivalNotice.State.UNMATCHED)
        .select_related("person", "batch")
        .prefetch_related(pending)
        .order_by("paid_at", "id")
    )
    if not notices:
        return []
    held = handlers.notices_held([n.pk for n in notices])
    first = min(timezone.localtime(n.paid_at).date() for n in notices)
    calendar = WorkCalendar(first, today + dt.timedelta(days=60))
    items = []
    for notice in notices:
        paid_on = timezone.localtime(notice.paid_at).date()
        due_on = rules.posting_due_on(paid_on, calendar)
        items.append(
            QueueItem(
                notice,
                (today - paid_on).days,
                due_on,
                today > due_on,
                notice.pending[0] if notice.pending else None,
                held.get(notice.pk, ""),
            )
        )
    return items


def person_waiting_notices(person_id: int, id_no: str) -> QuerySet[ArrivalNotice]:
    """Payments for a person that wait in the unmatched queue (a second own contribution, an
    amount that is not a tier …): collected by tax, never credited, so they can only be refunded."""
    return ArrivalNotice.objects.filter(
        Q(person_id=person_id) | Q(person__isnull=True, insured_id_no=id_no),
        state=ArrivalNotice.State.UNMATCHED,
        reverses_voucher_no="",
    ).order_by("paid_at", "id")


def person_payments(person_id: int) -> QuerySet[ArrivalNotice]:
    """Each payment for a person, with its voucher, channel and time (the person page)."""
    return (
        ArrivalNotice.objects.filter(person_id=person_id)
        .exclude(state=ArrivalNotice.State.DUPLICATE)
        .order_by("-paid_at", "-id")
    )


def entry_sources(entries: list[AccountEntry]) -> dict[int, list[SourceLink]]:
    """What a clerk recognises behind credits from tax: the e-tax voucher and line (its batch
    linked), the receivable it paid and the record that receivable was for (an application, a
    roster), as the apps name them (insured.plugins.record_links)."""
    vouchers = {e.pk: ledger.voucher_of(e.source_key) for e in entries}
    wanted = {v for v in vouchers.values() if v is not None}
    if not wanted:
        return {}
    match = Q()
    for voucher_no, line_no in wanted:
        match |= Q(voucher_no=voucher_no, line_no=line_no)
    notices = {
        (n.voucher_no, n.line_no): n
        for n in ArrivalNotice.objects.filter(match)
        .exclude(state=ArrivalNotice.State.DUPLICATE)
        .select_related("receivable")
    }
    refs: dict[str, set[str]] = {}
    for notice in notices.values():
        if notice.receivable is not None:
            refs.setdefault(notice.receivable.source_type, set()).add(notice.receivable.source_ref)
    records = {kind: plugins.record_links(kind, sorted(found)) for kind, found in refs.items()}
    out: dict[int, list[SourceLink]] = {}
    for entry_id, voucher in vouchers.items():
        notice = notices.get(voucher) if voucher else None
        if notice is None:
            continue
        links = [
            SourceLink(
                _("e-tax voucher %(voucher)s line %(line)s") % {"voucher": notice.voucher_no, "line": notice.line_no},
                reverse("payments:batch-detail", args=[notice.batch_id]),
                PAYMENTS_VIEW,
            )
        ]
        receivable = notice.receivable
        if receivable is not None:
            links.append(SourceLink(_("receivable %(number)s") % {"number": receivable.number}))
            record = records.get(receivable.source_type, {}).get(receivable.source_ref)
            if record is not None:
                links.append(record)
        out[entry_id] = links
    return out
