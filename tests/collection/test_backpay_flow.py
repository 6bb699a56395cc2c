"""Back payment end to end through the services and the crediting engine: the township office
enters, a county reviewer approves (maker-checker), one receivable a year goes to tax, the payment
is credited without subsidy (003 六(三)); a past year's own payment waits until a back payment is
approved for it, then is credited once, without subsidy; the supplementary pension (004)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from collection import backpay_services as services
from collection.backpay_models import BackPaymentApplication, BackPaymentScheme, BackPaymentYear
from insured.models import AccountEntry, InsuredPerson, PersonYear
from insured.rules import RuleViolation
from payments import ledger_check
from payments.models import ArrivalNotice, Receivable
from tests.accounts import county_tax_client, credit, push
from tests.collection import backpay_fixtures
from tests.collection.backpay_fixtures import approve, enter
from tests.factories import InsuredPersonFactory

pytestmark = pytest.mark.django_db
# The fixtures of backpay_fixtures, by name (the folder's conftest belongs to the special-group tests).
tree, person, staff, today = (
    backpay_fixtures.tree,
    backpay_fixtures.person,
    backpay_fixtures.staff,
    backpay_fixtures.today,
)
D = Decimal
Status = BackPaymentApplication.Status
Reason = ArrivalNotice.Reason


def _problems():
    return list(ledger_check.ledger_problems(ledger_check.Scope(None, None)))


def _entries(person, year):
    return sorted(AccountEntry.objects.filter(person=person, year=year).values_list("kind", "amount"))


# --- Entering and approving ---------------------------------------------------------------------


def test_township_enters_and_reviewer_approves_one_receivable_a_year(person, staff, today):
    application = enter(person, staff, years=[2024, 2025])
    assert application.status == Status.SUBMITTED
    assert application.total == D("1000.00") and application.tier_year == 2026
    assert Receivable.objects.filter(source_type=services.SOURCE_TYPE).count() == 0

    approved = approve(application, staff)
    assert approved.status == Status.APPROVED and approved.reviewed_by == staff["reviewer"]
    receivables = Receivable.objects.filter(source_type=services.SOURCE_TYPE).order_by("year")
    assert [(r.kind, r.year, r.amount, r.status, r.source_ref) for r in receivables] == [
        ("back_payment", 2024, D("500.00"), "open", f"{application.number}-2024"),
        ("back_payment", 2025, D("500.00"), "open", f"{application.number}-2025"),
    ]
    assert set(application.years.values_list("status", flat=True)) == {BackPaymentYear.Status.APPROVED}
    assert application.history.count() >= 2  # entered, approved


def test_maker_checker_the_one_who_entered_cannot_approve(person, staff, today):
    application = enter(person, staff)
    with pytest.raises(RuleViolation) as caught:
        services.application_approve(application, user=staff["town"], agency_region=None, today=today)
    assert caught.value.code == "same_person"
    with pytest.raises(RuleViolation):
        services.application_reject(application, user=staff["town"], reason="x")
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_maker_checker_the_database_refuses_it_too(person, staff, today):
    application = enter(person, staff)
    application.reviewed_by = staff["town"]
    with pytest.raises(IntegrityError), transaction.atomic():
        application.save()


def test_duplicate_year_refused_by_the_rule(person, staff, today):
    first = enter(person, staff, years=[2025])
    with pytest.raises(RuleViolation) as caught:
        enter(person, staff, years=[2024, 2025])
    assert caught.value.code == "back_payment_applied" and first.number in caught.value.message
    assert BackPaymentApplication.objects.count() == 1


def test_duplicate_year_refused_by_the_database(person, staff, today):
    first = enter(person, staff, years=[2025])
    row = BackPaymentYear(application=first, person=person, scheme="basic", year=2025, amount=D("500.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_a_rejected_year_may_be_applied_for_again(person, staff, today):
    first = enter(person, staff, years=[2025])
    services.application_reject(first, user=staff["reviewer"], reason="材料不全")
    again = enter(person, staff, years=[2025])
    assert again.status == Status.SUBMITTED
    assert first.years.get().status == BackPaymentYear.Status.CLOSED


def test_paid_year_and_year_before_enrolment_refused(person, staff, today):
    for years, code in (([2023], "back_payment_year_paid"), ([2019], "back_payment_not_enrolled")):
        with pytest.raises(RuleViolation) as caught:
            enter(person, staff, years=years)
        assert caught.value.code == code


def test_township_office_only_for_its_own_township(person, staff, tree, today):
    data = services.BackPaymentInput(person, "basic", "interrupted", D("500.00"), [2025])
    with pytest.raises(RuleViolation) as caught:
        services.application_submit(data, user=staff["other_town"], agency_region=tree["township2"], today=today)
    assert caught.value.code == "not_local"


def test_tier_must_be_one_of_the_policy_years(person, staff, today):
    with pytest.raises(RuleViolation) as caught:
        enter(person, staff, tier="450.00")
    assert caught.value.code == "tier_invalid"
    with pytest.raises(RuleViolation) as caught:
        enter(person, staff, tier="100.00")  # the hardship tier; not a member
    assert caught.value.code == "hardship_tier_not_allowed"


def test_approval_checks_the_rules_again(person, staff, today):
    application = enter(person, staff, years=[2025])
    credit(person, year=2025, amount="300.00", paid_on=dt.date(2025, 6, 1))  # paid meanwhile
    with pytest.raises(RuleViolation) as caught:
        approve(application, staff)
    assert caught.value.code == "back_payment_year_paid"
    assert Receivable.objects.filter(source_type=services.SOURCE_TYPE).count() == 0


# --- Paid through tax: credited without subsidy ------------------------------------------------------


def test_back_payment_paid_through_tax_is_credited_without_subsidy(person, staff, today):
    application = approve(enter(person, staff, years=[2024, 2025]), staff)
    for row in application.years.select_related("receivable"):
        r = row.receivable
        notice = credit(
            person, kind="back_payment", year=r.year, amount=r.amount, paid_on=today, receivable_no=r.number
        )
        assert notice.state == "credited"
    assert _entries(person, 2024) == [("back_payment", D("500.00"))]
    assert _entries(person, 2025) == [("back_payment", D("500.00"))]
    application.refresh_from_db()
    assert application.status == Status.PAID and application.paid_at is not None
    assert _problems() == []


def test_a_reversal_reopens_the_year(person, staff, today):
    application = approve(enter(person, staff, years=[2025]), staff)
    r = application.years.get().receivable
    paid = credit(person, kind="back_payment", year=2025, amount="500.00", paid_on=today, receivable_no=r.number)
    reversal = {
        "voucher_no": f"R{paid.voucher_no}",
        "line_no": 1,
        "kind": "back_payment",
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": person.name,
        "payer_id": person.id_no,
        "year": 2025,
        "amount": "500.00",
        "paid_at": "2026-11-23T10:00:00+08:00",
        "channel": "wechat",
        "receivable_no": None,
        "reverses": {"voucher_no": paid.voucher_no, "line_no": 1},
        "tax_office_code": None,
        "agency_code": None,
    }
    push(county_tax_client(person), [reversal])
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert application.years.get().status == BackPaymentYear.Status.APPROVED
    assert _problems() == []


# --- A past year's own payment waits until a back payment is approved --------------------------------


def test_003_6_3_past_year_own_notice_waits_then_is_credited_without_subsidy_once(person, staff, today):
    notice = credit(person, kind="own", year=2025, amount="500.00", paid_on=dt.date(2026, 4, 10))
    assert notice.state == "unmatched" and notice.reason == Reason.BACK_PAYMENT_REQUIRED
    assert _entries(person, 2025) == []  # no tier subsidy, no credit

    application = enter(person, staff, years=[2025])
    notice.refresh_from_db()
    assert notice.state == "unmatched"  # entering is not approving

    approve(application, staff)
    notice.refresh_from_db()
    assert notice.state == "credited" and notice.receivable.source_type == services.SOURCE_TYPE
    assert _entries(person, 2025) == [("own", D("500.00"))]  # no government_subsidy entry (rule 5)
    assert PersonYear.objects.get(person=person, year=2025).own_amount == D("500.00")
    year = application.years.get()
    assert year.status == BackPaymentYear.Status.PAID and year.receivable.status == "paid"
    application.refresh_from_db()
    assert application.status == Status.PAID
    assert _problems() == []

    # Exactly once: the same voucher pushed again is a duplicate; a second payment of the year waits.
    again = credit(person, kind="own", year=2025, amount="500.00", paid_on=today, voucher=notice.voucher_no)
    assert again.state == "duplicate"
    second = credit(person, kind="own", year=2025, amount="500.00", paid_on=today)
    assert second.state == "unmatched"
    assert _entries(person, 2025) == [("own", D("500.00"))]


def test_past_year_own_notice_of_another_amount_stays_waiting(person, staff, today):
    notice = credit(person, kind="own", year=2025, amount="300.00", paid_on=dt.date(2026, 4, 10))
    approve(enter(person, staff, years=[2025], tier="500.00"), staff)
    notice.refresh_from_db()
    assert notice.state == "unmatched" and notice.reason == Reason.BACK_PAYMENT_REQUIRED
    assert _entries(person, 2025) == []


def test_past_year_own_notice_after_approval_pays_the_receivable_without_its_number(person, staff, today):
    application = approve(enter(person, staff, years=[2024]), staff)
    notice = credit(person, kind="own", year=2024, amount="500.00", paid_on=today)
    assert notice.state == "credited"
    assert notice.receivable_id == application.years.get().receivable_id
    assert _entries(person, 2024) == [("own", D("500.00"))]
    assert _problems() == []


def test_current_year_own_notice_still_gets_its_subsidy(tree, staff, today):
    fresh = InsuredPersonFactory(village=tree["village11"])
    notice = credit(fresh, kind="own", year=2026, amount="500.00", paid_on=dt.date(2026, 3, 2))
    assert notice.state == "credited"
    assert _entries(fresh, 2026) == [("government_subsidy", D("60.00")), ("own", D("500.00"))]


def test_queued_past_year_payment_can_be_assigned_by_a_clerk_once_approved(person, staff, today):
    from payments import processing

    notice = credit(person, kind="own", year=2025, amount="300.00", paid_on=dt.date(2026, 4, 10))
    application = approve(enter(person, staff, years=[2025], tier="300.00"), staff)
    notice.refresh_from_db()
    assert notice.state == "credited"  # same amount: credited on approval
    assert application.years.get().receivable.status == "paid"
    with pytest.raises(RuleViolation):
        processing.notice_assign(notice.pk, person_id=person.pk, receivable_id=None)


# --- The supplementary pension (004) ----------------------------------------------------------------


def test_004_4_2_supplementary_credited_with_its_own_subsidy(person, today):
    notice = credit(person, kind="supplementary", year=2026, amount="500.00", paid_on=dt.date(2026, 3, 5))
    assert notice.state == "credited"
    assert ("supplementary_subsidy", D("120.00")) in _entries(person, 2026)
    assert _problems() == []


def test_004_1_2_supplementary_for_a_person_outside_the_basic_scheme_is_refused(tree, staff, today):
    outside = InsuredPersonFactory(village=tree["village11"], status=InsuredPerson.Status.SUSPENDED)
    notice = credit(outside, kind="supplementary", year=2026, amount="500.00", paid_on=dt.date(2026, 3, 5))
    assert notice.state == "unmatched" and notice.reason == Reason.NOT_IN_BASIC_SCHEME
    data = services.BackPaymentInput(outside, BackPaymentScheme.SUPPLEMENTARY, "interrupted", D("500.00"), [2025])
    with pytest.raises(RuleViolation) as caught:
        services.application_submit(data, user=staff["town"], agency_region=tree["township1"], today=today)
    assert caught.value.code == "not_in_basic_scheme"


def test_004_3_supplementary_once_a_year(person, today):
    credit(person, kind="supplementary", year=2026, amount="500.00", paid_on=dt.date(2026, 3, 5))
    second = credit(person, kind="supplementary", year=2026, amount="200.00", paid_on=dt.date(2026, 3, 6))
    assert second.state == "unmatched" and second.reason == Reason.SUPPLEMENTARY_ALREADY_PAID


def test_004_supplementary_back_payment_needs_an_approved_application(person, staff, today):
    waiting = credit(person, kind="supplementary", year=2025, amount="1000.00", paid_on=dt.date(2026, 4, 1))
    assert waiting.state == "unmatched" and waiting.reason == Reason.BACK_PAYMENT_REQUIRED
    application = enter(person, staff, years=[2025], tier="1000.00", scheme=BackPaymentScheme.SUPPLEMENTARY)
    approve(application, staff)
    waiting.refresh_from_db()
    assert waiting.state == "credited"
    assert _entries(person, 2025) == [("supplementary", D("1000.00"))]  # no supplementary subsidy
    assert Receivable.objects.get(source_ref=f"{application.number}-2025").kind == "supplementary"
    assert _problems() == []


def test_004_supplementary_back_payment_only_for_years_with_the_scheme(person, staff, today):
    with pytest.raises(RuleViolation) as caught:
        enter(person, staff, years=[2024], tier="500.00", scheme=BackPaymentScheme.SUPPLEMENTARY)
    assert caught.value.code == "no_supplementary_pension"


def test_004_7_3_6_aged_back_payment_through_the_service(tree, staff, today):
    aged = InsuredPersonFactory(
        village=tree["village11"], birth_date=dt.date(1966, 8, 1), enrolled_on=dt.date(2015, 1, 1), name="赵老汉"
    )
    for year in range(2015, 2027):  # 12 paid years
        credit(aged, year=year, amount="300.00", paid_on=dt.date(year, 3, 2))
    basis = BackPaymentApplication.Basis.AGED
    with pytest.raises(RuleViolation) as caught:
        enter(aged, staff, years=[2011, 2012, 2013, 2014], basis=basis)
    assert caught.value.code == "aged_over_fifteen"
    application = enter(aged, staff, years=[2012, 2013, 2014], basis=basis)
    assert application.total == D("1500.00")


# --- Withdrawn -------------------------------------------------------------------------------------


def test_withdrawn_after_approval_cancels_the_receivables(person, staff, today):
    application = approve(enter(person, staff, years=[2024, 2025]), staff)
    services.application_withdraw(application, user=staff["town"])
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN and application.closed_by == staff["town"]
    assert set(Receivable.objects.filter(source_type=services.SOURCE_TYPE).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert set(application.years.values_list("status", flat=True)) == {BackPaymentYear.Status.CLOSED}
    assert enter(person, staff, years=[2025]).status == Status.SUBMITTED  # the year is free again


def test_no_withdrawal_once_a_year_is_paid(person, staff, today):
    application = approve(enter(person, staff, years=[2024, 2025]), staff)
    r = application.years.get(year=2024).receivable
    credit(person, kind="back_payment", year=2024, amount="500.00", paid_on=today, receivable_no=r.number)
    with pytest.raises(RuleViolation) as caught:
        services.application_withdraw(application, user=staff["town"])
    assert caught.value.code == "back_payment_partly_paid"
    assert Receivable.objects.get(source_ref=f"{application.number}-2025").status == "open"
