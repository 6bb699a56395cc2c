"""Two workers process two batches at once (issue 14): a batch waits only for the person-years
and receivables another batch holds, and for the payments its reversals take back; every
guarantee of serial processing still holds."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings

from insured import ledger
from insured.models import AccountEntry
from payments import processing
from payments.models import ArrivalNotice, NoticeBatch, VoucherLine
from tests.factories import InsuredPersonFactory, first_village
from tests.payments.concurrency import check_ledger_clean, hold_after, in_thread
from tests.payments.conftest import notice
from tests.payments.helpers import store

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_of_other_persons_is_processed_while_another_batch_is_in_progress(tax_client, policy, monkeypatch):
    village = first_village(policy.region)
    first = [InsuredPersonFactory(village=village) for _ in range(3)]
    second = [InsuredPersonFactory(village=village) for _ in range(3)]
    slow = store(tax_client, [notice(p, voucher=f"VA{i}") for i, p in enumerate(first)], "SLOW")
    quick = store(tax_client, [notice(p, voucher=f"VB{i}") for i, p in enumerate(second)], "QUICK")

    # SLOW holds its person-years and its claim, and waits.
    hold = hold_after(monkeypatch, ledger, "person_years_lock", "slow-batch")
    thread = in_thread(processing.batch_process, slow.pk, name="slow-batch")
    try:
        assert hold.holding.wait(30), "the slow batch never reached its locks"
        # One batch at a time would make this wait for SLOW; it touches none of SLOW's person-years.
        assert processing.batch_process(quick.pk) is True
        assert NoticeBatch.objects.get(pk=slow.pk).status == NoticeBatch.Status.RECEIVED
    finally:
        hold.released.set()
        thread.join(60)
    assert not thread.is_alive()
    statuses = dict(NoticeBatch.objects.values_list("batch_id", "status"))
    assert statuses == {"SLOW": "processed", "QUICK": "processed"}
    assert ArrivalNotice.objects.filter(state=ArrivalNotice.State.CREDITED).count() == 6
    check_ledger_clean()


@pytest.mark.parametrize("round_no", range(3))
def test_two_workers_on_overlapping_batches_credit_each_payment_once(tax_client, policy, round_no):
    village = first_village(policy.region)
    persons = [InsuredPersonFactory(village=village) for _ in range(8)]
    # Both batches pay the same persons' own contributions for the year under different vouchers
    # (one of each pair is credited, the other waits: once a year), and repeat each other's lines
    # (the line stored first is the payment, the other a duplicate, whatever is processed first).
    left = [notice(p, voucher=f"L{round_no}-{i}") for i, p in enumerate(persons)]
    right = [notice(p, voucher=f"R{round_no}-{i}") for i, p in enumerate(reversed(persons))]
    repeated = [notice(p, voucher=f"L{round_no}-{i}") for i, p in enumerate(persons[:3])]
    batches = [
        store(tax_client, left, f"LEFT{round_no}"),
        store(tax_client, right + repeated, f"RIGHT{round_no}"),
    ]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(pk: int) -> None:
        try:
            start.wait(10)
            processing.batch_process(pk)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [in_thread(work, b.pk) for b in batches]
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert set(NoticeBatch.objects.values_list("status", flat=True)) == {"processed"}
    states = ArrivalNotice.objects.values_list("voucher_no", "line_no", "state")
    credited = [(v, line) for v, line, state in states if state == "credited"]
    assert len(credited) == len(set(credited))  # no voucher line credited twice
    assert ArrivalNotice.objects.filter(state="duplicate").count() == 3
    # Each person's own contribution for 2026 arrived once, from whichever batch came first.
    own_2026 = AccountEntry.objects.filter(kind=AccountEntry.Kind.OWN, year=2026)
    assert own_2026.count() == 8
    assert sorted(own_2026.values_list("person_id", flat=True)) == sorted(p.pk for p in persons)
    waiting = ArrivalNotice.objects.filter(state="unmatched")
    assert waiting.count() == 8
    assert set(waiting.values_list("reason", flat=True)) == {ArrivalNotice.Reason.OWN_ALREADY_PAID}
    check_ledger_clean()


def test_a_reversal_of_a_payment_in_a_batch_in_progress_waits_until_it_commits(tax_client, policy, monkeypatch):
    person = InsuredPersonFactory(village=first_village(policy.region))
    paying = store(tax_client, [notice(person, voucher="PAY")], "PAYING")
    reversing = store(
        tax_client,
        [notice(person, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})],
        "REVERSING",
    )
    hold = hold_after(monkeypatch, ledger, "person_years_lock", "paying")
    payer = in_thread(processing.batch_process, paying.pk, name="paying")
    reverser = None
    try:
        assert hold.holding.wait(30)
        # Another worker holds the payment's batch: the reversal's batch waits for it before any work.
        reverser = in_thread(processing.batch_process, reversing.pk, name="reversing")
        reverser.join(1)
        assert reverser.is_alive() and hold.reached == ["paying"]
    finally:
        hold.released.set()
        payer.join(60)
        if reverser is not None:
            reverser.join(60)
    assert not payer.is_alive() and not reverser.is_alive()
    assert hold.reached == ["paying", "reversing"]
    assert set(NoticeBatch.objects.values_list("status", flat=True)) == {"processed"}
    assert dict(ArrivalNotice.objects.values_list("voucher_no", "state")) == {"PAY": "reversed", "REV": "credited"}
    assert sum(AccountEntry.objects.values_list("amount", flat=True)) == Decimal("0.00")
    check_ledger_clean()


def test_a_reversal_waiting_for_a_batch_that_fails_is_sent_back(tax_client, policy, monkeypatch):
    person = InsuredPersonFactory(village=first_village(policy.region))
    paying = store(tax_client, [notice(person, voucher="PAY")], "PAYING")
    reversing = store(
        tax_client, [notice(person, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})], "REVERSING"
    )
    failure = RuntimeError("the worker crediting the payment fails")
    hold = hold_after(monkeypatch, ledger, "person_years_lock", "paying", then_raise=failure)
    outcome: list[BaseException] = []

    def reverse() -> None:
        try:
            processing.batch_process(reversing.pk)
        except BaseException as exc:  # checked below
            outcome.append(exc)

    def pay() -> None:
        with pytest.raises(RuntimeError):
            processing.batch_process(paying.pk)

    payer = in_thread(pay, name="paying")
    try:
        assert hold.holding.wait(30)
        reverser = in_thread(reverse, name="reversing")
        reverser.join(1)
        assert reverser.is_alive()
    finally:
        hold.released.set()
        payer.join(60)
    reverser.join(60)
    # The payment was not credited after all: the reversal goes back to wait, nothing written.
    assert len(outcome) == 1 and isinstance(outcome[0], processing.EarlierBatchWaiting)
    assert set(NoticeBatch.objects.values_list("status", flat=True)) == {"received"}
    assert not AccountEntry.objects.exists()


@pytest.mark.parametrize("round_no", range(2))
@override_settings(BATCH_PART_MIN_NOTICES=1000)  # one part a batch: the keys are the batches'
def test_parts_waiting_for_earlier_ones_never_wait_in_a_circle(tax_client, policy, monkeypatch, round_no):
    """A in hand; B reverses a payment of A; C reverses payments of A and of B. B and C both wait
    for A; once A commits, neither may keep A while it waits for the other (a circle PostgreSQL
    would break by aborting one)."""
    village = first_village(policy.region)
    x, y, z = (InsuredPersonFactory(village=village) for _ in range(3))
    a = store(tax_client, [notice(x, voucher="PA1"), notice(y, voucher="PA2")], f"A{round_no}")
    b = store(
        tax_client,
        [notice(z, voucher="PB"), notice(x, voucher="RA1", reverses={"voucher_no": "PA1", "line_no": 1})],
        f"B{round_no}",
    )
    c = store(
        tax_client,
        [
            notice(y, voucher="RA2", reverses={"voucher_no": "PA2", "line_no": 1}),
            notice(z, voucher="RB", reverses={"voucher_no": "PB", "line_no": 1}),
        ],
        f"C{round_no}",
    )
    hold = hold_after(monkeypatch, ledger, "person_years_lock", "A")
    # B has claimed its batch but looks for what it waits for only once C waits for A: C is then
    # first in line for A, and B second.
    c_waits = threading.Event()
    real_waiting = processing._earlier_parts_waiting

    def b_looks_late(batch_pk, client_id, reversals):
        if threading.current_thread().name == "B":
            assert c_waits.wait(30)
        return real_waiting(batch_pk, client_id, reversals)

    monkeypatch.setattr(processing, "_earlier_parts_waiting", b_looks_late)
    errors: list[BaseException] = []

    def work(pk: int) -> None:
        try:
            processing.batch_process(pk)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [in_thread(work, a.pk, name="A")]
    try:
        assert hold.holding.wait(30)
        threads.append(in_thread(work, b.pk, name="B"))
        threads[-1].join(0.5)
        threads.append(in_thread(work, c.pk, name="C"))
        threads[-1].join(0.5)
        c_waits.set()
        threads[1].join(0.5)
        assert all(t.is_alive() for t in threads)  # B and C wait for A
    finally:
        c_waits.set()
        hold.released.set()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert set(NoticeBatch.objects.values_list("status", flat=True)) == {"processed"}
    states = dict(ArrivalNotice.objects.values_list("voucher_no", "state"))
    assert states == {
        "PA1": "reversed",
        "PA2": "reversed",
        "PB": "reversed",
        "RA1": "credited",
        "RA2": "credited",
        "RB": "credited",
    }
    assert sum(AccountEntry.objects.values_list("amount", flat=True)) == Decimal("0.00")
    check_ledger_clean()


def test_a_reversal_never_overtakes_its_payment_stored_in_an_earlier_batch(tax_client, policy):
    person = InsuredPersonFactory(village=first_village(policy.region))
    paying = store(tax_client, [notice(person, voucher="PAY")], "PAYING")
    reversing = store(tax_client, [notice(person, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})], "REV")

    # A second worker picked up the later batch first: it is tried again, nothing written.
    with pytest.raises(processing.EarlierBatchWaiting):
        processing.batch_process(reversing.pk)
    assert NoticeBatch.objects.get(pk=reversing.pk).status == NoticeBatch.Status.RECEIVED
    assert not AccountEntry.objects.exists()

    processing.batch_process(paying.pk)
    processing.batch_process(reversing.pk)
    assert dict(ArrivalNotice.objects.values_list("voucher_no", "state")) == {"PAY": "reversed", "REV": "credited"}
    check_ledger_clean()


def test_a_reversal_of_a_payment_in_a_batch_that_keeps_failing_waits_in_the_queue(tax_client, policy):
    person = InsuredPersonFactory(village=first_village(policy.region))
    paying = store(tax_client, [notice(person, voucher="PAY")], "PAYING")
    reversing = store(tax_client, [notice(person, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})], "REV")
    NoticeBatch.objects.filter(pk=paying.pk).update(attempts=NoticeBatch.FAILING_AFTER, last_error="boom")

    processing.batch_process(reversing.pk)

    rev = ArrivalNotice.objects.get(voucher_no="REV")
    assert (rev.state, rev.reason) == ("unmatched", ArrivalNotice.Reason.REVERSAL_UNKNOWN)


def test_a_voucher_line_pushed_twice_at_once_is_first_for_the_push_that_stored_it_first(tax_client, policy):
    """Two pushes carry the same voucher line at the same moment: the second waits on the voucher
    line's unique key until the first commits, and its notice is the duplicate, whichever batch a
    worker takes first."""
    person = InsuredPersonFactory(village=first_village(policy.region))
    stored: dict[str, NoticeBatch] = {}
    with transaction.atomic():
        stored["first"] = store(tax_client, [notice(person, voucher="VX")], "FIRST")
        thread = in_thread(
            lambda: stored.setdefault("second", store(tax_client, [notice(person, voucher="VX")], "SECOND"))
        )
        thread.join(1)
        assert thread.is_alive(), "the second push did not wait for the first"
    thread.join(30)
    assert not thread.is_alive()

    lines = list(VoucherLine.objects.values_list("voucher_no", "line_no", "notice__batch__batch_id"))
    assert lines == [("VX", 1, "FIRST")]
    processing.batch_process(stored["second"].pk)
    processing.batch_process(stored["first"].pk)
    states = dict(ArrivalNotice.objects.values_list("batch__batch_id", "state"))
    assert states == {"FIRST": "credited", "SECOND": "duplicate"}
    check_ledger_clean()
