"""Each rule of DESIGN.md §"The rules": the happy path and every rejection with its code."""

import datetime as dt
from decimal import Decimal

import pytest

from insured import ledger, rules
from insured.models import InsuredPerson, PersonYear
from insured.rules import RuleViolation
from insured.selectors import policy_for
from tests.accounts import credit
from tests.factories import (
    InsuredPersonFactory,
    MembershipFactory,
    first_village,
    make_id_no,
    region_tree,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 22)


def _own(person, amount="500.00"):
    assert credit(person, amount=amount).state == "credited"


# Rule 1 — cap (notice 000 二; notice 001 二(二)).
def test_rule1_cap_allows_up_to_the_top_tier():
    rules.check_cap(year=2026, cap=Decimal("5000"), used=Decimal("3000"), amount=Decimal("2000"))


def test_rule1_cap_refuses_one_cent_over():
    with pytest.raises(RuleViolation) as exc:
        rules.check_cap(year=2026, cap=Decimal("5000"), used=Decimal("3000"), amount=Decimal("2000.01"))
    assert exc.value.code == "cap_exceeded"
    assert "000" in exc.value.message and "2,000.00" in exc.value.message


def test_rule1_cap_unknown_when_tiers_missing():
    with pytest.raises(RuleViolation) as exc:
        rules.check_cap(year=2026, cap=None, used=Decimal("0"), amount=Decimal("10"))
    assert exc.value.code == "policy_tiers_missing"


def test_rule1_zero_amount_refused():
    with pytest.raises(RuleViolation) as exc:
        rules.check_cap(year=2026, cap=Decimal("5000"), used=Decimal("0"), amount=Decimal("0"))
    assert exc.value.code == "amount_not_positive"


def test_rule1_reservation_counts_approved_but_unpaid(person):
    _own(person)
    ledger.support_reserve(person=person, year=2026, amount=Decimal("4000"))
    with pytest.raises(RuleViolation) as exc:
        ledger.support_reserve(person=person, year=2026, amount=Decimal("1000.01"))
    assert exc.value.code == "cap_exceeded"
    assert PersonYear.objects.get(person=person, year=2026).support_reserved == Decimal("4000.00")


def test_rule1_release_gives_room_back(person):
    _own(person)
    ledger.support_reserve(person=person, year=2026, amount=Decimal("5000"))
    ledger.support_release(person=person, year=2026, amount=Decimal("5000"))
    ledger.support_reserve(person=person, year=2026, amount=Decimal("5000"))


# Rule 2 — own contribution first (notice 000 一(三); notice 001 二(二)).
def test_rule2_reserve_refused_before_own_contribution(person):
    with pytest.raises(RuleViolation) as exc:
        ledger.support_reserve(person=person, year=2026, amount=Decimal("100"))
    assert exc.value.code == "own_contribution_missing"
    assert not PersonYear.objects.filter(person=person, support_reserved__gt=0).exists()


def test_rule2_government_paid_counts_only_when_policy_says_so(person, policy):
    MembershipFactory(person=person)  # rule 10: the government pays for members of its groups
    credit(person, kind="government_paid", amount="100.00")
    with pytest.raises(RuleViolation):
        ledger.support_reserve(person=person, year=2026, amount=Decimal("100"))
    policy.gov_paid_counts_as_own = True
    policy.save()
    ledger.support_reserve(person=person, year=2026, amount=Decimal("100"))


# Rule 3 — enrolled, local, not receiving benefits (notice 000 一; notice 001 附件1).
def test_rule3_enrolled_local_person_passes(person, policy):
    rules.check_can_receive_support(person, policy.region)


def test_rule3_receiving_benefits_refused(person):
    person.status = InsuredPerson.Status.RECEIVING
    with pytest.raises(RuleViolation) as exc:
        rules.check_can_receive_support(person)
    assert exc.value.code == "receiving_benefits"


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_rule3_not_enrolled_refused(person, status):
    person.status = status
    with pytest.raises(RuleViolation) as exc:
        rules.check_can_receive_support(person)
    assert exc.value.code == "not_enrolled"


def test_rule3_person_of_another_county_refused(person):
    elsewhere = region_tree("622901", "别县")["county"]
    with pytest.raises(RuleViolation) as exc:
        rules.check_can_receive_support(person, elsewhere)
    assert exc.value.code == "not_local"


# Rule 4 — current year only (notice 000 二).
def test_rule4_current_year_passes():
    rules.check_current_year(2026, TODAY)


def test_rule4_past_year_refused():
    with pytest.raises(RuleViolation) as exc:
        rules.check_current_year(2025, TODAY)
    assert exc.value.code == "past_year"


def test_rule4_future_year_refused():
    with pytest.raises(RuleViolation) as exc:
        rules.check_current_year(2027, TODAY)
    assert exc.value.code == "future_year"


# Rule 5 — no government subsidy on support or back payment (notice 000 二; notice 003 六(三)).
@pytest.mark.parametrize("kind", ["sponsorship", "collective", "social", "back_payment", "government_paid"])
def test_rule5_no_subsidy_on_unsubsidised_kinds(policy, kind):
    assert rules.government_subsidy_for(kind, Decimal("500"), policy) == Decimal("0")


def test_rule5_own_contribution_gets_its_tier_subsidy(policy):
    assert rules.government_subsidy_for("own", Decimal("2000.00"), policy) == Decimal("180.00")


def test_rule5_subsidy_not_entered_refuses_to_guess(policy):
    policy.tiers.filter(amount=Decimal("300")).update(government_subsidy=None)
    with pytest.raises(RuleViolation) as exc:
        rules.government_subsidy_for("own", Decimal("300"), policy)
    assert exc.value.code == "subsidy_not_configured"


# Rule 6 — sponsor 18 or older (notice 000 一(一)).
def test_rule6_sponsor_of_18_passes():
    assert rules.check_sponsor_age(make_id_no(dt.date(2008, 11, 22), 15), TODAY) == 18


def test_rule6_sponsor_one_day_short_of_18_refused():
    with pytest.raises(RuleViolation) as exc:
        rules.check_sponsor_age(make_id_no(dt.date(2008, 11, 23), 15), TODAY)
    assert exc.value.code == "sponsor_under_18"
    assert exc.value.field == "sponsor_id_no"


def test_rule6_sponsor_with_bad_id_refused():
    with pytest.raises(RuleViolation) as exc:
        rules.check_sponsor_age("211370198001010010", TODAY)
    assert exc.value.code == "sponsor_id_invalid"


# Rule 7 — own contribution is a tier; hardship tier only for special groups (notice 002 二).
def test_rule7_tier_amount_passes(person, policy):
    rules.check_own_contribution_tier(
        policy, Decimal("300.00"), groups=lambda: person.active_groups(TODAY), name=person.name
    )


def test_rule7_amount_between_tiers_refused(person, policy):
    with pytest.raises(RuleViolation) as exc:
        rules.check_own_contribution_tier(
            policy, Decimal("350.00"), groups=lambda: person.active_groups(TODAY), name=person.name
        )
    assert exc.value.code == "tier_invalid"
    assert "300" in exc.value.message  # lists the tiers


def test_rule7_hardship_tier_refused_outside_groups(person, policy):
    with pytest.raises(RuleViolation) as exc:
        rules.check_own_contribution_tier(
            policy, Decimal("100.00"), groups=lambda: person.active_groups(TODAY), name=person.name
        )
    assert exc.value.code == "hardship_tier_not_allowed"


def test_rule7_hardship_tier_allowed_for_group_member(person, policy):
    MembershipFactory(person=person)
    rules.check_own_contribution_tier(
        policy, Decimal("100.00"), groups=lambda: person.active_groups(TODAY), name=person.name
    )


def test_rule7_expired_membership_does_not_count(person, policy):
    MembershipFactory(person=person, valid_to=dt.date(2025, 12, 31))
    with pytest.raises(RuleViolation):
        rules.check_own_contribution_tier(
            policy, Decimal("100.00"), groups=lambda: person.active_groups(TODAY), name=person.name
        )


def test_rule7_hardship_tier_only_for_groups_the_policy_names(person, policy):
    policy.hardship_groups = ["severely_disabled"]
    policy.save()
    MembershipFactory(person=person, group="family_planning_household")
    with pytest.raises(RuleViolation):
        rules.check_own_contribution_tier(
            policy, Decimal("100.00"), groups=lambda: person.active_groups(TODAY), name=person.name
        )


def test_rule7_enforced_when_crediting(person):
    notice = credit(person, amount="350.00")
    assert (notice.state, notice.reason) == ("unmatched", "not_a_tier")
    assert not person.entries.exists()


# Rule 8 — auto-void (notice 000 四).
def test_rule8_void_due_only_after_the_year():
    assert rules.is_void_due(2026, dt.date(2026, 12, 31)) is False
    assert rules.is_void_due(2026, dt.date(2027, 1, 1)) is True


# Rule 9 — no refund once credited (notice 000 三(三)).
def test_rule9_credited_cannot_be_withdrawn():
    rules.check_withdrawable(False)
    with pytest.raises(RuleViolation) as exc:
        rules.check_withdrawable(True)
    assert exc.value.code == "credited_no_refund"


# Eligibility (notice 002 一; notice 003 三(一); notice 004 一(一)).
@pytest.fixture
def candidate(policy):
    def build(**overrides):
        fields = {"village": first_village(policy.region), "birth_date": dt.date(1980, 1, 1)}
        return InsuredPersonFactory.build(**(fields | overrides))

    return build


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("is_student", "student"),
        ("has_employee_pension", "employee_pension"),
        ("has_land_acquired_scheme", "land_acquired_scheme"),
    ],
)
def test_eligibility_refusals(candidate, field, code):
    rules.check_eligibility(candidate(), TODAY)
    with pytest.raises(RuleViolation) as exc:
        rules.check_eligibility(candidate(**{field: True}), TODAY)
    assert exc.value.code == code


def test_eligibility_age_16(candidate):
    rules.check_eligibility(candidate(birth_date=dt.date(2010, 11, 22)), TODAY)
    with pytest.raises(RuleViolation) as exc:
        rules.check_eligibility(candidate(birth_date=dt.date(2010, 11, 23)), TODAY)
    assert exc.value.code == "under_16"


# The policy for a person is the most specific one covering their village.
def test_policy_for_prefers_county_over_city_and_province(person, policy):
    from insured.models import PolicyYear

    city = policy.region.parent
    PolicyYear.objects.create(region=city, year=2026, title="市")
    PolicyYear.objects.create(region=city.parent, year=2026, title="省")
    assert policy_for(person.village, 2026) == policy
    PolicyYear.objects.create(region=city.parent, year=2025, title="省2025")
    assert policy_for(person.village, 2025).title == "省2025"


def test_policy_missing_is_a_rule_violation(person):
    with pytest.raises(RuleViolation) as exc:
        policy_for(person.village, 2019)
    assert exc.value.code == "policy_missing"
