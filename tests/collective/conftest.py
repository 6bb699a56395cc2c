"""Fixtures for collective subsidy: the test county's policy (cap 5000), a village with its collective
organisation (virtual unit recorded) and its 2026 plan (standard 200, hardship groups 300, 25,000 in
all), members whose own contribution of 2026 has arrived, the village accountant and county staff,
and builders of roster files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from tests.accounts import credit
from tests.factories import FilingFactory, InsuredPersonFactory, OrganisationFactory, first_village, make_user

TODAY = dt.date(2026, 11, 23)  # a Monday
HEADER = ["序号", "姓名", "性别", "公民身份号码", "补助金（资助）金额", "补助或资助类型"]
SEX = {"M": "男", "F": "女"}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """The services default to timezone.localdate(); the tests run on TODAY."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def county(policy):
    return policy.region


@pytest.fixture
def village(county):
    return first_village(county)


@pytest.fixture
def other_village(county, village):
    from insured.models import Region

    return (
        Region.objects.filter(level="village", code__startswith=county.prefix)
        .exclude(pk=village.pk)
        .order_by("code")
        .first()
    )


@pytest.fixture
def accountant(village):
    return make_user("village_accountant", village, username="village1", last_name="刘", first_name="春生")


@pytest.fixture
def clerk(county):
    return make_user("clerk", county, username="clerk1", last_name="李", first_name="晓梅")


@pytest.fixture
def reviewer(county):
    return make_user("reviewer", county, username="reviewer1", last_name="王", first_name="建国")


@pytest.fixture
def reviewer2(county):
    return make_user("reviewer", county, username="reviewer2", last_name="赵", first_name="丽华")


@pytest.fixture
def organisation(village, accountant):
    return OrganisationFactory(village=village, name="测试一村股份经济合作社", created_by=accountant)


@pytest.fixture
def filing(organisation, accountant):
    return FilingFactory(organisation=organisation, region=organisation.village, created_by=accountant)


def paid_member(village, name: str | None = None, amount: str = "500.00", **extra):
    person = InsuredPersonFactory(village=village, **({"name": name} if name else {}), **extra)
    credit(person, year=2026, amount=amount, paid_on=dt.date(2026, 3, 2), voucher=f"OWN{person.pk}")
    return person


@pytest.fixture
def members(village):
    return [paid_member(village) for _ in range(4)]


def row(seq: int, person, amount: str = "200.00", kind: str = "集体补助", **overrides) -> list:
    values = {"seq": seq, "name": person.name, "sex": SEX[person.sex], "id_no": person.id_no, "amount": amount}
    values.update(overrides)
    return [values["seq"], values["name"], values["sex"], values["id_no"], values["amount"], kind]


def xlsx_file(rows: list[list], header: list[str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for r in rows:
        sheet.append(r)
    # The ID column as text, as the template has it.
    for cell in sheet["D"]:
        cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows: list[list], encoding: str = "utf-8-sig", header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def rows_of(members, amount: str = "200.00") -> list[list]:
    return [row(n, p, amount) for n, p in enumerate(members, start=1)]


@pytest.fixture
def money():
    return Decimal
