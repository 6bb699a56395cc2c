"""Reconciliation 对账 and the ledger check.

Notice 003 五(三): the tax system, the bank and the pension system must agree on the number of
payments and their amounts. For a period, per township and kind, three figures are counted:

- tax: the notices tax sent (duplicates left out) paid in the period; a reversal 冲正 counts
  minus one and minus its amount;
- receivables: the receivables settled in the period, to set beside the notices that name a
  receivable (own contributions usually have none);
- ledger: the personal-account entries posted from those notices (the payment's own entry, not
  the subsidy beside it; a reversal entry counts minus one).

Every difference is listed with its cause. All figures come from a handful of aggregate queries;
nothing is read one notice at a time. `manage.py check_ledger`, the deeper test without a
period, reads notice keys with the helpers below.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Sign, StrIndex, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from insured.models import AccountEntry, InsuredPerson, Region
from insured.money import MoneyField, quantize
from payments.models import ArrivalNotice, PaymentKind, Receivable, ReconciliationRun
from payments.processing import ENTRY_KIND, SUBSIDY_KIND

logger = logging.getLogger(__name__)

State = ArrivalNotice.State
ZERO = Decimal("0.00")
MONEY = MoneyField()
COUNTED_STATES = [s for s in State.values if s != State.DUPLICATE]
KIND_ORDER = {kind: i for i, kind in enumerate(PaymentKind.values)}
# The ledger kind each payment kind posts, and back (reversal entries take their reversed entry's kind).
PAYMENT_KIND_OF_ENTRY = {str(entry): str(kind) for kind, entry in ENTRY_KIND.items()}


# --- Figures ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    count: int = 0
    amount: Decimal = ZERO

    def __post_init__(self) -> None:
        # SQLite's sums come back without their two places; money always shows them.
        object.__setattr__(self, "amount", quantize(Decimal(self.amount)))

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.count + other.count, self.amount + other.amount)

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "amount": f"{self.amount:.2f}"}


@dataclass
class Row:
    """One township and kind; a total row has no township code (and no kind for the grand total)."""

    township_code: str
    township_name: str
    kind: str
    tax: Figure = field(default_factory=Figure)
    tax_with_receivable: Figure = field(default_factory=Figure)  # what the receivables are compared with
    receivables: Figure = field(default_factory=Figure)
    ledger: Figure = field(default_factory=Figure)
    is_total: bool = False

    @property
    def label(self) -> str:
        if self.is_total:
            return _("All townships") if self.kind else _("Total")
        return self.township_name or _("Not located in a township")

    @property
    def kind_label(self) -> str:
        return str(PaymentKind(self.kind).label) if self.kind in KIND_ORDER else self.kind

    @property
    def ledger_differs(self) -> bool:
        return self.tax != self.ledger

    @property
    def receivables_differ(self) -> bool:
        return self.tax_with_receivable != self.receivables

    @property
    def differs(self) -> bool:
        return self.ledger_differs or self.receivables_differ

    def add(self, other: Row) -> None:
        self.tax += other.tax
        self.tax_with_receivable += other.tax_with_receivable
        self.receivables += other.receivables
        self.ledger += other.ledger

    def as_json(self) -> dict[str, Any]:
        return {
            "township_code": self.township_code,
            "township_name": self.township_name,
            "label": self.label,
            "kind": self.kind,
            "is_total": self.is_total,
            "tax": self.tax.as_json(),
            "tax_with_receivable": self.tax_with_receivable.as_json(),
            "receivables": self.receivables.as_json(),
            "ledger": self.ledger.as_json(),
            "differs": self.differs,
        }


class Cause:
    UNMATCHED = "unmatched"
    NOT_PROCESSED = "not_processed"
    NO_ENTRY = "no_entry"
    ENTRY_AMOUNT = "entry_amount"
    ENTRY_NOT_CREDITED = "entry_not_credited"
    ENTRY_WITHOUT_NOTICE = "entry_without_notice"
    RECEIVABLE_NOT_PAID = "receivable_not_paid"
    RECEIVABLE_WITHOUT_NOTICE = "receivable_without_notice"
    RECEIVABLE_AMOUNT = "receivable_amount"
    UNEXPLAINED = "unexplained"


def cause_label(cause: str, reason: str = "") -> str:
    if cause == Cause.UNMATCHED:
        reason_label = ArrivalNotice.Reason(reason).label if reason in ArrivalNotice.Reason.values else reason
        return _("Waiting in the unmatched queue: %(reason)s") % {"reason": reason_label}
    labels = {
        Cause.NOT_PROCESSED: _("Received from tax, not processed yet"),
        Cause.NO_ENTRY: _("Credited, but no ledger entry was posted"),
        Cause.ENTRY_AMOUNT: _("The ledger entry's amount differs from the notice"),
        Cause.ENTRY_NOT_CREDITED: _("A ledger entry was posted for a notice that is not credited"),
        Cause.ENTRY_WITHOUT_NOTICE: _("A ledger entry names a notice that does not exist"),
        Cause.RECEIVABLE_NOT_PAID: _("Credited, but its receivable is not marked paid"),
        Cause.RECEIVABLE_WITHOUT_NOTICE: _("The receivable is marked paid, but no credited notice pays it"),
        Cause.RECEIVABLE_AMOUNT: _("The receivable's amount differs from the notice that paid it"),
        Cause.UNEXPLAINED: _("The figures differ and no single payment explains it"),
    }
    return str(labels.get(cause, cause))


@dataclass
class Difference:
    cause: str
    kind: str
    township_id: int | None = None
    township_code: str = ""
    township_name: str = ""
    reason: str = ""
    voucher_no: str = ""
    line_no: int | None = None
    person_name: str = ""
    id_no: str = ""
    receivable_no: str = ""
    amount: Decimal | None = None
    paid_at: dt.datetime | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.amount is not None:
            self.amount = quantize(Decimal(self.amount))

    @property
    def label(self) -> str:
        return cause_label(self.cause, self.reason)

    @property
    def kind_label(self) -> str:
        return str(PaymentKind(self.kind).label) if self.kind in KIND_ORDER else self.kind

    @property
    def voucher(self) -> str:
        return f"{self.voucher_no}/{self.line_no}" if self.voucher_no else ""

    def as_json(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "label": self.label,
            "reason": self.reason,
            "township_code": self.township_code,
            "township_name": self.township_name,
            "kind": self.kind,
            "voucher_no": self.voucher_no,
            "line_no": self.line_no,
            "person_name": self.person_name,
            "id_no": self.id_no,
            "receivable_no": self.receivable_no,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
            "detail": self.detail,
        }


@dataclass
class Reconciliation:
    region: Region
    start: dt.date
    end: dt.date
    rows: list[Row]
    totals: list[Row]  # per kind, all townships
    total: Row
    differences: list[Difference]

    @property
    def has_differences(self) -> bool:
        return bool(self.differences) or self.total.differs or any(r.differs for r in self.rows)

    @property
    def all_rows(self) -> list[Row]:
        return [*self.rows, *self.totals, self.total]


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if period == ReconciliationRun.Period.MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day, day


# --- Query pieces -------------------------------------------------------------------------------


def _moments(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as [from, to) in local time: a payment at 23:59 Beijing time belongs to its day."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz),
    )


def notice_key(prefix: str, voucher: Any, line: Any) -> Concat:
    """The ledger key processing gives a notice's entry: `{prefix}{voucher}:{line}`."""
    return Concat(Value(prefix), voucher, Value(":"), Cast(line, CharField()), output_field=CharField())


def _payment_entries() -> QuerySet[AccountEntry]:
    """Inside a notice query: the payment's own ledger entry (`notice:{voucher}:{line}`)."""
    key = notice_key("notice:", OuterRef("voucher_no"), OuterRef("line_no"))
    return AccountEntry.objects.filter(source_key=key).order_by()


def _reversal_entries() -> QuerySet[AccountEntry]:
    """Inside a notice query: the entry a reversal notice posted against the reversed payment's
    own entry (`reversal:{voucher}:{line}:{entry id}`; not the one against its subsidy)."""
    reversed_key = notice_key("notice:", OuterRef("reverses_voucher_no"), OuterRef("reverses_line_no"))
    own_key = Concat(
        notice_key("reversal:", OuterRef("voucher_no"), OuterRef("line_no")),
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


def _notices(region: Region, start: dt.date, end: dt.date) -> QuerySet[ArrivalNotice]:
    """The period's notices in the region, each with its township, sign and ledger amount."""
    since, until = _moments(start, end)
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
                When(is_payment, then=Subquery(_payment_entries().values("amount")[:1])),
                default=Subquery(_reversal_entries().values("amount")[:1]),
                output_field=MONEY,
            ),
        )
    )


def with_notice_parts(entries: QuerySet[AccountEntry]) -> QuerySet[AccountEntry]:
    """Read the voucher and line back out of a notice-sourced key.

    Keys are `notice:V:L`, `notice:V:L:subsidy` and `reversal:V:L:ID`; a malformed key yields
    parts that match no notice.
    """
    return entries.alias(
        _rest=Substr("source_key", StrIndex("source_key", Value(":")) + 1),
        _c1=StrIndex("_rest", Value(":")),
        k_voucher=Case(When(_c1__gt=0, then=Substr("_rest", 1, F("_c1") - 1)), default=F("_rest")),
        _after=Substr("_rest", F("_c1") + 1),
        _c2=StrIndex("_after", Value(":")),
        k_line=Case(When(_c2__gt=0, then=Substr("_after", 1, F("_c2") - 1)), default=F("_after")),
    )


def notices_named_by(**filters: Any) -> QuerySet[ArrivalNotice]:
    return (
        ArrivalNotice.objects.alias(line_text=Cast("line_no", CharField()))
        .filter(voucher_no=OuterRef("k_voucher"), line_text=OuterRef("k_line"))
        .filter(**filters)
    )


# --- Reconciliation -----------------------------------------------------------------------------


def reconcile(region: Region, start: dt.date, end: dt.date) -> Reconciliation:
    notices = _notices(region, start, end)
    rows: dict[tuple[int | None, str], Row] = {}

    def row(township_id: int | None, kind: str) -> Row:
        return rows.setdefault((township_id, kind), Row("", "", kind))

    for r in _notice_figures(notices):
        target = row(r["township_id"], r["kind"])
        target.tax = Figure(r["tax_count"] or 0, r["tax_amount"] or ZERO)
        target.tax_with_receivable = Figure(r["taxr_count"] or 0, r["taxr_amount"] or ZERO)
        target.ledger += Figure(r["ledger_count"] or 0, r["ledger_amount"] or ZERO)
        target.receivables += Figure(r["rcv_count"] or 0, r["rcv_amount"] or ZERO)
    for r in _paid_receivables(region, start, end):
        row(r["township_id"], r["kind"]).receivables += Figure(r["n"], r["amount"])
    orphans = _orphan_entries(region, start, end)
    for d in orphans:
        row(d.township_id, d.kind).ledger += Figure(1 if d.amount > 0 else -1, d.amount)

    differences = [*_notice_differences(notices), *_receivable_differences(region, start, end), *orphans]
    townships = _townships({t for t, _kind in rows} | {d.township_id for d in differences})
    for (township_id, _kind), r in rows.items():
        r.township_code, r.township_name = townships.get(township_id, ("", ""))
    for d in differences:
        d.township_code, d.township_name = townships.get(d.township_id, ("", ""))
    ordered = sorted(rows.values(), key=lambda r: (r.township_code or "~", KIND_ORDER.get(r.kind, 99)))
    differences.sort(key=lambda d: (d.township_code or "~", KIND_ORDER.get(d.kind, 99), d.voucher_no, d.line_no or 0))
    differences += _unexplained(ordered, differences)
    totals: dict[str, Row] = {}
    total = Row("", "", "", is_total=True)
    for r in ordered:
        totals.setdefault(r.kind, Row("", "", r.kind, is_total=True)).add(r)
        total.add(r)
    by_kind = sorted(totals.values(), key=lambda r: KIND_ORDER.get(r.kind, 99))
    return Reconciliation(region, start, end, ordered, by_kind, total, differences)


def _notice_figures(notices: QuerySet[ArrivalNotice]) -> QuerySet:
    names_receivable = Q(receivable__isnull=False) | ~Q(receivable_no="")
    has_receivable = Q(receivable__isnull=False)
    # A receivable paid by a notice of the period and reopened by a later reversal, and the
    # reversal that reopened it: the receivable itself no longer shows either.
    paid_then_reopened = Q(reverses_voucher_no="", state=State.REVERSED) & has_receivable
    reopening = ~Q(reverses_voucher_no="") & Q(state=State.CREDITED) & has_receivable
    return (
        notices.values("township_id", "kind")
        .annotate(
            tax_count=Sum("sign"),
            tax_amount=Sum("signed_amount"),
            taxr_count=Sum("sign", filter=names_receivable),
            taxr_amount=Sum("signed_amount", filter=names_receivable),
            ledger_count=Sum(Cast(Sign("entry_amount"), IntegerField())),
            ledger_amount=Sum("entry_amount"),
            rcv_count=Sum(
                Case(When(paid_then_reopened, then=Value(1)), When(reopening, then=Value(-1)), default=Value(0))
            ),
            rcv_amount=Sum(
                Case(
                    When(paid_then_reopened, then=F("receivable__amount")),
                    When(reopening, then=-F("receivable__amount")),
                    default=Value(ZERO),
                    output_field=MONEY,
                )
            ),
        )
        .order_by()
    )


def _receivables(region: Region, start: dt.date, end: dt.date) -> QuerySet[Receivable]:
    since, until = _moments(start, end)
    return Receivable.objects.filter(
        status=Receivable.Status.PAID,
        paid_at__gte=since,
        paid_at__lt=until,
        person__village__code__startswith=region.prefix,
    )


def _paid_receivables(region: Region, start: dt.date, end: dt.date) -> QuerySet:
    return (
        _receivables(region, start, end)
        .values("kind", township_id=F("person__village__parent_id"))
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )


def _orphan_entries(region: Region, start: dt.date, end: dt.date) -> list[Difference]:
    """Entries posted in the period from a notice that does not exist (payments' own entries
    and their reversals; subsidies are not counted here)."""
    since, until = _moments(start, end)
    entries = (
        AccountEntry.objects.filter(
            source_type="notice",
            posted_at__gte=since,
            posted_at__lt=until,
            person__village__code__startswith=region.prefix,
        )
        .exclude(source_key__endswith=":subsidy")
        .exclude(kind__in=list(SUBSIDY_KIND.values()))
        .exclude(reverses__kind__in=list(SUBSIDY_KIND.values()))
    )
    rows = (
        with_notice_parts(entries)
        .filter(~Exists(notices_named_by()))
        .annotate(ledger_kind=Coalesce("reverses__kind", "kind"))
        .values(
            "source_key",
            "amount",
            "ledger_kind",
            "posted_at",
            "person__name",
            "person__id_no",
            "person__village__parent_id",
        )
        .order_by("id")
    )
    return [
        Difference(
            Cause.ENTRY_WITHOUT_NOTICE,
            kind=PAYMENT_KIND_OF_ENTRY.get(e["ledger_kind"], e["ledger_kind"]),
            township_id=e["person__village__parent_id"],
            person_name=e["person__name"],
            id_no=e["person__id_no"],
            amount=e["amount"],
            paid_at=e["posted_at"],
            detail=e["source_key"],
        )
        for e in rows
    ]


def _notice_differences(notices: QuerySet[ArrivalNotice]) -> list[Difference]:
    # Each kind of suspect is its own query: a plain NOT EXISTS runs as one hash anti-join,
    # where the same test inside an OR would look up the ledger once per notice.
    settled = notices.filter(state__in=[State.CREDITED, State.REVERSED])
    payments, reversals = settled.filter(reverses_voucher_no=""), settled.exclude(reverses_voucher_no="")
    suspects = (
        notices.filter(state__in=[State.UNMATCHED, State.RECEIVED]),
        payments.filter(~Exists(_payment_entries().filter(amount=OuterRef("amount")))),
        reversals.filter(~Exists(_reversal_entries().filter(amount=-OuterRef("amount")))),
        payments.filter(state=State.CREDITED, receivable__isnull=False).exclude(receivable__status="paid"),
    )
    fields = (
        "id",
        "township_id",
        "kind",
        "state",
        "reason",
        "voucher_no",
        "line_no",
        "insured_name",
        "insured_id_no",
        "receivable_no",
        "signed_amount",
        "entry_amount",
        "paid_at",
        "receivable__number",
        "receivable__status",
        "reverses_voucher_no",
    )
    found = {n["id"]: n for suspect in suspects for n in suspect.values(*fields)}
    rows = sorted(found.values(), key=lambda n: (n["paid_at"], n["id"]))
    out: list[Difference] = []
    for n in rows:
        base = {
            "township_id": n["township_id"],
            "kind": n["kind"],
            "voucher_no": n["voucher_no"],
            "line_no": n["line_no"],
            "person_name": n["insured_name"],
            "id_no": n["insured_id_no"],
            "receivable_no": n["receivable__number"] or n["receivable_no"],
            "amount": n["signed_amount"],
            "paid_at": n["paid_at"],
        }
        entry = n["entry_amount"]
        if n["state"] == State.UNMATCHED:
            out.append(Difference(Cause.UNMATCHED, reason=n["reason"], **base))
        elif n["state"] == State.RECEIVED:
            out.append(Difference(Cause.NOT_PROCESSED, **base))
        elif entry is None:
            out.append(Difference(Cause.NO_ENTRY, **base))
        elif entry != n["signed_amount"]:
            out.append(Difference(Cause.ENTRY_AMOUNT, detail=f"{entry:.2f}", **base))
        if n["state"] == State.UNMATCHED and entry is not None:
            out.append(Difference(Cause.ENTRY_NOT_CREDITED, detail=f"{entry:.2f}", **base))
        if (
            n["state"] == State.CREDITED
            and not n["reverses_voucher_no"]
            and n["receivable__number"]
            and n["receivable__status"] != Receivable.Status.PAID
        ):
            out.append(Difference(Cause.RECEIVABLE_NOT_PAID, detail=n["receivable__status"], **base))
    return out


def _receivable_differences(region: Region, start: dt.date, end: dt.date) -> list[Difference]:
    paying = ArrivalNotice.objects.filter(
        receivable=OuterRef("pk"), state=State.CREDITED, reverses_voucher_no=""
    ).order_by("-id")
    rows = (
        _receivables(region, start, end)
        .annotate(
            notice_amount=Subquery(paying.values("amount")[:1]),
            notice_voucher=Subquery(paying.values("voucher_no")[:1]),
            notice_line=Subquery(paying.values("line_no")[:1]),
        )
        .filter(Q(notice_amount__isnull=True) | ~Q(notice_amount=F("amount")))
        .values(
            "number",
            "kind",
            "amount",
            "paid_at",
            "notice_amount",
            "notice_voucher",
            "notice_line",
            "person__name",
            "person__id_no",
            township_id=F("person__village__parent_id"),
        )
        .order_by("paid_at", "pk")
    )
    return [
        Difference(
            Cause.RECEIVABLE_WITHOUT_NOTICE if r["notice_amount"] is None else Cause.RECEIVABLE_AMOUNT,
            kind=r["kind"],
            township_id=r["township_id"],
            voucher_no=r["notice_voucher"] or "",
            line_no=r["notice_line"],
            person_name=r["person__name"],
            id_no=r["person__id_no"],
            receivable_no=r["number"],
            amount=r["amount"],
            paid_at=r["paid_at"],
            detail="" if r["notice_amount"] is None else f"{r['notice_amount']:.2f}",
        )
        for r in rows
    ]


def _townships(ids: set) -> dict[int | None, tuple[str, str]]:
    ids = {i for i in ids if i is not None}
    return {pk: (code, name) for pk, code, name in Region.objects.filter(pk__in=ids).values_list("pk", "code", "name")}


def _unexplained(rows: list[Row], differences: list[Difference]) -> list[Difference]:
    """A row whose figures differ though no listed payment accounts for it still gets a line."""
    explained = {(d.township_code, d.kind) for d in differences}
    return [
        Difference(Cause.UNEXPLAINED, r.kind, township_code=r.township_code, township_name=r.township_name)
        for r in rows
        if r.differs and (r.township_code, r.kind) not in explained
    ]


# --- Storing ------------------------------------------------------------------------------------


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
