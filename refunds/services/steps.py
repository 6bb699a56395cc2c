"""The township's intake and every step up to the county's review: each locks the application,
checks its state and the rules, then writes; maker-checker at every step that approves money."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import numbering, rules
from insured.models import AccountEntry, Region
from insured.workdays import WorkCalendar
from payments.models import ArrivalNotice
from refunds.models import RefundApplication, RefundLine
from refunds.services.planning import Applicant, Plan, RefundInput, _checked_applicant, _plan

Status = RefundApplication.Status
Destination = RefundLine.Destination
NUMBER_PREFIX = "TF"  # 退费
# Read back from paper and typed by hand: no 0/O, 1/I/L, U/V look-alikes.
CHECK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"


# --- Intake -----------------------------------------------------------------------------------------


def check_code_for(number: str, person_id_no: str, payee_amount: Decimal, account_no: str) -> str:
    """A short code printed on the form; it cannot be made up without the server's secret."""
    message = f"{number}|{person_id_no}|{payee_amount:.2f}|{account_no}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big")
    code = []
    for _position in range(8):
        value, index = divmod(value, len(CHECK_CODE_ALPHABET))
        code.append(CHECK_CODE_ALPHABET[index])
    return "".join(code)


def _clock(now: dt.datetime | None) -> dt.datetime:
    """The moment a step is taken: now, or for data entered afterwards (the demo) the moment given."""
    return now or timezone.now()


def _today(now: dt.datetime | None) -> dt.date:
    return timezone.localtime(now).date() if now else timezone.localdate()


def _save(application: RefundApplication, user: AbstractBaseUser | None, now: dt.datetime) -> None:
    application._history_user = user
    application._history_date = now
    application.save()


def _attach(application: RefundApplication, copies: Mapping[str, UploadedFile | None]) -> None:
    for field, upload in copies.items():
        if field not in RefundApplication.COPIES:
            raise ValueError(f"not a copy of a refund file: {field}")
        if upload is not None:
            getattr(application, field).save(upload.name, upload, save=False)


def _lines_reserve(application: RefundApplication, plan: Plan) -> None:
    lines = [
        RefundLine(
            application=application,
            entry=x.entry,
            notice=x.notice,
            year=x.year,
            kind=x.kind,
            amount=x.amount,
            destination=x.destination,
        )
        for x in plan.lines
    ]
    try:
        with transaction.atomic():
            RefundLine.objects.bulk_create(lines)
    except IntegrityError:
        # The unique constraint on live lines: another application took this money first.
        raise rules.RuleViolation(
            "refund_entry_reserved",
            _("Some of this money was put on another refund application at the same moment; choose again."),
            "entries",
        ) from None


@transaction.atomic
def application_receive(
    data: RefundInput,
    *,
    copies: Mapping[str, UploadedFile | None],
    user: AbstractBaseUser,
    agency_region: Region | None,
    now: dt.datetime | None = None,
) -> RefundApplication:
    """The township office takes the application (002 附件2 一、二); the chosen money is reserved."""
    now = _clock(now)
    plan = _plan(data, agency_region=agency_region, lock=True)
    a = plan.applicant

    def build(number: str) -> RefundApplication:
        application = RefundApplication(
            number=number,
            check_code=check_code_for(number, data.person.id_no, plan.payee_amount, a.account_no),
            person=data.person,
            township=data.person.village.parent,
            case=data.case,
            circumstances=a.circumstances,
            applicant_name=a.applicant_name,
            applicant_id_no=a.applicant_id_no,
            relation=a.relation,
            applicant_phone=a.applicant_phone,
            bank_name=a.bank_name,
            account_type=a.account_type,
            account_no=a.account_no,
            account_name=a.account_name,
            payee_amount=plan.payee_amount,
            fund_amount=plan.fund_amount,
            received_at=now,
            received_by=user,
        )
        application._history_user = user
        application._history_date = now
        return application

    application = numbering.create_numbered(RefundApplication, NUMBER_PREFIX, 4, build, day=_today(now))
    _lines_reserve(application, plan)
    if any(copies.values()):
        _attach(application, copies)
        _save(application, user, now)
    return application


# --- The steps ----------------------------------------------------------------------------------------


def _locked(application: RefundApplication, *expected: str) -> RefundApplication:
    locked = (
        # of=("self",): lock the application only, not the person, case and request it joins.
        RefundApplication.objects.select_for_update(of=("self",))
        .select_related("person__village__parent", "case", "request")
        .get(pk=application.pk)
    )
    if locked.status not in expected:
        raise rules.RuleViolation(
            "wrong_state",
            _("This application is %(status)s; the step cannot be taken now.")
            % {"status": locked.get_status_display()},
        )
    return locked


def missing_copies(application: RefundApplication) -> list[str]:
    from refunds.copies import LABELS

    needed = ["id_card_copy", "bank_card_copy", "payment_proof"]
    if application.case.evidence:
        needed.append("evidence_copy")
    return [str(LABELS[f]) for f in needed if not getattr(application, f)]


def _check_money_still_there(application: RefundApplication) -> None:
    """The reserved money has not left meanwhile (a tax reversal, a payment credited from the queue)."""
    lines = list(application.lines.filter(is_live=True))
    entry_ids = [x.entry_id for x in lines if x.entry_id]
    gone = AccountEntry.objects.filter(reverses_id__in=entry_ids).exists()
    notice_ids = [x.notice_id for x in lines if x.notice_id]
    waiting = ArrivalNotice.objects.filter(pk__in=notice_ids, state=ArrivalNotice.State.UNMATCHED).count()
    rules.check_refund_entry(
        belongs_to_person=True, already_taken_out=gone or waiting != len(notice_ids), reserved_by=None
    )


def _check_township_makers(application: RefundApplication, user: AbstractBaseUser, message: str) -> None:
    for maker in (application.received_by_id, application.corrected_by_id):
        rules.check_maker_checker(maker, user.pk, message)


@transaction.atomic
def application_first_review(
    application: RefundApplication, *, user: AbstractBaseUser, now: dt.datetime | None = None
) -> RefundApplication:
    """初审签章 (002 附件2 二): a second person of the township office checks the file against the
    copies and signs; never the person who took or last corrected it."""
    locked = _locked(application, Status.RECEIVED)
    _check_township_makers(
        locked,
        user,
        _("The officer who took or corrected this application cannot also sign its first review; ask a colleague."),
    )
    rules.check_refund_copies(missing_copies(locked))
    _check_money_still_there(locked)
    now = _clock(now)
    locked.status = Status.FIRST_REVIEWED
    locked.first_reviewed_by, locked.first_reviewed_at = user, now
    _save(locked, user, now)
    return locked


@transaction.atomic
def applications_hand_over(
    *, user: AbstractBaseUser, region: Region, today: dt.date | None = None, now: dt.datetime | None = None
) -> list[RefundApplication]:
    """The township sends its signed applications to the county (002 附件2 二): by the month's
    deadline they join this month's request for money, after it next month's."""
    today = today or _today(now)
    now = _clock(now)
    signed = list(
        RefundApplication.objects.select_for_update(of=("self",))
        .filter(status=Status.FIRST_REVIEWED, person__village__code__startswith=region.prefix)
        .order_by("pk")
    )
    if not signed:
        raise rules.RuleViolation(
            "nothing_to_hand_over", _("No application with a signed first review waits to be sent.")
        )
    month = rules.refund_batch_month(today, WorkCalendar(today, today + dt.timedelta(days=40)))
    for application in signed:
        application.status = Status.HANDED_OVER
        application.handed_over_by, application.handed_over_at, application.batch_month = user, now, month
        _save(application, user, now)
    return signed


def _check_county_checker(application: RefundApplication, user: AbstractBaseUser) -> None:
    message = _("You took part in this application at the township; another person reviews it at the county.")
    for maker in (application.received_by_id, application.corrected_by_id, application.first_reviewed_by_id):
        rules.check_maker_checker(maker, user.pk, message)


@transaction.atomic
def application_approve(
    application: RefundApplication, *, user: AbstractBaseUser, now: dt.datetime | None = None
) -> RefundApplication:
    """复核 (002 附件2 三): the county confirms the refund; it joins its month's request."""
    locked = _locked(application, Status.HANDED_OVER)
    _check_county_checker(locked, user)
    _check_money_still_there(locked)
    now = _clock(now)
    locked.status = Status.APPROVED
    locked.reviewed_by, locked.reviewed_at, locked.return_reason = user, now, ""
    _save(locked, user, now)
    return locked


@transaction.atomic
def application_return(
    application: RefundApplication, *, user: AbstractBaseUser, reason: str, now: dt.datetime | None = None
) -> RefundApplication:
    if not reason.strip():
        raise rules.RuleViolation("reason_required", _("Give the reason for returning the application."), "reason")
    locked = _locked(application, Status.HANDED_OVER)
    _check_county_checker(locked, user)
    now = _clock(now)
    locked.status = Status.RETURNED
    locked.reviewed_by, locked.reviewed_at, locked.return_reason = user, now, reason.strip()
    _save(locked, user, now)
    return locked


@transaction.atomic
def application_correct(
    application: RefundApplication,
    *,
    user: AbstractBaseUser,
    applicant: Applicant | None = None,
    copies: Mapping[str, UploadedFile | None] | None = None,
    now: dt.datetime | None = None,
) -> RefundApplication:
    """The township corrects the applicant, the bank account or the copies; the application then
    goes through the first review again (a returned or failed one, and the county after it)."""
    locked = _locked(application, *RefundApplication.CORRECTABLE)
    if applicant is not None:
        a = _checked_applicant(locked.person, locked.case, applicant)
        for field in (
            "applicant_name",
            "applicant_id_no",
            "relation",
            "applicant_phone",
            "bank_name",
            "account_type",
            "account_no",
            "account_name",
            "circumstances",
        ):
            setattr(locked, field, getattr(a, field))
        locked.check_code = check_code_for(locked.number, locked.person.id_no, locked.payee_amount, a.account_no)
    if copies:
        _attach(locked, copies)
    now = _clock(now)
    locked.status = Status.RECEIVED
    locked.corrected_by, locked.corrected_at = user, now
    locked.first_reviewed_by = locked.first_reviewed_at = None
    locked.handed_over_by = locked.handed_over_at = locked.batch_month = None
    locked.reviewed_by = locked.reviewed_at = None
    locked.request = None
    _save(locked, user, now)
    return locked


@transaction.atomic
def application_withdraw(
    application: RefundApplication, *, user: AbstractBaseUser, now: dt.datetime | None = None
) -> RefundApplication:
    """Withdrawn before the money is requested: the reserved money is free again."""
    locked = _locked(application, *RefundApplication.WITHDRAWABLE)
    locked.lines.update(is_live=False)
    now = _clock(now)
    locked.status = Status.WITHDRAWN
    locked.withdrawn_by, locked.withdrawn_at = user, now
    _save(locked, user, now)
    return locked
