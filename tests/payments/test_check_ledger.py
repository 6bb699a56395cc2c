"""`manage.py check_ledger`: clean data passes; each planted difference is named and fails it."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from insured.models import AccountEntry, PersonYear
from payments.models import ArrivalNotice, VoucherLine
from tests.payments import test_reconciliation

pytestmark = pytest.mark.django_db

# The reconciliation tests' data set: two townships, a reversal, unmatched notices, a second county.
world = test_reconciliation.world


def check(*args: str) -> str:
    out = io.StringIO()
    call_command("check_ledger", *args, stdout=out)
    return out.getvalue()


def check_fails(*args: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="differences"):
        call_command("check_ledger", *args, stdout=out)
    return out.getvalue()


def test_clean_data_passes_with_a_summary(world):
    output = check()
    assert output.count("\n") == 1
    assert "Ledger agrees" in output
    assert "settled notices" in output


def test_clean_data_passes_for_a_year_and_a_region(world):
    assert "region 211370100000" in check("--year", "2026", "--region", "211370100000")


def test_unknown_region_is_refused(world):
    with pytest.raises(CommandError, match="no region"):
        check("--region", "999999999999")


def test_cached_own_amount_that_differs_from_the_ledger_is_named(world):
    a = world.persons["A"]
    PersonYear.objects.filter(person=a, year=2026).update(own_amount=Decimal("600.00"))
    output = check_fails()
    assert "居民A" in output and a.masked_id_no in output
    assert a.id_no not in output  # personal data: the check's output is masked (issue 12)
    assert "own_amount is 600.00, the ledger sums to 500.00" in output
    assert "居民B" not in output


def test_support_and_government_paid_figures_are_checked(world):
    PersonYear.objects.filter(person=world.persons["D"], year=2026).update(support_credited=Decimal("0.00"))
    PersonYear.objects.filter(person=world.persons["B"], year=2026).update(gov_paid_amount=Decimal("100.00"))
    output = check_fails()
    assert "居民D" in output and "support_credited is 0.00, the ledger sums to 200.00" in output
    assert "居民B" in output and "gov_paid_amount is 100.00" in output


def test_reversed_payment_sums_to_zero(world):
    # C's 1000 was reversed: own entries plus the reversal entries that reverse them come to zero.
    assert PersonYear.objects.get(person=world.persons["C"], year=2026).own_amount == Decimal("0.00")
    assert "Ledger agrees" in check("--region", "211370200000")


def test_entry_with_a_made_up_notice_key_is_named(world):
    b = world.persons["B"]
    AccountEntry.objects.create(
        person=b,
        year=2025,
        kind="back_payment",
        amount=Decimal("99.00"),
        source_type="notice",
        source_key="notice:FAKE:1",
    )
    output = check_fails("--year", "2025")
    assert "居民B" in output and "notice:FAKE:1" in output
    assert "no credited or reversed notice" in output


def test_entry_for_a_waiting_notice_is_named(world):
    e = world.persons["E"]
    AccountEntry.objects.create(
        person=e,
        year=2024,
        kind="back_payment",
        amount=Decimal("450.00"),
        source_type="notice",
        source_key="notice:V1:6",
    )
    output = check_fails()
    assert "居民E" in output and "notice:V1:6" in output


def test_credited_notice_without_its_entry_is_named(world):
    # A notice marked credited behind processing's back: nothing was ever posted for it.
    waiting = ArrivalNotice.objects.get(voucher_no="V1", line_no=7)
    ArrivalNotice.objects.filter(pk=waiting.pk).update(state="credited", reason="")
    output = check_fails()
    assert "居民F" in output and "has no ledger entry notice:V1:7" in output


def test_reversed_mark_without_reversal_entries_is_named(world):
    ArrivalNotice.objects.filter(voucher_no="V1", line_no=1).update(state="reversed")
    output = check_fails()
    assert "居民A" in output
    assert "reversed, but its entry is not offset by a reversal entry" in output
    assert "reversed, but its subsidy entry is not offset" in output
    assert "no credited reversal notice names it" in output


def test_duplicate_marked_credited_is_named(world):
    # The second V1/2 was stored after the first: it is a duplicate whatever its state says.
    duplicate = ArrivalNotice.objects.get(voucher_no="V1", line_no=2, state="duplicate")
    ArrivalNotice.objects.filter(pk=duplicate.pk).update(state="credited")
    output = check_fails()
    assert "居民B" in output
    assert "is credited, but another notice of its voucher line was stored first" in output


def test_notice_without_its_voucher_line_is_named(world):
    VoucherLine.objects.filter(voucher_no="V1", line_no=9).delete()
    output = check_fails()
    assert "居民H" in output and "V1/9 has no voucher line recorded" in output


def test_subsidy_that_is_not_the_tiers_is_named(world, policy_tier_subsidy_change):
    output = check_fails()
    assert "居民A" in output and "subsidy posted 60.00, the tier's subsidy is 65.00" in output


@pytest.fixture
def policy_tier_subsidy_change(world):
    from insured.models import PolicyTier

    PolicyTier.objects.filter(
        policy_year__region=world.tree["county"], amount=Decimal("500.00"), scheme="basic"
    ).update(government_subsidy=Decimal("65.00"))


def test_command_exits_non_zero_from_the_shell(world):
    PersonYear.objects.filter(person=world.persons["A"], year=2026).update(own_amount=Decimal("1.00"))
    with pytest.raises(CommandError) as caught:
        call_command("check_ledger", stdout=io.StringIO())
    assert caught.value.returncode == 1
