"""Finance's steps: the month's request for money 请款, the bank's result (the only way money
leaves an account: insured.ledger.refund_post), the report to tax; and the holds payments asks
about (payments.handlers.register_holds)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from insured import ledger, numbering, rules
from insured.models import Region
from payments import services as payment_services
from payments.models import ArrivalNotice
from refunds.models import RefundApplication, RefundLine, RefundRequest, RefundTaxReport
from refunds.services.steps import _clock, _locked, _save, _today

Status = RefundApplication.Status
Destination = RefundLine.Destination
REQUEST_PREFIX = "QK"  # 请款
REPORT_PREFIX = "TFBS"  # 退费报税
ZERO = Decimal("0.00")


# --- Finance: the month's request, the bank's result ------------------------------------------------


@transaction.atomic
def request_create(
    *,
    region: Region,
    month: dt.date,
    user: AbstractBaseUser,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> RefundRequest:
    """请款 (002 附件2 三): early in the next month the county asks the finance bureau for the money
    of every approved application of the month (and of earlier months not yet requested)."""
    today = today or _today(now)
    now = _clock(now)
    month = month.replace(day=1)
    rules.check_refund_request_month(month, today)
    approved = list(
        RefundApplication.objects.select_for_update(of=("self",))
        .filter(status=Status.APPROVED, batch_month__lte=month, person__village__code__startswith=region.prefix)
        .order_by("pk")
    )
    # Read after the lock: a colleague's request made meanwhile is seen here.
    if RefundRequest.objects.filter(region=region, month=month).exists():
        raise rules.RuleViolation(
            "request_exists",
            _("The money of %(month)s has already been requested; later approvals join next month's request.")
            % {"month": f"{month:%Y-%m}"},
            "month",
        )
    if not approved:
        raise rules.RuleViolation(
            "request_empty",
            _("No approved application waits for the money of %(month)s.") % {"month": f"{month:%Y-%m}"},
        )
    for application in approved:
        rules.check_maker_checker(
            application.reviewed_by_id,
            user.pk,
            _("You approved application %(number)s; another person requests its money.")
            % {"number": application.number},
        )

    def build(number: str) -> RefundRequest:
        request = RefundRequest(
            number=number,
            region=region,
            month=month,
            count=len(approved),
            payee_total=sum((a.payee_amount for a in approved), ZERO),
            fund_total=sum((a.fund_amount for a in approved), ZERO),
            requested_on=today,
            created_at=now,
            created_by=user,
        )
        request._history_user = user
        request._history_date = now
        return request

    try:
        request = numbering.create_numbered(RefundRequest, REQUEST_PREFIX, 4, build, day=today)
    except IntegrityError:
        # Another click made the month's request at the same moment.
        raise rules.RuleViolation(
            "request_exists", _("The money of this month has just been requested by a colleague."), "month"
        ) from None
    for application in approved:
        application.status, application.request = Status.REQUESTED, request
        _save(application, user, now)
    return request


@transaction.atomic
def application_record_payment(
    application: RefundApplication,
    *,
    user: AbstractBaseUser,
    paid_on: dt.date,
    bank_reference: str,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> RefundApplication:
    """The bank paid the applicant (002 附件2 三 退费到申请人账户): the money leaves the account as
    refund entries (the government's part back to the fund), and a payment that waited in the
    queue leaves the queue as refunded."""
    today = today or _today(now)
    now = _clock(now)
    locked = _locked(application, Status.REQUESTED)
    rules.check_maker_checker(
        locked.reviewed_by_id, user.pk, _("You approved this refund; another person records its payment.")
    )
    if not bank_reference.strip():
        raise rules.RuleViolation(
            "bank_reference_required", _("Give the bank's reference of the payment."), "bank_reference"
        )
    rules.check_refund_paid_on(paid_on=paid_on, requested_on=locked.request.requested_on, today=today)
    lines = list(locked.lines.filter(is_live=True).order_by("pk"))
    notice_ids = [x.notice_id for x in lines if x.notice_id]
    list(ArrivalNotice.objects.select_for_update().filter(pk__in=notice_ids).order_by("pk"))
    takes = [(x.entry_id, x.destination == Destination.FUND) for x in lines if x.entry_id]
    if takes:
        ledger.refund_post(
            number=locked.number,
            person_id=locked.person_id,
            takes=takes,
            note=f"退费 {locked.number} {locked.case.name}",
            user_id=user.pk,
            posted_at=now,
        )
    payment_services.notices_refund(
        notice_ids, person_id=locked.person_id, id_no=locked.person.id_no, ref=locked.number, when=now
    )
    locked.status = Status.PAID
    locked.paid_on, locked.bank_reference = paid_on, bank_reference.strip()
    locked.result_recorded_by, locked.result_recorded_at, locked.failure_reason = user, now, ""
    _save(locked, user, now)
    return locked


@transaction.atomic
def application_record_failure(
    application: RefundApplication, *, user: AbstractBaseUser, reason: str, now: dt.datetime | None = None
) -> RefundApplication:
    """The bank returned the payment: the application goes back to the township with the reason;
    the ledger is not touched and the money stays reserved for the corrected application."""
    if not reason.strip():
        raise rules.RuleViolation("reason_required", _("Give the reason the bank returned the payment."), "reason")
    locked = _locked(application, Status.REQUESTED)
    rules.check_maker_checker(
        locked.reviewed_by_id, user.pk, _("You approved this refund; another person records its payment.")
    )
    now = _clock(now)
    locked.status = Status.PAYMENT_FAILED
    locked.failure_reason = reason.strip()
    locked.result_recorded_by, locked.result_recorded_at = user, now
    _save(locked, user, now)
    return locked


# --- Reporting to tax -------------------------------------------------------------------------------


@transaction.atomic
def tax_report_create(*, region: Region, user: AbstractBaseUser, now: dt.datetime | None = None) -> RefundTaxReport:
    """002 附件2 四: the refunds paid and not yet reported go to tax in one file, and are marked."""
    paid = list(
        RefundApplication.objects.select_for_update(of=("self",))
        .filter(status=Status.PAID, tax_report__isnull=True, person__village__code__startswith=region.prefix)
        .order_by("pk")
    )
    if not paid:
        raise rules.RuleViolation("nothing_to_report", _("Every paid refund has already been reported to tax."))
    total = sum((a.payee_amount for a in paid), ZERO)
    now = _clock(now)

    def build(number: str) -> RefundTaxReport:
        return RefundTaxReport(
            number=number, region=region, count=len(paid), total=total, created_at=now, created_by=user
        )

    report = numbering.create_numbered(RefundTaxReport, REPORT_PREFIX, 3, build, day=_today(now))
    for application in paid:
        application.tax_report = report
        _save(application, user, now)
    return report


# --- What the payments app asks (payments.handlers.register_holds) ----------------------------------


def _held(field: str, ids: Collection[int]) -> dict[int, str]:
    rows = RefundLine.objects.filter(Q(**{f"{field}__in": list(ids)}), is_live=True).values_list(
        field, "application__number"
    )
    return {pk: _("refund application %(number)s") % {"number": number} for pk, number in rows}


def held_entries(entry_ids: Collection[int]) -> dict[int, str]:
    return _held("entry_id", entry_ids)


def held_notices(notice_ids: Collection[int]) -> dict[int, str]:
    return _held("notice_id", notice_ids)
