"""Every refusal of a refund (notice 002 附件2; notice 000 三(三) rule 9), each with its code, and
nothing changed afterwards: no application, no line, no entry."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from insured import rules
from insured.models import AccountEntry
from insured.rules import RuleViolation
from refunds import services
from refunds.models import RefundApplication, RefundCase, RefundLine, RefundRequest
from tests.factories import InsuredPersonFactory
from tests.refunds.conftest import (
    CARD,
    TODAY,
    advance,
    applicant_of,
    copies,
    duplicate_notice,
    heir_of,
    refund_input,
    support_credit,
    take,
)

pytestmark = pytest.mark.django_db
D = Decimal


def _refused(code: str, fn, *args, **kwargs) -> RuleViolation:
    applications, lines, entries = (
        RefundApplication.objects.count(),
        RefundLine.objects.count(),
        AccountEntry.objects.count(),
    )
    with pytest.raises(RuleViolation) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == code, exc.value.message
    assert (RefundApplication.objects.count(), RefundLine.objects.count(), AccountEntry.objects.count()) == (
        applications,
        lines,
        entries,
    )
    return exc.value


# --- The money chosen ------------------------------------------------------------------------------


def test_entry_of_another_person_is_refused(person, staff, tree):
    other = InsuredPersonFactory(village=tree["village11"])
    from tests.accounts import credit

    credit(other, amount="300.00")
    entries = list(other.entries.filter(kind="own").values_list("pk", flat=True))
    error = _refused("refund_entry_other_person", take, person, staff, entries=entries)
    assert "002" in error.message


def test_unknown_entry_reads_as_another_persons(person, staff):
    _refused("refund_entry_other_person", take, person, staff, entries=[999_999])


def test_entry_already_refunded_is_refused(person, staff):
    advance(take(person, staff), staff, "paid")
    _refused("refund_entry_gone", take, person, staff)


def test_refund_or_reversal_entry_itself_cannot_be_chosen(person, staff):
    paid = advance(take(person, staff), staff, "paid")
    refund_entry = AccountEntry.objects.filter(kind="refund", source_key__startswith=f"refund:{paid.number}:").first()
    _refused("refund_entry_gone", take, person, staff, entries=[refund_entry.pk])


def test_entry_reserved_by_another_application_is_refused_naming_it(person, staff):
    first = take(person, staff)
    error = _refused("refund_entry_reserved", take, person, staff)
    assert first.number in error.message


def test_subsidy_chosen_alone_brings_its_payment_along(person, staff):
    subsidy = person.entries.get(kind="government_subsidy")
    application = take(person, staff, entries=[subsidy.pk])
    assert sorted(application.lines.values_list("kind", "destination")) == [
        ("government_subsidy", "fund"),
        ("own", "payee"),
    ]


def test_case_not_returning_the_kind_is_refused(person, staff):
    """The two-places case keeps support with the record that stays (rule 9)."""
    support_credit(person, "800.00", kind="sponsorship", ref="S1")
    sponsorship = person.entries.get(kind="sponsorship")
    error = _refused("support_not_refundable", take, person, staff, "two_places", entries=[sponsorship.pk])
    assert "000" in error.message and "9" in error.message  # rule 9 and its notice named


def test_duplicate_case_does_not_return_collective_subsidy(person, staff):
    support_credit(person, "800.00")
    collective = person.entries.get(kind="collective")
    _refused("support_not_refundable", take, person, staff, "duplicate", entries=[collective.pk])


def test_case_not_returning_an_own_contribution_kind_is_refused(person, staff):
    RefundCase.objects.create(
        code="only_back", name="仅补缴", basis="测试", kinds_to_payee=["back_payment"], kinds_to_fund=[]
    )
    _refused("refund_kind_not_in_case", take, person, staff, "only_back")


def test_nothing_to_pay_is_refused(person, staff):
    _refused("refund_nothing_to_pay", take, person, staff, entries=[])


def test_retired_case_is_refused(person, staff):
    RefundCase.objects.filter(code="employee_pension").update(is_active=False)
    _refused("refund_case_retired", take, person, staff)


def test_settlement_case_takes_every_entry(person, staff, policy):
    from tests.accounts import credit
    from tests.factories import PolicyYearFactory

    PolicyYearFactory(region=policy.region, year=2025)
    assert credit(person, year=2025, amount="300.00", paid_on=dt.date(2025, 3, 1)).state == "credited"
    applicant = heir_of(person)
    error = _refused("refund_settlement_incomplete", take, person, staff, "death", applicant=applicant)
    assert " 2 " in error.message  # the 2025 payment and its subsidy are left
    everything = list(person.entries.values_list("pk", flat=True))
    application = take(person, staff, "death", applicant=applicant, entries=everything)
    assert application.payee_amount == D("900.00") and application.fund_amount == D("0.00")


# --- Waiting payments ---------------------------------------------------------------------------------


def test_waiting_payment_of_a_reason_the_case_does_not_return_is_refused(person, staff):
    notice = duplicate_notice(person)
    _refused("refund_waiting_reason_not_in_case", take, person, staff, "error", entries=[], notices=[notice.pk])


def test_waiting_payment_of_another_person_is_refused(person, staff, tree):
    other = InsuredPersonFactory(village=tree["village11"])
    from tests.accounts import credit

    credit(other, amount="300.00")
    notice = duplicate_notice(other, amount="300.00")
    _refused("refund_entry_other_person", take, person, staff, "duplicate", entries=[], notices=[notice.pk])


def test_waiting_payment_already_on_an_application_is_refused(person, staff):
    notice = duplicate_notice(person)
    take(person, staff, "duplicate", entries=[], notices=[notice.pk])
    _refused("refund_entry_reserved", take, person, staff, "duplicate", entries=[], notices=[notice.pk])


def test_credited_payment_is_not_a_waiting_payment(person, staff):
    from payments.models import ArrivalNotice

    credited = ArrivalNotice.objects.get(voucher_no=f"OWN{person.pk}")
    _refused("refund_entry_gone", take, person, staff, "duplicate", entries=[], notices=[credited.pk])


# --- Applicant and bank account ------------------------------------------------------------------------


def test_refund_is_paid_to_the_person_never_to_someone_else(person, staff):
    """Rule 9 (000 三(三)): never back to a sponsor or a village."""
    sponsor = heir_of(person, relation="other_heir")
    error = _refused("payee_not_the_person", take, person, staff, applicant=sponsor)
    assert "000" in error.message


def test_death_refund_is_paid_to_an_heir_not_the_person(person, staff):
    _refused("heir_required", take, person, staff, "death", applicant=applicant_of(person))


def test_applicant_id_with_a_wrong_check_digit_is_refused(person, staff):
    wrong = person.id_no[:17] + ("0" if person.id_no[17] != "0" else "1")
    _refused("applicant_id_invalid", take, person, staff, applicant=applicant_of(person, applicant_id_no=wrong))


def test_card_number_failing_luhn_is_refused(person, staff):
    wrong = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    error = _refused("card_number_invalid", take, person, staff, applicant=applicant_of(person, account_no=wrong))
    assert error.field == "account_no"


def test_passbook_number_is_not_luhn_checked(person, staff):
    """Passbook and settlement accounts carry no check digit: only digits and length are checked."""
    passbook = "30112001234567890"
    application = take(
        person,
        staff,
        applicant=applicant_of(person, account_type="passbook", account_no=f" {passbook[:8]} {passbook[8:]} "),
    )
    assert application.account_no == passbook


def test_account_number_with_letters_is_refused(person, staff):
    _refused("account_no_format", take, person, staff, applicant=applicant_of(person, account_no="62284804ABCD"))


def test_account_in_someone_elses_name_is_refused(person, staff):
    _refused("account_name_not_payee", take, person, staff, applicant=applicant_of(person, account_name="王大军"))


def test_township_takes_refunds_of_its_own_township_only(person, staff):
    with pytest.raises(RuleViolation) as exc:
        services.application_receive(
            refund_input(person), copies={}, user=staff["other_town"], agency_region=staff["other_town"].staff.region
        )
    assert exc.value.code == "refund_not_in_township"
    assert RefundApplication.objects.count() == 0


# --- Copies -------------------------------------------------------------------------------------------


def test_first_review_refuses_a_missing_copy(person, staff):
    application = take(person, staff, with_copies=False)
    error = _refused("refund_copy_missing", services.application_first_review, application, user=staff["town_b"])
    assert "002" in error.message
    application.refresh_from_db()
    assert application.status == RefundApplication.Status.RECEIVED


def test_case_with_evidence_needs_the_supporting_document(person, staff):
    application = services.application_receive(
        refund_input(person),
        copies=copies(evidence_copy=None),
        user=staff["town"],
        agency_region=staff["town"].staff.region,
    )
    _refused("refund_copy_missing", services.application_first_review, application, user=staff["town_b"])


def test_copy_validator_refuses_other_types_and_large_files():
    from django.core.exceptions import ValidationError

    from refunds.copies import MAX_COPY_BYTES, validate_copy

    with pytest.raises(ValidationError) as exc:
        validate_copy(SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 10))
    assert exc.value.code == "copy_type"
    with pytest.raises(ValidationError) as exc:
        validate_copy(SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * MAX_COPY_BYTES))
    assert exc.value.code == "copy_too_large"
    with pytest.raises(ValidationError) as exc:
        validate_copy(SimpleUploadedFile("empty.png", b""))
    assert exc.value.code == "copy_empty"
    renamed = validate_copy(SimpleUploadedFile("scan.PDF.exe", b"%PDF-1.4 x"))
    assert renamed.name == "copy.pdf"


# --- Maker-checker at every money step ---------------------------------------------------------------


def test_intake_officer_cannot_sign_the_first_review(person, staff):
    application = take(person, staff)
    _refused("same_person", services.application_first_review, application, user=staff["town"])


def test_township_officers_cannot_review_at_the_county(person, staff):
    """A person with both hats (a township officer later moved to the county) still cannot."""
    from insured.models import Role, StaffProfile

    application = advance(take(person, staff), staff, "handed_over")
    StaffProfile.objects.filter(user=staff["town_b"]).update(role=Role.REVIEWER, region=staff["reviewer"].staff.region)
    _refused("same_person", services.application_approve, application, user=staff["town_b"])
    _refused("same_person", services.application_return, application, user=staff["town"], reason="材料不全")


def test_reviewer_cannot_request_the_money_of_what_they_approved(person, staff):
    application = advance(take(person, staff), staff, "approved")
    with pytest.raises(RuleViolation) as exc:
        services.request_create(
            region=staff["finance"].staff.region,
            month=application.batch_month,
            user=staff["reviewer"],
            today=dt.date(2026, 12, 2),
        )
    assert exc.value.code == "same_person" and application.number in exc.value.message
    assert RefundRequest.objects.count() == 0


def test_reviewer_cannot_record_the_payment_of_what_they_approved(person, staff):
    application = advance(take(person, staff), staff, "requested")
    _refused(
        "same_person",
        services.application_record_payment,
        application,
        user=staff["reviewer"],
        paid_on=dt.date(2026, 12, 3),
        bank_reference="X",
        today=dt.date(2026, 12, 3),
    )
    _refused("same_person", services.application_record_failure, application, user=staff["reviewer"], reason="x")


# --- State, reasons, dates ------------------------------------------------------------------------


def test_steps_out_of_order_are_refused(person, staff):
    application = take(person, staff)
    _refused("wrong_state", services.application_approve, application, user=staff["reviewer"])
    paid = advance(application, staff, "paid")
    _refused("wrong_state", services.application_withdraw, paid, user=staff["town"])
    _refused("wrong_state", services.application_correct, paid, user=staff["town"], applicant=applicant_of(person))


def test_return_and_failure_need_a_reason(person, staff):
    application = advance(take(person, staff), staff, "handed_over")
    _refused("reason_required", services.application_return, application, user=staff["reviewer"], reason="  ")
    returned = services.application_return(application, user=staff["reviewer"], reason="银行卡复印件不清晰")
    assert (returned.status, returned.return_reason) == ("returned", "银行卡复印件不清晰")


def test_request_before_the_month_is_over_is_refused(person, staff):
    application = advance(take(person, staff), staff, "approved")
    with pytest.raises(RuleViolation) as exc:
        services.request_create(
            region=staff["finance"].staff.region, month=application.batch_month, user=staff["finance"], today=TODAY
        )
    assert exc.value.code == "request_too_early" and "002" in exc.value.message


def test_a_months_money_is_requested_once(person, staff):
    application = advance(take(person, staff), staff, "requested")
    other = advance(
        take(person, staff, "duplicate", entries=[], notices=[duplicate_notice(person).pk]), staff, "approved"
    )
    assert other.batch_month == application.batch_month
    with pytest.raises(RuleViolation) as exc:
        services.request_create(
            region=staff["finance"].staff.region,
            month=other.batch_month,
            user=staff["finance"],
            today=dt.date(2026, 12, 3),
        )
    assert exc.value.code == "request_exists"
    # It joins the next month's request instead.
    request = services.request_create(
        region=staff["finance"].staff.region,
        month=dt.date(2026, 12, 1),
        user=staff["finance"],
        today=dt.date(2027, 1, 2),
    )
    assert list(request.applications.all()) == [other]


def test_request_with_nothing_approved_is_refused(staff, policy):
    with pytest.raises(RuleViolation) as exc:
        services.request_create(
            region=staff["finance"].staff.region, month=dt.date(2026, 10, 1), user=staff["finance"], today=TODAY
        )
    assert exc.value.code == "request_empty"


@pytest.mark.parametrize(
    ("paid_on", "reference", "code"),
    [
        (dt.date(2026, 12, 4), "R1", "paid_on_future"),
        (dt.date(2026, 12, 1), "R1", "paid_before_request"),
        (dt.date(2026, 12, 3), " ", "bank_reference_required"),
    ],
)
def test_payment_record_needs_a_plausible_date_and_the_banks_reference(person, staff, paid_on, reference, code):
    application = advance(take(person, staff), staff, "requested")
    _refused(
        code,
        services.application_record_payment,
        application,
        user=staff["finance"],
        paid_on=paid_on,
        bank_reference=reference,
        today=dt.date(2026, 12, 3),
    )


def test_money_reversed_by_tax_after_intake_stops_the_review(person, staff):
    """A reversal 冲正 that arrived before the intake's hold (the hold makes later ones wait)."""
    application = take(person, staff)
    application.lines.update(is_live=False)  # as if the hold had not been seen yet
    from payments.models import ArrivalNotice
    from tests.payments.conftest import notice as notice_body
    from tests.payments.helpers import process

    original = ArrivalNotice.objects.get(voucher_no=f"OWN{person.pk}")
    process(
        original.batch.client,
        [notice_body(person, voucher="REV1", reverses={"voucher_no": original.voucher_no, "line_no": 1})],
        batch_id="REV",
    )
    application.lines.update(is_live=True)
    _refused("refund_entry_gone", services.application_first_review, application, user=staff["town_b"])


def test_case_configuration_follows_rule_9():
    with pytest.raises(RuleViolation) as exc:
        rules.check_refund_case_destinations(payee="person", kinds_to_payee={"own"}, kinds_to_fund={"collective"})
    assert exc.value.code == "support_refund_not_to_person"
    with pytest.raises(RuleViolation) as exc:
        rules.check_refund_case_destinations(
            payee="person", kinds_to_payee={"own", "government_subsidy"}, kinds_to_fund=set()
        )
    assert exc.value.code == "government_money_to_person"
    with pytest.raises(RuleViolation) as exc:
        rules.check_refund_case_destinations(payee="person", kinds_to_payee={"own"}, kinds_to_fund={"own"})
    assert exc.value.code == "refund_kind_twice"
    with pytest.raises(RuleViolation) as exc:
        rules.check_refund_case_destinations(payee="person", kinds_to_payee={"refund"}, kinds_to_fund=set())
    assert exc.value.code == "refund_kind_unknown"
    rules.check_refund_case_destinations(payee="heir", kinds_to_payee=set(rules.REFUNDABLE_KINDS), kinds_to_fund=set())


def test_every_fixture_case_is_valid():
    for refund_case in RefundCase.objects.all():
        refund_case.full_clean()
    assert set(RefundCase.objects.values_list("code", flat=True)) == {
        "duplicate",
        "employee_pension",
        "two_places",
        "error",
        "death",
        "emigration",
    }
