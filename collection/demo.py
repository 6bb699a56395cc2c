"""Collection's part of the demo county: last month's list from the civil affairs bureau 县民政局
(低保对象 and 特困人员), imported by the county clerk through the same service as an upload, so the
lists page, the difference and the township 台账 have something to show and the government-paid
receivables of the members not yet paid for are generated.

`demo_list()` also writes this month's list, `fixtures/demo/minzheng-group-list.csv` (GB18030), for the
walk-through in the README: importing it shows new members, a member who left, unchanged members and
persons to follow up, and generates the receivables that `demo_notice_batch` then pays.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.db.models import Q

from collection import services
from insured.models import InsuredPerson, SpecialGroup, SpecialGroupMembership
from insured.plugins import DemoContext

DEPARTMENT = "县民政局"
GROUPS = (SpecialGroup.DIBAO_RECIPIENT, SpecialGroup.EXTREME_POVERTY)
WORDS = {SpecialGroup.DIBAO_RECIPIENT: "低保对象", SpecialGroup.EXTREME_POVERTY: "特困人员"}
HEADER = ("序号", "公民身份号码", "姓名", "人员类别", "残疾等级", "认定部门", "开始日期", "结束日期")
NEW_MEMBERS = 4
# The day the new members of the walk-through's list joined: fixed, so the shipped file is the demo's
# on any day the demo is loaded.
NEW_FROM = dt.date(2026, 11, 1)
FILE = "minzheng-group-list.csv"
# Not in the registry: a resident the bureau lists who never enrolled (a valid, invented ID).
STRANGER = ("211370199001011235", "周建国")


def _month_before(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _members(county_prefix: str, day: dt.date) -> list[SpecialGroupMembership]:
    return list(
        SpecialGroupMembership.objects.filter(
            group__in=GROUPS, person__village__code__startswith=county_prefix, valid_from__lte=day
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("person")
        .order_by("person__person_no", "group")
    )


def _csv(rows: list[tuple[str, str, str, dt.date]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n, (id_no, name, group, start) in enumerate(rows, start=1):
        writer.writerow((n, id_no, name, WORDS[group], "", DEPARTMENT, start.isoformat(), ""))
    return out.getvalue().encode("gb18030")


def previous_list(county_prefix: str, today: dt.date) -> bytes:
    """Last month's list: every member of the two groups then, as the bureau would send it."""
    month = _month_before(today)
    members = _members(county_prefix, month)
    return _csv([(m.person.id_no, m.person.name, m.group, m.valid_from) for m in members])


def demo_list(county_prefix: str, today: dt.date) -> bytes:
    """This month's list: last month's but the first member (who left), four enrolled persons new
    to 低保, a person who receives a pension (not enrolled and paying), and a stranger."""
    members = _members(county_prefix, _month_before(today))
    kept = [(m.person.id_no, m.person.name, m.group, m.valid_from) for m in members[1:]]
    member_ids = SpecialGroupMembership.objects.values("person_id")
    persons = InsuredPerson.objects.filter(village__code__startswith=county_prefix).exclude(pk__in=member_ids)
    new = [
        (p.id_no, p.name, SpecialGroup.DIBAO_RECIPIENT, NEW_FROM)
        for p in persons.filter(status=InsuredPerson.Status.ENROLLED).order_by("person_no")[:NEW_MEMBERS]
    ]
    receiving = persons.filter(status=InsuredPerson.Status.RECEIVING).order_by("person_no").first()
    others = [(receiving.id_no, receiving.name, SpecialGroup.EXTREME_POVERTY, NEW_FROM)] if receiving else []
    others.append((*STRANGER, SpecialGroup.DIBAO_RECIPIENT, NEW_FROM))
    return _csv(kept + new + others)


def build(context: DemoContext) -> dict[str, Any]:
    month = _month_before(context.today)
    content = previous_list(context.county.prefix, context.today)
    result = services.group_list_import(
        county=context.county,
        list_month=month,
        department=DEPARTMENT,
        content=content,
        filename=f"minzheng-{month:%Y-%m}.csv",
        user=context.users["clerk"],
    )
    return {"五类人员名单": 1, "政府代缴应收": result.generated}
