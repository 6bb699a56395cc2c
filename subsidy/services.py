"""Every write of personal sponsorship. The rules are insured.rules'; the cap is reserved and
released only through insured.ledger; the receivable goes through payments.services."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import ledger, numbering, rules
from insured.identity import parse_resident_id
from insured.models import InsuredPerson, PersonYear, PolicyYear, Region
from insured.selectors import YearStanding, policy_for, year_standing
from payments import services as payment_services
from payments.models import PaymentKind, Receivable
from subsidy.capabilities import SOURCE_TYPE
from subsidy.models import SponsorshipApplication

Status = SponsorshipApplication.Status
NUMBER_PREFIX = "ZZ"  # 资助
# Read back from paper and typed by hand: no 0/O, 1/I/L, U/V look-alikes.
CHECK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"


@dataclass(frozen=True)
class SponsorshipInput:
    sponsor_name: str
    sponsor_id_no: str
    sponsor_phone: str
    relation: str
    beneficiary: InsuredPerson
    year: int
    amount: Decimal


def _check_all_but_cap(
    data: SponsorshipInput, *, today: dt.date, agency_region: Region | None
) -> tuple[PolicyYear, PersonYear | None]:
    rules.check_amount(data.amount)
    rules.check_sponsor_age(data.sponsor_id_no, today)  # rule 6
    rules.check_sponsor_is_not_beneficiary(parse_resident_id(data.sponsor_id_no).number, data.beneficiary.id_no)
    rules.check_current_year(data.year, today)  # rule 4
    rules.check_can_receive_support(data.beneficiary, agency_region)  # rule 3
    policy = policy_for(data.beneficiary.village, data.year)
    person_year = PersonYear.objects.filter(person=data.beneficiary, year=data.year).first()
    rules.check_own_contribution_arrived(person_year, policy)  # rule 2
    return policy, person_year


def application_check(data: SponsorshipInput, *, today: dt.date, agency_region: Region | None) -> YearStanding:
    """Every rule of notice 000 that can be checked before anything is written: the clerk's
    form runs it as the numbers are typed, and each step runs it again."""
    policy, person_year = _check_all_but_cap(data, today=today, agency_region=agency_region)
    used = person_year.support_used if person_year else Decimal("0.00")
    # Read without a lock: approval checks the cap again under the person-year lock.
    rules.check_cap(year=data.year, cap=policy.top_tier, used=used, amount=data.amount)  # rule 1
    return year_standing(data.beneficiary, today)


def check_code_for(number: str, sponsor_id_no: str, beneficiary_id_no: str, amount: Decimal) -> str:
    """A short code printed on the form: the agency can look it up to confirm a printout is
    genuine, and it cannot be made up without the server's secret."""
    message = f"{number}|{sponsor_id_no}|{beneficiary_id_no}|{amount:.2f}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big")
    code = []
    for _position in range(8):
        value, index = divmod(value, len(CHECK_CODE_ALPHABET))
        code.append(CHECK_CODE_ALPHABET[index])
    return "".join(code)


def application_submit(
    data: SponsorshipInput, *, user: AbstractBaseUser, agency_region: Region | None, today: dt.date | None = None
) -> SponsorshipApplication:
    today = today or timezone.localdate()
    application_check(data, today=today, agency_region=agency_region)
    sponsor_id_no = parse_resident_id(data.sponsor_id_no).number

    def build(number: str) -> SponsorshipApplication:
        application = SponsorshipApplication(
            number=number,
            check_code=check_code_for(number, sponsor_id_no, data.beneficiary.id_no, data.amount),
            sponsor_name=data.sponsor_name.strip(),
            sponsor_id_no=sponsor_id_no,
            sponsor_phone=data.sponsor_phone,
            relation=data.relation,
            beneficiary=data.beneficiary,
            year=data.year,
            amount=data.amount,
            submitted_by=user,
        )
        application._history_user = user
        return application

    return numbering.create_numbered(SponsorshipApplication, NUMBER_PREFIX, 4, build)


def _input_of(application: SponsorshipApplication) -> SponsorshipInput:
    return SponsorshipInput(
        application.sponsor_name,
        application.sponsor_id_no,
        application.sponsor_phone,
        application.relation,
        application.beneficiary,
        application.year,
        application.amount,
    )


def _locked(application: SponsorshipApplication, *expected: str) -> SponsorshipApplication:
    locked = (
        # of=("self",): lock the application only, not the person and village it joins.
        SponsorshipApplication.objects.select_for_update(of=("self",))
        .select_related("beneficiary__village", "receivable")
        .get(pk=application.pk)
    )
    if locked.status not in expected:
        raise rules.RuleViolation(
            "wrong_state",
            _("This application is %(status)s; the step cannot be taken now.")
            % {"status": locked.get_status_display()},
        )
    return locked


def _save(application: SponsorshipApplication, user: AbstractBaseUser | None) -> None:
    application._history_user = user
    application.save()


@transaction.atomic
def application_approve(
    application: SponsorshipApplication,
    *,
    user: AbstractBaseUser,
    agency_region: Region | None,
    today: dt.date | None = None,
) -> SponsorshipApplication:
    """The reviewer approves; the amount is reserved against the cap under the person-year
    lock, so two reviewers approving for one beneficiary at once cannot pass it together."""
    today = today or timezone.localdate()
    locked = _locked(application, Status.SUBMITTED)
    rules.check_maker_checker(
        locked.submitted_by_id,
        user.pk,
        _("The clerk who entered an application cannot also approve it; ask a reviewer."),
    )
    data = _input_of(locked)
    _check_all_but_cap(data, today=today, agency_region=agency_region)
    ledger.support_reserve(person=data.beneficiary, year=data.year, amount=data.amount)  # rules 1, 2
    locked.status = Status.APPROVED
    locked.reviewed_by, locked.reviewed_at = user, timezone.now()
    _save(locked, user)
    return locked


@transaction.atomic
def application_reject(
    application: SponsorshipApplication, *, user: AbstractBaseUser, reason: str
) -> SponsorshipApplication:
    if not reason.strip():
        raise rules.RuleViolation("reason_required", _("Give the reason for rejecting the application."), "reason")
    locked = _locked(application, Status.SUBMITTED)
    rules.check_maker_checker(
        locked.submitted_by_id,
        user.pk,
        _("The clerk who entered an application cannot also review it; ask a reviewer."),
    )
    locked.status = Status.REJECTED
    locked.reviewed_by, locked.reviewed_at, locked.rejection_reason = user, timezone.now(), reason.strip()
    _save(locked, user)
    return locked


@transaction.atomic
def application_record_signatures(
    application: SponsorshipApplication,
    *,
    user: AbstractBaseUser,
    agency_region: Region | None = None,
    today: dt.date | None = None,
) -> SponsorshipApplication:
    """Sponsor and beneficiary have checked and signed the printed form (000 三(二)); only now
    does the receivable go to tax. Every rule but the cap is checked again: the amount is
    already reserved against it."""
    today = today or timezone.localdate()
    locked = _locked(application, Status.APPROVED)
    _check_all_but_cap(_input_of(locked), today=today, agency_region=agency_region)
    locked.receivable = payment_services.receivable_create(
        person=locked.beneficiary,
        kind=PaymentKind.SPONSORSHIP,
        payer_name=locked.sponsor_name,
        payer_id=locked.sponsor_id_no,
        year=locked.year,
        amount=locked.amount,
        due_date=dt.date(locked.year, 12, 31),
        source_type=SOURCE_TYPE,
        source_ref=locked.number,
        user=user,
    )
    locked.status = Status.SIGNED
    locked.signed_by, locked.signed_at = user, timezone.now()
    _save(locked, user)
    return locked


@transaction.atomic
def application_withdraw(application: SponsorshipApplication, *, user: AbstractBaseUser) -> SponsorshipApplication:
    """Withdrawn before payment; once credited it cannot be (rule 9, 000 三(三))."""
    _lock_receivable_first(application)
    locked = _locked(application, *Status.values)
    rules.check_withdrawable(locked.status == Status.CREDITED)
    if locked.status not in (Status.SUBMITTED, *SponsorshipApplication.RESERVING):
        raise rules.RuleViolation(
            "wrong_state",
            _("This application is %(status)s; the step cannot be taken now.")
            % {"status": locked.get_status_display()},
        )
    if locked.receivable is not None and not payment_services.receivable_cancel(locked.receivable):
        # Paid between the page and the click: the credit is on its way; nothing to withdraw.
        raise rules.RuleViolation(
            "credited_no_refund", _("The payment for this application has already arrived; it cannot be withdrawn.")
        )
    _release(locked)
    locked.status = Status.WITHDRAWN
    locked.closed_by, locked.closed_at = user, timezone.now()
    _save(locked, user)
    return locked


def _lock_receivable_first(application: SponsorshipApplication) -> None:
    """Crediting locks the receivable, then the person-year, then the application (through
    its handler); withdrawing and voiding take the same order, so neither waits in a circle."""
    receivable_id = SponsorshipApplication.objects.filter(pk=application.pk).values_list("receivable_id", flat=True)[0]
    if receivable_id is not None:
        Receivable.objects.select_for_update().filter(pk=receivable_id).first()


def _release(application: SponsorshipApplication) -> None:
    if application.status in SponsorshipApplication.RESERVING:
        ledger.support_release(person=application.beneficiary, year=application.year, amount=application.amount)


def applications_void_expired(today: dt.date | None = None) -> int:
    """Rule 8 (000 四): approved sponsorship still unpaid when its year has ended is void; its
    receivable is cancelled towards tax and the reservation released. Safe to run twice."""
    today = today or timezone.localdate()
    due = list(
        SponsorshipApplication.objects.filter(
            status__in=SponsorshipApplication.RESERVING, year__lt=today.year
        ).values_list("pk", flat=True)
    )
    voided = 0
    for pk in due:
        with transaction.atomic():
            application = SponsorshipApplication(pk=pk)
            _lock_receivable_first(application)
            locked = (
                SponsorshipApplication.objects.select_for_update(of=("self",)).select_related("receivable").get(pk=pk)
            )
            if locked.status not in SponsorshipApplication.RESERVING or not rules.is_void_due(locked.year, today):
                continue
            if locked.receivable is not None and not payment_services.receivable_void(locked.receivable):
                continue  # paid at the last moment: the credit handler takes it from here
            _release(locked)
            locked.status = Status.VOIDED
            locked.closed_at = timezone.now()
            _save(locked, None)
            voided += 1
    return voided


def on_receivables_paid(receivables: list[Receivable]) -> None:
    """Called by payments inside the crediting transaction: the full amount is on the
    beneficiary's account (000 三(三)2)."""
    for application in SponsorshipApplication.objects.select_for_update().filter(
        receivable__in=receivables, status=Status.SIGNED
    ):
        application.status = Status.CREDITED
        application.credited_at = timezone.now()  # when paid: the receivable's paid_at
        _save(application, None)


def on_receivables_reopened(receivables: list[Receivable]) -> None:
    """A reversal took the payment back: the application waits for payment again."""
    for application in SponsorshipApplication.objects.select_for_update().filter(
        receivable__in=receivables, status=Status.CREDITED
    ):
        application.status = Status.SIGNED
        application.credited_at = None
        _save(application, None)
