"""Crediting arrival notices (issue 3, items 3 and 4): duplicates, every unmatched reason,
the subsidy rules per kind, reversals, running a batch twice, and the file route."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from insured.models import AccountEntry, InsuredPerson, PolicyTier
from payments import processing, services, storage
from payments.intake import CSV_COLUMNS
from payments.models import ArrivalNotice, NoticeBatch, Receivable, VoucherLine
from tests.factories import InsuredPersonFactory, MembershipFactory, PolicyYearFactory, first_village
from tests.payments.conftest import batch, notice
from tests.payments.helpers import (
    SPONSOR_ID,
    balance,
    entries_of,
    ledger,
    notice_row,
    own_paid,
    person_year,
    process,
    store,
    stranger,
    support_receivable,
)

pytestmark = pytest.mark.django_db

Reason = ArrivalNotice.Reason
ZERO = Decimal("0.00")


def _sponsorship(person, receivable, voucher: str = "VS1", **extra) -> dict:
    fields = {
        "kind": receivable.kind,
        "amount": f"{receivable.amount:.2f}",
        "payer_name": "资助人",
        "payer_id": SPONSOR_ID,
        "receivable_no": receivable.number,
    }
    fields.update(extra)
    return notice(person, voucher=voucher, **fields)


def _assert_waiting(voucher: str, reason: str) -> ArrivalNotice:
    row = notice_row(voucher)
    assert (row.state, row.reason) == (ArrivalNotice.State.UNMATCHED, reason)
    assert row.processed_at is not None
    assert entries_of(voucher) == 0
    return row


# --- crediting ------------------------------------------------------------------------------


def test_own_contribution_is_credited_with_its_tier_subsidy(tax_client, insured):
    """Rule 7 (002 二): a tier of the year, and beside it the tier's government subsidy."""
    stored = process(tax_client, [notice(insured, amount="1000.00")])

    assert ledger(insured) == [("government_subsidy", Decimal("100.00")), ("own", Decimal("1000.00"))]
    row = notice_row("V0001")
    assert (row.state, row.reason, row.person_id) == ("credited", "", insured.pk)
    py = person_year(insured)
    assert py.own_amount == Decimal("1000.00")
    assert str(py.own_arrived_on) == "2026-03-02"
    assert (stored.status, stored.credited_count, stored.unmatched_count) == ("processed", 1, 0)


def test_hardship_tier_is_credited_for_a_member_of_a_hardship_group(tax_client, insured):
    """002 二: the 100 yuan tier is for the hardship groups the policy names."""
    MembershipFactory(person=insured)

    process(tax_client, [notice(insured, amount="100.00")])

    assert ledger(insured) == [("government_subsidy", Decimal("30.00")), ("own", Decimal("100.00"))]
    assert notice_row("V0001").state == "credited"


def test_sponsorship_with_its_receivable_is_credited_without_subsidy(tax_client, insured):
    """Rule 5 (000 二): no government subsidy on sponsorship; the reservation becomes credit."""
    receivable = support_receivable(insured, "1000.00")
    assert person_year(insured).support_reserved == Decimal("1000.00")

    stored = process(tax_client, [_sponsorship(insured, receivable)])

    assert AccountEntry.objects.filter(source_key__startswith="notice:VS1:").count() == 1
    entry = AccountEntry.objects.get(source_key="notice:VS1:1")
    assert (entry.kind, entry.amount, entry.person_id) == ("sponsorship", Decimal("1000.00"), insured.pk)
    py = person_year(insured)
    assert (py.support_reserved, py.support_credited) == (ZERO, Decimal("1000.00"))
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.PAID
    assert receivable.paid_at == notice_row("VS1").paid_at
    assert notice_row("VS1").receivable_id == receivable.pk
    assert stored.credited_count == 1


def test_collective_subsidy_with_its_receivable_is_credited_without_subsidy(tax_client, insured):
    """Rule 5 (000 二; 001 附件1 四): the collective subsidy carries no government subsidy."""
    receivable = support_receivable(insured, "300.00", kind="collective")

    process(tax_client, [_sponsorship(insured, receivable, payer_id="N2211370MA0000007M")])

    assert AccountEntry.objects.filter(source_key__startswith="notice:VS1:").count() == 1
    assert AccountEntry.objects.get(source_key="notice:VS1:1").kind == "collective"
    assert person_year(insured).support_credited == Decimal("300.00")
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.PAID


def test_back_payment_with_its_receivable_is_credited_without_subsidy(tax_client, insured, policy):
    """003 六(三): a back payment earns no government subsidy."""
    PolicyYearFactory(region=policy.region, year=2025)
    receivable = services.receivable_create(
        person=insured,
        kind="back_payment",
        payer_name=insured.name,
        payer_id=insured.id_no,
        year=2025,
        amount=Decimal("2000.00"),
        due_date=dt.date(2025, 12, 31),
        source_type="test",
        source_ref="BP1",
    )

    process(tax_client, [_sponsorship(insured, receivable, voucher="VB1", year=2025, payer_id=insured.id_no)])

    assert ledger(insured, 2025) == [("back_payment", Decimal("2000.00"))]
    assert notice_row("VB1").state == "credited"
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.PAID


def test_government_paid_contribution_of_the_policy_amount_is_credited(tax_client, insured):
    """003 四(二): the government pays the contribution for the special groups; no subsidy beside it."""
    MembershipFactory(person=insured)
    process(tax_client, [notice(insured, kind="government_paid", amount="100.00", payer_name="县财政局")])

    assert ledger(insured) == [("government_paid", Decimal("100.00"))]
    py = person_year(insured)
    assert (py.gov_paid_amount, py.own_amount) == (Decimal("100.00"), ZERO)
    assert notice_row("V0001").state == "credited"


def test_supplementary_contribution_gets_its_supplementary_subsidy(tax_client, insured, policy):
    """004 四(二): a supplementary pension tier and its own subsidy."""
    PolicyTier.objects.create(
        policy_year=policy, scheme="supplementary", amount=Decimal("1000.00"), government_subsidy=Decimal("50.00")
    )

    process(tax_client, [notice(insured, kind="supplementary", amount="1000.00")])

    assert ledger(insured) == [("supplementary", Decimal("1000.00")), ("supplementary_subsidy", Decimal("50.00"))]
    assert notice_row("V0001").state == "credited"
    assert person_year(insured).own_amount == ZERO


# --- duplicates -----------------------------------------------------------------------------


def test_same_voucher_line_twice_in_one_batch_credits_once(tax_client, insured):
    stored = process(tax_client, [notice(insured), notice(insured)])

    assert ledger(insured) == [("government_subsidy", Decimal("60.00")), ("own", Decimal("500.00"))]
    assert sorted(ArrivalNotice.objects.values_list("state", flat=True)) == ["credited", "duplicate"]
    assert (stored.credited_count, stored.duplicate_count, stored.unmatched_count) == (1, 1, 0)
    assert person_year(insured).own_amount == Decimal("500.00")


def test_same_voucher_line_in_a_second_batch_credits_once(tax_client, insured):
    process(tax_client, [notice(insured)], batch_id="B1")
    second = process(tax_client, [notice(insured)], batch_id="B2")

    assert ledger(insured) == [("government_subsidy", Decimal("60.00")), ("own", Decimal("500.00"))]
    assert second.notices.get().state == "duplicate"
    assert (second.credited_count, second.duplicate_count) == (0, 1)
    assert person_year(insured).own_amount == Decimal("500.00")


def test_each_voucher_line_is_recorded_once_with_the_notice_stored_first(tax_client, insured):
    first = process(tax_client, [notice(insured), notice(insured)], batch_id="B1")
    second = process(tax_client, [notice(insured), notice(insured, line=2)], batch_id="B2")

    first_notice = first.notices.order_by("id").first()
    recorded = {(v.voucher_no, v.line_no): v.notice_id for v in VoucherLine.objects.all()}
    line_two = second.notices.get(line_no=2)
    assert recorded == {("V0001", 1): first_notice.pk, ("V0001", 2): line_two.pk}
    assert storage.first_notices(ArrivalNotice.objects.filter(batch=second)) == recorded


def test_a_later_batch_processed_first_is_still_the_duplicate(tax_client, insured):
    """The first notice of a line is the one stored first, whatever order the batches are
    processed in (two workers may take them the other way round)."""
    stored = [store(tax_client, [notice(insured)], b) for b in ("B1", "B2")]

    processing.batch_process(stored[1].pk)
    processing.batch_process(stored[0].pk)

    assert stored[1].notices.get().state == "duplicate"
    assert stored[0].notices.get().state == "credited"
    assert ledger(insured) == [("government_subsidy", Decimal("60.00")), ("own", Decimal("500.00"))]


def test_other_line_of_the_same_voucher_is_not_a_duplicate(tax_client, insured, policy):
    other = InsuredPersonFactory(village=first_village(policy.region))

    stored = process(tax_client, [notice(insured, line=1), notice(other, line=2)])

    assert stored.credited_count == 2
    assert balance(insured) == balance(other) == Decimal("560.00")


def test_same_reversal_in_a_second_batch_reverses_once(tax_client, insured):
    process(tax_client, [notice(insured)], batch_id="B1")
    reversal = notice(insured, voucher="R1", reverses={"voucher_no": "V0001", "line_no": 1})
    process(tax_client, [reversal], batch_id="B2")
    third = process(tax_client, [reversal], batch_id="B3")

    assert third.notices.get().state == "duplicate"
    assert third.duplicate_count == 1
    assert balance(insured) == ZERO
    assert AccountEntry.objects.filter(person=insured, kind="reversal").count() == 2


def test_processing_the_same_batch_twice_changes_nothing(tax_client, insured):
    stored = process(tax_client, [notice(insured), notice(insured, voucher="V2", amount="1000.00")])
    before = (list(AccountEntry.objects.order_by("pk").values_list("pk", "amount")), person_year(insured).own_amount)

    assert processing.batch_process(stored.pk) is False

    after = (list(AccountEntry.objects.order_by("pk").values_list("pk", "amount")), person_year(insured).own_amount)
    assert after == before
    again = NoticeBatch.objects.get(pk=stored.pk)
    assert (again.credited_count, again.unmatched_count) == (stored.credited_count, stored.unmatched_count)
    assert notice_row("V2").reason == Reason.OWN_ALREADY_PAID


# --- the unmatched queue: every reason, credited nowhere ---------------------------------------


def test_unknown_person_waits_as_person_unknown(tax_client, insured):
    stored = process(tax_client, [notice(stranger(insured.village))])

    row = _assert_waiting("V0001", Reason.PERSON_UNKNOWN)
    assert row.person_id is None
    assert AccountEntry.objects.count() == 0
    assert stored.unmatched_count == 1


def test_closed_person_waits_as_person_closed(tax_client, policy):
    closed = InsuredPersonFactory(village=first_village(policy.region), status=InsuredPerson.Status.CLOSED)

    process(tax_client, [notice(closed)])

    _assert_waiting("V0001", Reason.PERSON_CLOSED)
    assert ledger(closed) == []
    assert person_year(closed).own_amount == ZERO


def test_unknown_receivable_number_waits_as_no_receivable(tax_client, insured):
    process(tax_client, [notice(insured, kind="sponsorship", amount="1000.00", receivable_no="YS2026000099999")])

    _assert_waiting("V0001", Reason.NO_RECEIVABLE)
    assert person_year(insured).support_credited == ZERO


@pytest.mark.parametrize("kind", ["sponsorship", "collective", "social", "back_payment"])
def test_support_or_back_payment_without_a_receivable_waits_as_receivable_required(tax_client, insured, kind):
    """Rule 1 (000 二): support counts against the cap, so it must come through an approved receivable."""
    own_paid(insured)

    process(tax_client, [notice(insured, kind=kind, amount="1000.00")])

    _assert_waiting("V0001", Reason.RECEIVABLE_REQUIRED)
    assert person_year(insured).support_credited == ZERO


def test_second_payment_of_a_paid_receivable_waits_as_receivable_paid(tax_client, insured):
    receivable = support_receivable(insured)
    process(tax_client, [_sponsorship(insured, receivable, voucher="VS1")], batch_id="B1")

    process(tax_client, [_sponsorship(insured, receivable, voucher="VS2")], batch_id="B2")

    _assert_waiting("VS2", Reason.RECEIVABLE_PAID)
    assert person_year(insured).support_credited == Decimal("1000.00")
    assert AccountEntry.objects.filter(person=insured, kind="sponsorship").count() == 1


def test_two_payments_of_one_receivable_in_one_batch_credit_once(tax_client, insured):
    receivable = support_receivable(insured)

    stored = process(
        tax_client, [_sponsorship(insured, receivable, voucher="VS1"), _sponsorship(insured, receivable, voucher="VS2")]
    )

    assert notice_row("VS1").state == "credited"
    _assert_waiting("VS2", Reason.RECEIVABLE_PAID)
    assert (stored.credited_count, stored.unmatched_count) == (1, 1)
    assert person_year(insured).support_credited == Decimal("1000.00")


@pytest.mark.parametrize("close", [services.receivable_void, services.receivable_cancel], ids=["voided", "cancelled"])
def test_late_payment_of_a_closed_receivable_waits_as_receivable_closed(tax_client, insured, close):
    """000 四: sponsorship unpaid at the end of its year is void; a payment after that goes to
    the queue (to be refunded), not to the account."""
    receivable = support_receivable(insured)
    assert close(receivable) is True

    process(tax_client, [_sponsorship(insured, receivable)])

    _assert_waiting("VS1", Reason.RECEIVABLE_CLOSED)
    receivable.refresh_from_db()
    assert receivable.status in (Receivable.Status.VOIDED, Receivable.Status.CANCELLED)
    assert receivable.paid_at is None
    assert person_year(insured).support_credited == ZERO
    assert AccountEntry.objects.filter(person=insured, kind="sponsorship").count() == 0


@pytest.mark.parametrize("change", ["person", "kind", "year"])
def test_payment_not_matching_its_receivable_waits_as_receivable_mismatch(tax_client, insured, policy, change):
    receivable = support_receivable(insured)
    payer = insured
    extra: dict = {}
    if change == "person":
        payer = InsuredPersonFactory(village=insured.village)
    elif change == "kind":
        extra["kind"] = "social"
    else:
        extra["year"] = 2025

    process(tax_client, [_sponsorship(payer, receivable, **extra)])

    _assert_waiting("VS1", Reason.RECEIVABLE_MISMATCH)
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.OPEN
    assert person_year(insured).support_credited == ZERO
    assert person_year(payer).support_credited == ZERO


def test_payment_differing_from_its_receivable_waits_as_amount_mismatch(tax_client, insured):
    receivable = support_receivable(insured)

    process(tax_client, [_sponsorship(insured, receivable, amount="999.00")])

    _assert_waiting("VS1", Reason.AMOUNT_MISMATCH)
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.OPEN
    py = person_year(insured)
    assert (py.support_reserved, py.support_credited) == (Decimal("1000.00"), ZERO)


def test_unreserved_sponsorship_beyond_the_cap_waits(tax_client, insured):
    """Rule 1 (000 二): sponsorship in a year never exceeds the top tier (5000 here); a receivable
    nothing was reserved for is credited only while the cap allows."""
    own_paid(insured)
    receivable = support_receivable(insured, "5000.01", reserve=False)

    process(tax_client, [_sponsorship(insured, receivable)])

    _assert_waiting("VS1", Reason.CAP_EXCEEDED)
    assert person_year(insured).support_credited == ZERO


def test_own_contribution_that_is_not_a_tier_waits_as_not_a_tier(tax_client, insured):
    """Rule 7 (002 二): the own contribution is one of the year's tiers."""
    process(tax_client, [notice(insured, amount="450.00")])

    _assert_waiting("V0001", Reason.NOT_A_TIER)
    py = person_year(insured)
    assert (py.own_amount, py.own_arrived_on) == (ZERO, None)


def test_hardship_tier_for_a_non_member_waits_as_not_a_tier(tax_client, insured):
    """Rule 7 (002 二): the 100 yuan tier only for a person in a hardship group."""
    process(tax_client, [notice(insured, amount="100.00")])

    _assert_waiting("V0001", Reason.NOT_A_TIER)
    py = person_year(insured)
    assert (py.own_amount, py.own_arrived_on) == (ZERO, None)


def test_supplementary_amount_that_is_not_a_supplementary_tier_waits_as_not_a_tier(tax_client, insured):
    """004 四(二): supplementary contributions are tiers of their own."""
    process(tax_client, [notice(insured, kind="supplementary", amount="1000.00")])

    _assert_waiting("V0001", Reason.NOT_A_TIER)
    assert ledger(insured) == []


def test_second_own_contribution_of_a_year_waits_as_own_already_paid(tax_client, insured):
    """002 二: one own contribution a year; a second one waits to be refunded."""
    process(tax_client, [notice(insured, voucher="V1")], batch_id="B1")

    process(tax_client, [notice(insured, voucher="V2", amount="1000.00")], batch_id="B2")

    _assert_waiting("V2", Reason.OWN_ALREADY_PAID)
    assert person_year(insured).own_amount == Decimal("500.00")
    assert balance(insured) == Decimal("560.00")


def test_two_own_contributions_in_one_batch_credit_the_first_only(tax_client, insured):
    process(tax_client, [notice(insured, voucher="V1"), notice(insured, voucher="V2", amount="1000.00")])

    assert notice_row("V1").state == "credited"
    _assert_waiting("V2", Reason.OWN_ALREADY_PAID)
    assert person_year(insured).own_amount == Decimal("500.00")


# Paid in its own year: paid later it would be a back payment, waiting for its approval (rule 5).
PAID_IN_2025 = "2025-03-02T10:15:00+08:00"


def test_own_contribution_for_a_year_without_policy_waits_as_policy_incomplete(tax_client, insured):
    process(tax_client, [notice(insured, year=2025, paid_at=PAID_IN_2025)])

    _assert_waiting("V0001", Reason.POLICY_INCOMPLETE)
    py = person_year(insured, 2025)
    assert (py.own_amount, py.own_arrived_on) == (ZERO, None)


def test_own_contribution_for_a_year_without_tiers_waits_as_policy_incomplete(tax_client, insured, policy):
    PolicyYearFactory(region=policy.region, year=2025, tiers=[])

    process(tax_client, [notice(insured, year=2025, paid_at=PAID_IN_2025)])

    _assert_waiting("V0001", Reason.POLICY_INCOMPLETE)
    py = person_year(insured, 2025)
    assert (py.own_amount, py.own_arrived_on) == (ZERO, None)


def test_own_contribution_whose_tier_subsidy_is_not_entered_waits_without_touching_the_year(
    tax_client, insured, policy
):
    """Rule 5: the subsidy beside an own contribution must be known before it is credited; while
    it waits, the person-year must not say the own contribution arrived (rule 2 reads it)."""
    PolicyYearFactory(region=policy.region, year=2025, tiers=[("500", None)])

    process(tax_client, [notice(insured, year=2025, paid_at=PAID_IN_2025)])

    _assert_waiting("V0001", Reason.POLICY_INCOMPLETE)
    py = person_year(insured, 2025)
    assert (py.own_amount, py.own_arrived_on) == (ZERO, None)


@pytest.mark.parametrize("amount", ["200.00", "99.99"])
def test_government_paid_other_than_the_policy_amount_waits_as_gov_paid_mismatch(tax_client, insured, amount):
    process(tax_client, [notice(insured, kind="government_paid", amount=amount)])

    _assert_waiting("V0001", Reason.GOV_PAID_MISMATCH)
    assert person_year(insured).gov_paid_amount == ZERO


def test_government_paid_when_the_policy_has_no_amount_waits_as_gov_paid_mismatch(tax_client, insured, policy):
    type(policy).objects.filter(pk=policy.pk).update(gov_paid_amount=None)

    process(tax_client, [notice(insured, kind="government_paid", amount="100.00")])

    _assert_waiting("V0001", Reason.GOV_PAID_MISMATCH)
    assert person_year(insured).gov_paid_amount == ZERO


def test_reversal_of_an_unknown_voucher_waits_as_reversal_unknown(tax_client, insured):
    stored = process(tax_client, [notice(insured, voucher="R1", reverses={"voucher_no": "NOPE", "line_no": 1})])

    _assert_waiting("R1", Reason.REVERSAL_UNKNOWN)
    assert AccountEntry.objects.count() == 0
    assert (stored.unmatched_count, stored.reversed_count) == (1, 0)


def test_reversal_of_a_payment_that_was_never_credited_waits_as_reversal_unknown(tax_client, insured):
    process(tax_client, [notice(insured, amount="450.00")], batch_id="B1")  # not a tier: waiting

    process(
        tax_client,
        [notice(insured, voucher="R1", amount="450.00", reverses={"voucher_no": "V0001", "line_no": 1})],
        batch_id="B2",
    )

    _assert_waiting("R1", Reason.REVERSAL_UNKNOWN)
    assert notice_row("V0001").state == ArrivalNotice.State.UNMATCHED
    assert AccountEntry.objects.count() == 0


def test_second_reversal_of_one_payment_waits_as_reversal_unknown(tax_client, insured):
    process(tax_client, [notice(insured)], batch_id="B1")
    rev = {"reverses": {"voucher_no": "V0001", "line_no": 1}}

    process(tax_client, [notice(insured, voucher="R1", **rev), notice(insured, voucher="R2", **rev)], batch_id="B2")

    assert notice_row("R1").state == "credited"
    _assert_waiting("R2", Reason.REVERSAL_UNKNOWN)
    assert balance(insured) == ZERO
    assert person_year(insured).own_amount == ZERO


@pytest.mark.parametrize("change", ["amount", "kind", "person"])
def test_reversal_not_matching_the_payment_waits_as_reversal_mismatch(tax_client, insured, change):
    process(tax_client, [notice(insured)], batch_id="B1")
    who, extra = insured, {}
    if change == "amount":
        extra["amount"] = "300.00"
    elif change == "kind":
        extra["kind"] = "government_paid"
    else:
        who = InsuredPersonFactory(village=insured.village)

    process(
        tax_client, [notice(who, voucher="R1", reverses={"voucher_no": "V0001", "line_no": 1}, **extra)], batch_id="B2"
    )

    _assert_waiting("R1", Reason.REVERSAL_MISMATCH)
    assert notice_row("V0001").state == "credited"
    assert balance(insured) == Decimal("560.00")
    assert person_year(insured).own_amount == Decimal("500.00")


# --- reversals ------------------------------------------------------------------------------


def test_reversal_of_a_credited_own_contribution_posts_the_opposite_entries(tax_client, insured):
    process(tax_client, [notice(insured)], batch_id="B1")

    stored = process(
        tax_client, [notice(insured, voucher="R1", reverses={"voucher_no": "V0001", "line_no": 1})], batch_id="B2"
    )

    assert ledger(insured) == [
        ("government_subsidy", Decimal("60.00")),
        ("own", Decimal("500.00")),
        ("reversal", Decimal("-500.00")),
        ("reversal", Decimal("-60.00")),
    ]
    reversals = AccountEntry.objects.filter(kind="reversal")
    originals = AccountEntry.objects.filter(source_key__startswith="notice:V0001:")
    assert {r.reverses_id for r in reversals} == {o.pk for o in originals}
    assert balance(insured) == ZERO
    py = person_year(insured)
    assert (py.own_amount, py.own_arrived_on) == (ZERO, None)
    assert notice_row("V0001").state == ArrivalNotice.State.REVERSED
    assert notice_row("R1").state == ArrivalNotice.State.CREDITED
    assert (stored.reversed_count, stored.unmatched_count) == (1, 0)


def test_reversal_in_the_same_batch_as_its_payment(tax_client, insured):
    stored = process(
        tax_client,
        # The reversal comes first in the batch: payments are still processed before reversals.
        [notice(insured, voucher="R1", reverses={"voucher_no": "V0001", "line_no": 1}), notice(insured)],
    )

    assert notice_row("V0001").state == ArrivalNotice.State.REVERSED
    assert notice_row("R1").state == ArrivalNotice.State.CREDITED
    assert balance(insured) == ZERO
    assert AccountEntry.objects.filter(kind="reversal").count() == 2
    py = person_year(insured)
    assert (py.own_amount, py.own_arrived_on) == (ZERO, None)
    assert (stored.credited_count, stored.reversed_count) == (1, 1)


def test_own_contribution_after_a_reversal_is_credited_again(tax_client, insured):
    """After tax took the own contribution back, the year has none: a new one is credited."""
    process(
        tax_client, [notice(insured), notice(insured, voucher="R1", reverses={"voucher_no": "V0001", "line_no": 1})]
    )

    process(tax_client, [notice(insured, voucher="V2", amount="1000.00")], batch_id="B2")

    assert notice_row("V2").state == "credited"
    assert balance(insured) == Decimal("1100.00")
    assert person_year(insured).own_amount == Decimal("1000.00")


def test_reversal_of_a_sponsorship_reopens_the_receivable_and_its_reservation(tax_client, insured):
    """Rule 1 (000 二): the reopened receivable counts against the cap again."""
    receivable = support_receivable(insured)
    process(tax_client, [_sponsorship(insured, receivable)], batch_id="B1")

    process(
        tax_client,
        [_sponsorship(insured, receivable, voucher="RS1", reverses={"voucher_no": "VS1", "line_no": 1})],
        batch_id="B2",
    )

    receivable.refresh_from_db()
    assert (receivable.status, receivable.paid_at) == (Receivable.Status.SENT, None)
    py = person_year(insured)
    assert (py.support_reserved, py.support_credited) == (Decimal("1000.00"), ZERO)
    assert AccountEntry.objects.get(source_key__startswith="reversal:RS1:").amount == Decimal("-1000.00")
    assert notice_row("VS1").state == ArrivalNotice.State.REVERSED


def test_reopened_receivable_can_be_paid_again(tax_client, insured):
    receivable = support_receivable(insured)
    process(tax_client, [_sponsorship(insured, receivable)], batch_id="B1")
    process(
        tax_client,
        [_sponsorship(insured, receivable, voucher="RS1", reverses={"voucher_no": "VS1", "line_no": 1})],
        batch_id="B2",
    )

    process(tax_client, [_sponsorship(insured, receivable, voucher="VS2")], batch_id="B3")

    assert notice_row("VS2").state == "credited"
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.PAID
    py = person_year(insured)
    assert (py.support_reserved, py.support_credited) == (ZERO, Decimal("1000.00"))


def test_reversal_of_a_government_paid_contribution_takes_it_back(tax_client, insured):
    MembershipFactory(person=insured)
    process(tax_client, [notice(insured, kind="government_paid", amount="100.00")], batch_id="B1")

    process(
        tax_client,
        [
            notice(
                insured,
                voucher="R1",
                kind="government_paid",
                amount="100.00",
                reverses={"voucher_no": "V0001", "line_no": 1},
            )
        ],
        batch_id="B2",
    )

    assert balance(insured) == ZERO
    assert person_year(insured).gov_paid_amount == ZERO


# --- the file route ----------------------------------------------------------------------------


def _json_file(tmp_path, notices: list[dict], batch_id: str = "F0001", name: str = "notices.json"):
    path = tmp_path / name
    path.write_text(json.dumps(batch(notices, batch_id), ensure_ascii=False), encoding="utf-8")
    return path


def _csv_file(tmp_path, notices: list[dict], name: str = "F0002.csv", encoding: str = "utf-8"):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for n in notices:
        row = {k: v for k, v in n.items() if k != "reverses"}
        rev = n.get("reverses") or {}
        row["reverses_voucher_no"] = rev.get("voucher_no", "")
        row["reverses_line_no"] = rev.get("line_no", "")
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def _ingest(path, django_capture_on_commit_callbacks, **options) -> str:
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest_notices", str(path), client="tax-test", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_ingest_notices_loads_a_json_file_and_credits_it(
    tax_client, insured, tmp_path, django_capture_on_commit_callbacks
):
    path = _json_file(tmp_path, [notice(insured), notice(stranger(insured.village), voucher="V2")])

    output = _ingest(path, django_capture_on_commit_callbacks)

    stored = NoticeBatch.objects.get()
    assert (stored.batch_id, stored.source, stored.status) == ("F0001", "file", "processed")
    assert (stored.credited_count, stored.unmatched_count) == (1, 1)
    assert "stored" in output
    assert ledger(insured) == [("government_subsidy", Decimal("60.00")), ("own", Decimal("500.00"))]
    _assert_waiting("V2", Reason.PERSON_UNKNOWN)


def test_ingest_notices_twice_stores_the_json_file_once(
    tax_client, insured, tmp_path, django_capture_on_commit_callbacks
):
    path = _json_file(tmp_path, [notice(insured)])
    _ingest(path, django_capture_on_commit_callbacks)

    output = _ingest(path, django_capture_on_commit_callbacks)

    assert "already stored" in output
    assert NoticeBatch.objects.count() == 1
    assert ArrivalNotice.objects.count() == 1
    assert balance(insured) == Decimal("560.00")


def test_ingest_notices_refuses_another_file_under_the_same_batch_id(
    tax_client, insured, tmp_path, django_capture_on_commit_callbacks
):
    _ingest(_json_file(tmp_path, [notice(insured)]), django_capture_on_commit_callbacks)
    other = _json_file(tmp_path, [notice(insured, amount="1000.00")], name="other.json")

    with pytest.raises(CommandError, match="different content"):
        _ingest(other, django_capture_on_commit_callbacks)

    assert NoticeBatch.objects.count() == 1
    assert list(ArrivalNotice.objects.values_list("amount", flat=True)) == [Decimal("500.00")]


def test_ingest_notices_loads_a_csv_file_and_credits_it(
    tax_client, insured, tmp_path, django_capture_on_commit_callbacks
):
    other = InsuredPersonFactory(village=insured.village)
    path = _csv_file(
        tmp_path,
        [
            notice(insured),
            notice(insured, voucher="R1", reverses={"voucher_no": "V0001", "line_no": 1}),
            notice(other, voucher="V2", amount="1000.00", receivable_no=None),
        ],
    )

    _ingest(path, django_capture_on_commit_callbacks)

    stored = NoticeBatch.objects.get()
    assert (stored.batch_id, stored.source, stored.status) == ("F0002", "file", "processed")
    assert (stored.declared_count, stored.declared_total) == (3, Decimal("2000.00"))
    assert (stored.credited_count, stored.reversed_count, stored.unmatched_count) == (2, 1, 0)
    assert notice_row("V0001").state == ArrivalNotice.State.REVERSED
    assert (notice_row("R1").reverses_voucher_no, notice_row("R1").reverses_line_no) == ("V0001", 1)
    assert notice_row("V2").receivable_no == ""
    assert balance(insured) == ZERO
    assert person_year(insured).own_amount == ZERO
    assert ledger(other) == [("government_subsidy", Decimal("100.00")), ("own", Decimal("1000.00"))]


def test_ingest_notices_csv_with_a_batch_id_option(tax_client, insured, tmp_path, django_capture_on_commit_callbacks):
    _ingest(_csv_file(tmp_path, [notice(insured)]), django_capture_on_commit_callbacks, batch_id="CSV-2026-03-02")

    assert NoticeBatch.objects.get().batch_id == "CSV-2026-03-02"
    assert balance(insured) == Decimal("560.00")


def test_ingest_notices_twice_stores_the_csv_file_once(
    tax_client, insured, tmp_path, django_capture_on_commit_callbacks
):
    path = _csv_file(tmp_path, [notice(insured)])
    _ingest(path, django_capture_on_commit_callbacks)

    output = _ingest(path, django_capture_on_commit_callbacks)

    assert "already stored" in output
    assert NoticeBatch.objects.count() == 1
    assert ArrivalNotice.objects.count() == 1
    assert balance(insured) == Decimal("560.00")


def _bad_id(person) -> dict:
    bad = notice(person, voucher="V2")
    bad["insured_id_number"] = person.id_no[:17] + ("0" if person.id_no[17] != "0" else "1")
    return bad


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_ingest_notices_bad_file_stores_nothing(
    tax_client, insured, tmp_path, django_capture_on_commit_callbacks, kind
):
    notices = [notice(insured), _bad_id(insured)]
    path = _json_file(tmp_path, notices) if kind == "json" else _csv_file(tmp_path, notices)
    err = io.StringIO()

    with pytest.raises(CommandError, match="nothing was stored"):
        call_command("ingest_notices", str(path), client="tax-test", stdout=io.StringIO(), stderr=err)

    assert "notice 2 insured_id_number" in err.getvalue()
    assert NoticeBatch.objects.count() == 0
    assert ArrivalNotice.objects.count() == 0
    assert AccountEntry.objects.count() == 0


def test_ingest_notices_file_that_is_not_json_stores_nothing(tax_client, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"batch_id": "F1", "notices": [', encoding="utf-8")

    with pytest.raises(CommandError):
        call_command("ingest_notices", str(path), client="tax-test", stdout=io.StringIO(), stderr=io.StringIO())

    assert NoticeBatch.objects.count() == 0


def test_ingest_notices_csv_missing_a_column_stores_nothing(tax_client, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("voucher_no,line_no,amount\nV1,1,500.00\n", encoding="utf-8")

    with pytest.raises(CommandError):
        call_command("ingest_notices", str(path), client="tax-test", stdout=io.StringIO(), stderr=io.StringIO())

    assert NoticeBatch.objects.count() == 0


def test_ingest_notices_reads_a_csv_saved_by_chinese_excel_in_gbk(tax_client, insured, tmp_path):
    """Excel on a Chinese Windows saves CSV in GBK: the command reads it (GB18030), names intact."""
    path = _csv_file(tmp_path, [notice(insured)], encoding="gbk")

    call_command("ingest_notices", str(path), client="tax-test", stdout=io.StringIO(), stderr=io.StringIO())

    stored = ArrivalNotice.objects.get()
    assert stored.insured_name == insured.name
    assert stored.insured_id_no == insured.id_no


def test_ingest_notices_refuses_a_csv_that_is_not_text(tax_client, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"voucher_no,line_no\n\xff\xfe\x00\x81\x30\xff")

    with pytest.raises(CommandError):
        call_command("ingest_notices", str(path), client="tax-test", stdout=io.StringIO(), stderr=io.StringIO())

    assert NoticeBatch.objects.count() == 0


def test_ingest_notices_missing_file_exits_with_command_error(tax_client, tmp_path):
    with pytest.raises(CommandError):
        call_command("ingest_notices", str(tmp_path / "nowhere.json"), client="tax-test", stdout=io.StringIO())

    assert NoticeBatch.objects.count() == 0


def test_ingest_notices_for_an_inactive_client_exits_with_command_error(
    tax_client, insured, tmp_path, django_capture_on_commit_callbacks
):
    type(tax_client).objects.filter(pk=tax_client.pk).update(is_active=False)

    with pytest.raises(CommandError, match="no active tax client"):
        _ingest(_json_file(tmp_path, [notice(insured)]), django_capture_on_commit_callbacks)

    assert NoticeBatch.objects.count() == 0
