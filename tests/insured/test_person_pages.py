"""The staff pages of the registry: registering, editing and reading a person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from stdnum.iso7064 import mod_11_2

from insured import ledger
from insured.models import InsuredPerson, Region, Role
from payments.models import ArrivalNotice
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_id_no, make_user, region_tree

pytestmark = pytest.mark.django_db

BIRTH = dt.date(1975, 3, 8)
NEW_ID = make_id_no(BIRTH, 11)  # sequence 011: odd, so male


def is_chinese(s: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in str(s))


def _with_check_digit(body: str) -> str:
    return body + mod_11_2.calc_check_digit(body)


@pytest.fixture
def tree() -> dict[str, Region]:
    return region_tree()


@pytest.fixture
def other_county() -> dict[str, Region]:
    return region_tree("622901", "别县")


@pytest.fixture
def clerk(tree):
    return make_user(Role.CLERK, tree["county"])


@pytest.fixture
def township_office(tree):
    return make_user(Role.TOWNSHIP_OFFICE, tree["township1"])


def _registration(village: Region, /, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id_no": NEW_ID,
        "name": "孙立新",
        "village": village.pk,
        "person_no": "",
        "status": "enrolled",
        "enrolled_on": "2026-11-01",
        "phone": "13912345678",
    }
    data.update(overrides)
    return data


def _edit_data(person: InsuredPerson, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": person.name,
        "village": person.village_id,
        "person_no": person.person_no,
        "status": person.status,
        "enrolled_on": person.enrolled_on.isoformat(),
        "phone": person.phone,
    }
    data.update(overrides)
    return data


# --- Registering ---------------------------------------------------------------------------------


def test_clerk_registers_a_person(client, clerk, tree):
    client.force_login(clerk)
    response = client.post(reverse("insured:person-create"), _registration(tree["village21"]))
    person = InsuredPerson.objects.get(id_no=NEW_ID)
    assert response.status_code == 302
    assert response.url == reverse("insured:person-detail", args=[person.pk])
    assert person.name == "孙立新"
    assert person.village == tree["village21"]
    assert person.birth_date == BIRTH
    assert person.sex == InsuredPerson.Sex.MALE
    assert person.phone == "13912345678"


def test_registration_derives_female_from_the_id(client, clerk, tree):
    client.force_login(clerk)
    id_no = make_id_no(BIRTH, 12)
    client.post(reverse("insured:person-create"), _registration(tree["village11"], id_no=id_no))
    assert InsuredPerson.objects.get(id_no=id_no).sex == InsuredPerson.Sex.FEMALE


def test_registration_assigns_the_next_person_number(client, clerk, tree):
    client.force_login(clerk)
    client.post(reverse("insured:person-create"), _registration(tree["village11"]))
    second_id = make_id_no(BIRTH, 13)
    client.post(reverse("insured:person-create"), _registration(tree["village12"], id_no=second_id, name="孙立国"))
    assert InsuredPerson.objects.get(id_no=NEW_ID).person_no == "21137000000001"
    assert InsuredPerson.objects.get(id_no=second_id).person_no == "21137000000002"


def test_registration_keeps_a_person_number_typed_in(client, clerk, tree):
    client.force_login(clerk)
    client.post(reverse("insured:person-create"), _registration(tree["village11"], person_no="P-0042"))
    assert InsuredPerson.objects.get(id_no=NEW_ID).person_no == "P-0042"


def test_registration_records_the_clerk_in_history(client, clerk, tree):
    client.force_login(clerk)
    client.post(reverse("insured:person-create"), _registration(tree["village11"]))
    record = InsuredPerson.objects.get(id_no=NEW_ID).history.get()
    assert record.history_type == "+"
    assert record.history_user == clerk


def test_township_office_registers_in_its_township(client, township_office, tree):
    client.force_login(township_office)
    response = client.post(reverse("insured:person-create"), _registration(tree["village12"]))
    assert response.status_code == 302
    assert InsuredPerson.objects.get(id_no=NEW_ID).village == tree["village12"]


def _existing_duplicate(tree, other_county) -> dict[str, object]:
    InsuredPersonFactory(village=tree["village22"], id_no=NEW_ID, birth_date=BIRTH, name="孙立新")
    return {}


def _registered_in_another_county(tree, other_county) -> dict[str, object]:
    InsuredPersonFactory(village=other_county["village11"], id_no=NEW_ID, birth_date=BIRTH, name="远方人")
    return {}


def _student(tree, other_county) -> dict[str, object]:
    return {"is_student": "on"}


def _employee_pension(tree, other_county) -> dict[str, object]:
    return {"has_employee_pension": "on"}


def _under_16(tree, other_county) -> dict[str, object]:
    today = timezone.localdate()
    return {"id_no": make_id_no(dt.date(today.year - 10, 1, 1), 21)}


def _other_county_village(tree, other_county) -> dict[str, object]:
    return {"village": other_county["village11"].pk}


# (case id, field expected to carry the error, its code, builder of the bad input)
BAD_REGISTRATIONS = [
    ("bad_checksum", "id_no", "id_checksum", lambda t, o: {"id_no": NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1")}),
    ("fifteen_digits", "id_no", "id_15_digits", lambda t, o: {"id_no": "211370750308111"}),
    ("impossible_date", "id_no", "id_birth_date", lambda t, o: {"id_no": _with_check_digit("21137019750230011")}),
    ("future_birth_date", "id_no", "id_birth_date", lambda t, o: {"id_no": _with_check_digit("21137020990101011")}),
    ("duplicate_person", "id_no", "duplicate_person", _existing_duplicate),
    ("registered_elsewhere", "id_no", "registered_elsewhere", _registered_in_another_county),
    ("village_outside_scope", "village", "invalid_choice", _other_county_village),
    ("student", "is_student", "student", _student),
    ("employee_pension", "has_employee_pension", "employee_pension", _employee_pension),
    ("under_16", "id_no", "under_16", _under_16),
]
CASES = [pytest.param(f, c, b, id=i) for i, f, c, b in BAD_REGISTRATIONS]


@pytest.mark.parametrize(("field", "code", "bad"), CASES)
def test_bad_registration_is_refused_on_its_field(client, clerk, tree, other_county, field, code, bad):
    overrides = bad(tree, other_county)
    before = InsuredPerson.objects.count()
    client.force_login(clerk)
    response = client.post(reverse("insured:person-create"), _registration(tree["village11"], **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert [e.code for e in errors.get(field, [])] == [code], errors
    assert InsuredPerson.objects.count() == before
    assert not InsuredPerson.objects.filter(name="孙立新").exclude(village=tree["village22"]).exists()


# Needs locale/zh_Hans compiled (the project's own messages); "village_outside_scope" is
# Django's own "Select a valid choice" and is Chinese already.
@pytest.mark.parametrize(("field", "code", "bad"), CASES)
def test_bad_registration_message_is_chinese(client, clerk, tree, other_county, field, code, bad):
    overrides = bad(tree, other_county)
    client.force_login(clerk)
    response = client.post(reverse("insured:person-create"), _registration(tree["village11"], **overrides))
    messages = response.context["form"].errors.get(field, [])
    assert messages
    assert all(is_chinese(m) for m in messages), messages
    assert escape(messages[0]) in response.content.decode()


def test_township_office_cannot_register_in_another_township(client, township_office, tree):
    client.force_login(township_office)
    response = client.post(reverse("insured:person-create"), _registration(tree["village21"]))
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    assert not InsuredPerson.objects.filter(id_no=NEW_ID).exists()


def test_reviewer_cannot_register(client, tree):
    client.force_login(make_user(Role.REVIEWER, tree["county"]))
    response = client.post(reverse("insured:person-create"), _registration(tree["village11"]))
    assert response.status_code == 403
    assert not InsuredPerson.objects.filter(id_no=NEW_ID).exists()


# --- Editing -------------------------------------------------------------------------------------


def test_clerk_edits_phone_and_status(client, clerk, tree):
    person = InsuredPersonFactory(village=tree["village11"], phone="")
    client.force_login(clerk)
    response = client.post(
        reverse("insured:person-edit", args=[person.pk]), _edit_data(person, phone="13800001111", status="suspended")
    )
    assert response.status_code == 302
    assert response.url == reverse("insured:person-detail", args=[person.pk])
    person.refresh_from_db()
    assert person.phone == "13800001111"
    assert person.status == InsuredPerson.Status.SUSPENDED


def test_edit_cannot_change_the_id_number(client, clerk, tree):
    person = InsuredPersonFactory(village=tree["village11"])
    original = person.id_no
    client.force_login(clerk)
    client.post(
        reverse("insured:person-edit", args=[person.pk]),
        _edit_data(person, id_no=make_id_no(BIRTH, 99), phone="13800001111"),
    )
    person.refresh_from_db()
    assert person.id_no == original
    assert person.phone == "13800001111"


def test_edit_appears_in_history_with_the_username(client, clerk, tree):
    person = InsuredPersonFactory(village=tree["village11"], phone="")
    client.force_login(clerk)
    client.post(
        reverse("insured:person-edit", args=[person.pk]), _edit_data(person, phone="13800001111", status="suspended")
    )
    response = client.get(reverse("insured:person-detail", args=[person.pk]))
    assert response.status_code == 200
    changes = [c for c in response.context["history"] if c.who == clerk.username]
    assert len(changes) == 1
    assert {new for _, _, new in changes[0].details} >= {"13800001111"}
    assert len(changes[0].details) == 2  # phone and status, nothing else
    content = response.content.decode()
    assert f"<td>{clerk.username}</td>" in content
    assert "13800001111" in content


def test_township_office_edits_a_person_in_its_township(client, township_office, tree):
    person = InsuredPersonFactory(village=tree["village12"])
    client.force_login(township_office)
    assert client.get(reverse("insured:person-edit", args=[person.pk])).status_code == 200
    response = client.post(reverse("insured:person-edit", args=[person.pk]), _edit_data(person, phone="13700000000"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13700000000"


def test_township_office_gets_404_for_a_person_in_another_township(client, township_office, tree):
    person = InsuredPersonFactory(village=tree["village21"], phone="")
    client.force_login(township_office)
    assert client.get(reverse("insured:person-edit", args=[person.pk])).status_code == 404
    response = client.post(reverse("insured:person-edit", args=[person.pk]), _edit_data(person, phone="13700000000"))
    assert response.status_code == 404
    person.refresh_from_db()
    assert person.phone == ""


def test_township_office_cannot_move_a_person_out_of_its_township(client, township_office, tree):
    person = InsuredPersonFactory(village=tree["village11"])
    client.force_login(township_office)
    response = client.post(
        reverse("insured:person-edit", args=[person.pk]), _edit_data(person, village=tree["village21"].pk)
    )
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    person.refresh_from_db()
    assert person.village == tree["village11"]


def test_auditor_cannot_edit(client, tree):
    person = InsuredPersonFactory(village=tree["village11"], phone="")
    client.force_login(make_user(Role.AUDITOR, tree["county"]))
    response = client.post(reverse("insured:person-edit", args=[person.pk]), _edit_data(person, phone="13700000000"))
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.phone == ""


# --- Reading the account -------------------------------------------------------------------------


@pytest.fixture
def funded_person(tree):
    """Own contribution in two years (300 + 40 subsidy, 500 + 60), 1000 support reserved now."""
    year = timezone.localdate().year
    PolicyYearFactory(region=tree["county"], year=year - 1)
    PolicyYearFactory(region=tree["county"], year=year)
    person = InsuredPersonFactory(village=tree["village11"])
    credit(person, year=year - 1, amount="300.00", paid_on=dt.date(year - 1, 4, 1), voucher="LAST")
    credit(person, year=year, amount="500.00", paid_on=dt.date(year, 4, 1), voucher="THIS")
    ledger.support_reserve(person=person, year=year, amount=Decimal("1000.00"))
    return person


def test_person_page_shows_the_account_by_year(client, clerk, funded_person):
    year = timezone.localdate().year
    client.force_login(clerk)
    response = client.get(reverse("insured:person-detail", args=[funded_person.pk]))
    assert response.status_code == 200
    years = response.context["years"]
    assert [(y.year, y.total) for y in years] == [(year, Decimal("560.00")), (year - 1, Decimal("340.00"))]
    assert [e.amount for e in years[0].entries] == [Decimal("500.00"), Decimal("60.00")]
    content = response.content.decode()
    for text in ("560.00", "340.00"):
        assert text in content
    # Each entry names what a clerk recognises (issue 13, item 5): the tax voucher and line, linked
    # to its batch for those who may open it; never the internal source key.
    for voucher in ("THIS", "LAST"):
        assert f"电子税票号码 {voucher} 第1行" in content
        assert f"notice:{voucher}:1" not in content
    batch_id = ArrivalNotice.objects.get(voucher_no="THIS").batch_id
    assert f'href="{reverse("payments:batch-detail", args=[batch_id])}"' in content


def test_person_page_shows_the_balance(client, clerk, funded_person):
    client.force_login(clerk)
    response = client.get(reverse("insured:person-detail", args=[funded_person.pk]))
    assert response.context["balance"] == Decimal("900.00")
    assert "900.00" in response.content.decode()


def test_person_page_shows_this_years_own_contribution_and_room(client, clerk, funded_person):
    client.force_login(clerk)
    response = client.get(reverse("insured:person-detail", args=[funded_person.pk]))
    standing = response.context["standing"]
    assert standing.has_own_contribution is True
    assert standing.person_year.own_amount == Decimal("500.00")
    assert standing.cap == Decimal("5000.00")
    assert standing.used == Decimal("1000.00")
    assert standing.room == Decimal("4000.00")
    content = response.content.decode()
    for text in ("500.00", "5,000.00", "1,000.00", "4,000.00"):
        assert text in content


def test_person_page_without_contribution_shows_it_missing(client, clerk, tree):
    PolicyYearFactory(region=tree["county"], year=timezone.localdate().year)
    person = InsuredPersonFactory(village=tree["village11"])
    client.force_login(clerk)
    response = client.get(reverse("insured:person-detail", args=[person.pk]))
    standing = response.context["standing"]
    assert standing.has_own_contribution is False
    assert standing.room == Decimal("5000.00")
    assert response.context["balance"] == Decimal("0.00")


def test_village_accountant_sees_the_person_but_not_the_account(client, tree, funded_person):
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"]))
    response = client.get(reverse("insured:person-detail", args=[funded_person.pk]))
    assert response.status_code == 200
    assert funded_person.name in response.content.decode()
    assert response.context["standing"] is None
    assert response.context["years"] == []
    assert "900.00" not in response.content.decode()


def test_registering_a_person_of_another_county_does_not_say_where_they_are(client, clerk, tree, other_county):
    """Issue 12: the message says only that the person cannot be registered here and whom to ask."""
    InsuredPersonFactory(village=other_county["village11"], id_no=NEW_ID, birth_date=BIRTH, name="远方人")
    client.force_login(clerk)
    response = client.post(reverse("insured:person-create"), _registration(tree["village11"], id_no=NEW_ID))
    page = response.content.decode()
    assert response.status_code == 200
    for leak in ("远方人", other_county["county"].name, other_county["village11"].name, "已登记参保"):
        assert leak not in page


def test_an_entry_no_app_describes_names_what_its_key_names():
    """Issue 13, item 5: never the internal key where the key says what it is."""
    from insured.views import _source_label

    assert _source_label(ledger.notice_key("V1", 2)) == "电子税票号码 V1 第2行"
    assert _source_label(ledger.subsidy_key(ledger.notice_key("V1", 2))) == "电子税票号码 V1 第2行"
    assert _source_label(ledger.refund_key("TF202611250001", 5)) == "退费申请 TF202611250001"
    assert _source_label(ledger.refund_key("TF202611250001", 6, to_fund=True)) == "退费申请 TF202611250001（退回基金）"
    assert _source_label("something:else") == "something:else"
