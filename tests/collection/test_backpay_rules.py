"""The back-payment and supplementary-pension rules of insured.rules, clause by clause:
003 六(三) (back payment of interrupted years, no subsidy), 002 四(四), 004 一(二), 三, 四(二),
五(一)5 and 七(三)6 (到龄补缴 up to 15 paid years)."""

import datetime as dt
from decimal import Decimal

import pytest

from insured import rules
from insured.rules import RuleViolation

D = Decimal
TODAY = dt.date(2026, 11, 22)


def _years(years, **overrides):
    kwargs = {
        "scheme": "basic",
        "aged": False,
        "birth_date": dt.date(1970, 5, 17),
        "enrolled_on": dt.date(2020, 3, 1),
        "paid_years": {2020, 2021, 2022, 2023, 2026},
        "applied_years": {},
        "scheme_years": None,
        "limit_years": None,
        "today": TODAY,
    } | overrides
    rules.check_back_payment_years(list(years), **kwargs)


def _refused(code, years, **overrides):
    with pytest.raises(RuleViolation) as caught:
        _years(years, **overrides)
    assert caught.value.code == code
    return caught.value


# --- Rule 5 (003 六(三)): a past year's payment is a back payment -----------------------------------


def test_003_6_3_own_or_supplementary_for_a_past_year_is_a_back_payment():
    assert rules.is_back_payment("own", 2025, dt.date(2026, 1, 3))
    assert rules.is_back_payment("supplementary", 2024, dt.date(2026, 5, 1))
    assert not rules.is_back_payment("own", 2026, dt.date(2026, 12, 31))
    assert not rules.is_back_payment("government_paid", 2025, dt.date(2026, 1, 3))
    assert not rules.is_back_payment("sponsorship", 2025, dt.date(2026, 1, 3))


def test_003_6_3_a_back_payment_without_approval_is_refused_with_its_clause():
    with pytest.raises(RuleViolation) as caught:
        rules.check_back_payment_approved(False, 2025)
    assert caught.value.code == "back_payment_required"
    rules.check_back_payment_approved(True, 2025)


def test_004_5_1_4_an_own_payment_pays_a_basic_back_payment_receivable():
    assert rules.receivable_kind_fits("own", "back_payment")
    assert rules.receivable_kind_fits("back_payment", "back_payment")
    assert rules.receivable_kind_fits("supplementary", "supplementary")
    assert not rules.receivable_kind_fits("supplementary", "back_payment")
    assert not rules.receivable_kind_fits("own", "sponsorship")


def test_rule_5_no_subsidy_on_back_payment():
    assert rules.government_subsidy_for("back_payment", D("500.00"), policy=None) == D("0.00")


# --- 004 一(二) and 三: the supplementary pension -----------------------------------------------------


def test_004_1_2_supplementary_only_for_persons_enrolled_in_the_basic_scheme():
    rules.check_in_basic_scheme("enrolled", "张三")
    for status in ("suspended", "receiving", "closed"):
        with pytest.raises(RuleViolation) as caught:
            rules.check_in_basic_scheme(status, "张三")
        assert caught.value.code == "not_in_basic_scheme"
        assert "004" in caught.value.message


def test_004_3_supplementary_once_a_year():
    rules.check_one_supplementary(False, 2026)
    with pytest.raises(RuleViolation) as caught:
        rules.check_one_supplementary(True, 2026)
    assert caught.value.code == "supplementary_already_paid"


def test_003_6_3_who_may_pay_back():
    rules.check_back_payment_person("enrolled", "张三", scheme="basic")
    rules.check_back_payment_person("suspended", "张三", scheme="basic")
    for status in ("receiving", "closed"):
        with pytest.raises(RuleViolation) as caught:
            rules.check_back_payment_person(status, "张三", scheme="basic")
        assert caught.value.code == "back_payment_person_status"
    with pytest.raises(RuleViolation) as caught:
        rules.check_back_payment_person("suspended", "张三", scheme="supplementary")
    assert caught.value.code == "not_in_basic_scheme"


# --- 到龄补缴 (004 七(三)6): the years, computed on known cases ----------------------------------------


def test_004_7_3_6_aged_years_known_case_ten_paid():
    """Born 1966, turns 60 in 2026, paid 2012–2021: 5 years may be paid back, 2025 down to 2022 and
    then the years before 2012 (2011 is the latest of those)."""
    paid = set(range(2012, 2022))
    allowance, open_years = rules.aged_back_payment_years(birth_date=dt.date(1966, 8, 1), paid_years=paid, today=TODAY)
    assert allowance == 5
    assert open_years[:6] == [2025, 2024, 2023, 2022, 2011, 2010]
    assert open_years[-1] == 2009  # the scheme's first year (国发〔2009〕32号)


def test_004_7_3_6_aged_years_known_case_fifteen_paid_gets_none():
    paid = set(range(2011, 2026))
    allowance, _open = rules.aged_back_payment_years(birth_date=dt.date(1965, 1, 1), paid_years=paid, today=TODAY)
    assert allowance == 0


def test_004_7_3_6_aged_years_known_case_never_paid_is_bounded_by_the_open_years():
    """Born 1966 (16 in 1982, before the scheme): 2009–2025 are 17 open years; 15 may be paid."""
    allowance, open_years = rules.aged_back_payment_years(birth_date=dt.date(1966, 2, 1), paid_years=set(), today=TODAY)
    assert len(open_years) == 17
    assert allowance == 15


def test_004_7_3_6_aged_years_known_case_young_starter():
    """Born 1995 (16 in 2011): reaching 60 is far away, but the arithmetic is the same: 2011–2025."""
    allowance, open_years = rules.aged_back_payment_years(
        birth_date=dt.date(1995, 6, 1), paid_years={2020}, today=TODAY
    )
    assert open_years[-1] == 2011 and 2020 not in open_years
    assert allowance == 14


def test_004_7_3_6_aged_back_payment_may_name_years_before_enrolment():
    _years(
        [2018, 2019],
        aged=True,
        birth_date=dt.date(1966, 8, 1),
        enrolled_on=dt.date(2020, 3, 1),
        paid_years=set(range(2020, 2027)),
    )


def test_004_7_3_6_aged_back_payment_refused_over_fifteen_years():
    """12 paid years (2015–2026): three may be paid back, four are refused, three pass."""
    paid = set(range(2015, 2027))
    born = dt.date(1966, 8, 1)
    error = _refused("aged_over_fifteen", [2011, 2012, 2013, 2014], aged=True, birth_date=born, paid_years=paid)
    assert "004" in error.message
    _years([2012, 2013, 2014], aged=True, birth_date=born, paid_years=paid)


def test_004_7_3_6_aged_back_payment_refused_before_sixty():
    _refused("aged_not_yet_60", [2024], aged=True, birth_date=dt.date(1970, 5, 17))


def test_004_7_3_6_no_aged_back_payment_of_the_supplementary_pension():
    _refused("aged_supplementary", [2024], aged=True, scheme="supplementary", birth_date=dt.date(1966, 1, 1))


# --- Each year checked (003 六(三); 002 一; 004 一(二)) -------------------------------------------------


def test_003_6_3_interrupted_years_after_enrolment_pass():
    _years([2024, 2025])


def test_003_6_3_refusals_each_with_its_code():
    _refused("back_payment_no_year", [])
    _refused("back_payment_year_twice", [2025, 2025])
    _refused("back_payment_not_past", [2026])
    _refused("back_payment_not_enrolled", [2019])
    _refused("back_payment_year_paid", [2023])
    _refused("back_payment_applied", [2025], applied_years={2025: "BJ202611220001"})
    _refused("back_payment_too_old", [2024], limit_years=1)
    _refused("back_payment_too_early", [1985], birth_date=dt.date(1970, 5, 17), enrolled_on=dt.date(1980, 1, 1))
    _refused("no_supplementary_pension", [2024], scheme="supplementary", scheme_years={2025})


def test_003_6_3_messages_name_the_clause():
    error = _refused("back_payment_year_paid", [2023])
    assert "003" in error.message
