"""Organisations and their plans (001 附件1 四(一), 附件5; 二(二) 一年一策; 二(四) 四议两公开) and
social sponsorships (附件2), as the services take them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from collective import services
from collective.models import Filing, Organisation
from insured.rules import RuleViolation
from tests.collective.conftest import TODAY, rows_of, xlsx_file
from tests.factories import make_id_no, make_uscc

pytestmark = pytest.mark.django_db


def _plan(**overrides) -> services.PlanInput:
    fields = {
        "year": 2026,
        "proposed_on": dt.date(2026, 3, 1),
        "resolved_on": dt.date(2026, 3, 10),
        "attendance_expected": 40,
        "attendance_present": 35,
        "publicity_from": dt.date(2026, 3, 11),
        "publicity_to": dt.date(2026, 3, 18),
        "standard": Decimal("200.00"),
        "hardship_standard": None,
        "planned_count": 20,
        "planned_total": Decimal("4000.00"),
        "declares_not_land_acquired": True,
    }
    return services.PlanInput(**(fields | overrides))


def _organisation_input(village, **overrides) -> services.OrganisationInput:
    fields = {
        "name": "新村股份经济合作社",
        "uscc": make_uscc("N2", "211370", "MA0XNCUN"),
        "village": village,
        "address": "新村",
        "legal_person_name": "张三",
        "legal_person_id_no": make_id_no(dt.date(1970, 1, 1), 11),
        "legal_person_phone": "13900000000",
        "handler_name": "李四",
        "handler_id_no": make_id_no(dt.date(1980, 1, 1), 12),
        "handler_phone": "13900000001",
        "taxpayer_id": "",
        "bank_name": "",
        "bank_account": "",
    }
    return services.OrganisationInput(**(fields | overrides))


def test_an_organisation_registers_once_per_credit_code(village, accountant):
    services.organisation_register(_organisation_input(village), user=accountant)
    with pytest.raises(RuleViolation) as exc:
        services.organisation_register(_organisation_input(village, name="另一个"), user=accountant)
    assert exc.value.code == "uscc_taken"
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("uscc", "N2211370MA0XNCUN00", "uscc_checksum"),
        ("uscc", make_uscc("94", "211370", "MA0XNCUN"), "uscc_type"),
        ("legal_person_id_no", "211370197001010010", "id_checksum"),
        ("handler_id_no", "12345", "id_format"),
    ],
)
def test_codes_and_ids_of_an_organisation_are_checked(village, accountant, field, value, code):
    with pytest.raises(RuleViolation) as exc:
        services.organisation_register(_organisation_input(village, **{field: value}), user=accountant)
    assert (exc.value.code, exc.value.field) == (code, field)


def test_a_plan_waits_for_the_virtual_unit_code(organisation, accountant, clerk):
    """001 附件1 四(一): 新建立的村组在税务端同步前，不能进行人员新增."""
    organisation.virtual_unit_code = ""
    organisation.save()
    with pytest.raises(RuleViolation) as exc:
        services.filing_create(organisation, _plan(), user=accountant, today=TODAY)
    assert exc.value.code == "virtual_unit_missing"
    with pytest.raises(RuleViolation):
        services.organisation_record_virtual_unit(organisation, code="  ", user=clerk)

    services.organisation_record_virtual_unit(organisation, code="xn001", user=clerk)
    filing = services.filing_create(organisation, _plan(), user=accountant, today=TODAY)
    assert filing.kind == Filing.Kind.COLLECTIVE and filing.region == organisation.village
    assert filing.number.startswith("BA") and filing.filed_on == TODAY


def test_one_plan_a_year(organisation, accountant):
    """001 二(二) 一年一策."""
    services.filing_create(organisation, _plan(), user=accountant, today=TODAY)
    with pytest.raises(RuleViolation) as exc:
        services.filing_create(organisation, _plan(), user=accountant, today=TODAY)
    assert exc.value.code == "plan_exists"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"year": 2025}, "filing_year_not_current"),
        ({"resolved_on": None}, "resolution_missing"),
        ({"publicity_from": dt.date(2026, 3, 9)}, "resolution_order"),  # made public before the meeting
        ({"publicity_to": dt.date(2026, 12, 1)}, "resolution_order"),  # still public after today
        ({"proposed_on": dt.date(2026, 3, 20)}, "resolution_order"),
        ({"attendance_present": 41}, "attendance_invalid"),
        ({"standard": Decimal("0")}, "amount_not_positive"),
        ({"declares_not_land_acquired": False}, "land_acquired_money"),
    ],
)
def test_the_plan_follows_the_resolution(organisation, accountant, overrides, code):
    """001 二(四) 四议两公开; 二(三) not the land-acquired farmers' subsidy."""
    with pytest.raises(RuleViolation) as exc:
        services.filing_create(organisation, _plan(**overrides), user=accountant, today=TODAY)
    assert exc.value.code == code
    assert not Filing.objects.exists()


def test_the_plan_may_change_until_a_roster_is_approved(filing, members, accountant, reviewer, reviewer2):
    services.filing_update(
        filing, _plan(standard=Decimal("250.00"), planned_total=Decimal("25000")), user=accountant, today=TODAY
    )
    filing.refresh_from_db()
    assert filing.standard == Decimal("250.00")
    roster = services.roster_upload(
        filing, xlsx_file(rows_of(members, "250.00")), "a.xlsx", user=accountant, today=TODAY
    ).roster
    services.roster_submit(roster, user=accountant, today=TODAY)
    services.roster_review(roster, user=reviewer, today=TODAY)
    services.roster_approve(roster, user=reviewer2, today=TODAY)
    with pytest.raises(RuleViolation) as exc:
        services.filing_update(filing, _plan(), user=accountant, today=TODAY)
    assert exc.value.code == "plan_fixed"


@pytest.mark.parametrize(
    ("kind", "code", "ok"),
    [
        ("company", make_uscc("91", "211370", "MA0QYQYQ"), True),
        ("charity", make_uscc("53", "211370", "MA0CHRTY"), True),
        ("person", make_id_no(dt.date(1985, 6, 1), 321), True),
        ("person", make_uscc("91", "211370", "MA0QYQYQ"), False),
        ("company", "91211370MA0QYQYQ00", False),
    ],
)
def test_a_social_sponsor_is_known_by_a_valid_code(clerk, county, kind, code, ok):
    data = services.SponsorInput(kind, "资助者", code, "04701234567", "", 2026)
    if ok:
        filing = services.social_filing_create(data, user=clerk, agency_region=county, today=TODAY)
        assert filing.payer_code == code and filing.region == county and filing.organisation is None
    else:
        with pytest.raises(RuleViolation) as exc:
            services.social_filing_create(data, user=clerk, agency_region=county, today=TODAY)
        assert exc.value.field == "sponsor_code"
