"""Every rule a roster row must pass (notice 001 and the rules of DESIGN.md it names), each with its
code, checked through the upload as the village accountant meets it; a file with any error saves
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from collective import services
from collective.models import Roster, RosterRow
from insured.models import InsuredPerson, PersonYear
from tests.collective.conftest import TODAY, csv_file, paid_member, row, rows_of, xlsx_file
from tests.factories import InsuredPersonFactory, MembershipFactory, SponsorshipApplicationFactory, make_id_no

pytestmark = pytest.mark.django_db


def _errors(filing, rows, accountant, **kwargs) -> list[tuple]:
    with pytest.raises(services.RosterInvalid) as exc:
        services.roster_upload(filing, xlsx_file(rows), "名单.xlsx", user=accountant, today=TODAY, **kwargs)
    return [(e.row, e.column, e.code) for e in exc.value.errors]


def _upload(filing, rows, accountant, **kwargs):
    return services.roster_upload(filing, xlsx_file(rows), "名单.xlsx", user=accountant, today=TODAY, **kwargs)


def test_a_clean_roster_passes(filing, members, accountant):
    result = _upload(filing, rows_of(members), accountant, dry_run=True)
    assert (result.roster, result.count, result.total) == (None, 4, Decimal("800.00"))
    assert not Roster.objects.exists()  # a dry run saves nothing


def test_one_bad_row_saves_nothing(filing, members, accountant):
    rows = rows_of(members)
    rows[2][4] = "-5"
    assert _errors(filing, rows, accountant) == [(3, "补助金（资助）金额", "amount_not_positive")]
    assert not Roster.objects.exists() and not RosterRow.objects.exists()


def test_the_id_check_character_is_checked(filing, members, accountant):
    wrong = members[0].id_no[:17] + ("0" if members[0].id_no[17] != "0" else "1")
    assert _errors(filing, [row(1, members[0], id_no=wrong)], accountant) == [(1, "公民身份号码", "id_checksum")]


def test_ids_excel_stored_as_numbers_or_shows_in_exponent_form_are_refused(filing, members, accountant):
    rows = [row(1, members[0], id_no=int(members[0].id_no[:15] + "000")), row(2, members[1], id_no="2.11370E+17")]
    assert _errors(filing, rows, accountant) == [
        (1, "公民身份号码", "id_stored_as_number"),
        (2, "公民身份号码", "id_exponent"),
    ]


def test_a_formula_is_refused(filing, members, accountant):
    assert _errors(filing, [row(1, members[0], amount="=100*2")], accountant) == [(1, "补助金（资助）金额", "formula")]


def test_name_and_sex_must_match_the_registry(filing, members, accountant):
    """001 附件3: the row names the person the ID number belongs to."""
    rows = [row(1, members[0], name="王小二"), row(2, members[1], sex="女" if members[1].sex == "M" else "男")]
    assert _errors(filing, rows, accountant) == [(1, "姓名", "name_mismatch"), (2, "性别", "sex_mismatch")]


def test_spaces_and_full_width_digits_are_normalised_before_checking(filing, members, accountant):
    person = members[0]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in person.id_no)
    rows = [
        [
            " １ ",
            f" {person.name[0]} {person.name[1:]} ",
            "男" if person.sex == "M" else "女",
            wide,
            "２００",
            "集体补助",
        ]
    ]
    assert _upload(filing, rows, accountant).count == 1


def test_only_members_of_the_organisations_village_and_unknown_reads_the_same(filing, other_village, accountant):
    """001 二(二), 附件1 一: 本集体经济组织内成员."""
    elsewhere = paid_member(other_village)
    unknown = InsuredPersonFactory.build(id_no=make_id_no(dt.date(1980, 1, 1), 999), name="无名", sex="M")
    errors = _errors(filing, [row(1, elsewhere), row(2, unknown)], accountant)
    assert errors == [(1, "公民身份号码", "not_member"), (2, "公民身份号码", "not_member")]


@pytest.mark.parametrize(
    ("status", "code"), [("receiving", "receiving_benefits"), ("suspended", "not_enrolled"), ("closed", "not_enrolled")]
)
def test_enrolled_and_not_receiving_benefits(filing, village, accountant, status, code):
    """Rule 3 (001 附件1 一): 已领取养老保险待遇的参保人员不享受集体补助."""
    person = paid_member(village)
    InsuredPerson.objects.filter(pk=person.pk).update(status=status)
    assert _errors(filing, [row(1, person)], accountant) == [(1, "公民身份号码", code)]


def test_own_contribution_of_the_year_must_have_arrived(filing, village, accountant):
    """Rule 2 (001 二(二)): 已缴纳本年度养老保险费的成员."""
    person = InsuredPersonFactory(village=village)
    assert _errors(filing, [row(1, person)], accountant) == [(1, "公民身份号码", "own_contribution_missing")]


@pytest.mark.parametrize(("amount", "code"), [("0", "amount_not_positive"), ("200.001", "amount_precision")])
def test_amount_greater_than_zero_with_two_places(filing, members, accountant, amount, code):
    assert _errors(filing, [row(1, members[0], amount=amount)], accountant) == [(1, "补助金（资助）金额", code)]


def test_an_amount_that_is_not_a_number(filing, members, accountant):
    assert _errors(filing, [row(1, members[0], amount="二百")], accountant) == [
        (1, "补助金（资助）金额", "amount_invalid")
    ]


def test_type_is_collective_subsidy_or_social_sponsorship(filing, members, accountant):
    """001 附件3: 补助或资助类型."""
    rows = [row(1, members[0], kind="个人资助"), row(2, members[1], amount="300.00", kind="社会资助")]
    assert _errors(filing, rows, accountant) == [(1, "补助或资助类型", "support_type_invalid")]


def test_no_person_twice_and_no_number_twice(filing, members, accountant):
    rows = [row(1, members[0]), row(2, members[0]), row(2, members[1])]
    assert _errors(filing, rows, accountant) == [(2, "公民身份号码", "duplicate_person"), (2, "序号", "seq_duplicate")]


def test_a_number_that_is_not_a_row_number(filing, members, accountant):
    assert _errors(filing, [row(10**12, members[0])], accountant) == [(10**12, "序号", "seq_invalid")]


def test_the_filed_standard_and_the_hardship_standard(filing, members, accountant):
    """001 二(二): 一年一策, 补助要适当向困难群体倾斜."""
    MembershipFactory(person=members[0], valid_from=dt.date(2020, 1, 1))
    rows = [row(1, members[0], "300.00"), row(2, members[1], "300.00"), row(3, members[2], "250.00")]
    assert _errors(filing, rows, accountant) == [
        (2, "补助金（资助）金额", "hardship_standard_not_allowed"),
        (3, "补助金（资助）金额", "standard_mismatch"),
    ]


def test_the_cap_counts_this_file_what_is_credited_reserved_and_pending(
    filing, village, accountant, reviewer, reviewer2, members
):
    """Rule 1 (001 二(二)): 集体补助和社会（个人）资助总额不超过当年最高缴费档次 (5000)."""
    sponsored = paid_member(village)
    SponsorshipApplicationFactory(beneficiary=sponsored, amount=Decimal("4900.00"))  # submitted: pending
    social = row(1, sponsored, "200.00", kind="社会资助")
    assert _errors(filing, [social], accountant) == [(1, "补助金（资助）金额", "cap_exceeded")]

    big = row(1, members[0], "5000.01", kind="社会资助")
    assert _errors(filing, [big], accountant) == [(1, "补助金（资助）金额", "cap_exceeded")]

    # Another roster of the same person, submitted: pending, so this one may not pass it.
    first = _upload(filing, [row(1, members[1], "4900.00", kind="社会资助")], accountant).roster
    services.roster_submit(first, user=accountant, today=TODAY)
    assert _errors(filing, [row(1, members[1], "200.00")], accountant) == [(1, "补助金（资助）金额", "cap_exceeded")]
    # Approved: now reserved on the person-year; still counted.
    services.roster_review(first, user=reviewer, today=TODAY)
    services.roster_approve(first, user=reviewer2, today=TODAY)
    assert PersonYear.objects.get(person=members[1], year=2026).support_reserved == Decimal("4900.00")
    assert _errors(filing, [row(1, members[1], "200.00")], accountant) == [(1, "补助金（资助）金额", "cap_exceeded")]
    assert _upload(filing, [row(1, members[1], "100.00", kind="社会资助")], accountant, dry_run=True).count == 1


def test_the_years_total_stays_within_the_plan(filing, village, accountant):
    """001 附件5: the total the village resolved and filed."""
    filing.planned_total = Decimal("500.00")
    filing.save()
    persons = [paid_member(village) for _ in range(3)]
    errors = _errors(filing, rows_of(persons), accountant)
    assert errors == [(None, None, "plan_exceeded")]


def test_a_social_sponsor_files_social_sponsorship_only(clerk, county, members):
    """001 附件2: a company, charity or person pays 社会资助, never 集体补助."""
    sponsor = services.SponsorInput("company", "爱心企业", _company_code(), "04701234567", "", 2026)
    filing = services.social_filing_create(sponsor, user=clerk, agency_region=county, today=TODAY)
    assert _errors(filing, [row(1, members[0], "500.00")], clerk) == [(1, "补助或资助类型", "collective_by_sponsor")]
    assert _upload(filing, [row(1, members[0], "500.00", kind="社会资助")], clerk).count == 1


def _company_code() -> str:
    from tests.factories import make_uscc

    return make_uscc("91", "211370", "MA0ABCDE")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_chinese_excel_saves(filing, members, accountant, encoding):
    result = services.roster_upload(
        filing, csv_file(rows_of(members), encoding), "名单.csv", user=accountant, today=TODAY
    )
    assert result.count == 4 and result.roster.source_name == "名单.csv"


def test_a_file_that_is_no_roster_gives_one_error_without_a_row(filing, accountant):
    for content in (b"%PDF-1.7 not a spreadsheet", csv_file([], header=["序号", "姓名"]), csv_file([])):
        with pytest.raises(services.RosterInvalid) as exc:
            services.roster_upload(filing, content, "x.csv", user=accountant, today=TODAY)
        assert [e.row for e in exc.value.errors] == [None]
    assert not Roster.objects.exists()


def test_without_the_virtual_unit_code_the_village_cannot_file(filing, members, accountant):
    """001 附件1 四(一): 新建立的村组在税务端同步前，不能进行人员新增."""
    filing.organisation.virtual_unit_code = ""
    filing.organisation.save()
    assert _errors(filing, rows_of(members), accountant) == [(None, None, "virtual_unit_missing")]


def test_the_land_acquired_farmers_subsidy_is_not_collective_money(filing, members, accountant):
    """001 二(三): 村集体不得将被征地农牧民养老保险缴费补贴用于集体补助."""
    filing.declares_not_land_acquired = False
    filing.save()
    assert _errors(filing, rows_of(members), accountant) == [(None, None, "land_acquired_money")]


def test_only_the_current_year(filing, members, accountant):
    filing.year = 2025
    filing.save()
    assert _errors(filing, rows_of(members), accountant) == [(None, None, "filing_year_not_current")]


def test_a_new_upload_replaces_the_roster_waiting_to_be_submitted(filing, members, accountant):
    first = _upload(filing, rows_of(members[:2]), accountant).roster
    second = _upload(filing, rows_of(members), accountant).roster

    first.refresh_from_db()
    assert first.status == Roster.Status.DISCARDED
    assert second.status == Roster.Status.DRAFT and second.row_count == 4
