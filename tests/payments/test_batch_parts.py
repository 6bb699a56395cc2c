"""A batch is processed in parts, each a set of persons (issue 14): two workers credit the parts
of one batch side by side, the part that commits last marks the batch processed, and every
guarantee of processing a batch whole still holds."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from insured import ledger
from insured.models import AccountEntry
from payments import handlers, processing, selectors, services, storage, tasks
from payments.models import ArrivalNotice, NoticeBatch
from tests.factories import InsuredPersonFactory, first_village
from tests.payments.concurrency import check_ledger_clean, hold_after, in_thread, part_of
from tests.payments.conftest import notice
from tests.payments.helpers import store, stranger

pytestmark = pytest.mark.django_db(transaction=True)


def _persons_in_both_parts(village, count: int):
    """At least `count` registered persons, some in each of two parts."""
    persons = [InsuredPersonFactory(village=village) for _ in range(count)]
    while {part_of(p.id_no, 2) for p in persons} != {0, 1}:
        persons.append(InsuredPersonFactory(village=village))
    return persons


def test_a_batch_is_cut_in_parts_by_its_size(tax_client, policy):
    person = InsuredPersonFactory(village=first_village(policy.region))
    assert settings.BATCH_PART_MIN_NOTICES == 2  # the test settings: every batch of two or more
    one = store(tax_client, [notice(person, voucher="ONE")], "ONE")
    two = store(tax_client, [notice(person, voucher="TWO", line=i) for i in (1, 2)], "TWO")
    assert (one.parts, two.parts) == (1, settings.BATCH_PARTS)
    with override_settings(BATCH_PARTS=99, BATCH_PART_MIN_NOTICES=1):
        assert services.parts_for(1) == processing.MAX_PARTS
    with override_settings(BATCH_PART_MIN_NOTICES=1000):
        assert services.parts_for(999) == 1 and services.parts_for(1000) == settings.BATCH_PARTS


def test_the_parts_split_the_notices_by_person_the_same_way_in_every_batch(tax_client, policy):
    persons = _persons_in_both_parts(first_village(policy.region), 40)
    first = store(tax_client, [notice(p, voucher=f"A{i}") for i, p in enumerate(persons)], "A")
    second = store(tax_client, [notice(p, voucher=f"B{i}", kind="own") for i, p in enumerate(persons)], "B")
    for stored in (first, second):
        sizes = [storage.of_part(stored.notices.all(), p, 2).count() for p in range(2)]
        assert sum(sizes) == len(persons) and min(sizes) > 0  # each notice in one part, and both parts used
    for part in range(2):
        # The same persons in the same part of both batches, where the ID number's hash puts them.
        ids = {
            b: set(storage.of_part(b.notices.all(), part, 2).values_list("insured_id_no", flat=True))
            for b in (first, second)
        }
        assert ids[first] == ids[second] == {p.id_no for p in persons if part_of(p.id_no, 2) == part}
    # Four parts cut the same notices finer; every notice still in exactly one.
    assert sum(storage.of_part(first.notices.all(), p, 4).count() for p in range(4)) == len(persons)


def test_the_part_that_commits_last_marks_the_batch_processed(tax_client, policy, monkeypatch):
    persons = _persons_in_both_parts(first_village(policy.region), 20)
    stored = store(tax_client, [notice(p, voucher=f"V{i}") for i, p in enumerate(persons)], "PARTS")
    assert stored.parts == 2
    finished = []
    monkeypatch.setattr(handlers, "batch_processed", lambda pk: finished.append(pk))
    in_part = [storage.of_part(stored.notices.all(), p, 2).count() for p in range(2)]

    assert processing.batch_process(stored.pk, 1) is False
    batch = NoticeBatch.objects.get(pk=stored.pk)
    assert (batch.status, batch.credited_count, finished) == ("received", in_part[1], [])
    assert stored.notices.filter(state="received").count() == in_part[0]

    assert processing.batch_process(stored.pk, 1) is False  # a repeat changes nothing
    assert NoticeBatch.objects.get(pk=stored.pk).credited_count == in_part[1]

    assert processing.batch_process(stored.pk, 0) is True
    batch = NoticeBatch.objects.get(pk=stored.pk)
    assert (batch.status, batch.credited_count, finished) == ("processed", len(persons), [stored.pk])
    assert batch.processed_at is not None
    assert processing.batch_process(stored.pk) is False  # processed: left alone
    assert AccountEntry.objects.filter(kind=AccountEntry.Kind.OWN).count() == len(persons)
    with pytest.raises(ValueError):
        processing.batch_process(stored.pk, 2)
    check_ledger_clean()


def test_two_workers_credit_the_two_parts_of_one_batch_side_by_side(tax_client, policy, monkeypatch):
    persons = _persons_in_both_parts(first_village(policy.region), 20)
    stored = store(tax_client, [notice(p, voucher=f"V{i}") for i, p in enumerate(persons)], "SIDE")
    # Part 0 holds its person-years and its claim, and waits.
    hold = hold_after(monkeypatch, ledger, "person_years_lock", "part-0")
    thread = in_thread(processing.batch_process, stored.pk, 0, name="part-0")
    try:
        assert hold.holding.wait(30), "part 0 never reached its locks"
        # Part 1 touches none of part 0's persons: it commits while part 0 is in progress.
        assert processing.batch_process(stored.pk, 1) is False
        assert NoticeBatch.objects.get(pk=stored.pk).status == "received"
        # The sweep sees the batch in hand (part 0's claim) and leaves it alone.
        NoticeBatch.objects.filter(pk=stored.pk).update(received_at=stored.received_at.replace(year=2020))
        assert stored.pk not in selectors.batches_to_redispatch()
    finally:
        hold.released.set()
        thread.join(60)
    assert not thread.is_alive()
    batch = NoticeBatch.objects.get(pk=stored.pk)
    assert (batch.status, batch.credited_count, batch.unmatched_count) == ("processed", len(persons), 0)
    check_ledger_clean()


def test_two_workers_on_the_parts_of_overlapping_batches_credit_each_payment_once(tax_client, policy):
    """Four tasks (two batches of the same persons, two parts each) on four threads at once."""
    persons = _persons_in_both_parts(first_village(policy.region), 16)
    left = store(tax_client, [notice(p, voucher=f"L{i}") for i, p in enumerate(persons)], "LEFT")
    right = store(
        tax_client,
        [notice(p, voucher=f"R{i}") for i, p in enumerate(persons)] + [notice(persons[0], voucher="L0")],
        "RIGHT",
    )
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(pk: int, part: int) -> None:
        try:
            start.wait(10)
            processing.batch_process(pk, part)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [in_thread(work, b.pk, part) for b in (left, right) for part in range(2)]
    for thread in threads:
        thread.join(60)
    assert errors == []
    batches = {b.batch_id: b for b in NoticeBatch.objects.all()}
    assert {b.status for b in batches.values()} == {"processed"}
    own = AccountEntry.objects.filter(kind=AccountEntry.Kind.OWN, year=2026)
    assert sorted(own.values_list("person_id", flat=True)) == sorted(p.pk for p in persons)  # once each
    assert ArrivalNotice.objects.filter(state="duplicate").count() == 1
    assert ArrivalNotice.objects.filter(state="unmatched", reason="own_already_paid").count() == len(persons)
    counted = sum(b.credited_count + b.duplicate_count + b.unmatched_count for b in batches.values())
    assert counted == 2 * len(persons) + 1  # every notice counted once, by the part that decided it
    check_ledger_clean()


def test_a_reversal_of_another_persons_payment_in_another_part_does_not_match(tax_client, policy):
    """Processed whole, the batch credits the payment, then finds the reversal names another
    person. In parts the payment may still wait in the other part: the reversal is refused the same."""
    village = first_village(policy.region)
    persons = _persons_in_both_parts(village, 12)
    payer = next(p for p in persons if part_of(p.id_no, 2) == 0)
    other = next(p for p in persons if part_of(p.id_no, 2) == 1)
    payment = notice(payer, voucher="PAY")
    reversal = notice(other, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})
    mixed = store(tax_client, [payment, reversal], "MIXED")
    assert mixed.parts == 2

    assert processing.batch_process(mixed.pk, 1) is False  # the reversal's part first
    rev = ArrivalNotice.objects.get(voucher_no="REV")
    assert (rev.state, rev.reason) == ("unmatched", ArrivalNotice.Reason.REVERSAL_MISMATCH)
    assert processing.batch_process(mixed.pk, 0) is True
    assert ArrivalNotice.objects.get(voucher_no="PAY").state == "credited"
    assert AccountEntry.objects.filter(source_key__startswith="reversal:").count() == 0
    check_ledger_clean()


def test_a_reversal_in_the_same_part_as_its_payment_takes_it_back(tax_client, policy):
    person = InsuredPersonFactory(village=first_village(policy.region))
    others = _persons_in_both_parts(first_village(policy.region), 8)
    stored = store(
        tax_client,
        [notice(person, voucher="PAY"), notice(person, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})]
        + [notice(p, voucher=f"O{i}") for i, p in enumerate(others)],
        "BOTH",
    )
    assert processing.batch_process(stored.pk) is True
    states = dict(ArrivalNotice.objects.filter(voucher_no__in=["PAY", "REV"]).values_list("voucher_no", "state"))
    assert states == {"PAY": "reversed", "REV": "credited"}
    assert sum(AccountEntry.objects.filter(person=person).values_list("amount", flat=True)) == Decimal("0.00")
    batch = NoticeBatch.objects.get(pk=stored.pk)
    assert (batch.credited_count, batch.reversed_count) == (len(others) + 1, 1)
    check_ledger_clean()


def test_a_batch_is_handed_to_the_workers_one_task_a_part(tax_client, policy, monkeypatch):
    persons = _persons_in_both_parts(first_village(policy.region), 4)
    stored = store(tax_client, [notice(p, voucher=f"V{i}") for i, p in enumerate(persons)], "SENT")
    sent = []
    monkeypatch.setattr(tasks.process_batch, "delay", lambda *args: sent.append(args))
    assert tasks._send(stored.pk) is True
    assert sent == [(stored.pk, 0), (stored.pk, 1)]
    # A message from before batches had parts (no part) processes the whole batch.
    # .result, not .get(): get() refuses to run while Celery believes it is inside a worker, a flag
    # process-wide that an earlier test may leave set.
    result = tasks.process_batch.apply(args=[stored.pk])
    assert result.successful() and result.result is True
    assert NoticeBatch.objects.get(pk=stored.pk).status == "processed"


def test_the_sweep_sees_any_part_in_hand(tax_client, policy):
    persons = _persons_in_both_parts(first_village(policy.region), 4)
    stored = store(tax_client, [notice(p, voucher=f"V{i}") for i, p in enumerate(persons)], "HAND")
    NoticeBatch.objects.filter(pk=stored.pk).update(received_at=stored.received_at.replace(year=2020))
    assert selectors.batches_to_redispatch() == [stored.pk]
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"])
    try:
        # Another worker is processing the batch's second part.
        holder.execute("SELECT pg_advisory_lock(%s::int, %s::int)", [processing.BATCH_LOCK_CLASS + 1, stored.pk])
        assert selectors.batches_to_redispatch() == []
        # The worker lets go (a closed connection's locks go only once its server process has
        # ended, which a busy machine may not have done by the next line).
        holder.execute("SELECT pg_advisory_unlock_all()")
        assert selectors.batches_to_redispatch() == [stored.pk]
    finally:
        holder.close()


def test_a_part_delivered_again_while_the_last_part_finishes_the_batch_does_nothing(tax_client, policy, monkeypatch):
    persons = _persons_in_both_parts(first_village(policy.region), 6)
    stored = store(tax_client, [notice(p, voucher=f"V{i}") for i, p in enumerate(persons)], "AGAIN")
    assert processing.batch_process(stored.pk, 0) is False
    paused, released = threading.Event(), threading.Event()
    real_wait = processing._wait_for_earlier_parts

    def pause_then_wait(batch_pk, client_id, reversals):
        if threading.current_thread().name == "again":
            paused.set()  # part 0 again: it read the batch waiting, and found nothing left to do
            assert released.wait(30)
        return real_wait(batch_pk, client_id, reversals)

    monkeypatch.setattr(processing, "_wait_for_earlier_parts", pause_then_wait)
    outcome: list = []
    again = in_thread(lambda: outcome.append(processing.batch_process(stored.pk, 0)), name="again")
    try:
        assert paused.wait(30)
        assert processing.batch_process(stored.pk, 1) is True  # the last part finishes the batch
    finally:
        released.set()
        again.join(60)
    assert outcome == [False]  # no error: the batch was finished by the other part
    batch = NoticeBatch.objects.get(pk=stored.pk)
    assert (batch.status, batch.credited_count) == ("processed", len(persons))


def test_a_reversal_of_a_payment_assigned_by_hand_locks_the_assigned_persons_year(tax_client, policy):
    """The payment names an ID no one is registered under; a clerk assigned it to X. Its reversal
    names the same ID and takes the payment back from X: X's person-year is locked with the rest."""
    village = first_village(policy.region)
    x = InsuredPersonFactory(village=village)
    unknown = stranger(village)
    paid = store(tax_client, [notice(unknown, voucher="PAY")], "PAY")
    processing.batch_process(paid.pk)
    waiting = ArrivalNotice.objects.get(voucher_no="PAY")
    assert waiting.state == "unmatched"
    processing.notice_assign(waiting.pk, person_id=x.pk, receivable_id=None)

    reversing = store(tax_client, [notice(unknown, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})], "REV")
    reversals = reversing.notices.exclude(reverses_voucher_no="")
    assert processing._reversal_person_years(reversals) == {(x.pk, 2026)}
    processing.batch_process(reversing.pk)
    assert dict(ArrivalNotice.objects.values_list("voucher_no", "state")) == {"PAY": "reversed", "REV": "credited"}
    assert sum(AccountEntry.objects.filter(person=x).values_list("amount", flat=True)) == Decimal("0.00")
    check_ledger_clean()


def test_a_batch_in_parts_keeps_failing_after_as_many_failures_a_part(tax_client, policy):
    persons = _persons_in_both_parts(first_village(policy.region), 4)
    stored = store(tax_client, [notice(p, voucher=f"V{i}") for i, p in enumerate(persons)], "FAILS")
    # Both parts failed once a round, for FAILING_AFTER rounds less one: not failing yet.
    NoticeBatch.objects.filter(pk=stored.pk).update(attempts=2 * NoticeBatch.FAILING_AFTER - 1, last_error="boom")
    assert not NoticeBatch.objects.get(pk=stored.pk).is_failing
    assert selectors.waiting_work().failing == 0
    NoticeBatch.objects.filter(pk=stored.pk).update(attempts=2 * NoticeBatch.FAILING_AFTER)
    assert NoticeBatch.objects.get(pk=stored.pk).is_failing
    assert selectors.waiting_work().failing == 1


def test_the_waiting_work_counts_the_notices_of_the_parts_not_yet_processed(tax_client, policy):
    persons = _persons_in_both_parts(first_village(policy.region), 6)
    stored = store(tax_client, [notice(p, voucher=f"V{i}") for i, p in enumerate(persons)], "HALF")
    assert selectors.waiting_work().notices == len(persons)
    processing.batch_process(stored.pk, 0)
    in_part_1 = sum(part_of(p.id_no, 2) == 1 for p in persons)
    assert (selectors.waiting_work().batches, selectors.waiting_work().notices) == (1, in_part_1)
    processing.batch_process(stored.pk, 1)
    assert (selectors.waiting_work().batches, selectors.waiting_work().notices) == (0, 0)


def test_a_reversal_whose_payment_is_assigned_meanwhile_is_tried_again(tax_client, policy, monkeypatch):
    """The part chose its locks while the payment still waited; a clerk then assigned the payment
    to X. The part must not post to X's year unlocked: it is tried again, and locks it."""
    village = first_village(policy.region)
    x = InsuredPersonFactory(village=village)
    unknown = stranger(village)
    processing.batch_process(store(tax_client, [notice(unknown, voucher="PAY")], "PAY").pk)
    waiting = ArrivalNotice.objects.get(voucher_no="PAY")
    reversing = store(tax_client, [notice(unknown, voucher="REV", reverses={"voucher_no": "PAY", "line_no": 1})], "REV")
    real_choice = processing._reversal_person_years
    assign = processing.notice_assign

    def choose_then_assign(reversals):
        chosen = real_choice(reversals)
        if not AccountEntry.objects.filter(person=x).exists():
            clerk = in_thread(lambda: assign(waiting.pk, person_id=x.pk, receivable_id=None))
            clerk.join(30)
        return chosen

    monkeypatch.setattr(processing, "_reversal_person_years", choose_then_assign)
    with pytest.raises(processing.PaymentAssignedMeanwhile):
        processing.batch_process(reversing.pk)
    assert ArrivalNotice.objects.get(voucher_no="PAY").state == "credited"  # the clerk's assignment stands
    assert processing.batch_process(reversing.pk) is True
    assert dict(ArrivalNotice.objects.values_list("voucher_no", "state")) == {"PAY": "reversed", "REV": "credited"}
    assert sum(AccountEntry.objects.filter(person=x).values_list("amount", flat=True)) == Decimal("0.00")
    check_ledger_clean()
