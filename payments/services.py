"""Every write of the payments app."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from insured import bulk, numbering, rules
from insured.models import InsuredPerson, Region
from insured.rules import RuleViolation
from payments import processing, storage
from payments.intake import ParsedBatch
from payments.models import (
    ArrivalNotice,
    ManualAssignment,
    NoticeBatch,
    Receivable,
    ReceivableExport,
    ReceivableExportLine,
    TaxClient,
)

RECEIVABLE_PREFIX = "YS"  # 应收
EXPORT_PREFIX = "YSPC"  # 应收批次


def tax_client_secret_new() -> str:
    """32 random bytes, as 64 hex characters: what the client signs with (payments.signing)."""
    return secrets.token_hex(32)


def tax_client_secret_renew(client: TaxClient) -> str:
    """A new secret for a client; the old one stops working at once. The caller shows it once."""
    secret = tax_client_secret_new()
    client.secret = secret
    client._history_user = None
    client.save(update_fields=["secret_sealed"])
    return secret


@dataclass(frozen=True)
class StoreResult:
    batch: NoticeBatch
    created: bool  # False: the same batch was already stored


class BatchConflict(Exception):
    """The batch id was used before for a different body."""


def parts_for(count: int) -> int:
    """How many parts a batch of `count` notices is processed in (settings.BATCH_PARTS)."""
    if not bulk.is_postgres() or count < settings.BATCH_PART_MIN_NOTICES:
        return 1
    return max(1, min(settings.BATCH_PARTS, processing.MAX_PARTS))


def batch_store(
    *, client: TaxClient, parsed: ParsedBatch, fingerprint: str, source: str = NoticeBatch.Source.API
) -> StoreResult:
    """Store a batch whole, in one transaction. Its state `received` is the record that it waits
    to be processed: tasks.batch_dispatch hands it to a worker, and the sweep finds it again if
    that hand-over is lost.

    The same batch sent again (same id, same body) changes nothing. Three copies arriving
    at once: the unique (client, batch_id) index lets one in; the others find it.
    """
    try:
        with transaction.atomic():
            batch = NoticeBatch.objects.create(
                client=client,
                batch_id=parsed.batch_id,
                body_sha256=fingerprint,
                source=source,
                sent_at=parsed.sent_at,
                declared_count=parsed.count,
                declared_total=parsed.total_amount,
                parts=parts_for(parsed.count),
            )
            storage.notices_insert(batch.pk, parsed.rows)
        return StoreResult(batch, True)
    except IntegrityError:
        existing = NoticeBatch.objects.filter(client=client, batch_id=parsed.batch_id).first()
        if existing is None:
            raise
        if existing.body_sha256 != fingerprint:
            raise BatchConflict(parsed.batch_id) from None
        return StoreResult(existing, False)


@transaction.atomic
def receivable_create(
    *,
    person: InsuredPerson,
    kind: str,
    payer_name: str,
    payer_id: str,
    year: int,
    amount: Decimal,
    due_date: dt.date,
    source_type: str,
    source_ref: str,
    user: AbstractBaseUser | None = None,
) -> Receivable:
    """Assess an amount for tax to collect. The same source asks once: a repeat returns the
    receivable it already has."""
    live = Receivable.objects.filter(
        source_type=source_type,
        source_ref=source_ref,
        status__in=[Receivable.Status.OPEN, Receivable.Status.SENT, Receivable.Status.PAID],
    )
    existing = live.first()
    if existing is not None:
        return existing
    try:
        return numbering.create_numbered(
            Receivable,
            RECEIVABLE_PREFIX,
            5,
            lambda number: Receivable(
                number=number,
                kind=kind,
                person=person,
                payer_name=payer_name,
                payer_id=payer_id,
                year=year,
                amount=amount,
                due_date=due_date,
                source_type=source_type,
                source_ref=source_ref,
                created_by=user if user and user.pk else None,
            ),
        )
    except IntegrityError:
        # The same source was assessed by a concurrent request: return that one.
        existing = live.first()
        if existing is None:
            raise
        return existing


@dataclass(frozen=True)
class ReceivableRequest:
    """One amount to assess, as `receivable_create` takes it, by the person's id."""

    person_id: int
    kind: str
    payer_name: str
    payer_id: str
    year: int
    amount: Decimal
    due_date: dt.date
    source_type: str
    source_ref: str


NUMBER_ATTEMPTS = 5


def receivables_create_many(
    requests: Sequence[ReceivableRequest], *, user: AbstractBaseUser | None = None
) -> list[Receivable]:
    """Assess many amounts at once: the receivables in the order asked, one live receivable per
    source as `receivable_create` keeps it (a source that has one gets it back, unchanged).

    The document numbers of the whole set are allocated together, after the highest of the day,
    and the rows and their history written in bulk: a few queries, not one per row. A number
    taken meanwhile by another request (or a source assessed meanwhile) fails the unique index;
    the set is then tried again from the start, inside a savepoint, so nothing half-made stays.
    """
    if not requests:
        return []
    if any(r.amount <= 0 for r in requests):
        raise ValueError("a receivable's amount is more than zero")
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return _receivables_create_many(requests, user)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _receivables_create_many(requests: Sequence[ReceivableRequest], user: AbstractBaseUser | None) -> list[Receivable]:
    sources = {(r.source_type, r.source_ref) for r in requests}
    if len(sources) != len(requests):
        raise ValueError("each request must name a source of its own")
    live = Receivable.objects.filter(
        source_type__in={t for t, _ref in sources},
        source_ref__in=bulk.any_of({ref for _t, ref in sources}, "text"),
        status__in=[Receivable.Status.OPEN, Receivable.Status.SENT, Receivable.Status.PAID],
    )
    existing = {(r.source_type, r.source_ref): r for r in live if (r.source_type, r.source_ref) in sources}
    missing = [r for r in requests if (r.source_type, r.source_ref) not in existing]
    numbers = _next_numbers(len(missing))
    created_by = user if user is not None and user.pk else None
    made = [
        Receivable(
            number=number,
            kind=r.kind,
            person_id=r.person_id,
            payer_name=r.payer_name,
            payer_id=r.payer_id,
            year=r.year,
            amount=r.amount,
            due_date=r.due_date,
            source_type=r.source_type,
            source_ref=r.source_ref,
            created_by=created_by,
        )
        for number, r in zip(numbers, missing, strict=True)
    ]
    if made and bulk.is_postgres():
        storage.receivables_insert(made, user_id=created_by.pk if created_by else None, at=timezone.now())
        made = list(Receivable.objects.filter(number__in=bulk.any_of([r.number for r in made], "text")))
    elif made:
        bulk_create_with_history(made, Receivable, batch_size=1000, default_user=created_by)
    existing |= {(r.source_type, r.source_ref): r for r in made}
    return [existing[(r.source_type, r.source_ref)] for r in requests]


def _next_numbers(count: int) -> list[str]:
    """`count` numbers after the highest of the day, as `numbering.next_number` gives one."""
    stem = f"{RECEIVABLE_PREFIX}{timezone.localdate():%Y%m%d}"
    first = numbering.next_number(Receivable, RECEIVABLE_PREFIX, 5)
    sequence = int(first[len(stem) :])
    return [f"{stem}{n:05d}" for n in range(sequence, sequence + count)]


def _close(receivable: Receivable, status: str) -> bool:
    changed = Receivable.objects.filter(
        pk=receivable.pk, status__in=[Receivable.Status.OPEN, Receivable.Status.SENT]
    ).update(status=status, closed_at=timezone.now())
    return changed == 1


def receivable_cancel(receivable: Receivable) -> bool:
    """Withdraw an unpaid receivable (the application was withdrawn). False if already paid or closed."""
    return _close(receivable, Receivable.Status.CANCELLED)


def receivable_void(receivable: Receivable) -> bool:
    """Void an unpaid receivable whose time ran out (000 四). A payment arriving later goes to
    the unmatched queue, because the receivable is no longer open."""
    return _close(receivable, Receivable.Status.VOIDED)


@transaction.atomic
def export_create(*, region: Region, user: AbstractBaseUser | None) -> ReceivableExport | None:
    """Collect the receivables tax has not been told about: new ones, and cancellations of
    ones it was told about. None when there is nothing to send."""
    scoped = Receivable.objects.select_for_update().filter(person__village__code__startswith=region.prefix)
    new = list(scoped.filter(status=Receivable.Status.OPEN).order_by("pk"))
    announced = ReceivableExportLine.objects.filter(action=ReceivableExportLine.Action.NEW).values("receivable_id")
    already_cancelled = ReceivableExportLine.objects.filter(action=ReceivableExportLine.Action.CANCEL).values(
        "receivable_id"
    )
    cancelled = list(
        scoped.filter(status__in=[Receivable.Status.CANCELLED, Receivable.Status.VOIDED], pk__in=announced)
        .exclude(pk__in=already_cancelled)
        .order_by("pk")
    )
    if not new and not cancelled:
        return None
    export = numbering.create_numbered(
        ReceivableExport,
        EXPORT_PREFIX,
        5,
        lambda number: ReceivableExport(number=number, region=region, created_by=user if user and user.pk else None),
    )
    ReceivableExportLine.objects.bulk_create(
        [ReceivableExportLine(export=export, receivable=r, action="new") for r in new]
        + [ReceivableExportLine(export=export, receivable=r, action="cancel") for r in cancelled]
    )
    Receivable.objects.filter(pk__in=[r.pk for r in new], status=Receivable.Status.OPEN).update(
        status=Receivable.Status.SENT
    )
    return export


def notices_refund(
    notice_ids: list[int], *, person_id: int, id_no: str, ref: str, when: dt.datetime | None = None
) -> None:
    """Waiting payments paid back to the payer by refund `ref` (002 附件2 三): they leave the queue
    as refunded, never credited. In the caller's transaction, compare-and-set: each must still be
    waiting for this person, or nothing changes."""
    if not notice_ids:
        return
    waiting = ArrivalNotice.objects.filter(pk__in=notice_ids, state=ArrivalNotice.State.UNMATCHED).filter(
        Q(person_id=person_id) | Q(person__isnull=True, insured_id_no=id_no)
    )
    updated = waiting.update(
        state=ArrivalNotice.State.REFUNDED, refunded_at=when or timezone.now(), refund_ref=ref, person_id=person_id
    )
    if updated != len(set(notice_ids)):
        raise RuleViolation(
            "notice_not_waiting",
            _("A payment on this refund is no longer waiting in the unmatched queue; it cannot be refunded."),
        )


@transaction.atomic
def assignment_propose(
    *,
    notice: ArrivalNotice,
    person: InsuredPerson,
    receivable: Receivable | None,
    user: AbstractBaseUser,
    note: str = "",
) -> ManualAssignment:
    locked = ArrivalNotice.objects.select_for_update().get(pk=notice.pk)
    if locked.state != ArrivalNotice.State.UNMATCHED:
        raise RuleViolation("notice_not_waiting", _("This payment is no longer waiting to be assigned."))
    processing.refuse_if_held(locked.pk)
    if receivable is not None and receivable.person_id != person.pk:
        raise RuleViolation("receivable_other_person", _("The receivable belongs to another person."), "receivable")
    if locked.assignments.filter(status=ManualAssignment.Status.PROPOSED).exists():
        raise RuleViolation(
            "assignment_pending", _("An assignment of this payment is already waiting for confirmation.")
        )
    assignment = ManualAssignment(notice=locked, person=person, receivable=receivable, proposed_by=user, note=note)
    assignment._history_user = user
    assignment.save()
    return assignment


def assignment_decide(*, assignment: ManualAssignment, user: AbstractBaseUser, confirm: bool) -> ManualAssignment:
    """The second person confirms (and the notice posts) or rejects (and it waits again)."""
    rules.check_maker_checker(
        assignment.proposed_by_id,
        user.pk,
        _("The person who proposed an assignment cannot also confirm it; ask another colleague."),
    )
    with transaction.atomic():
        locked = ManualAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status != ManualAssignment.Status.PROPOSED:
            raise RuleViolation("assignment_decided", _("This assignment has already been decided."))
        locked.status = ManualAssignment.Status.CONFIRMED if confirm else ManualAssignment.Status.REJECTED
        locked.decided_by = user
        locked.decided_at = timezone.now()
        locked._history_user = user
        locked.save()
        if confirm:
            processing.notice_assign(locked.notice_id, person_id=locked.person_id, receivable_id=locked.receivable_id)
    assignment.refresh_from_db()
    return assignment
