"""The rules of notice 000 on a sponsorship application: each refused at the window (submit)
and again when the reviewer approves, with its code and a Chinese message naming the rule
and the clause; nothing is saved after a refusal. Then maker-checker, rejection, signatures,
withdrawal, no refund, and a reversal of the payment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from insured.models import AccountEntry, InsuredPerson, PersonYear
from insured.rules import RuleViolation
from payments.models import ArrivalNotice, Receivable, TaxClient
from subsidy import services
from subsidy.models import SponsorshipApplication
from tests.factories import InsuredPersonFactory, first_village, make_id_no, region_tree
from tests.payments.conftest import SECRET, notice
from tests.payments.helpers import process
from tests.subsidy.conftest import SPONSOR_ID, TODAY

pytestmark = pytest.mark.django_db

Status = SponsorshipApplication.Status
ZERO = Decimal("0.00")
NEXT_JANUARY = dt.date(2027, 1, 4)
UNDER_18_ID = make_id_no(dt.date(2010, 1, 1), 55)  # 16 on TODAY
BAD_CHECK_DIGIT_ID = SPONSOR_ID[:17] + ("0" if SPONSOR_ID[17] != "0" else "1")


def _chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def _assert_message(message: str, fragments: tuple[str, ...]) -> None:
    """People read the message: Chinese, naming the rule and the clause where there is one."""
    assert _chinese(message), message
    for fragment in fragments:
        assert fragment in message, message


def _reserved(person: InsuredPerson, year: int = 2026) -> Decimal:
    row = PersonYear.objects.filter(person=person, year=year).first()
    return row.support_reserved if row else ZERO


def _submit(data, clerk, county, today=TODAY) -> SponsorshipApplication:
    return services.application_submit(data, user=clerk, agency_region=county, today=today)


def _approve(application, reviewer, county, today=TODAY) -> SponsorshipApplication:
    return services.application_approve(application, user=reviewer, agency_region=county, today=today)


def _refused_at_submit(data, clerk, county, code: str, *fragments: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        _submit(data, clerk, county)
    assert exc.value.code == code
    assert SponsorshipApplication.objects.count() == 0
    assert SponsorshipApplication.history.count() == 0
    assert Receivable.objects.count() == 0
    assert _reserved(data.beneficiary) == ZERO
    _assert_message(exc.value.message, fragments)


def _refused_at_approve(application, reviewer, county, code: str, *fragments: str, today=TODAY) -> None:
    reserved = _reserved(application.beneficiary, application.year)
    with pytest.raises(RuleViolation) as exc:
        _approve(application, reviewer, county, today)
    assert exc.value.code == code
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.reviewed_by is None and application.reviewed_at is None
    assert _reserved(application.beneficiary, application.year) == reserved
    _assert_message(exc.value.message, fragments)


def _stored(data, clerk, number: str = "ZZ202611229999") -> SponsorshipApplication:
    """An application already past the window, as it stands in the database: for the rules
    approval checks again on facts that changed (or were never right) after submission."""
    fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    return SponsorshipApplication.objects.create(number=number, check_code=number[-8:], submitted_by=clerk, **fields)


@pytest.fixture
def other_county():
    return region_tree("622901", "别县")["county"]


@pytest.fixture
def tax(county):
    return TaxClient.objects.create(client_id="tax-test", name="税务", secret=SECRET, region=county)


@pytest.fixture
def signed_application(sponsorship_input, clerk, reviewer, county):
    application = _approve(_submit(sponsorship_input(), clerk, county), reviewer, county)
    return services.application_record_signatures(application, user=clerk, today=TODAY)


def _pay(tax, application, voucher: str = "ZZ1", batch_id: str = "B1"):
    return process(
        tax,
        [
            notice(
                application.beneficiary,
                voucher=voucher,
                kind="sponsorship",
                amount=f"{application.amount:.2f}",
                receivable_no=application.receivable.number,
                payer_name=application.sponsor_name,
                payer_id=application.sponsor_id_no,
                channel="tax_app",
            )
        ],
        batch_id=batch_id,
    )


# --- The happy path ------------------------------------------------------------------------------


def test_valid_application_is_submitted_then_approved_and_reserved(sponsorship_input, clerk, reviewer, county):
    application = _submit(sponsorship_input(), clerk, county)
    assert application.status == Status.SUBMITTED
    assert application.number.startswith("ZZ") and application.submitted_by == clerk
    assert _reserved(application.beneficiary) == ZERO  # submitting reserves nothing

    approved = _approve(application, reviewer, county)
    assert approved.status == Status.APPROVED
    assert approved.reviewed_by == reviewer and approved.reviewed_at is not None
    assert _reserved(application.beneficiary) == Decimal("1000.00")


def test_the_whole_room_can_be_used(sponsorship_input, clerk, reviewer, county):
    application = _submit(sponsorship_input(amount=Decimal("5000.00")), clerk, county)
    assert _approve(application, reviewer, county).status == Status.APPROVED
    assert _reserved(application.beneficiary) == Decimal("5000.00")


# --- Rule 6: the sponsor is 18 or older (000 一(一)) ----------------------------------------------


def test_rule6_sponsor_under_18_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(
        sponsorship_input(sponsor_id_no=UNDER_18_ID),
        clerk,
        county,
        "sponsor_under_18",
        "规则6",
        "000号文件第一部分第（一）项",
    )


def test_rule6_sponsor_under_18_refused_again_at_approve(sponsorship_input, clerk, reviewer, county):
    application = _stored(sponsorship_input(sponsor_id_no=UNDER_18_ID), clerk)
    _refused_at_approve(application, reviewer, county, "sponsor_under_18", "规则6", "000号文件第一部分第（一）项")


def test_rule6_sponsor_turning_18_today_is_accepted(sponsorship_input, clerk, county):
    eighteen_today = make_id_no(dt.date(2008, 11, 22), 56)
    assert _submit(sponsorship_input(sponsor_id_no=eighteen_today), clerk, county).status == Status.SUBMITTED


def test_rule6_bad_sponsor_id_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(
        sponsorship_input(sponsor_id_no=BAD_CHECK_DIGIT_ID), clerk, county, "sponsor_id_invalid", "公民身份号码"
    )


def test_rule6_short_sponsor_id_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(sponsorship_input(sponsor_id_no="21137019850601"), clerk, county, "sponsor_id_invalid")


def test_rule6_bad_sponsor_id_refused_again_at_approve(sponsorship_input, clerk, reviewer, county):
    application = _stored(sponsorship_input(sponsor_id_no=BAD_CHECK_DIGIT_ID), clerk)
    _refused_at_approve(application, reviewer, county, "sponsor_id_invalid", "公民身份号码")


def test_sponsor_who_is_the_beneficiary_refused_at_submit(sponsorship_input, clerk, county, beneficiary):
    _refused_at_submit(
        sponsorship_input(sponsor_id_no=beneficiary.id_no.lower()),
        clerk,
        county,
        "sponsor_is_beneficiary",
        "000号文件第一部分第（一）项",
    )


def test_sponsor_who_is_the_beneficiary_refused_again_at_approve(
    sponsorship_input, clerk, reviewer, county, beneficiary
):
    application = _stored(sponsorship_input(sponsor_id_no=beneficiary.id_no), clerk)
    _refused_at_approve(application, reviewer, county, "sponsor_is_beneficiary", "000号文件第一部分第（一）项")


# --- Rule 4: the current year only (000 二) -------------------------------------------------------


def test_rule4_past_year_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(sponsorship_input(year=2025), clerk, county, "past_year", "规则4", "000号文件第二部分", "2025")


def test_rule4_past_year_refused_again_at_approve(sponsorship_input, clerk, reviewer, county):
    # Submitted in 2026, approved only in January 2027: 2026 is then a past year.
    application = _submit(sponsorship_input(), clerk, county)
    _refused_at_approve(application, reviewer, county, "past_year", "规则4", "000号文件第二部分", today=NEXT_JANUARY)


def test_rule4_future_year_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(sponsorship_input(year=2027), clerk, county, "future_year", "规则4", "000号文件", "2027")


def test_rule4_future_year_refused_again_at_approve(sponsorship_input, clerk, reviewer, county):
    application = _stored(sponsorship_input(year=2027), clerk)
    _refused_at_approve(application, reviewer, county, "future_year", "规则4", "000号文件")


# --- The amount: positive, two places, no tiers (000 二) ------------------------------------------


def test_amount_zero_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(sponsorship_input(amount=Decimal("0.00")), clerk, county, "amount_not_positive", "金额")


def test_amount_negative_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(sponsorship_input(amount=Decimal("-100.00")), clerk, county, "amount_not_positive", "金额")


def test_amount_with_three_decimals_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(sponsorship_input(amount=Decimal("100.005")), clerk, county, "amount_precision")


def test_amount_that_is_no_tier_is_accepted(sponsorship_input, clerk, county):
    # 000 二: 资助金额不设具体档次标准.
    application = _submit(sponsorship_input(amount=Decimal("1234.56")), clerk, county)
    assert application.amount == Decimal("1234.56")


def test_amount_not_positive_is_refused_again_by_the_database(sponsorship_input, clerk):
    # Approval does not see the amount again: the database holds it positive.
    application = _submit(sponsorship_input(), clerk, None)
    for amount in (ZERO, Decimal("-1.00")):
        with pytest.raises(IntegrityError), transaction.atomic():
            SponsorshipApplication.objects.filter(pk=application.pk).update(amount=amount)


# --- Rule 1: the cap, counting what is approved but unpaid (000 二) -------------------------------


def test_rule1_over_the_room_left_refused_at_submit(sponsorship_input, clerk, county):
    _refused_at_submit(
        sponsorship_input(amount=Decimal("5000.01")), clerk, county, "cap_exceeded", "规则1", "000号文件第二部分"
    )


def test_rule1_room_left_counts_what_is_approved_but_unpaid(sponsorship_input, clerk, reviewer, county):
    _approve(_submit(sponsorship_input(amount=Decimal("3000.00")), clerk, county), reviewer, county)
    before = SponsorshipApplication.objects.count()

    with pytest.raises(RuleViolation) as exc:
        _submit(sponsorship_input(amount=Decimal("2000.01")), clerk, county)

    assert exc.value.code == "cap_exceeded"
    assert "规则1" in exc.value.message and "000号文件第二部分" in exc.value.message
    assert "2,000.00" in exc.value.message  # the room left
    assert SponsorshipApplication.objects.count() == before
    assert _reserved(sponsorship_input().beneficiary) == Decimal("3000.00")
    assert _submit(sponsorship_input(amount=Decimal("2000.00")), clerk, county).status == Status.SUBMITTED


def test_rule1_over_the_room_left_refused_again_at_approve(sponsorship_input, clerk, reviewer, county):
    first = _submit(sponsorship_input(amount=Decimal("3000.00")), clerk, county)
    second = _submit(sponsorship_input(amount=Decimal("3000.00")), clerk, county)  # room still 5000
    _approve(first, reviewer, county)
    _refused_at_approve(second, reviewer, county, "cap_exceeded", "规则1", "000号文件第二部分")


def test_rule1_room_left_counts_what_is_credited(sponsorship_input, clerk, county, signed_application, tax):
    _pay(tax, signed_application)
    assert PersonYear.objects.get(person=signed_application.beneficiary, year=2026).support_credited == Decimal(
        "1000.00"
    )
    with pytest.raises(RuleViolation) as exc:
        _submit(sponsorship_input(amount=Decimal("4000.01")), clerk, county)
    assert exc.value.code == "cap_exceeded"


# --- Rule 3: enrolled, local, not receiving benefits (000 一(二)(三)) ------------------------------


def test_rule3_beneficiary_receiving_benefits_refused_at_submit(sponsorship_input, clerk, county, beneficiary):
    InsuredPerson.objects.filter(pk=beneficiary.pk).update(status=InsuredPerson.Status.RECEIVING)
    beneficiary.refresh_from_db()
    _refused_at_submit(
        sponsorship_input(beneficiary=beneficiary),
        clerk,
        county,
        "receiving_benefits",
        "规则3",
        "000号文件第一部分第（三）项",
        "王秀兰",
    )


def test_rule3_beneficiary_receiving_benefits_refused_again_at_approve(
    sponsorship_input, clerk, reviewer, county, beneficiary
):
    application = _submit(sponsorship_input(), clerk, county)
    InsuredPerson.objects.filter(pk=beneficiary.pk).update(status=InsuredPerson.Status.RECEIVING)
    _refused_at_approve(application, reviewer, county, "receiving_benefits", "规则3", "000号文件第一部分第（三）项")


def test_rule3_suspended_beneficiary_refused_at_submit(sponsorship_input, clerk, county, beneficiary):
    InsuredPerson.objects.filter(pk=beneficiary.pk).update(status=InsuredPerson.Status.SUSPENDED)
    beneficiary.refresh_from_db()
    _refused_at_submit(
        sponsorship_input(beneficiary=beneficiary),
        clerk,
        county,
        "not_enrolled",
        "规则3",
        "000号文件第一部分第（二）项",
    )


def test_rule3_suspended_beneficiary_refused_again_at_approve(sponsorship_input, clerk, reviewer, county, beneficiary):
    application = _submit(sponsorship_input(), clerk, county)
    InsuredPerson.objects.filter(pk=beneficiary.pk).update(status=InsuredPerson.Status.SUSPENDED)
    _refused_at_approve(application, reviewer, county, "not_enrolled", "规则3", "000号文件第一部分第（二）项")


def test_rule3_beneficiary_outside_the_region_refused_at_submit(sponsorship_input, clerk, other_county):
    _refused_at_submit(
        sponsorship_input(), clerk, other_county, "not_local", "规则3", "000号文件第一部分第（二）项", "别县"
    )


def test_rule3_beneficiary_outside_the_region_refused_again_at_approve(
    sponsorship_input, clerk, reviewer, county, other_county
):
    application = _submit(sponsorship_input(), clerk, county)
    _refused_at_approve(application, reviewer, other_county, "not_local", "规则3", "000号文件第一部分第（二）项")


# --- Rule 2: the beneficiary's own contribution has arrived (000 一(三)) ---------------------------


@pytest.fixture
def unpaid_person(policy):
    return InsuredPersonFactory(village=first_village(policy.region), name="李未缴")


def test_rule2_own_contribution_not_arrived_refused_at_submit(sponsorship_input, clerk, county, unpaid_person):
    _refused_at_submit(
        sponsorship_input(beneficiary=unpaid_person),
        clerk,
        county,
        "own_contribution_missing",
        "规则2",
        "000号文件第一部分第（三）项",
    )


def test_rule2_own_contribution_not_arrived_refused_again_at_approve(
    sponsorship_input, clerk, reviewer, county, unpaid_person
):
    application = _stored(sponsorship_input(beneficiary=unpaid_person), clerk)
    _refused_at_approve(
        application, reviewer, county, "own_contribution_missing", "规则2", "000号文件第一部分第（三）项"
    )


# --- Rule 5: no government subsidy on sponsorship (000 二) ----------------------------------------


def test_rule5_credited_sponsorship_carries_no_government_subsidy(signed_application, tax, beneficiary):
    stored = _pay(tax, signed_application)

    assert stored.credited_count == 1
    signed_application.refresh_from_db()
    assert signed_application.status == Status.CREDITED
    sponsorship_entries = AccountEntry.objects.filter(source_key__startswith="notice:ZZ1:")
    assert list(sponsorship_entries.values_list("kind", "amount")) == [("sponsorship", Decimal("1000.00"))]
    assert not AccountEntry.objects.filter(source_key="notice:ZZ1:1:subsidy").exists()
    # Only the own contribution's subsidy is on the account.
    assert list(
        AccountEntry.objects.filter(person=beneficiary, kind="government_subsidy").values_list("source_key", flat=True)
    ) == [f"notice:OWN{beneficiary.pk}:1:subsidy"]


# --- Maker-checker and rejection -----------------------------------------------------------------


def test_maker_cannot_approve_own_application(sponsorship_input, clerk, county):
    application = _submit(sponsorship_input(), clerk, county)
    _refused_at_approve(application, clerk, county, "same_person")


def test_maker_cannot_reject_own_application(sponsorship_input, clerk, county):
    application = _submit(sponsorship_input(), clerk, county)
    with pytest.raises(RuleViolation) as exc:
        services.application_reject(application, user=clerk, reason="材料不全")
    assert exc.value.code == "same_person"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.reviewed_by is None
    _assert_message(exc.value.message, ())


def test_database_refuses_maker_as_checker(sponsorship_input, clerk, county):
    application = _submit(sponsorship_input(), clerk, county)
    with pytest.raises(IntegrityError), transaction.atomic():
        SponsorshipApplication.objects.filter(pk=application.pk).update(reviewed_by=clerk)


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_needs_a_reason(sponsorship_input, clerk, reviewer, county, reason):
    application = _submit(sponsorship_input(), clerk, county)
    with pytest.raises(RuleViolation) as exc:
        services.application_reject(application, user=reviewer, reason=reason)
    assert exc.value.code == "reason_required"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.rejection_reason == ""
    _assert_message(exc.value.message, ())


def test_reject_with_a_reason(sponsorship_input, clerk, reviewer, county):
    application = _submit(sponsorship_input(), clerk, county)
    rejected = services.application_reject(application, user=reviewer, reason="  资助人未到场  ")
    assert rejected.status == Status.REJECTED
    assert rejected.rejection_reason == "资助人未到场"
    assert rejected.reviewed_by == reviewer and rejected.reviewed_at is not None
    assert _reserved(application.beneficiary) == ZERO


def test_rejected_application_cannot_be_approved(sponsorship_input, clerk, reviewer, county):
    application = _submit(sponsorship_input(), clerk, county)
    services.application_reject(application, user=reviewer, reason="资助人未到场")
    with pytest.raises(RuleViolation) as exc:
        _approve(application, reviewer, county)
    assert exc.value.code == "wrong_state"
    assert _reserved(application.beneficiary) == ZERO


# --- Signatures (000 三(二)) -----------------------------------------------------------------------


def test_record_signatures_creates_exactly_one_receivable(signed_application):
    assert signed_application.status == Status.SIGNED
    assert signed_application.signed_at is not None
    receivable = Receivable.objects.get()
    assert signed_application.receivable == receivable
    assert receivable.kind == "sponsorship"
    assert (receivable.payer_name, receivable.payer_id) == ("王大军", SPONSOR_ID)
    assert receivable.person == signed_application.beneficiary
    assert (receivable.year, receivable.amount) == (2026, Decimal("1000.00"))
    assert receivable.due_date == dt.date(2026, 12, 31)
    assert (receivable.source_type, receivable.source_ref) == (services.SOURCE_TYPE, signed_application.number)


def test_record_signatures_twice_is_refused_and_keeps_one_receivable(signed_application, clerk):
    with pytest.raises(RuleViolation) as exc:
        services.application_record_signatures(signed_application, user=clerk, today=TODAY)
    assert exc.value.code == "wrong_state"
    assert Receivable.objects.count() == 1


def test_signatures_before_approval_are_refused(sponsorship_input, clerk, county):
    application = _submit(sponsorship_input(), clerk, county)
    with pytest.raises(RuleViolation) as exc:
        services.application_record_signatures(application, user=clerk, today=TODAY)
    assert exc.value.code == "wrong_state"
    assert Receivable.objects.count() == 0


# --- Withdrawal and no refund (000 三(三)) --------------------------------------------------------


def test_withdraw_before_payment_cancels_the_receivable_and_releases_the_reservation(signed_application, clerk):
    assert _reserved(signed_application.beneficiary) == Decimal("1000.00")

    withdrawn = services.application_withdraw(signed_application, user=clerk)

    assert withdrawn.status == Status.WITHDRAWN
    assert withdrawn.closed_by == clerk and withdrawn.closed_at is not None
    withdrawn.receivable.refresh_from_db()
    assert withdrawn.receivable.status == Receivable.Status.CANCELLED
    assert _reserved(signed_application.beneficiary) == ZERO


def test_withdraw_an_approved_application_releases_the_reservation(sponsorship_input, clerk, reviewer, county):
    application = _approve(_submit(sponsorship_input(), clerk, county), reviewer, county)
    assert services.application_withdraw(application, user=clerk).status == Status.WITHDRAWN
    assert _reserved(application.beneficiary) == ZERO
    assert Receivable.objects.count() == 0


def test_withdraw_a_submitted_application_reserves_nothing_back(sponsorship_input, clerk, reviewer, county):
    other = _approve(_submit(sponsorship_input(amount=Decimal("700.00")), clerk, county), reviewer, county)
    application = _submit(sponsorship_input(), clerk, county)
    assert services.application_withdraw(application, user=clerk).status == Status.WITHDRAWN
    assert _reserved(other.beneficiary) == Decimal("700.00")


def test_rule9_withdraw_after_credit_is_refused(signed_application, clerk, tax, beneficiary):
    _pay(tax, signed_application)
    signed_application.refresh_from_db()
    assert signed_application.status == Status.CREDITED
    entries = AccountEntry.objects.count()

    with pytest.raises(RuleViolation) as exc:
        services.application_withdraw(signed_application, user=clerk)

    assert exc.value.code == "credited_no_refund"
    assert "规则9" in exc.value.message and "000号文件第三部分第（三）项" in exc.value.message
    signed_application.refresh_from_db()
    assert signed_application.status == Status.CREDITED and signed_application.closed_at is None
    assert signed_application.receivable.status == Receivable.Status.PAID
    assert AccountEntry.objects.count() == entries
    person_year = PersonYear.objects.get(person=beneficiary, year=2026)
    assert (person_year.support_reserved, person_year.support_credited) == (ZERO, Decimal("1000.00"))


def test_reversal_of_the_payment_sets_the_application_back_to_signed(signed_application, tax, beneficiary):
    _pay(tax, signed_application)
    reversal = notice(
        beneficiary,
        voucher="R1",
        kind="sponsorship",
        amount="1000.00",
        payer_name="王大军",
        payer_id=SPONSOR_ID,
        reverses={"voucher_no": "ZZ1", "line_no": 1},
    )

    stored = process(tax, [reversal], batch_id="B2")

    assert stored.reversed_count == 1
    assert ArrivalNotice.objects.get(voucher_no="ZZ1").state == ArrivalNotice.State.REVERSED
    signed_application.refresh_from_db()
    assert signed_application.status == Status.SIGNED
    assert signed_application.credited_at is None
    signed_application.receivable.refresh_from_db()
    assert signed_application.receivable.status == Receivable.Status.SENT
    person_year = PersonYear.objects.get(person=beneficiary, year=2026)
    assert (person_year.support_reserved, person_year.support_credited) == (Decimal("1000.00"), ZERO)
    sponsorship_total = sum(
        AccountEntry.objects.filter(person=beneficiary, year=2026)
        .exclude(kind__in=["own", "government_subsidy"])
        .values_list("amount", flat=True),
        ZERO,
    )
    assert sponsorship_total == ZERO


def test_after_a_reversal_the_application_can_be_withdrawn(signed_application, tax, beneficiary, clerk):
    _pay(tax, signed_application)
    reversal = notice(
        beneficiary,
        voucher="R1",
        kind="sponsorship",
        amount="1000.00",
        reverses={"voucher_no": "ZZ1", "line_no": 1},
    )
    process(tax, [reversal], batch_id="B2")
    signed_application.refresh_from_db()

    assert services.application_withdraw(signed_application, user=clerk).status == Status.WITHDRAWN
    assert _reserved(beneficiary) == ZERO
