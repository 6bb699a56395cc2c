"""Each refund case's computation on one known account (issue 10 item 1; 人社部发〔2014〕17号 六;
国发〔2014〕8号; rule 9, 000 三(三)): what goes to the payee, what goes back to the fund."""

from decimal import Decimal

import pytest

from refunds import services
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, MembershipFactory
from tests.refunds.conftest import applicant_of, duplicate_notice, heir_of, refund_input, support_credit

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def account(person):
    """Own 500 (+60 subsidy), collective 1000, sponsorship 800, government-paid 100 in 2026."""
    MembershipFactory(person=person, group="dibao_recipient")
    assert credit(person, kind="government_paid", amount="100.00").state == "credited"
    support_credit(person, "1000.00", kind="collective", ref="C1")
    support_credit(person, "800.00", kind="sponsorship", ref="S1")
    return {e.kind: e.pk for e in person.entries.all()}


def _plan(person, code, kinds, heir=False):
    chosen = [pk for kind, pk in kinds.items() if kind in kinds]
    return services.application_check(
        refund_input(person, code, entries=chosen, applicant=heir_of(person) if heir else applicant_of(person)),
        agency_region=None,
    )


def _lines(plan):
    return sorted((x.kind, x.amount, x.destination) for x in plan.lines)


def test_duplicate_returns_the_own_contribution_and_sends_its_subsidy_back(person, account):
    plan = _plan(person, "duplicate", {"own": account["own"]})
    assert (plan.payee_amount, plan.fund_amount) == (D("500.00"), D("60.00"))
    assert _lines(plan) == [("government_subsidy", D("60.00"), "fund"), ("own", D("500.00"), "payee")]


def test_duplicate_from_the_queue_returns_the_whole_waiting_payment(person):
    notice = duplicate_notice(person, amount="1000.00")
    plan = services.application_check(
        refund_input(person, "duplicate", entries=[], notices=[notice.pk]), agency_region=None
    )
    assert (plan.payee_amount, plan.fund_amount) == (D("1000.00"), D("0.00"))
    assert plan.years == [2026]


def test_employee_pension_returns_own_and_support_and_sends_government_money_back(person, account):
    plan = _plan(
        person, "employee_pension", {k: account[k] for k in ("own", "collective", "sponsorship", "government_paid")}
    )
    assert (plan.payee_amount, plan.fund_amount) == (D("2300.00"), D("160.00"))
    assert _lines(plan) == [
        ("collective", D("1000.00"), "payee"),
        ("government_paid", D("100.00"), "fund"),
        ("government_subsidy", D("60.00"), "fund"),
        ("own", D("500.00"), "payee"),
        ("sponsorship", D("800.00"), "payee"),
    ]


def test_two_places_returns_the_own_contribution_only(person, account):
    plan = _plan(person, "two_places", {k: account[k] for k in ("own", "government_paid")})
    assert (plan.payee_amount, plan.fund_amount) == (D("500.00"), D("160.00"))


def test_error_returns_a_payment_that_is_not_a_tier_from_the_queue(tree):
    person = InsuredPersonFactory(village=tree["village11"])
    notice = credit(person, amount="450.00")
    assert notice.reason == "not_a_tier"
    plan = services.application_check(
        refund_input(person, "error", entries=[], notices=[notice.pk]), agency_region=None
    )
    assert (plan.payee_amount, plan.fund_amount) == (D("450.00"), D("0.00"))


def test_death_pays_the_whole_balance_to_the_heir(person, account):
    plan = _plan(person, "death", account, heir=True)
    assert (plan.payee_amount, plan.fund_amount) == (D("2460.00"), D("0.00"))
    assert plan.applicant.relation == "child"


def test_emigration_settles_the_balance_without_the_government_money(person, account):
    plan = _plan(person, "emigration", account)
    assert (plan.payee_amount, plan.fund_amount) == (D("2300.00"), D("160.00"))
    assert plan.payee_amount + plan.fund_amount == sum(person.entries.values_list("amount", flat=True))
