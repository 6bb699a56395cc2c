"""Every write of back payment 补缴 (003 六(三); 002 四(四); 004 五, 七(三)6). The rules are
insured.rules'; the receivables go through payments.services; a payment already waiting in the
unmatched queue is credited through the crediting engine's own door (payments.processing.notice_assign).

How a waiting payment ends (rule 5): an own (or supplementary) contribution tax reports for a past
year waits in the unmatched queue as `back_payment_required` until a back payment is approved for
its person and year. Approving the application creates the year's receivable and, in the same
transaction, hands each waiting payment of that year and amount to `notice_assign` against it: the
engine credits it without subsidy and marks the receivable paid, so tax is never asked for it (only
open receivables are exported) and the notice's unique ledger key credits it once. A waiting payment
of another amount stays in the queue; a clerk assigns or refunds it there.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from collection.backpay_models import BackPaymentApplication, BackPaymentScheme, BackPaymentYear
from collection.capabilities import BACKPAY_SOURCE_TYPE
from insured import ledger, numbering, rules
from insured.models import AccountEntry, InsuredPerson, Region
from insured.selectors import PolicyResolver, policy_for
from payments import processing
from payments import services as payment_services
from payments.models import ArrivalNotice, Receivable

logger = logging.getLogger(__name__)

Status = BackPaymentApplication.Status
YearStatus = BackPaymentYear.Status
Basis = BackPaymentApplication.Basis
NUMBER_PREFIX = "BJ"  # 补缴
SOURCE_TYPE = BACKPAY_SOURCE_TYPE
Kind = AccountEntry.Kind
# The ledger kinds that say a year of a scheme is paid.
PAID_KINDS = {
    BackPaymentScheme.BASIC: [Kind.OWN, Kind.GOVERNMENT_PAID, Kind.BACK_PAYMENT],
    BackPaymentScheme.SUPPLEMENTARY: [Kind.SUPPLEMENTARY],
}
# The kinds of a waiting notice an approved year pays (a past year's own contribution, 004 五(一)4).
NOTICE_KINDS = {
    BackPaymentScheme.BASIC: [rules.OWN, rules.BACK_PAYMENT],
    BackPaymentScheme.SUPPLEMENTARY: [rules.SUPPLEMENTARY],
}


@dataclass(frozen=True)
class BackPaymentInput:
    person: InsuredPerson
    scheme: str
    basis: str
    tier: Decimal
    years: list[int]
    note: str = ""


@dataclass(frozen=True)
class Assessment:
    """What an application comes to: the tier's year, the years and the total."""

    tier_year: int
    years: list[int]
    tier: Decimal
    total: Decimal


def paid_years(person: InsuredPerson, scheme: str) -> set[int]:
    """The years of a scheme with money in the account (a reversal or a refund taken out counts as
    not paid): the own contribution, the government's or a back payment for the basic pension."""
    rows = (
        AccountEntry.objects.filter(person=person, kind__in=PAID_KINDS[scheme], reversed_by__isnull=True)
        .values_list("year", flat=True)
        .distinct()
    )
    return set(rows)


def applied_years(person: InsuredPerson, scheme: str, *, besides: int | None = None) -> dict[int, str]:
    """The years of a scheme on a live application (year → its number), other than `besides`."""
    rows = BackPaymentYear.objects.filter(person=person, scheme=scheme, status__in=BackPaymentYear.LIVE)
    if besides is not None:
        rows = rows.exclude(application_id=besides)
    return dict(rows.values_list("year", "application__number"))


def _scheme_years(person: InsuredPerson, years: list[int]) -> set[int] | None:
    """For the supplementary pension (004 一(二)): which of these years' policies had it."""
    resolver = PolicyResolver()
    found = set()
    for year in years:
        policy = resolver.get(person.village.code, year)
        if policy is not None and policy.supplementary_tiers():
            found.add(year)
    return found


def application_check(
    data: BackPaymentInput,
    *,
    today: dt.date,
    agency_region: Region | None,
    besides: int | None = None,
) -> Assessment:
    """Every rule of a back payment, checked before anything is written and again on approval."""
    person = data.person
    rules.check_local(person, agency_region)
    rules.check_back_payment_person(person.status, person.name, scheme=data.scheme)
    rules.check_amount(data.tier)
    policy = policy_for(person.village, today.year)
    in_group = bool(person.active_groups(today) & set(policy.hardship_groups or []))
    rules.check_back_payment_tier(data.tier, policy, scheme=data.scheme, in_hardship_group=in_group)
    is_supplementary = data.scheme == BackPaymentScheme.SUPPLEMENTARY
    rules.check_back_payment_years(
        list(data.years),
        scheme=data.scheme,
        aged=data.basis == Basis.AGED,
        birth_date=person.birth_date,
        enrolled_on=person.enrolled_on,
        paid_years=paid_years(person, data.scheme),
        applied_years=applied_years(person, data.scheme, besides=besides),
        scheme_years=_scheme_years(person, list(data.years)) if is_supplementary else None,
        limit_years=policy.back_payment_years,
        today=today,
    )
    years = sorted(data.years)
    return Assessment(today.year, years, data.tier, data.tier * len(years))


@transaction.atomic
def application_submit(
    data: BackPaymentInput, *, user: AbstractBaseUser, agency_region: Region | None, today: dt.date | None = None
) -> BackPaymentApplication:
    """The township office enters the application (002 四(四): at the office of the person's
    household registration). A year already on a live application is refused by the rule and,
    should two offices enter it at the same moment, by the database (backpay_year_once)."""
    today = today or timezone.localdate()
    assessment = application_check(data, today=today, agency_region=agency_region)

    def build(number: str) -> BackPaymentApplication:
        application = BackPaymentApplication(
            number=number,
            person=data.person,
            scheme=data.scheme,
            basis=data.basis,
            tier=assessment.tier,
            tier_year=assessment.tier_year,
            total=assessment.total,
            note=data.note.strip()[:200],
            submitted_by=user,
        )
        application._history_user = user
        return application

    application = numbering.create_numbered(BackPaymentApplication, NUMBER_PREFIX, 4, build)
    for year in assessment.years:
        row = BackPaymentYear(
            application=application, person=data.person, scheme=data.scheme, year=year, amount=assessment.tier
        )
        row._history_user = user
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise rules.RuleViolation(
                "back_payment_applied",
                _("%(year)s has just been applied for on another application; a year is applied for once.")
                % {"year": year},
                "years",
            ) from None
    return application


def _locked(application: BackPaymentApplication, *expected: str) -> BackPaymentApplication:
    locked = (
        BackPaymentApplication.objects.select_for_update(of=("self",))
        .select_related("person__village")
        .get(pk=application.pk)
    )
    if locked.status not in expected:
        raise rules.RuleViolation(
            "wrong_state",
            _("This application is %(status)s; the step cannot be taken now.")
            % {"status": locked.get_status_display()},
        )
    return locked


def _input_of(application: BackPaymentApplication) -> BackPaymentInput:
    years = list(application.years.values_list("year", flat=True))
    return BackPaymentInput(
        application.person, application.scheme, application.basis, application.tier, years, application.note
    )


def _save(obj: BackPaymentApplication | BackPaymentYear, user: AbstractBaseUser | None) -> None:
    obj._history_user = user
    obj.save()


@transaction.atomic
def application_approve(
    application: BackPaymentApplication,
    *,
    user: AbstractBaseUser,
    agency_region: Region | None,
    today: dt.date | None = None,
) -> BackPaymentApplication:
    """A county reviewer, never the one who entered it, approves (maker-checker); every rule is
    checked again; one receivable per year goes to tax (003 六(三): paid without subsidy), and a
    payment of the year already waiting in the queue is credited against it at once."""
    today = today or timezone.localdate()
    locked = _locked(application, Status.SUBMITTED)
    rules.check_maker_checker(
        locked.submitted_by_id,
        user.pk,
        _("The township office that entered a back payment cannot also approve it; a county reviewer does."),
    )
    if locked.tier_year != today.year:
        raise rules.RuleViolation(
            "back_payment_tier_year",
            _(
                "The application was assessed at the tiers of %(year)s; a new year has begun, so it is entered "
                "again at this year's tiers."
            )
            % {"year": locked.tier_year},
        )
    rows = list(locked.years.select_for_update().order_by("year"))
    # The person-years first, in key order, as the crediting engine takes them: a batch crediting a
    # payment of these years either finishes first (its payment then waits and is credited below)
    # or waits, and reads the receivables made here when it is tried again (processing).
    ledger.person_years_lock({(locked.person_id, row.year) for row in rows})
    application_check(_input_of(locked), today=today, agency_region=agency_region, besides=locked.pk)
    kind = rules.BACK_PAYMENT_RECEIVABLE_KIND[locked.scheme]
    person = locked.person
    receivables = payment_services.receivables_create_many(
        [
            payment_services.ReceivableRequest(
                person_id=person.pk,
                kind=kind,
                payer_name=person.name,
                payer_id=person.id_no,
                year=row.year,
                amount=row.amount,
                due_date=dt.date(today.year, 12, 31),
                source_type=SOURCE_TYPE,
                source_ref=f"{locked.number}-{row.year}",
            )
            for row in rows
        ],
        user=user,
    )
    for row, receivable in zip(rows, receivables, strict=True):
        row.receivable, row.status = receivable, YearStatus.APPROVED
        _save(row, user)
    locked.status = Status.APPROVED
    locked.reviewed_by, locked.reviewed_at = user, timezone.now()
    _save(locked, user)
    _credit_waiting(locked, rows)
    locked.refresh_from_db()
    return locked


def _credit_waiting(application: BackPaymentApplication, rows: list[BackPaymentYear]) -> int:
    """Credit the payments of the approved years that were waiting for this approval, each once,
    through the crediting engine (no subsidy: rule 5). Returns how many were credited."""
    waiting = ArrivalNotice.objects.filter(
        state=ArrivalNotice.State.UNMATCHED,
        reason__in=[ArrivalNotice.Reason.BACK_PAYMENT_REQUIRED, ArrivalNotice.Reason.RECEIVABLE_REQUIRED],
        insured_id_no=application.person.id_no,
        kind__in=NOTICE_KINDS[application.scheme],
        reverses_voucher_no="",
    )
    credited = 0
    for row in rows:
        notice = waiting.filter(year=row.year, amount=row.amount).order_by("paid_at", "id").first()
        if notice is None:
            continue
        try:
            processing.notice_assign(notice.pk, person_id=application.person_id, receivable_id=row.receivable_id)
        except rules.RuleViolation as exc:
            # Held for a refund, or another rule: it stays in the queue for a clerk (the savepoint
            # of notice_assign has undone its part).
            logger.info("back payment %s: waiting notice %s not credited: %s", application.number, notice.pk, exc.code)
            continue
        credited += 1
    return credited


@transaction.atomic
def application_reject(
    application: BackPaymentApplication, *, user: AbstractBaseUser, reason: str
) -> BackPaymentApplication:
    if not reason.strip():
        raise rules.RuleViolation("reason_required", _("Give the reason for rejecting the application."), "reason")
    locked = _locked(application, Status.SUBMITTED)
    rules.check_maker_checker(
        locked.submitted_by_id,
        user.pk,
        _("The township office that entered a back payment cannot also review it; a county reviewer does."),
    )
    _close_years(locked, user)
    locked.status = Status.REJECTED
    locked.reviewed_by, locked.reviewed_at, locked.rejection_reason = user, timezone.now(), reason.strip()[:200]
    _save(locked, user)
    return locked


@transaction.atomic
def application_withdraw(application: BackPaymentApplication, *, user: AbstractBaseUser) -> BackPaymentApplication:
    """The township office withdraws an application the person no longer wants: before review, or
    after approval while no year is paid; the receivables are then cancelled towards tax."""
    _lock_receivables_first(application)
    locked = _locked(application, Status.SUBMITTED, Status.APPROVED)
    rows = list(locked.years.select_for_update(of=("self",)).select_related("receivable").order_by("year"))
    if any(row.status == YearStatus.PAID for row in rows):
        raise rules.RuleViolation(
            "back_payment_partly_paid",
            _("A year of this back payment has been paid and credited; the application can no longer be withdrawn."),
        )
    for row in rows:
        if row.receivable is not None and not payment_services.receivable_cancel(row.receivable):
            # Paid between the page and the click: the credit is on its way.
            raise rules.RuleViolation(
                "back_payment_partly_paid",
                _("The payment of %(year)s has just arrived; the application can no longer be withdrawn.")
                % {"year": row.year},
            )
    _close_years(locked, user)
    locked.status = Status.WITHDRAWN
    locked.closed_by, locked.closed_at = user, timezone.now()
    _save(locked, user)
    return locked


def _lock_receivables_first(application: BackPaymentApplication) -> None:
    """Crediting locks the receivable, then the application's rows (through its handler);
    withdrawing takes the same order, so neither waits in a circle."""
    ids = list(
        BackPaymentYear.objects.filter(application_id=application.pk, receivable__isnull=False).values_list(
            "receivable_id", flat=True
        )
    )
    if ids:
        list(Receivable.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _close_years(application: BackPaymentApplication, user: AbstractBaseUser) -> None:
    for row in application.years.select_for_update().order_by("year"):
        row.status = YearStatus.CLOSED
        _save(row, user)


def on_receivables_paid(receivables: list[Receivable]) -> None:
    """Called by payments inside the crediting transaction: the year is paid; the application is
    paid once every year is."""
    by_pk = {r.pk: r for r in receivables}
    rows = BackPaymentYear.objects.select_for_update().filter(receivable__in=by_pk, status=YearStatus.APPROVED)
    touched = set()
    for row in rows.order_by("pk"):
        row.status = YearStatus.PAID
        row.paid_at = by_pk[row.receivable_id].paid_at or timezone.now()
        _save(row, None)
        touched.add(row.application_id)
    for application in BackPaymentApplication.objects.select_for_update().filter(
        pk__in=touched, status=Status.APPROVED
    ):
        if not application.years.filter(~Q(status=YearStatus.PAID)).exists():
            application.status = Status.PAID
            application.paid_at = timezone.now()
            _save(application, None)


def on_receivables_reopened(receivables: list[Receivable]) -> None:
    """A reversal 冲正 took a payment back: the year waits for payment again."""
    rows = BackPaymentYear.objects.select_for_update().filter(receivable__in=receivables, status=YearStatus.PAID)
    touched = set()
    for row in rows.order_by("pk"):
        row.status, row.paid_at = YearStatus.APPROVED, None
        _save(row, None)
        touched.add(row.application_id)
    for application in BackPaymentApplication.objects.select_for_update().filter(pk__in=touched, status=Status.PAID):
        application.status, application.paid_at = Status.APPROVED, None
        _save(application, None)


def paid_total(application: BackPaymentApplication) -> Decimal:
    return application.years.filter(status=YearStatus.PAID).aggregate(t=Sum("amount"))["t"] or Decimal("0.00")
