"""Does every person-year's ledger agree with its sources and its
cached figures?

Checked, each with a few set-based queries (never one query per notice):
- every credited or reversed payment notice has exactly its own entry (amount, person, year,
  kind) and, for an own or supplementary contribution, the tier's subsidy entry; no other kind
  has a subsidy entry (rule 5);
- every entry of a reversed notice is offset by a reversal entry, and a credited reversal
  notice names a notice that is marked reversed; a credited notice has nothing reversed;
- every notice-sourced entry belongs to a notice credited (or reversed) under its key, so a
  payment refunded from the unmatched queue has none;
- every notice's voucher line is recorded, and a credited or reversed notice is the first stored
  of its line (payments.models.VoucherLine): the duplicate check's own table agrees with the ledger;
- and the ledger's own half (insured.ledger_audit): each person-year's cached figures equal the
  ledger's sums.
Each difference is one line of text naming the person; `manage.py check_ledger` prints them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat, ExtractYear, Substr

from insured import ledger, ledger_audit, rules
from insured.ledger_audit import who as _who
from insured.models import AccountEntry, PersonYear, Region
from insured.selectors import PolicyResolver
from payments.kinds import ENTRY_KIND, SUBSIDY_KIND
from payments.models import ArrivalNotice, VoucherLine
from payments.reconciliation import ZERO, notices_named_by

State = ArrivalNotice.State
Entry = AccountEntry.Kind
SETTLED = [State.CREDITED, State.REVERSED]


class Scope:
    def __init__(self, year: int | None, region: Region | None) -> None:
        self.year = year
        self.region = region

    def __str__(self) -> str:
        parts = [f"year {self.year}" if self.year else "all years"]
        parts.append(f"region {self.region.code} {self.region.name}" if self.region else "all regions")
        return ", ".join(parts)

    def _cut(self, queryset: QuerySet, person: str, year: str = "year") -> QuerySet:
        if self.year:
            queryset = queryset.filter(**{year: self.year})
        if self.region:
            queryset = queryset.filter(**{f"{person}village__code__startswith": self.region.prefix})
        return queryset

    def notices(self) -> QuerySet[ArrivalNotice]:
        return self._cut(ArrivalNotice.objects.all(), "person__")

    def entries(self) -> QuerySet[AccountEntry]:
        return self._cut(AccountEntry.objects.all(), "person__")

    def person_years(self) -> QuerySet[PersonYear]:
        return self._cut(PersonYear.objects.all(), "person__")


def ledger_problems(scope: Scope) -> Iterator[str]:
    yield from _payment_problems(scope)
    yield from _subsidy_amount_problems(scope)
    yield from _reversal_problems(scope)
    yield from _entries_without_notice(scope)
    yield from _voucher_line_problems(scope)
    yield from ledger_audit.ledger_problems(scope.year, scope.region)


def _notice_who(n: ArrivalNotice) -> str:
    return _who(n.person.name if n.person else n.insured_name, n.insured_id_no, n.year)


def _keys() -> tuple[Concat, Concat]:
    key = ledger.key_expression(ledger.NOTICE_PREFIX, OuterRef("voucher_no"), OuterRef("line_no"))
    return key, ledger.subsidy_key_expression(key)


def _settled_payments(scope: Scope) -> QuerySet[ArrivalNotice]:
    return scope.notices().filter(state__in=SETTLED, reverses_voucher_no="")


def _payment_problems(scope: Scope) -> Iterator[str]:
    """One query per check, each a plain EXISTS or NOT EXISTS: PostgreSQL runs those as hash
    semi- and anti-joins over the whole table (checks folded into one query with OR would
    probe the ledger once per notice)."""
    key, subsidy_key = _keys()
    same_owner = {"person_id": OuterRef("person_id"), "year": OuterRef("year")}
    payments = (
        _settled_payments(scope)
        .annotate(
            entry_kind=Case(
                *[When(kind=k, then=Value(str(e))) for k, e in ENTRY_KIND.items()], output_field=CharField()
            ),
            subsidy_kind=Case(
                *[When(kind=k, then=Value(str(e))) for k, e in SUBSIDY_KIND.items()],
                default=Value(""),
                output_field=CharField(),
            ),
        )
        .select_related("person")
        .order_by("id")
    )
    exact = AccountEntry.objects.filter(source_key=key, amount=OuterRef("amount"), kind=OuterRef("entry_kind"))
    yield from _main_entry_problems(payments.filter(~Exists(exact.filter(**same_owner))))

    subsidy = AccountEntry.objects.filter(source_key=subsidy_key)
    right_subsidy = subsidy.filter(kind=OuterRef("subsidy_kind"), amount__gt=0, **same_owner)
    for n in payments.filter(Exists(subsidy)).filter(~Exists(right_subsidy)):
        if n.subsidy_kind:
            yield f"{_said(n)}: its subsidy entry has the wrong person, year, kind or sign"
        else:
            yield f"{_said(n)}: has a subsidy entry, but a {n.kind} payment gets none (rule 5)"

    # Inside the entry subquery, OuterRef names the entry being offset. A refund 退费 also names
    # the entry it takes out (insured.ledger.refund_post); it is not a reversal of the payment.
    any_reversal = AccountEntry.objects.filter(reverses=OuterRef("pk"), kind=Entry.REVERSAL)
    offset = any_reversal.filter(kind=Entry.REVERSAL, amount=-OuterRef("amount"), **same_owner)
    reversed_payments = payments.filter(state=State.REVERSED)
    credited_payments = payments.filter(state=State.CREDITED)
    for entry_key, what in ((key, "its entry"), (subsidy_key, "its subsidy entry")):
        entries = AccountEntry.objects.filter(source_key=entry_key)
        for n in reversed_payments.filter(Exists(entries.filter(~Exists(offset)))):
            yield f"{_said(n)}: reversed, but {what} is not offset by a reversal entry of the opposite amount"
        for n in credited_payments.filter(Exists(entries.filter(Exists(any_reversal)))):
            yield f"{_said(n)}: credited, but {what} has been reversed"
    reversal = ArrivalNotice.objects.filter(
        reverses_voucher_no=OuterRef("voucher_no"), reverses_line_no=OuterRef("line_no"), state=State.CREDITED
    )
    for n in reversed_payments.filter(~Exists(reversal)):
        yield f"{_said(n)}: marked reversed, but no credited reversal notice names it"


def _said(n: ArrivalNotice) -> str:
    return f"{_notice_who(n)}: notice {n} {n.kind} {n.amount} ({n.state})"


def _main_entry_problems(notices: QuerySet[ArrivalNotice]) -> Iterator[str]:
    notices = list(notices)
    entries = {e.source_key: e for e in AccountEntry.objects.filter(source_key__in=[n.source_key for n in notices])}
    for n in notices:
        entry = entries.get(n.source_key)
        if entry is None:
            yield f"{_said(n)} has no ledger entry {n.source_key}"
        else:
            yield (
                f"{_said(n)}: its entry {entry.source_key} is {entry.kind} {entry.amount} for person "
                f"{entry.person_id} year {entry.year}; the notice is for person {n.person_id} year {n.year}"
            )


def _subsidy_amount_problems(scope: Scope) -> Iterator[str]:
    """The subsidy beside each own or supplementary payment is the tier's subsidy of the year.

    Payments are grouped by county, year, kind, amount and subsidy posted: a few hundred groups,
    each checked once against the policy.
    """
    _key, subsidy_key = _keys()
    payments = (
        _settled_payments(scope)
        .filter(kind__in=list(SUBSIDY_KIND))
        .annotate(
            county=Substr("person__village__code", 1, 6),
            # Rule 5 (003 六(三)): a payment for a year already over when it was paid is a back
            # payment and has no subsidy (the agency's calendar: Beijing time, settings.TIME_ZONE).
            back=Case(
                When(year__lt=ExtractYear("paid_at"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            subsidy=Subquery(AccountEntry.objects.filter(source_key=subsidy_key).order_by().values("amount")[:1]),
        )
    )
    groups = payments.values("county", "year", "kind", "amount", "back", "subsidy").annotate(n=Count("pk")).order_by()
    policies = PolicyResolver()
    wrong: list[tuple[Q, str]] = []
    for g in groups:
        expected = ZERO if g["back"] else _tier_subsidy(policies, g["county"], g["year"], g["kind"], g["amount"])
        posted = g["subsidy"] if g["subsidy"] is not None else ZERO
        if expected == posted:
            continue
        match = Q(county=g["county"], year=g["year"], kind=g["kind"], amount=g["amount"], back=g["back"])
        match &= Q(subsidy__isnull=True) if g["subsidy"] is None else Q(subsidy=g["subsidy"])
        if expected is None:
            why = f"no tier of {g['amount']} with a subsidy in the {g['year']} policy to check its subsidy against"
        else:
            why = f"subsidy posted {posted}, the tier's subsidy is {expected}"
        wrong.append((match, why))
    for match, why in wrong:
        for n in payments.filter(match).select_related("person").order_by("id"):
            yield f"{_notice_who(n)}: notice {n} {n.kind} {n.amount}: {why}"


def _tier_subsidy(
    policies: PolicyResolver, county: str | None, year: int, kind: str, amount: Decimal
) -> Decimal | None:
    # The resolver looks at a village code's county, city and province digits only.
    policy = policies.get(f"{county}000000", year) if county else None
    if policy is None:
        return None
    try:
        return rules.government_subsidy_for(kind, amount, policy)
    except rules.RuleViolation:
        return None


def _reversal_problems(scope: Scope) -> Iterator[str]:
    reversed_original = ArrivalNotice.objects.filter(
        voucher_no=OuterRef("reverses_voucher_no"), line_no=OuterRef("reverses_line_no"), state=State.REVERSED
    )
    rows = (
        scope.notices()
        .filter(state=State.CREDITED)
        .exclude(reverses_voucher_no="")
        .filter(~Exists(reversed_original))
        .select_related("person")
        .order_by("id")
    )
    for n in rows:
        yield (
            f"{_notice_who(n)}: reversal notice {n} "
            f"is credited, but the notice it reverses ({n.reverses_voucher_no}/{n.reverses_line_no}) is not reversed"
        )


def _voucher_line_problems(scope: Scope) -> Iterator[str]:
    recorded = VoucherLine.objects.filter(voucher_no=OuterRef("voucher_no"), line_no=OuterRef("line_no"))
    for n in scope.notices().filter(~Exists(recorded)).select_related("person").order_by("id"):
        yield f"{_notice_who(n)}: notice {n} has no voucher line recorded, so its duplicates would not be found"
    first = VoucherLine.objects.filter(notice=OuterRef("pk"))
    settled = scope.notices().filter(state__in=SETTLED).filter(~Exists(first)).select_related("person")
    for n in settled.order_by("id"):
        yield f"{_notice_who(n)}: notice {n} is {n.state}, but another notice of its voucher line was stored first"


def _entries_without_notice(scope: Scope) -> Iterator[str]:
    entries = ledger.with_key_parts(scope.entries().filter(source_type=ledger.NOTICE))
    entries = entries.select_related("person").order_by("id")
    checks = (
        (
            entries.filter(source_key__startswith=ledger.REVERSAL_PREFIX),
            notices_named_by(state=State.CREDITED).exclude(reverses_voucher_no=""),
            "credited reversal notice",
        ),
        (
            entries.exclude(source_key__startswith=ledger.REVERSAL_PREFIX),
            notices_named_by(state__in=SETTLED, reverses_voucher_no=""),
            "credited or reversed notice",
        ),
    )
    for orphans, notices, what in checks:
        for e in orphans.filter(~Exists(notices)):
            yield (
                f"{_who(e.person.name, e.person.id_no, e.year)}: ledger entry {e.source_key} ({e.kind} {e.amount}) "
                f"has no {what} under its key"
            )
