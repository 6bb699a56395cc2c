"""Crediting a batch of arrival notices to the personal accounts.

A batch is processed in parts, each a set of persons (a large batch in settings.BATCH_PARTS
parts, a small one in one), and each part in one transaction, so a worker killed half-way leaves
nothing of its part behind and the redelivered task starts again from the part's stored notices;
the part that commits last marks the batch processed. Several workers process several parts, of
one batch or of several, at once; the parts of one batch never share a person, and the same
person falls in the same part of every batch. What one part decides from another's work is read
under the locks of what it touches, taken in one global order (receivables by key, then
person-years by key, then the batch's row): the own contribution once a year and the cap under
the person-year's lock, a receivable's state under its own, a reversed payment's state and
entries under its person-year's lock (its payment's part held that lock until it committed).
Which notice of a voucher line is the first does not depend on the order batches or parts are
processed in: it is the one stored first.

The work is set-based: one query loads each kind of fact the batch needs, the decisions
are made in memory (asking insured.rules), and the results are written with COPY and a few
UPDATE … FROM statements (storage.py). A notice is never credited twice: it is a duplicate
when an earlier notice has the same voucher and line, and the ledger's unique source key
refuses a second credit even if that check were ever wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import bulk, ledger, rules
from insured.models import AccountEntry, InsuredPerson, OutsideWindow, PolicyYear, SpecialGroupMembership
from insured.selectors import PolicyResolver
from payments import handlers, storage
from payments.kinds import ENTRY_KIND, SUBSIDY_KIND
from payments.models import ArrivalNotice, NoticeBatch, PaymentKind, Receivable, TaxClient

logger = logging.getLogger(__name__)

State = ArrivalNotice.State
Reason = ArrivalNotice.Reason
Entry = AccountEntry.Kind
ZERO = Decimal("0.00")
# Any fixed number: the class of the lock that says "this batch is being processed now", plus the
# part (payments.selectors reads it from pg_locks: a worker that dies loses its connection and with
# it the lock).
BATCH_LOCK_CLASS = 7_110_004
MAX_PARTS = 16

# Which queue reason a rule's refusal leaves a payment under.
REASON_OF_RULE = {
    "person_closed": Reason.PERSON_CLOSED,
    "receivable_required": Reason.RECEIVABLE_REQUIRED,
    "own_already_paid": Reason.OWN_ALREADY_PAID,
    "tier_invalid": Reason.NOT_A_TIER,
    "hardship_tier_not_allowed": Reason.NOT_A_TIER,
    "supplementary_tier_invalid": Reason.NOT_A_TIER,
    "policy_tiers_missing": Reason.POLICY_INCOMPLETE,
    "subsidy_not_configured": Reason.POLICY_INCOMPLETE,
    "gov_paid_mismatch": Reason.GOV_PAID_MISMATCH,
    "cap_exceeded": Reason.CAP_EXCEEDED,
    "outside_client_region": Reason.OUTSIDE_CLIENT_REGION,
    "gov_paid_not_member": Reason.GOV_PAID_NOT_MEMBER,
    "gov_paid_twice": Reason.GOV_PAID_TWICE,
    "hardship_tier_beside_gov_paid": Reason.NOT_A_TIER,
    "outside_window": Reason.OUTSIDE_WINDOW,
    "back_payment_required": Reason.BACK_PAYMENT_REQUIRED,
    "not_in_basic_scheme": Reason.NOT_IN_BASIC_SCHEME,
    "supplementary_already_paid": Reason.SUPPLEMENTARY_ALREADY_PAID,
}
NOTICE_FIELDS = (
    "id",
    "voucher_no",
    "line_no",
    "kind",
    "insured_id_no",
    "insured_name",
    "year",
    "amount",
    "paid_at",
    "receivable_no",
    "reverses_voucher_no",
    "reverses_line_no",
)


@dataclass(slots=True)
class Notice:
    id: int
    voucher_no: str
    line_no: int
    kind: str
    insured_id_no: str
    insured_name: str
    year: int
    amount: Decimal
    paid_at: dt.datetime
    receivable_no: str
    reverses_voucher_no: str
    reverses_line_no: int | None
    # Worked out once, when the notice is loaded: every step of the pass asks.
    paid_on: dt.date = field(init=False)
    is_back_payment: bool = field(init=False)

    def __post_init__(self) -> None:
        self.paid_on = as_date(self.paid_at)
        self.is_back_payment = rules.is_back_payment(self.kind, self.year, self.paid_on)

    @property
    def key(self) -> tuple[str, int]:
        return (self.voucher_no, self.line_no)

    @property
    def source_key(self) -> str:
        return ledger.notice_key(self.voucher_no, self.line_no)


@dataclass(slots=True)
class Person:
    id: int
    name: str
    status: str
    village_code: str


@dataclass
class Outcomes:
    """Everything a pass decided, waiting to be written."""

    notices: list[tuple[int, str, str, int | None, int | None]] = field(default_factory=list)
    entries: list[ledger.EntryRow] = field(default_factory=list)
    deltas: dict[ledger.YearKey, ledger.YearDelta] = field(default_factory=dict)
    paid_receivables: set[int] = field(default_factory=set)
    reopened_receivables: set[int] = field(default_factory=set)
    reversed_notices: set[int] = field(default_factory=set)
    outside_window: set[int] = field(default_factory=set)
    credited: int = 0
    duplicates: int = 0
    unmatched: int = 0
    reversals: int = 0
    posted_at: dt.datetime = field(default_factory=timezone.now)

    def delta(self, person_id: int, year: int) -> ledger.YearDelta:
        key = (person_id, year)
        delta = self.deltas.get(key)
        if delta is None:
            delta = self.deltas[key] = ledger.YearDelta()
        return delta


class EarlierBatchWaiting(Exception):
    """A reversal in this batch takes back a payment of an earlier batch that no worker has
    credited yet: the batch is tried again shortly, so a reversal never overtakes its payment
    (serial processing in the order of arrival would have credited the payment first)."""


class PaymentAssignedMeanwhile(EarlierBatchWaiting):
    """A payment a reversal of this part takes back was assigned by hand to a person (and credited)
    after the part chose the person-years to lock: the part is tried again, and locks that person's
    year with the rest."""


class BackPaymentApprovedMeanwhile(EarlierBatchWaiting):
    """A back payment for a past-year payment of this batch was approved after the batch read its
    receivables and before it locked the person-year (the approval held that lock): the batch is
    tried again, reads the new receivable in key order, and credits the payment against it."""


class Unmatched(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason

    @classmethod
    def refused(cls, exc: rules.RuleViolation) -> Unmatched:
        return cls(REASON_OF_RULE.get(exc.code, Reason.POLICY_INCOMPLETE))


def batch_process(batch_pk: int, part: int | None = None) -> bool:
    """Process a stored batch, or one of its parts (`part`). Safe to call again: what is processed
    is left alone. True when this call finished the batch (its last part committed here)."""
    parts = NoticeBatch.objects.filter(pk=batch_pk).values_list("parts", flat=True).first()
    if parts is None:
        raise NoticeBatch.DoesNotExist(f"batch {batch_pk}")
    finished = False
    for each in range(parts) if part is None else [part]:
        finished = _part_process(batch_pk, each, parts) or finished
    return finished


def _part_process(batch_pk: int, part: int, parts: int) -> bool:
    """Credit one part of a batch in one transaction; the part that commits last marks the batch
    processed in the same transaction. True if this part finished the batch."""
    if not 0 <= part < parts:
        raise ValueError(f"batch {batch_pk} has {parts} parts, not a part {part}")
    with transaction.atomic():
        _claim(batch_pk, part)
        batch = NoticeBatch.objects.select_related("client__region").get(pk=batch_pk)
        if batch.status == NoticeBatch.Status.PROCESSED:
            return False
        waiting = storage.of_part(batch.notices.filter(state=State.RECEIVED), part, parts)
        _wait_for_earlier_parts(batch.pk, batch.client_id, waiting.exclude(reverses_voucher_no=""))
        totals = Outcomes()
        # Payments first, then reversals: a reversal may take back a payment of this very batch.
        passes = (
            (waiting.filter(reverses_voucher_no=""), _decide_payment),
            (waiting.exclude(reverses_voucher_no=""), _decide_reversal),
        )
        # The reversals' person-years are locked with the payments': every lock is taken at once, in
        # key order, so two batches never wait on each other in a circle.
        lock_also = _reversal_person_years(passes[1][0])
        for source, decide in passes:
            notices = [Notice(*row) for row in source.order_by("id").values_list(*NOTICE_FIELDS)]
            if notices:
                outcome = _run_pass(
                    notices, source, decide, client=batch.client, lock_also=lock_also, batch_pk=batch.pk
                )
                totals.credited += outcome.credited
                totals.duplicates += outcome.duplicates
                totals.unmatched += outcome.unmatched
                totals.reversals += outcome.reversals
        # Last, and held until COMMIT: the batch's row. The parts of a batch add their counts under
        # it one after the other, and the one that finds no other part's notice waiting (every
        # other part has committed) marks the batch processed.
        batch = NoticeBatch.objects.select_for_update().get(pk=batch_pk)
        if batch.status != NoticeBatch.Status.RECEIVED:
            # Another part finished the batch meanwhile: this one (a task delivered again) found
            # nothing left to do, or that part would have seen its notices waiting.
            if totals.credited or totals.duplicates or totals.unmatched or totals.reversals:
                raise RuntimeError(f"batch {batch.pk} changed state while it was processed")
            return False
        counts = {
            "credited_count": F("credited_count") + totals.credited,
            "duplicate_count": F("duplicate_count") + totals.duplicates,
            "unmatched_count": F("unmatched_count") + totals.unmatched,
            "reversed_count": F("reversed_count") + totals.reversals,
        }
        finished = not (parts > 1 and batch.notices.filter(state=State.RECEIVED).exists())
        if finished:
            counts.update(status=NoticeBatch.Status.PROCESSED, processed_at=timezone.now())
        NoticeBatch.objects.filter(pk=batch_pk).update(**counts)
        if finished:
            handlers.batch_processed(batch.pk)
    logger.info(
        "batch %s part %s/%s processed: %s credited, %s duplicate, %s unmatched, %s reversed%s",
        batch.batch_id,
        part + 1,
        parts,
        totals.credited,
        totals.duplicates,
        totals.unmatched,
        totals.reversals,
        "; the batch is processed" if finished else "",
    )
    return finished


def notice_assign(notice_pk: int, *, person_id: int, receivable_id: int | None) -> ArrivalNotice:
    """Post one waiting notice to the person (and receivable) a clerk chose and a reviewer
    confirmed, through the same decisions as automatic processing."""
    with transaction.atomic():
        notice_row = ArrivalNotice.objects.select_for_update().get(pk=notice_pk)
        if notice_row.state != State.UNMATCHED:
            raise rules.RuleViolation("notice_not_waiting", _("This payment is no longer waiting to be assigned."))
        refuse_if_held(notice_pk)
        notice = Notice(*[getattr(notice_row, f) for f in NOTICE_FIELDS])
        decide = _decide_reversal if notice.reverses_voucher_no else _decide_payment
        source = ArrivalNotice.objects.filter(pk=notice_pk)
        client = TaxClient.objects.select_related("region").get(batches__notices=notice_pk)
        # A reversal posts to its payment's person-year: locked with the chosen person's.
        lock_also = _reversal_person_years(source) if notice.reverses_voucher_no else frozenset()
        outcome = _run_pass(
            [notice], source, decide, client=client, forced=(person_id, receivable_id), lock_also=lock_also
        )
        notice_row.refresh_from_db()
        if notice_row.state == State.UNMATCHED:
            raise rules.RuleViolation(f"assignment_{notice_row.reason}", ArrivalNotice.Reason(notice_row.reason).label)
        NoticeBatch.objects.filter(pk=notice_row.batch_id).update(
            credited_count=F("credited_count") + outcome.credited + outcome.reversals,
            unmatched_count=F("unmatched_count") - outcome.credited - outcome.reversals,
        )
        return notice_row


def refuse_if_held(notice_pk: int) -> None:
    """A waiting payment on a live refund application is being paid back: it is not assigned."""
    held = handlers.notices_held([notice_pk])
    if held:
        raise rules.RuleViolation(
            "notice_held_for_refund",
            _("This payment is being refunded (%(what)s); it cannot be assigned to an account.")
            % {"what": held[notice_pk]},
        )


def _claim(batch_pk: int, part: int) -> None:
    """Say, for as long as this transaction lasts, that this part of the batch is being processed
    (and wait while another worker processes it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", _claim_key(batch_pk, part))


def _claim_key(batch_pk: int, part: int) -> list[int]:
    """The advisory lock that claims a part of a batch: (class, key) as payments.selectors reads it."""
    return [BATCH_LOCK_CLASS + part, batch_pk]


def _wait_for_earlier_parts(batch_pk: int, client_id: int, reversals: QuerySet[ArrivalNotice]) -> None:
    """Before any work: a reversal never overtakes its payment still waiting in an earlier batch
    (one that is not failing). If workers are crediting those payments' parts now, this part waits
    for them to commit; if one is not in any worker's hands, this part goes back at once
    (EarlierBatchWaiting), instead of after its payments are decided. The same check runs again
    under the locks (Facts._wait_for_earlier_batches), where it is authoritative."""
    pending = _earlier_parts_waiting(batch_pk, client_id, reversals)
    if pending and connection.vendor == "postgresql" and all(_in_hand(*each) for each in pending):
        for earlier_pk, part in pending:
            _wait_until_done(earlier_pk, part)
        pending = _earlier_parts_waiting(batch_pk, client_id, reversals)
    if pending:
        raise EarlierBatchWaiting(f"a reversal of batch {batch_pk} waits for batch {pending[0][0]} to be processed")


def _earlier_parts_waiting(batch_pk: int, client_id: int, reversals: QuerySet[ArrivalNotice]) -> list[tuple[int, int]]:
    """(batch, part) of each earlier batch's part that holds a waiting payment the reversals take
    back (a reversal takes back only its own client's payments)."""
    payments = _reversed_payments(reversals).filter(
        ~NoticeBatch.failing("batch__"),
        batch__client_id=client_id,
        state=State.RECEIVED,
        batch_id__lt=batch_pk,
        batch__status=NoticeBatch.Status.RECEIVED,
    )
    if connection.vendor != "postgresql":  # the demo: one part a batch
        return sorted({(pk, 0) for pk in payments.values_list("batch_id", flat=True)})
    parts = payments.annotate(part=storage.PersonPart("insured_id_no", F("batch__parts")))
    return sorted(set(parts.values_list("batch_id", "part")))


# A part waits for another without claiming it (a session lock, let go at once): it holds nothing of
# the other's, so however many parts wait for each other's earlier ones, none waits in a circle.
def _in_hand(batch_pk: int, part: int) -> bool:
    """Whether a worker is processing this part of a batch now (its claim is held)."""
    key = _claim_key(batch_pk, part)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", key)
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", key)
        return False


def _wait_until_done(batch_pk: int, part: int) -> None:
    """Wait for the worker processing this part of a batch to commit or give up."""
    key = _claim_key(batch_pk, part)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s::int, %s::int)", key)
        cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", key)


def _reversal_person_years(reversals: QuerySet[ArrivalNotice]) -> set[tuple[int, int]]:
    """The person-years the part's reversals will touch: their payments' (a payment assigned by hand
    is credited to the person the clerk chose, whatever ID its notice names), and their own."""
    persons = InsuredPerson.objects.filter(id_no=OuterRef("insured_id_no")).values("pk")[:1]
    named = {
        (person_id, year)
        for person_id, year in reversals.annotate(person_pk=Subquery(persons)).values_list("person_pk", "year")
        if person_id is not None
    }
    paid = _reversed_payments(reversals).filter(person__isnull=False).values_list("person_id", "year")
    return named | set(paid)


def _reversed_payments(reversals: QuerySet[ArrivalNotice]) -> QuerySet[ArrivalNotice]:
    """The payments the reversals take back: the first notice of each voucher line they name, found
    by key (storage.first_notices), so the query is driven by the few reversals, never by the notices."""
    lines = set(reversals.order_by().values_list("reverses_voucher_no", "reverses_line_no"))
    if not lines:
        return ArrivalNotice.objects.none()
    firsts = storage.first_notices(reversals)
    return ArrivalNotice.objects.order_by().filter(pk__in=[firsts[line] for line in lines if line in firsts])


class Facts:
    """What one pass reads, each kind with one query."""

    def __init__(
        self,
        notices: list[Notice],
        source: QuerySet[ArrivalNotice],
        client: TaxClient,
        forced: tuple[int, int | None] | None,
        batch_pk: int | None = None,
    ) -> None:
        # `source` is the pass's notices as a query: the lookups below join against it instead
        # of sending thousands of values as parameters.
        self.forced = forced
        self.batch_pk = batch_pk
        # Each tax client serves a region: it credits persons there, and takes back only its own payments.
        self.client_id = client.pk
        self.client_prefix = client.region.prefix
        person_q = Q(id_no__in=source.values("insured_id_no"))
        if forced:
            person_q |= Q(pk=forced[0])
        self.persons = {
            row[0]: Person(row[1], row[2], row[3], row[4])
            for row in InsuredPerson.objects.filter(person_q).values_list(
                "id_no", "id", "name", "status", "village__code"
            )
        }
        self.persons_by_pk = {p.id: p for p in self.persons.values()}
        # The same persons for the facts loaded on first use: their ids as one array parameter (a
        # join on the notices would look every person up by ID number again).
        self.person_pks = bulk.any_of(self.persons_by_pk, "bigint")
        receivable_q = Q(number__in=source.exclude(receivable_no="").values("receivable_no"))
        if forced and forced[1]:
            receivable_q |= Q(pk=forced[1])
        # A past year's own or supplementary payment pays its approved back payment (rule 5, 003
        # 六(三)) even when tax reports no receivable number: the live back-payment receivables of
        # those persons are read (and locked) with the others.
        paying_back = {n.insured_id_no for n in notices if n.is_back_payment}
        if paying_back and not forced:
            receivable_q |= Q(
                # A subquery, not a join: FOR UPDATE then locks the receivables only.
                person_id__in=InsuredPerson.objects.filter(id_no__in=sorted(paying_back)).values("pk"),
                kind__in=set(rules.RECEIVABLE_KIND_OF_PAST_PAYMENT.values()),
                status__in=[Receivable.Status.OPEN, Receivable.Status.SENT],
            )
        # Locked in key order: a sponsorship being voided at this moment waits, or we wait for it.
        receivables = Receivable.objects.select_for_update().filter(receivable_q).order_by("pk")
        self.receivables = {r.number: r for r in receivables}
        self.receivables_by_pk = {r.pk: r for r in self.receivables.values()}
        self.back_payments: dict[tuple[int, int, str], Receivable] = {}
        for r in sorted(self.receivables.values(), key=lambda r: r.pk):
            if r.status in (Receivable.Status.OPEN, Receivable.Status.SENT):
                self.back_payments.setdefault((r.person_id, r.year, r.kind), r)
        self._supplementary_paid: set[tuple[int, int]] | None = None
        self.supplementary_in_pass: set[tuple[int, int]] = set()
        # The first notice ever stored of each voucher line the pass carries or reverses: any other
        # notice of the same line is a duplicate (payments.VoucherLine, looked up by key).
        self.first_seen = storage.first_notices(source)
        self.policies = PolicyResolver()
        self._memberships: dict[int, list[tuple[str, dt.date, dt.date | None]]] | None = None
        self._gov_paid_receivables: set[tuple[int, int]] | None = None
        self.person_years: dict[ledger.YearKey, ledger.YearFigures] = {}
        self.paid_in_pass: set[tuple[int, int]] = set()
        self.originals: dict[int, ArrivalNotice] = {}
        self.original_entries: dict[int, list[AccountEntry]] = {}
        self.refunded_entries: set[int] = set()
        self.held_entries: dict[int, str] = {}

    def lock_person_years(self, notices: list[Notice], pairs: set[tuple[int, int]]) -> None:
        """Lock what the pass touches, then read what other batches may be writing to it: a
        payment another batch is crediting is read once that batch has committed."""
        self.person_years = ledger.person_years_lock(pairs)
        self.originals, self.original_entries = self._reversed_payments(notices)
        self._reversed_payments_locked()
        entry_ids = [e.pk for entries in self.original_entries.values() for e in entries]
        # An entry leaves an account once (AccountEntry.reverses is one-to-one): one refunded, or
        # on a refund application that is being paid, cannot be reversed as well.
        self.refunded_entries = set(
            AccountEntry.objects.filter(reverses_id__in=entry_ids, kind=Entry.REFUND).values_list(
                "reverses_id", flat=True
            )
        )
        self.held_entries = handlers.entries_held(entry_ids)
        self._wait_for_earlier_batches()
        self._back_payments_unchanged(notices)

    def _back_payments_unchanged(self, notices: list[Notice]) -> None:
        """Under the person-year locks: no back payment for a past-year payment of the pass was
        approved since the receivables were read (collection's approval locks the person-year
        before it creates the receivables; rule 5, 003 六(三))."""
        if self.batch_pk is None or self.forced:
            return
        missing = {
            (person.id, n.year, rules.RECEIVABLE_KIND_OF_PAST_PAYMENT[n.kind])
            for n in notices
            if n.is_back_payment
            and (person := self.persons.get(n.insured_id_no)) is not None
            and (person.id, n.year, rules.RECEIVABLE_KIND_OF_PAST_PAYMENT[n.kind]) not in self.back_payments
        }
        if not missing:
            return
        live = Receivable.objects.filter(
            person_id__in={p for p, _y, _k in missing},
            status__in=[Receivable.Status.OPEN, Receivable.Status.SENT],
            kind__in={k for _p, _y, k in missing},
        ).exclude(pk__in=list(self.receivables_by_pk))
        if any((r.person_id, r.year, r.kind) in missing for r in live):
            raise BackPaymentApprovedMeanwhile("a back payment was approved meanwhile; the batch is tried again")

    def _reversed_payments_locked(self) -> None:
        """Under the locks: every credited payment a reversal of the pass takes back is of a
        person-year the pass holds (a reversal posts to its payment's person, whom a clerk may
        have chosen since the part read them)."""
        if self.batch_pk is None:
            return
        held = set(self.person_years)
        credited = {(o.person_id, o.year) for o in self.originals.values() if o.state == State.CREDITED}
        if credited - held:
            raise PaymentAssignedMeanwhile("a reversed payment was assigned meanwhile; the part is tried again")

    def _wait_for_earlier_batches(self) -> None:
        if self.batch_pk is None:
            return
        earlier = {
            o.batch_id for o in self.originals.values() if o.state == State.RECEIVED and o.batch_id < self.batch_pk
        }
        # A batch that keeps failing is not waited for: its payment's reversal waits in the queue.
        if (
            earlier
            and NoticeBatch.objects.filter(
                ~NoticeBatch.failing(), pk__in=earlier, status=NoticeBatch.Status.RECEIVED
            ).exists()
        ):
            raise EarlierBatchWaiting(f"a reversal waits for batch {min(earlier)} to be processed")

    def _reversed_payments(self, notices: list[Notice]) -> tuple[dict[int, ArrivalNotice], dict[int, list]]:
        targets = {
            self.first_seen.get((n.reverses_voucher_no, n.reverses_line_no)) for n in notices if n.reverses_voucher_no
        } - {None}
        if not targets:
            return {}, {}
        # A reversal takes back only the same client's payment.
        originals = {o.pk: o for o in ArrivalNotice.objects.filter(pk__in=targets, batch__client_id=self.client_id)}
        keys = {o.source_key: o.pk for o in originals.values()}
        entries: dict[int, list[AccountEntry]] = defaultdict(list)
        for entry in ledger.entries_by_key(keys, with_subsidies=True):
            entries[keys[ledger.main_key(entry.source_key)]].append(entry)
        return originals, entries

    def active_groups(self, person_id: int, day: dt.date) -> set[str]:
        """Loaded on first use: only hardship-tier payments need the memberships."""
        if self._memberships is None:
            self._memberships = defaultdict(list)
            rows = SpecialGroupMembership.objects.filter(person_id__in=self.person_pks)
            for pid, group, start, end in rows.values_list("person_id", "group", "valid_from", "valid_to"):
                self._memberships[pid].append((group, start, end))
        return {
            g for g, start, end in self._memberships.get(person_id, []) if start <= day and (end is None or day <= end)
        }

    def has_gov_paid_receivable(self, person_id: int, year: int) -> bool:
        """A live government-paid receivable (002 四(三): the government pays for the person that
        year). Loaded on first use, for the pass's persons at once."""
        if self._gov_paid_receivables is None:
            live = Receivable.objects.filter(
                kind=PaymentKind.GOVERNMENT_PAID,
                person_id__in=self.person_pks,
                status__in=[Receivable.Status.OPEN, Receivable.Status.SENT, Receivable.Status.PAID],
            )
            self._gov_paid_receivables = set(live.values_list("person_id", "year"))
        return (person_id, year) in self._gov_paid_receivables

    def supplementary_paid(self, person_id: int, year: int) -> bool:
        """Loaded on first use: whether a supplementary contribution of the year is in the account
        (one not taken out again by a reversal or a refund), or was credited earlier in this pass."""
        if self._supplementary_paid is None:
            rows = AccountEntry.objects.filter(
                kind=Entry.SUPPLEMENTARY, person_id__in=self.person_pks, reversed_by__isnull=True
            ).values_list("person_id", "year")
            self._supplementary_paid = set(rows)
        key = (person_id, year)
        return key in self._supplementary_paid or key in self.supplementary_in_pass

    def policy(self, person: Person, year: int) -> PolicyYear:
        policy = self.policies.get(person.village_code, year)
        if policy is None:
            raise Unmatched(Reason.POLICY_INCOMPLETE)
        return policy


def _run_pass(
    notices: list[Notice],
    source: QuerySet[ArrivalNotice],
    decide,
    *,
    client: TaxClient,
    forced: tuple[int, int | None] | None = None,
    lock_also: set[tuple[int, int]] = frozenset(),
    batch_pk: int | None = None,
) -> Outcomes:
    facts = Facts(notices, source, client, forced, batch_pk)
    pairs = set(lock_also)
    for n in notices:
        person = facts.persons_by_pk.get(forced[0]) if forced else facts.persons.get(n.insured_id_no)
        if person is not None:
            pairs.add((person.id, n.year))
    facts.lock_person_years(notices, pairs)
    out = Outcomes()
    for notice in notices:
        decide(notice, facts, out)
    _write(out)
    return out


def _write(out: Outcomes) -> None:
    ledger.ledger_post(out.entries, out.deltas)
    storage.notices_update(out.notices)
    if out.reversed_notices:
        ArrivalNotice.objects.filter(pk__in=out.reversed_notices).update(state=State.REVERSED)
    if out.outside_window:
        ArrivalNotice.objects.filter(pk__in=out.outside_window).update(is_outside_window=True)
    if out.paid_receivables:
        paying_notice = ArrivalNotice.objects.filter(receivable_id=OuterRef("pk"), state=State.CREDITED)
        Receivable.objects.filter(pk__in=out.paid_receivables).update(
            status=Receivable.Status.PAID, paid_at=Subquery(paying_notice.order_by("-id").values("paid_at")[:1])
        )
        handlers.receivables_paid(list(out.paid_receivables))
    if out.reopened_receivables:
        Receivable.objects.filter(pk__in=out.reopened_receivables).update(status=Receivable.Status.SENT, paid_at=None)
        handlers.receivables_reopened(list(out.reopened_receivables))


def _entry(
    out: Outcomes,
    person_id: int,
    year: int,
    kind: str,
    amount: Decimal,
    key: str,
    note: str = "",
    reverses_id: int | None = None,
) -> ledger.EntryRow:
    return ledger.EntryRow(person_id, year, kind, amount, ledger.NOTICE, key, reverses_id, note, out.posted_at)


def _decide_payment(n: Notice, facts: Facts, out: Outcomes) -> None:
    if facts.first_seen.get(n.key, n.id) != n.id:
        out.notices.append((n.id, State.DUPLICATE, "", None, None))
        out.duplicates += 1
        return
    person = None
    receivable = None
    try:
        person, receivable = _match(n, facts)
        _credit(n, person, receivable, facts, out)
    except Unmatched as exc:
        out.notices.append(
            (n.id, State.UNMATCHED, exc.reason, person.id if person else None, receivable.pk if receivable else None)
        )
        out.unmatched += 1
        return
    out.notices.append((n.id, State.CREDITED, "", person.id, receivable.pk if receivable else None))
    out.credited += 1


def _match(n: Notice, facts: Facts) -> tuple[Person, Receivable | None]:
    if facts.forced:
        person = facts.persons_by_pk[facts.forced[0]]
        receivable = facts.receivables_by_pk.get(facts.forced[1]) if facts.forced[1] else None
    else:
        person = facts.persons.get(n.insured_id_no)
        if person is None:
            raise Unmatched(Reason.PERSON_UNKNOWN)
        receivable = None
        if n.receivable_no:
            receivable = facts.receivables.get(n.receivable_no)
            if receivable is None:
                raise Unmatched(Reason.NO_RECEIVABLE)
    is_back_payment = n.is_back_payment
    if receivable is None and is_back_payment and not facts.forced:
        past_kind = rules.RECEIVABLE_KIND_OF_PAST_PAYMENT[n.kind]
        receivable = facts.back_payments.get((person.id, n.year, past_kind))
    try:
        rules.check_person_open(person.status)
        rules.check_client_serves(person.village_code, facts.client_prefix)
        rules.check_receivable_present(n.kind, receivable is not None)
        if is_back_payment:
            rules.check_back_payment_approved(receivable is not None, n.year)  # rule 5
    except rules.RuleViolation as exc:
        raise Unmatched.refused(exc) from None
    if receivable is None:
        return person, None
    # Whose and what the receivable is before its state, so the reason does not depend on the order
    # parts are processed in (another person's notice in another part may pay it first).
    fits = rules.receivable_kind_fits(n.kind, receivable.kind)
    if receivable.person_id != person.id or not fits or receivable.year != n.year:
        raise Unmatched(Reason.RECEIVABLE_MISMATCH)
    if receivable.status == Receivable.Status.PAID:
        raise Unmatched(Reason.RECEIVABLE_PAID)
    if receivable.status in (Receivable.Status.CANCELLED, Receivable.Status.VOIDED):
        raise Unmatched(Reason.RECEIVABLE_CLOSED)
    if receivable.amount != n.amount:
        raise Unmatched(Reason.AMOUNT_MISMATCH)
    return person, receivable


def _credit(n: Notice, person: Person, receivable: Receivable | None, facts: Facts, out: Outcomes) -> None:
    """Check everything that can refuse the payment first; only then record its effects."""
    policy = facts.policy(person, n.year)
    person_year = facts.person_years[(person.id, n.year)]
    delta = out.delta(person.id, n.year)
    paid_on = n.paid_on
    reserved = person_year.support_reserved + delta.reserved
    is_support = n.kind in rules.SUPPORT_KINDS
    # Rule 5 (003 六(三)): a past year's payment was matched to its approved back payment in
    # _match, at the tier the application was checked for; it gets no subsidy.
    is_back_payment = n.is_back_payment
    try:
        if n.kind == PaymentKind.OWN:
            paid = person_year.own_amount + delta.own > 0 or (person.id, n.year) in facts.paid_in_pass
            rules.check_one_own_contribution(paid, n.year)
            if not is_back_payment:
                rules.check_own_contribution_tier(
                    policy, n.amount, groups=lambda: facts.active_groups(person.id, paid_on), name=person.name
                )
                rules.check_tier_beside_government_paid(
                    policy,
                    n.amount,
                    paid_on=paid_on,
                    is_government_paid=lambda: (
                        person_year.gov_paid_amount + delta.gov_paid > 0
                        or facts.has_gov_paid_receivable(person.id, n.year)
                    ),
                    name=person.name,
                )
        elif n.kind == PaymentKind.SUPPLEMENTARY:
            rules.check_in_basic_scheme(person.status, person.name)  # 004 一(二)
            rules.check_one_supplementary(facts.supplementary_paid(person.id, n.year), n.year)  # 004 三
        elif n.kind == PaymentKind.GOVERNMENT_PAID:
            rules.check_government_paid_amount(n.amount, policy)
            rules.check_government_paid_member(
                policy=policy,
                has_receivable=receivable is not None,
                groups=facts.active_groups(person.id, paid_on) if receivable is None else set(),
                name=person.name,
            )
            rules.check_one_government_paid(person_year.gov_paid_amount + delta.gov_paid > 0, n.year)
        # A back payment is paid after its year by definition: the window is the current year's.
        outside_window = (
            n.kind in rules.WINDOW_KINDS and not is_back_payment and not rules.collection_window_open(policy, paid_on)
        )
        if outside_window and policy.outside_window == OutsideWindow.QUEUE and not facts.forced:
            # The year's setting keeps it for a person to look at; the clerk who assigns it has.
            rules.check_collection_window(policy, paid_on)
        if is_support and reserved < n.amount:
            # Nothing was reserved for it: credit only while the year's cap allows (rule 1).
            used = reserved + person_year.support_credited + delta.credited
            rules.check_cap(year=n.year, cap=policy.top_tier, used=used, amount=n.amount)
        # Rule 5: zero but for an own or supplementary contribution of its year.
        subsidy = ZERO if is_back_payment else rules.government_subsidy_for(n.kind, n.amount, policy)
    except rules.RuleViolation as exc:
        raise Unmatched.refused(exc) from None

    if n.kind == PaymentKind.OWN:
        facts.paid_in_pass.add((person.id, n.year))
        delta.own += n.amount
        delta.own_arrived_on = delta.own_arrived_on or paid_on
    elif n.kind == PaymentKind.GOVERNMENT_PAID:
        delta.gov_paid += n.amount
    elif n.kind == PaymentKind.SUPPLEMENTARY:
        facts.supplementary_in_pass.add((person.id, n.year))
    elif is_support:
        if reserved >= n.amount:
            delta.reserved -= n.amount
        delta.credited += n.amount
    key = n.source_key
    out.entries.append(_entry(out, person.id, n.year, ENTRY_KIND[n.kind], n.amount, key))
    if subsidy:
        out.entries.append(_entry(out, person.id, n.year, SUBSIDY_KIND[n.kind], subsidy, ledger.subsidy_key(key)))
    if receivable is not None:
        out.paid_receivables.add(receivable.pk)
        receivable.status = Receivable.Status.PAID  # a second notice for it in this batch is refused
    if outside_window:
        out.outside_window.add(n.id)


def _decide_reversal(n: Notice, facts: Facts, out: Outcomes) -> None:
    if facts.first_seen.get(n.key, n.id) != n.id:
        out.notices.append((n.id, State.DUPLICATE, "", None, None))
        out.duplicates += 1
        return
    original = facts.originals.get(facts.first_seen.get((n.reverses_voucher_no, n.reverses_line_no)))
    if original is not None and original.state == State.REFUNDED:
        _unmatched(n, out, Reason.REFUNDED, original)
        return
    # What the reversal names is compared before the payment's state, so the reason does not depend
    # on the order parts are processed in: a payment of this batch still waiting in another part (a
    # part is a set of persons) is another person's, a mismatch whether that part has run or not.
    if original is not None and (
        original.amount != n.amount or original.insured_id_no != n.insured_id_no or original.kind != n.kind
    ):
        _unmatched(n, out, Reason.REVERSAL_MISMATCH, original)
        return
    if original is None or original.state != State.CREDITED:
        _unmatched(n, out, Reason.REVERSAL_UNKNOWN, original)
        return
    entries = facts.original_entries.get(original.pk, [])
    if any(e.pk in facts.refunded_entries for e in entries):
        _unmatched(n, out, Reason.REFUNDED, original)
        return
    if any(e.pk in facts.held_entries for e in entries):
        _unmatched(n, out, Reason.REFUND_PENDING, original)
        return
    for entry in entries:
        out.entries.append(
            _entry(
                out,
                entry.person_id,
                entry.year,
                Entry.REVERSAL,
                -entry.amount,
                ledger.reversal_key(n.voucher_no, n.line_no, entry.pk),
                note=f"{original.voucher_no}/{original.line_no}",
                reverses_id=entry.pk,
            )
        )
    delta = out.delta(original.person_id, original.year)
    if original.kind == PaymentKind.OWN:
        delta.own -= original.amount
    elif original.kind == PaymentKind.GOVERNMENT_PAID:
        delta.gov_paid -= original.amount
    elif original.kind in rules.SUPPORT_KINDS:
        delta.credited -= original.amount
        if original.receivable_id:
            # The receivable is open again, so its amount counts against the cap again (rule 1).
            delta.reserved += original.amount
    if original.receivable_id:
        out.reopened_receivables.add(original.receivable_id)
    out.reversed_notices.add(original.pk)
    original.state = State.REVERSED  # a second reversal of it in this batch is refused
    out.notices.append((n.id, State.CREDITED, "", original.person_id, original.receivable_id))
    out.reversals += 1


def _unmatched(n: Notice, out: Outcomes, reason: str, original: ArrivalNotice | None) -> None:
    out.notices.append((n.id, State.UNMATCHED, reason, original.person_id if original else None, None))
    out.unmatched += 1


_LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def as_date(moment: dt.datetime) -> dt.date:
    """The agency's calendar day of a moment (Beijing time)."""
    return moment.astimezone(_LOCAL).date()
