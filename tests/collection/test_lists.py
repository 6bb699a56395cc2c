"""The departments' monthly special-group lists (003 六(三) 每月比对; 002 四(三)): each case of the
difference, the row-by-row checks that save nothing from a list with an error, and a repeat that
changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from collection import services
from collection.models import GroupList, GroupListRow
from insured.models import InsuredPerson, SpecialGroupMembership
from tests.collection.conftest import MONTH, list_csv
from tests.factories import InsuredPersonFactory, MembershipFactory, make_id_no, region_tree

pytestmark = pytest.mark.django_db
Outcome = GroupListRow.Outcome


def _import(tree, clerk, content: bytes, month: dt.date = MONTH, name: str = "list.csv"):
    return services.group_list_import(
        county=tree["county"], list_month=month, department="县民政局", content=content, filename=name, user=clerk
    )


def _outcomes(result) -> dict[str, str]:
    return {r.id_no: r.outcome for r in result.group_list.rows.all()}


def _errors(tree, clerk, content: bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(services.ListInvalid) as caught:
        _import(tree, clerk, content)
    return [(e.line, e.code) for e in caught.value.errors]


def test_a_new_member_gets_a_membership_with_its_list_month_and_history(tree, clerk, policy, person_at):
    person = person_at()
    result = _import(tree, clerk, list_csv([(person.id_no, person.name, "低保对象", "", "2025-06-01")]))

    assert _outcomes(result) == {person.id_no: Outcome.NEW}
    membership = SpecialGroupMembership.objects.get(person=person)
    assert (membership.group, membership.valid_from, membership.valid_to) == (
        "dibao_recipient",
        dt.date(2025, 6, 1),
        None,
    )
    assert (membership.list_month, membership.source_department) == (MONTH, "县民政局")
    assert membership.history.get().history_user == clerk
    assert (result.group_list.new_count, result.group_list.row_count) == (1, 1)


def test_a_member_still_listed_is_unchanged(tree, clerk, policy, person_at):
    person = person_at()
    MembershipFactory(person=person, group="dibao_recipient", valid_from=dt.date(2020, 1, 1))

    result = _import(tree, clerk, list_csv([(person.id_no, person.name, "低保")]))

    assert _outcomes(result) == {person.id_no: Outcome.UNCHANGED}
    membership = SpecialGroupMembership.objects.get(person=person)
    assert (membership.valid_from, membership.valid_to, membership.list_month) == (dt.date(2020, 1, 1), None, MONTH)


def test_a_member_the_list_no_longer_names_left_at_the_end_of_the_month_before(tree, clerk, policy, person_at):
    """动态清零: the membership ends, it is never deleted."""
    stays, leaves = person_at(), person_at("village21")
    MembershipFactory(person=stays, group="dibao_recipient")
    MembershipFactory(person=leaves, group="dibao_recipient")
    other_group = MembershipFactory(person=leaves, group="severely_disabled", disability_grade=1)

    result = _import(tree, clerk, list_csv([(stays.id_no, stays.name, "低保对象")]))

    left = result.group_list.rows.get(outcome=Outcome.LEFT)
    assert (left.person, left.id_no, left.name, left.township) == (leaves, leaves.id_no, leaves.name, tree["township2"])
    ended = SpecialGroupMembership.objects.get(person=leaves, group="dibao_recipient")
    assert ended.valid_to == dt.date(2026, 2, 28)
    other_group.refresh_from_db()
    assert other_group.valid_to is None  # the list is of 低保; the disability list is another department's
    assert SpecialGroupMembership.objects.count() == 3


@pytest.mark.parametrize(
    ("make", "outcome"),
    [
        ("unknown", Outcome.NOT_ENROLLED),
        ("receiving", Outcome.NOT_ENROLLED),
        ("closed", Outcome.NOT_ENROLLED),
        ("elsewhere", Outcome.NOT_LOCAL),
        ("dead", Outcome.DEAD),
        ("employee", Outcome.EMPLOYEE_SCHEME),
    ],
)
def test_persons_who_cannot_be_members_are_listed_for_follow_up_not_dropped(
    tree, clerk, policy, person_at, make, outcome
):
    if make == "unknown":
        id_no, name = make_id_no(dt.date(1980, 5, 5), 777), "未登记"
    elif make == "elsewhere":
        other = region_tree("622901", "别县")
        person = InsuredPersonFactory(village=other["village11"], name="外县人")
        id_no, name = person.id_no, person.name
    else:
        extra = {
            "receiving": {"status": InsuredPerson.Status.RECEIVING},
            "closed": {"status": InsuredPerson.Status.CLOSED},
            "dead": {"died_on": dt.date(2026, 1, 5), "status": InsuredPerson.Status.CLOSED},
            "employee": {"has_employee_pension": True},
        }[make]
        person = person_at(**extra)
        id_no, name = person.id_no, person.name

    result = _import(tree, clerk, list_csv([(id_no, name, "特困人员")]))

    assert _outcomes(result) == {id_no: outcome}
    assert not SpecialGroupMembership.objects.exists()
    assert result.group_list.follow_up_count == 1


def test_a_person_ended_earlier_and_listed_again_with_the_same_start_is_open_again(tree, clerk, policy, person_at):
    person = person_at()
    MembershipFactory(person=person, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 6, 30))

    result = _import(tree, clerk, list_csv([(person.id_no, person.name, "低保对象", "", "2025-01-01")]))

    assert _outcomes(result) == {person.id_no: Outcome.NEW}
    assert SpecialGroupMembership.objects.get(person=person).valid_to is None


def test_a_duplicate_row_is_refused_and_nothing_is_saved(tree, clerk, policy, person_at):
    a, b = person_at(), person_at()
    content = list_csv([(a.id_no, a.name, "低保对象"), (b.id_no, b.name, "低保对象"), (a.id_no, a.name, "低保")])

    assert _errors(tree, clerk, content) == [(4, "duplicate_row")]
    assert not GroupList.objects.exists() and not SpecialGroupMembership.objects.exists()


def test_a_person_in_two_groups_is_listed_once_in_each(tree, clerk, policy, person_at):
    a = person_at()
    result = _import(tree, clerk, list_csv([(a.id_no, a.name, "低保对象"), (a.id_no, a.name, "特困人员")]))
    assert result.group_list.new_count == 2


def test_a_bad_id_is_refused_on_its_line(tree, clerk, policy, person_at):
    a = person_at()
    bad = a.id_no[:-1] + ("0" if a.id_no[-1] != "0" else "1")
    assert _errors(tree, clerk, list_csv([(a.id_no, a.name, "低保对象"), (bad, "错号", "低保对象")])) == [
        (3, "id_checksum")
    ]
    assert not GroupList.objects.exists()


def test_an_unknown_group_is_refused_with_the_five_groups_named(tree, clerk, policy, person_at):
    a = person_at()
    with pytest.raises(services.ListInvalid) as caught:
        _import(tree, clerk, list_csv([(a.id_no, a.name, "低收入户")]))
    (error,) = caught.value.errors
    assert (error.code, error.column) == ("group_unknown", "人员类别")
    assert "003" in error.message and "计生两户" in error.message


@pytest.mark.parametrize(
    ("grade", "code"), [("三级", "grade_not_severe"), ("", "grade_not_severe"), ("五级", "grade_unknown")]
)
def test_severely_disabled_are_grades_one_and_two_only(tree, clerk, policy, person_at, grade, code):
    """003 六(二): 重度残疾人（一、二级）."""
    a = person_at()
    assert _errors(tree, clerk, list_csv([(a.id_no, a.name, "重度残疾人", grade)])) == [(2, code)]


def test_a_grade_two_disabled_person_is_a_member_with_the_grade(tree, clerk, policy, person_at):
    a = person_at()
    _import(tree, clerk, list_csv([(a.id_no, a.name, "重度残疾人", "二级")]))
    assert SpecialGroupMembership.objects.get(person=a).disability_grade == 2


def test_an_end_before_the_start_is_refused(tree, clerk, policy, person_at):
    a = person_at()
    assert _errors(tree, clerk, list_csv([(a.id_no, a.name, "低保对象", "", "2025-05-01", "2025-04-30")])) == [
        (2, "dates_order")
    ]


def test_the_same_file_twice_changes_nothing(tree, clerk, policy, person_at):
    a = person_at()
    content = list_csv([(a.id_no, a.name, "低保对象")])
    first = _import(tree, clerk, content)
    again = _import(tree, clerk, content)

    assert (first.created, again.created, again.group_list) == (True, False, first.group_list)
    assert GroupList.objects.count() == 1 and SpecialGroupMembership.objects.count() == 1


def test_a_gb18030_csv_and_full_width_digits_are_read(tree, clerk, policy, person_at):
    a = person_at()
    full_width = a.id_no.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    result = _import(tree, clerk, list_csv([(full_width, f" {a.name} ", "低保对象")], encoding="gb18030"))
    assert _outcomes(result) == {a.id_no: Outcome.NEW}


def test_an_xlsx_list_is_read(tree, clerk, policy, person_at):
    a = person_at()
    book = Workbook()
    sheet = book.active
    sheet.append(["公民身份号码", "姓名", "人员类别", "开始日期"])
    sheet.append([a.id_no, a.name, "脱贫人口", "2024-02-01"])
    buffer = io.BytesIO()
    book.save(buffer)

    result = _import(tree, clerk, buffer.getvalue(), name="list.xlsx")

    assert _outcomes(result) == {a.id_no: Outcome.NEW}
    assert SpecialGroupMembership.objects.get(person=a).group == "poverty_alleviated"
