"""The reconciliation of one region and period: a handful of aggregate queries, never one per notice."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Case,
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
from django.db.models.functions import Cast, Coalesce, Sign

from insured import ledger
from insured.models import AccountEntry, Region
from payments.kinds import PAYMENT_KIND_OF_ENTRY, SUBSIDY_KIND
from payments.models import ArrivalNotice, Receivable
from payments.reconciliation.bank import bank_reconcile
from payments.reconciliation.figures import (
    KIND_ORDER,
    MONEY,
    ZERO,
    Cause,
    Difference,
    Figure,
    Reconciliation,
    RefundRow,
    Row,
    State,
)
from payments.reconciliation.queries import (
    moments,
    notices_named_by,
    payment_entries,
    period_notices,
    reversal_entries,
)


def reconcile(region: Region, start: dt.date, end: dt.date) -> Reconciliation:
    notices = period_notices(region, start, end)
    rows: dict[tuple[int | None, str], Row] = {}

    def row(township_id: int | None, kind: str) -> Row:
        return rows.setdefault((township_id, kind), Row("", "", kind))

    for r in _notice_figures(notices):
        target = row(r["township_id"], r["kind"])
        target.tax = Figure(r["tax_count"] or 0, r["tax_amount"] or ZERO)
        target.tax_with_receivable = Figure(r["taxr_count"] or 0, r["taxr_amount"] or ZERO)
        target.ledger += Figure(r["ledger_count"] or 0, r["ledger_amount"] or ZERO)
        target.receivables += Figure(r["rcv_count"] or 0, r["rcv_amount"] or ZERO)
        target.returned += Figure(r["returned_count"] or 0, r["returned_amount"] or ZERO)
    for r in _paid_receivables(region, start, end):
        row(r["township_id"], r["kind"]).receivables += Figure(r["n"], r["amount"])
    orphans = _orphan_entries(region, start, end)
    for d in orphans:
        row(d.township_id, d.kind).ledger += Figure(1 if d.amount > 0 else -1, d.amount)

    bank, bank_differences = bank_reconcile(region, start, end, notices)
    differences = [
        *_notice_differences(notices),
        *_receivable_differences(region, start, end),
        *orphans,
        *bank_differences,
    ]
    townships = _townships({t for t, _kind in rows} | {d.township_id for d in differences})
    for (township_id, _kind), r in rows.items():
        r.township_code, r.township_name = townships.get(township_id, ("", ""))
    for d in differences:
        d.township_code, d.township_name = townships.get(d.township_id, ("", ""))
    ordered = sorted(rows.values(), key=lambda r: (r.township_code or "~", KIND_ORDER.get(r.kind, 99)))
    differences.sort(key=lambda d: (d.township_code or "~", KIND_ORDER.get(d.kind, 99), d.voucher_no, d.line_no or 0))
    differences += _unexplained(ordered, [d for d in differences if d.cause not in Cause.BANK])
    totals: dict[str, Row] = {}
    total = Row("", "", "", is_total=True)
    for r in ordered:
        totals.setdefault(r.kind, Row("", "", r.kind, is_total=True)).add(r)
        total.add(r)
    by_kind = sorted(totals.values(), key=lambda r: KIND_ORDER.get(r.kind, 99))
    return Reconciliation(
        region, start, end, ordered, by_kind, total, differences, _refunds(region, start, end), bank=bank
    )


def _refunds(region: Region, start: dt.date, end: dt.date) -> list[RefundRow]:
    """Refunds of the period per township (002 附件2 四), in one query: the ledger's refund entries
    (insured.ledger.refund_key: `refund:{application}:{entry}`, with `:fund` for the part returned
    to the fund) beside the payments refunded out of the unmatched queue. Empty when none."""
    since, until = moments(start, end)
    to_fund = Q(source_key__endswith=ledger.FUND_SUFFIX)
    zero_count, zero_amount = Value(0), Value(ZERO, output_field=MONEY)
    entries = (
        ledger.with_key_parts(
            AccountEntry.objects.filter(
                kind=AccountEntry.Kind.REFUND,
                posted_at__gte=since,
                posted_at__lt=until,
                person__village__code__startswith=region.prefix,
            )
        )
        .values(township_id=F("person__village__parent_id"))
        .annotate(
            payee_n=Count("k_voucher", distinct=True, filter=~to_fund),
            payee_amount=Sum("amount", filter=~to_fund),
            fund_n=Count("k_voucher", distinct=True, filter=to_fund),
            fund_amount=Sum("amount", filter=to_fund),
            queue_n=zero_count,
            queue_amount=zero_amount,
        )
        .order_by()
    )
    queue = (
        ArrivalNotice.objects.filter(
            state=State.REFUNDED,
            refunded_at__gte=since,
            refunded_at__lt=until,
            person__village__code__startswith=region.prefix,
        )
        .values(township_id=F("person__village__parent_id"))
        .annotate(
            payee_n=zero_count,
            payee_amount=zero_amount,
            fund_n=zero_count,
            fund_amount=zero_amount,
            queue_n=Count("refund_ref", distinct=True),
            queue_amount=Sum("amount"),
        )
        .order_by()
    )
    by_township: dict[int | None, RefundRow] = {}
    for r in entries.union(queue, all=True):
        row = by_township.setdefault(r["township_id"], RefundRow("", ""))
        row.to_payee += Figure(r["payee_n"], -(r["payee_amount"] or ZERO))
        row.to_fund += Figure(r["fund_n"], -(r["fund_amount"] or ZERO))
        row.from_queue += Figure(r["queue_n"], r["queue_amount"] or ZERO)
    if not by_township:
        return []
    townships = _townships(set(by_township))
    for township_id, r in by_township.items():
        r.township_code, r.township_name = townships.get(township_id, ("", ""))
    rows = sorted(by_township.values(), key=lambda r: r.township_code or "~")
    total = RefundRow("", "", is_total=True)
    for r in rows:
        total.add(r)
    return [*rows, total]


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
            returned_count=Count("pk", filter=Q(state=State.REFUNDED)),
            returned_amount=Sum("signed_amount", filter=Q(state=State.REFUNDED)),
        )
        .order_by()
    )


def _receivables(region: Region, start: dt.date, end: dt.date) -> QuerySet[Receivable]:
    since, until = moments(start, end)
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
    since, until = moments(start, end)
    entries = (
        AccountEntry.objects.filter(
            source_type=ledger.NOTICE,
            posted_at__gte=since,
            posted_at__lt=until,
            person__village__code__startswith=region.prefix,
        )
        .exclude(source_key__endswith=ledger.SUBSIDY_SUFFIX)
        .exclude(kind__in=list(SUBSIDY_KIND.values()))
        .exclude(reverses__kind__in=list(SUBSIDY_KIND.values()))
    )
    rows = (
        ledger.with_key_parts(entries)
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
        payments.filter(~Exists(payment_entries().filter(amount=OuterRef("amount")))),
        reversals.filter(~Exists(reversal_entries().filter(amount=-OuterRef("amount")))),
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
