"""Government-paid contributions 政府代缴: receivables generated set-based for every member the
policy year pays for (003 二(一) 动态清零、应代尽代), and the crediting rules of rule 10 (002 四(三);
003 四(二)) and 002 四(三)'s 1 March tier rule in the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from collection import services
from insured.models import AccountEntry, InsuredPerson
from payments.models import ArrivalNotice, Receivable
from tests.accounts import county_tax_client, credit, push
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
Reason = ArrivalNotice.Reason


def _generate(tree, year: int = 2026) -> int:
    return services.gov_paid_generate(county=tree["county"], year=year)


def _receivables(person) -> list[Receivable]:
    return list(Receivable.objects.filter(person=person, kind="government_paid"))


def test_generation_makes_one_receivable_a_member_and_is_idempotent(tree, policy, person_at):
    member, outsider = person_at(), person_at()
    MembershipFactory(person=member)

    assert _generate(tree) == 1
    assert _generate(tree) == 0

    (receivable,) = _receivables(member)
    assert (receivable.amount, receivable.year, receivable.status) == (Decimal("100.00"), 2026, "open")
    assert (receivable.payer_name, receivable.due_date) == ("测试县财政局", dt.date(2026, 5, 31))
    assert receivable.source_type == services.GOV_PAID_SOURCE
    assert _receivables(outsider) == []


def test_generation_leaves_out_who_is_paid_for_dead_not_enrolled_or_of_a_group_not_paid(tree, policy, person_at):
    paid, dead, receiving, ended, unpaid_group = (person_at() for _ in range(5))
    dead.died_on = dt.date(2026, 1, 3)
    dead.save()
    receiving.status = InsuredPerson.Status.RECEIVING
    receiving.save()
    for person in (paid, dead, receiving):
        MembershipFactory(person=person)
    MembershipFactory(person=ended, valid_to=dt.date(2025, 12, 31))
    MembershipFactory(person=unpaid_group, group="family_planning_household")
    policy.gov_paid_groups = ["dibao_recipient"]
    policy.save()
    credit(paid, kind="government_paid", amount="100.00", paid_on=dt.date(2026, 3, 3))

    assert _generate(tree) == 0


def test_generation_is_set_based(tree, policy, person_at):
    """No query per person: ten members or fifty, the same number of queries."""

    def queries(n: int) -> int:
        for _ in range(n):
            MembershipFactory(person=person_at())
        with CaptureQueriesContext(connection) as captured:
            assert _generate(tree) == n
        return len(captured)

    assert queries(10) == queries(50)


def test_a_policy_without_a_payer_generates_nothing(tree, policy, person_at):
    MembershipFactory(person=person_at())
    policy.gov_paid_payer_id = ""
    policy.save()
    assert _generate(tree) == 0


def test_the_receivable_is_paid_and_credited_without_subsidy(tree, policy, person_at):
    member = person_at()
    MembershipFactory(person=member)
    _generate(tree)
    (receivable,) = _receivables(member)

    notice = credit(member, kind="government_paid", amount="100.00", receivable_no=receivable.number)

    assert notice.state == "credited"
    receivable.refresh_from_db()
    assert receivable.status == "paid"
    assert list(AccountEntry.objects.filter(person=member).values_list("kind", "amount")) == [
        ("government_paid", Decimal("100.00"))
    ]


def test_a_non_members_government_paid_notice_waits(policy, person_at):
    """Rule 10: only for members of a group the year pays for."""
    notice = credit(person_at(), kind="government_paid", amount="100.00")
    assert (notice.state, notice.reason) == ("unmatched", Reason.GOV_PAID_NOT_MEMBER)


def test_membership_must_hold_on_the_paid_date(policy, person_at):
    person = person_at()
    MembershipFactory(person=person, valid_from=dt.date(2026, 4, 1))
    early = credit(person, kind="government_paid", amount="100.00", paid_on=dt.date(2026, 3, 20))
    assert (early.state, early.reason) == ("unmatched", Reason.GOV_PAID_NOT_MEMBER)
    assert credit(person, kind="government_paid", amount="100.00", paid_on=dt.date(2026, 4, 2)).state == "credited"


def test_a_group_the_policy_does_not_pay_for_waits(policy, person_at):
    person = person_at()
    MembershipFactory(person=person, group="family_planning_household")
    policy.gov_paid_groups = ["dibao_recipient", "severely_disabled"]
    policy.save()
    assert credit(person, kind="government_paid", amount="100.00").reason == Reason.GOV_PAID_NOT_MEMBER


def test_two_government_paid_notices_for_one_person_year_one_credited_one_waits(policy, person_at):
    """Rule 10: at most one a person a year, in separate batches and in one batch."""
    first, second = person_at(), person_at()
    MembershipFactory(person=first)
    MembershipFactory(person=second)
    assert credit(first, kind="government_paid", amount="100.00").state == "credited"
    again = credit(first, kind="government_paid", amount="100.00")
    assert (again.state, again.reason) == ("unmatched", Reason.GOV_PAID_TWICE)

    client = county_tax_client(second)
    base = {
        "line_no": 1, "kind": "government_paid", "insured_id_number": second.id_no, "insured_name": second.name,
        "payer_name": "测试县财政局", "payer_id": policy.gov_paid_payer_id, "year": 2026, "amount": "100.00",
        "paid_at": "2026-03-05T10:00:00+08:00", "channel": "batch_client", "receivable_no": None, "reverses": None,
        "tax_office_code": None, "agency_code": None,
    }  # fmt: skip
    push(client, [base | {"voucher_no": "GPA"}, base | {"voucher_no": "GPB"}])
    states = sorted(ArrivalNotice.objects.filter(person=second).values_list("state", "reason"))
    assert states == [("credited", ""), ("unmatched", Reason.GOV_PAID_TWICE)]
    assert AccountEntry.objects.filter(person=second, kind="government_paid").count() == 1


def test_the_database_refuses_a_second_credited_government_paid_notice(policy, person_at):
    person = person_at()
    MembershipFactory(person=person)
    credit(person, kind="government_paid", amount="100.00")
    waiting = credit(person, kind="government_paid", amount="100.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArrivalNotice.objects.filter(pk=waiting.pk).update(state="credited", reason="")


def test_after_a_reversal_the_government_may_pay_again(policy, person_at):
    person = person_at()
    MembershipFactory(person=person)
    first = credit(person, kind="government_paid", amount="100.00", voucher="GP-1")
    client = county_tax_client(person)
    notice = {
        "voucher_no": "GP-R", "line_no": 1, "kind": "government_paid", "insured_id_number": person.id_no,
        "insured_name": person.name, "payer_name": "测试县财政局", "payer_id": policy.gov_paid_payer_id,
        "year": 2026, "amount": "100.00", "paid_at": "2026-03-06T10:00:00+08:00", "channel": "batch_client",
        "receivable_no": None, "reverses": {"voucher_no": first.voucher_no, "line_no": 1},
        "tax_office_code": None, "agency_code": None,
    }  # fmt: skip
    push(client, [notice])
    assert credit(person, kind="government_paid", amount="100.00", voucher="GP-2").state == "credited"


def test_before_1_march_a_member_may_pay_the_hardship_tier(policy, person_at):
    """Rule 7 (002 二): the 100-yuan tier is for the hardship groups."""
    person = person_at()
    MembershipFactory(person=person)
    assert credit(person, amount="100.00", paid_on=dt.date(2026, 2, 20)).state == "credited"


def test_from_1_march_a_person_the_government_pays_for_chooses_another_tier(policy, person_at):
    """002 四(三): 如个人除政府代缴外又缴费的，于3月1日后，重新选择除100元外的缴费档次."""
    person, other = person_at(), person_at()
    for p in (person, other):
        MembershipFactory(person=p)
    credit(person, kind="government_paid", amount="100.00", paid_on=dt.date(2026, 3, 1))

    refused = credit(person, amount="100.00", paid_on=dt.date(2026, 3, 1))
    assert (refused.state, refused.reason) == ("unmatched", Reason.NOT_A_TIER)
    assert credit(person, amount="500.00", paid_on=dt.date(2026, 3, 2)).state == "credited"
    # A live government-paid receivable says the same before its payment arrives.
    services.gov_paid_generate(county=policy.region, year=2026)
    assert credit(other, amount="100.00", paid_on=dt.date(2026, 3, 9)).reason == Reason.NOT_A_TIER


def test_a_member_the_government_does_not_pay_for_keeps_the_hardship_tier_after_1_march(policy, person_at):
    person = person_at()
    MembershipFactory(person=person)
    assert credit(person, amount="100.00", paid_on=dt.date(2026, 3, 9)).state == "credited"
