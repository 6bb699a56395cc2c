"""The rules of the special groups and the government's money, one by one, with their clauses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from insured import rules
from insured.models import PolicyYear

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("word", "group"),
    [
        ("脱贫人口", "poverty_alleviated"),
        ("未参保的建档立卡贫困人员", "poverty_alleviated"),  # 002 四(三)'s name for them
        ("低 保", "dibao_recipient"),
        ("特困人员", "extreme_poverty_person"),
        ("重度残疾人", "severely_disabled"),
        ("计生两户", "family_planning_household"),
    ],
)
def test_the_five_groups_as_lists_name_them(word, group):
    """003 四(二): 脱贫人口、低保对象、特困人员、重度残疾人、计生两户."""
    assert rules.special_group_of(word) == group


def test_disability_grades():
    """003 六(二): 重度残疾人（一、二级）."""
    assert [rules.disability_grade_of(w) for w in ("一级", "二级", "残疾二级", "3", None)] == [1, 2, 2, 3, None]
    rules.check_disability_grade("severely_disabled", 1)
    rules.check_disability_grade("dibao_recipient", None)  # only the disabled have a grade to check
    with pytest.raises(rules.RuleViolation) as caught:
        rules.check_disability_grade("severely_disabled", 3)
    assert caught.value.code == "grade_not_severe" and "003" in caught.value.message


def test_a_member_who_left_ends_at_the_end_of_the_month_before_never_before_joining():
    """003 六(三) 动态清零."""
    assert rules.membership_end_when_left(dt.date(2020, 1, 1), dt.date(2026, 3, 1)) == dt.date(2026, 2, 28)
    assert rules.membership_end_when_left(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == dt.date(2026, 3, 1)


def test_the_groups_a_policy_pays_for(policy):
    """Rule 10: the groups the year names, and none without an amount."""
    policy.gov_paid_groups = ["dibao_recipient"]
    assert rules.paying_groups(policy) == {"dibao_recipient"}
    policy.gov_paid_amount = None
    assert rules.paying_groups(policy) == frozenset()


def test_rule_10_member_or_receivable(policy):
    """002 四(三); 003 四(二): the government pays for members of its groups."""
    rules.check_government_paid_member(policy=policy, has_receivable=True, groups=set(), name="甲")
    rules.check_government_paid_member(policy=policy, has_receivable=False, groups={"dibao_recipient"}, name="甲")
    with pytest.raises(rules.RuleViolation) as caught:
        rules.check_government_paid_member(policy=policy, has_receivable=False, groups=set(), name="甲")
    assert caught.value.code == "gov_paid_not_member"
    assert "10" in caught.value.message and "002" in caught.value.message
    with pytest.raises(rules.RuleViolation) as caught:
        rules.check_one_government_paid(True, 2026)
    assert caught.value.code == "gov_paid_twice"


def test_the_1_march_rule(policy: PolicyYear):
    """002 四(三): 于3月1日后，重新选择除100元外的缴费档次."""
    hardship = Decimal("100")
    rules.check_tier_beside_government_paid(
        policy, hardship, paid_on=dt.date(2026, 2, 28), is_government_paid=True, name="甲"
    )
    rules.check_tier_beside_government_paid(
        policy, hardship, paid_on=dt.date(2026, 3, 1), is_government_paid=False, name="甲"
    )
    rules.check_tier_beside_government_paid(
        policy, Decimal("500"), paid_on=dt.date(2026, 3, 1), is_government_paid=True, name="甲"
    )
    with pytest.raises(rules.RuleViolation) as caught:
        rules.check_tier_beside_government_paid(
            policy, hardship, paid_on=dt.date(2026, 3, 1), is_government_paid=True, name="甲"
        )
    assert caught.value.code == "hardship_tier_beside_gov_paid"


def test_the_1_march_rule_asks_whether_the_government_pays_only_for_the_hardship_tier(policy: PolicyYear):
    """002 四(三): the engine's answer costs a look-up; a tier other than the hardship one never needs it."""
    asked = []

    def government_pays() -> bool:
        asked.append(True)
        return True

    rules.check_tier_beside_government_paid(
        policy, Decimal("500"), paid_on=dt.date(2026, 3, 1), is_government_paid=government_pays, name="甲"
    )
    rules.check_tier_beside_government_paid(
        policy, Decimal("100"), paid_on=dt.date(2026, 2, 1), is_government_paid=government_pays, name="甲"
    )
    assert asked == []
    with pytest.raises(rules.RuleViolation):
        rules.check_tier_beside_government_paid(
            policy, Decimal("100"), paid_on=dt.date(2026, 3, 1), is_government_paid=government_pays, name="甲"
        )
    assert asked == [True]


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (dt.date(2026, 4, 1), "open"),
        (dt.date(2026, 5, 1), "near"),
        (dt.date(2026, 5, 31), "near"),
        (dt.date(2026, 6, 1), "passed"),
    ],
)
def test_the_government_paid_deadline(today, state):
    """003 二(二): 5月31日前完成政府代缴工作任务."""
    assert rules.gov_paid_deadline_state(dt.date(2026, 5, 31), today) == state
    assert rules.gov_paid_deadline_state(None, today) == "none"
