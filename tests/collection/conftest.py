"""A county of four villages with its policy year, a clerk, and lists written as departments send them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from insured.models import InsuredPerson, Role
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_id_no, make_user, region_tree

HEADER = ("序号", "公民身份号码", "姓名", "人员类别", "残疾等级", "认定部门", "开始日期", "结束日期")
MONTH = dt.date(2026, 3, 1)


def list_csv(rows: list[tuple], *, encoding: str = "utf-8-sig") -> bytes:
    """(ID, name, group word[, grade[, start[, end]]]) rows as a department's CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n, row in enumerate(rows, start=1):
        id_no, name, group, *rest = row
        grade = rest[0] if len(rest) > 0 else ""
        start = rest[1] if len(rest) > 1 else "2025-01-01"
        end = rest[2] if len(rest) > 2 else ""
        writer.writerow((n, id_no, name, group, grade, "县民政局", start, end))
    return out.getvalue().encode(encoding)


@pytest.fixture
def tree(db):
    return region_tree()


@pytest.fixture
def policy(tree):
    return PolicyYearFactory(region=tree["county"], year=2026, gov_paid_deadline=dt.date(2026, 5, 31))


@pytest.fixture
def clerk(tree):
    return make_user(Role.CLERK, tree["county"], username="clerk1")


@pytest.fixture
def person_at(tree):
    seq = iter(range(100, 999))

    def make(village: str = "village11", **extra) -> InsuredPerson:
        return InsuredPersonFactory(village=tree[village], id_no=make_id_no(dt.date(1970, 1, 1), next(seq)), **extra)

    return make
