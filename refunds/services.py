"""Every write of refunds 退费 (notice 002 附件2; notice 000 三(三)).

The rules are insured.rules'; money leaves an account only through insured.ledger.refund_post,
and a payment waiting in the unmatched queue leaves it only through payments.services. Each step
locks the application, checks its state and the rules, then writes; maker-checker
(rules.check_maker_checker) at every step that approves money.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import ledger, numbering, rules
from insured.identity import parse_resident_id
from insured.models import AccountEntry, InsuredPerson, Region
from insured.workdays import WorkCalendar
from payments import services as payment_services
from payments.kinds import ENTRY_KIND
from payments.models import ArrivalNotice
from refunds.models import RefundApplication, RefundCase, RefundLine, RefundRequest, RefundTaxReport

Status = RefundApplication.Status
Destination = RefundLine.Destination
NUMBER_PREFIX = "TF"  # 退费
REQUEST_PREFIX = "QK"  # 请款
REPORT_PREFIX = "TFBS"  # 退费报税
# Read back from paper and typed by hand: no 0/O, 1/I/L, U/V look-alikes.
CHECK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Applicant:
    """Who applies and where the money goes (002 附件2 一: 退费申请, 身份证和银行卡)."""

    applicant_name: str
    applicant_id_no: str
    relation: str
    applicant_phone: str
    bank_name: str
    account_type: str
    account_no: str
    account_name: str
    circumstances: str = ""


@dataclass(frozen=True)
class RefundInput:
    person: InsuredPerson
    case: RefundCase
    entry_ids: tuple[int, ...]
    notice_ids: tuple[int, ...]
    applicant: Applicant


@dataclass(frozen=True)
class PlannedLine:
    entry: AccountEntry | None
    notice: ArrivalNotice | None
    year: int
    kind: str
    amount: Decimal
    destination: str

    @property
    def kind_label(self) -> str:
        return str(AccountEntry.Kind(self.kind).label)


@dataclass(frozen=True)
class Plan:
    """What an application refunds: its lines, computed from the chosen money, never typed."""

    lines: list[PlannedLine]
    applicant: Applicant

    @property
    def payee_amount(self) -> Decimal:
        return sum((x.amount for x in self.lines if x.destination == Destination.PAYEE), ZERO)

    @property
    def fund_amount(self) -> Decimal:
        return sum((x.amount for x in self.lines if x.destination == Destination.FUND), ZERO)

    @property
    def years(self) -> list[int]:
        return sorted({x.year for x in self.lines})


# --- Planning: which money, to whom, by the rules ---------------------------------------------------


def _chosen_entries(person: InsuredPerson, entry_ids: Collection[int], *, lock: bool) -> list[AccountEntry]:
    """The chosen entries with their partners: a payment's subsidy leaves the account with it, and
    a subsidy with its payment (they were credited together, notice_key and subsidy_key)."""
    found = list(AccountEntry.objects.filter(pk__in=entry_ids))
    if len(found) != len(set(entry_ids)):
        rules.check_refund_entry(belongs_to_person=False, already_taken_out=False, reserved_by=None)
    keys = {ledger.main_key(e.source_key) for e in found if e.source_type == ledger.NOTICE}
    partners = ledger.entries_by_key(keys, with_subsidies=True).filter(person=person)
    wanted = {e.pk for e in found} | {e.pk for e in partners}
    entries = AccountEntry.objects.filter(pk__in=wanted).order_by("pk")
    if lock:
        # Two townships choosing the same entry at once queue here; the second then sees the
        # first's line (and the lines' unique constraint refuses it if that were ever missed).
        entries = entries.select_for_update(no_key=True)
    return sorted(entries, key=lambda e: (e.year, e.pk))


def _reserved(field: str, ids: Collection[int], application_id: int | None) -> dict[int, str]:
    live = RefundLine.objects.filter(**{f"{field}__in": ids}, is_live=True)
    if application_id is not None:
        live = live.exclude(application_id=application_id)
    return dict(live.values_list(field, "application__number"))


def _plan_entries(
    person: InsuredPerson, case: RefundCase, entry_ids: Collection[int], *, lock: bool, application_id: int | None
) -> list[PlannedLine]:
    entries = _chosen_entries(person, entry_ids, lock=lock)
    ids = [e.pk for e in entries]
    gone = set(AccountEntry.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True))
    reserved = _reserved("entry_id", ids, application_id)
    lines = []
    for e in entries:
        rules.check_refund_entry(
            belongs_to_person=e.person_id == person.pk,
            already_taken_out=e.pk in gone or e.kind not in rules.REFUNDABLE_KINDS,
            reserved_by=reserved.get(e.pk),
        )
        rules.check_refund_kind(
            kind=e.kind,
            kind_label=e.get_kind_display(),
            case_name=case.name,
            kinds_to_payee=set(case.kinds_to_payee),
            kinds_to_fund=set(case.kinds_to_fund),
        )
        destination = Destination.PAYEE if e.kind in case.kinds_to_payee else Destination.FUND
        lines.append(PlannedLine(e, None, e.year, e.kind, e.amount, destination))
    return lines


def _plan_notices(
    person: InsuredPerson, case: RefundCase, notice_ids: Collection[int], *, lock: bool, application_id: int | None
) -> list[PlannedLine]:
    notices = ArrivalNotice.objects.filter(pk__in=notice_ids).order_by("pk")
    if lock:
        # The queue's manual assignment locks the same row: one of the two waits for the other.
        notices = notices.select_for_update(of=("self",))
    notices = list(notices)
    if len(notices) != len(set(notice_ids)):
        rules.check_refund_entry(belongs_to_person=False, already_taken_out=False, reserved_by=None)
    reserved = _reserved("notice_id", [n.pk for n in notices], application_id)
    lines = []
    for n in notices:
        belongs = n.person_id == person.pk or (n.person_id is None and n.insured_id_no == person.id_no)
        rules.check_refund_entry(
            belongs_to_person=belongs,
            already_taken_out=n.state != ArrivalNotice.State.UNMATCHED or n.is_reversal,
            reserved_by=reserved.get(n.pk),
        )
        rules.check_refund_waiting_payment(
            reason=n.reason, reason_label=n.get_reason_display(), allowed=set(case.queue_reasons), case_name=case.name
        )
        kind = ENTRY_KIND[n.kind]
        # A waiting payment was never credited: nothing of it went to the fund, all of it goes back.
        rules.check_refund_kind(
            kind=kind,
            kind_label=n.get_kind_display(),
            case_name=case.name,
            kinds_to_payee=set(case.kinds_to_payee),
            kinds_to_fund=set(),
        )
        lines.append(PlannedLine(None, n, n.year, kind, n.amount, Destination.PAYEE))
    return lines


def _check_settlement(person: InsuredPerson, case: RefundCase, lines: list[PlannedLine]) -> None:
    if not case.settles_account:
        return
    chosen = [x.entry.pk for x in lines if x.entry is not None]
    left = (
        AccountEntry.objects.filter(person=person, kind__in=rules.REFUNDABLE_KINDS, reversed_by__isnull=True)
        .exclude(pk__in=chosen)
        .count()
    )
    rules.check_refund_settles_account(settles_account=True, left_behind=left, case_name=case.name)


def _checked_applicant(person: InsuredPerson, case: RefundCase, applicant: Applicant) -> Applicant:
    """The applicant and the bank account by the rules, normalised as they will be stored."""
    try:
        id_no = parse_resident_id(applicant.applicant_id_no).number
    except ValidationError as exc:
        raise rules.RuleViolation("applicant_id_invalid", exc.messages[0], "applicant_id_no") from None
    name = applicant.applicant_name.strip()
    rules.check_refund_applicant(
        payee=case.payee,
        relation=applicant.relation,
        applicant_id_no=id_no,
        applicant_name=name,
        person_id_no=person.id_no,
        person_name=person.name,
    )
    account_no = "".join(applicant.account_no.split())
    rules.check_bank_account(
        account_type=applicant.account_type,
        account_no=account_no,
        account_name=applicant.account_name,
        payee_name=name,
    )
    return replace(
        applicant,
        applicant_name=name,
        applicant_id_no=id_no,
        account_no=account_no,
        account_name=applicant.account_name.strip(),
        bank_name=applicant.bank_name.strip(),
        circumstances=applicant.circumstances.strip(),
    )


def _plan(data: RefundInput, *, agency_region: Region | None, lock: bool, application_id: int | None = None) -> Plan:
    person, case = data.person, data.case
    if agency_region is not None:
        rules.check_refund_township(
            person_name=person.name,
            township_name=agency_region.name,
            is_in_township=agency_region.contains(person.village),
        )
    if not case.is_active:
        raise rules.RuleViolation("refund_case_retired", _("This refund case is no longer in use."), "case")
    lines = _plan_entries(person, case, data.entry_ids, lock=lock, application_id=application_id)
    lines += _plan_notices(person, case, data.notice_ids, lock=lock, application_id=application_id)
    _check_settlement(person, case, lines)
    plan = Plan(lines, _checked_applicant(person, case, data.applicant))
    rules.check_refund_has_money(plan.payee_amount)
    return plan


def application_check(data: RefundInput, *, agency_region: Region | None) -> Plan:
    """Every rule that can be checked before anything is written, and the amounts computed from
    the chosen money: the intake page shows them before the application is taken."""
    return _plan(data, agency_region=agency_region, lock=False)


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
