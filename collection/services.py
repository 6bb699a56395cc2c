"""Every write of collection: a department's monthly special-group list imported whole, with its
difference against the memberships (003 六(三) 每月比对, 动态清零), and the government-paid
receivables generated set-based for every member the policy year pays for (003 二(一) 应代尽代).

A list is checked row by row and taken whole or not at all; the same file twice changes nothing
(its fingerprint is unique per county). Memberships are added, confirmed or given an end date in
the registry, never deleted, each change with its history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from simple_history.utils import bulk_create_with_history

from collection import layouts, storage
from collection.models import GroupList, GroupListRow
from insured import bulk, rules
from insured.models import InsuredPerson, PersonYear, Region, SpecialGroupMembership
from insured.selectors import PolicyResolver
from insured.spreadsheets import RowError, Sheet, SpreadsheetError, error_sheet, read
from payments.models import PaymentKind, Receivable
from payments.services import ReceivableRequest, receivables_create_many

# The receivables this app assesses: the government-paid contribution of a person and year.
GOV_PAID_SOURCE = "collection.gov_paid"
LIVE = (Receivable.Status.OPEN, Receivable.Status.SENT, Receivable.Status.PAID)
# Enrolled for a membership and the government's payment: paying, or suspended (暂停) and able to
# resume; a person drawing a pension or whose record is closed pays no contribution.
ENROLLED = (InsuredPerson.Status.ENROLLED, InsuredPerson.Status.SUSPENDED)
Outcome = GroupListRow.Outcome
Progress = Callable[[int, int], None]
CHUNK = 2000


def _no_progress(done: int, total: int) -> None:
    return None


class ListInvalid(Exception):
    """A list with errors (row by row, or the file as a whole): nothing of it was saved."""

    def __init__(self, errors: list[RowError], sheet: Sheet | None = None) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors
        self.sheet = sheet

    def error_sheet(self) -> Any:
        has_lines = any(e.line is not None for e in self.errors)
        return error_sheet(self.sheet, self.errors) if self.sheet is not None and has_lines else None


@dataclass(frozen=True)
class ImportResult:
    created: bool
    group_list: GroupList
    generated: int = 0


@dataclass(slots=True)
class ListedRow:
    line: int
    id_no: str
    name: str
    group: str
    grade: int | None
    department: str
    valid_from: dt.date
    valid_to: dt.date | None


def group_list_read(content: bytes, filename: str) -> Sheet:
    try:
        return read(content, filename, layouts.GROUP_LIST)
    except SpreadsheetError as exc:
        raise ListInvalid([exc.as_row_error()]) from None


def _check_row(sheet: Sheet, index: int, row: dict[str, Any], errors: list[RowError]) -> tuple[str, int | None]:
    group, grade = "", None
    try:
        group = rules.special_group_of(row.get("group")) if row.get("group") else ""
    except rules.RuleViolation as exc:
        errors.append(sheet.error(index, "group", exc.code, exc.message))
    try:
        grade = rules.disability_grade_of(row.get("grade"))
        if group:
            rules.check_disability_grade(group, grade)
    except rules.RuleViolation as exc:
        errors.append(sheet.error(index, "grade", exc.code, exc.message))
    if row.get("valid_from"):
        try:
            rules.check_membership_dates(row["valid_from"], row.get("valid_to"))
        except rules.RuleViolation as exc:
            errors.append(sheet.error(index, "valid_to", exc.code, exc.message))
    return group, grade


def check_rows(sheet: Sheet, department: str) -> tuple[list[RowError], list[ListedRow]]:
    """Every row checked (the cells by the reader, the groups, grades and dates by the rules); a
    person is listed once in a group (003 六(三))."""
    errors = list(sheet.errors)
    first: dict[tuple[str, str], int] = {}
    rows: list[ListedRow] = []
    for index, (number, line, row) in enumerate(sheet.records()):
        before = len(errors)
        group, grade = _check_row(sheet, index, row, errors)
        key = (row.get("id_no") or "", group)
        if key[0] and group:
            try:
                rules.check_listed_once(first.get(key))
                first[key] = line
            except rules.RuleViolation as exc:
                errors.append(sheet.error(index, "id_no", exc.code, exc.message))
        complete = row.get("id_no") and row.get("name") and group and row.get("valid_from")
        if complete and len(errors) == before:
            rows.append(
                ListedRow(
                    line=number,
                    id_no=row["id_no"],
                    name=row["name"][:50],
                    group=group,
                    grade=grade,
                    department=(row.get("department") or department)[:50],
                    valid_from=row["valid_from"],
                    valid_to=row.get("valid_to"),
                )
            )
    return errors, rows


def group_list_import(
    *,
    county: Region,
    list_month: dt.date,
    department: str,
    content: bytes,
    filename: str,
    user: AbstractBaseUser,
    progress: Progress = _no_progress,
    sheet: Sheet | None = None,
) -> ImportResult:
    """Check a department's list row by row and apply it whole, or raise ListInvalid and change
    nothing; then generate the government-paid receivables it calls for. The same file again
    changes nothing."""
    if county.level != Region.Level.COUNTY:
        raise ValueError("a special-group list is a county's")
    list_month = list_month.replace(day=1)
    sheet = sheet or group_list_read(content, filename)
    progress(0, len(sheet))
    errors, rows = check_rows(sheet, department)
    if errors:
        raise ListInvalid(errors, sheet)
    fingerprint = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        # The county's row is the lock two imports at once queue on: each sees the other's memberships.
        Region.objects.select_for_update().get(pk=county.pk)
        existing = GroupList.objects.filter(county=county, sha256=fingerprint).first()
        if existing is not None:
            return ImportResult(created=False, group_list=existing)
        group_list = GroupList(
            county=county,
            department=department[:50],
            list_month=list_month,
            groups=sorted({r.group for r in rows}),
            source_name=filename[:200],
            sha256=fingerprint,
            row_count=len(rows),
            uploaded_by=user,
        )
        group_list._history_user = user
        group_list.save()
        _apply(group_list, rows, user, progress)
        generated = gov_paid_generate(county=county, year=list_month.year, user=user)
    return ImportResult(created=True, group_list=group_list, generated=generated)


@dataclass(slots=True)
class _Person:
    id: int
    status: str
    village_code: str
    township_id: int | None
    died_on: dt.date | None
    has_employee_pension: bool


def _persons(ids: set[str]) -> dict[str, _Person]:
    rows = InsuredPerson.objects.filter(id_no__in=bulk.any_of(ids, "text")).values_list(
        "id_no", "id", "status", "village__code", "village__parent_id", "died_on", "has_employee_pension"
    )
    return {row[0]: _Person(*row[1:]) for row in rows}


def _follow_up(person: _Person | None, county: Region) -> str | None:
    """Why a listed person gets no membership, or None: they are listed for the offices to follow up."""
    if person is None:
        return Outcome.NOT_ENROLLED
    if not person.village_code.startswith(county.prefix):
        return Outcome.NOT_LOCAL
    if person.died_on is not None:
        return Outcome.DEAD
    if person.has_employee_pension:
        return Outcome.EMPLOYEE_SCHEME
    if person.status not in ENROLLED:
        return Outcome.NOT_ENROLLED
    return None


@dataclass(slots=True)
class _Held:
    """A membership as read: model instances are made only for the few that change."""

    id: int
    person_id: int
    group: str
    valid_from: dt.date
    valid_to: dt.date | None
    source_department: str
    disability_grade: int | None
    list_month: dt.date | None

    def changed(self, **values: Any) -> SpecialGroupMembership:
        fields = {f: getattr(self, f) for f in self.__slots__ if f != "id"} | values
        return SpecialGroupMembership(id=self.id, **fields)


HELD = ("id", "person_id", "group", "valid_from", "valid_to", "source_department", "disability_grade", "list_month")


def _apply(group_list: GroupList, rows: list[ListedRow], user: AbstractBaseUser, progress: Progress) -> None:
    """The difference: new, unchanged and left memberships, and the persons to follow up."""
    county, month = group_list.county, group_list.list_month
    persons = _persons({r.id_no for r in rows})
    groups = sorted(set(group_list.groups))
    # Every membership of these groups still running in the county: one query, whatever the list's size.
    running = SpecialGroupMembership.objects.filter(
        group__in=groups, person__village__code__startswith=county.prefix
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=month))
    active = {(h.person_id, h.group): h for h in (_Held(*v) for v in running.order_by("valid_from").values_list(*HELD))}
    made: list[tuple[GroupListRow, SpecialGroupMembership]] = []
    changed: dict[int, SpecialGroupMembership] = {}
    out: list[GroupListRow] = []
    listed: set[tuple[int, str]] = set()
    starting: list[tuple[GroupListRow, ListedRow, int]] = []
    for row in rows:
        person = persons.get(row.id_no)
        result = GroupListRow(
            group_list=group_list,
            line=row.line,
            id_no=row.id_no,
            name=row.name,
            group=row.group,
            person_id=person.id if person else None,
            township_id=person.township_id if person else None,
        )
        out.append(result)
        if person is not None:
            listed.add((person.id, row.group))
        follow_up = _follow_up(person, county)
        if follow_up is not None:
            result.outcome = follow_up
            continue
        held = active.get((person.id, row.group))
        if held is None:
            result.outcome = Outcome.NEW
            starting.append((result, row, person.id))
            continue
        result.outcome = Outcome.UNCHANGED
        result.membership_id = held.id
        after = (row.valid_to, row.department, row.grade)
        if (held.valid_to, held.source_department, held.disability_grade) != after:
            # The department changed an end date, its name or a grade: the list that last changed it.
            changed[held.id] = held.changed(
                valid_to=row.valid_to, source_department=row.department, disability_grade=row.grade, list_month=month
            )
    _start(starting, month, made, changed)
    left_townships = dict(
        InsuredPerson.objects.filter(
            pk__in=bulk.any_of([k[0] for k in active if k not in listed], "bigint")
        ).values_list("pk", "village__parent_id")
    )
    for key, held in active.items():
        if key in listed:
            continue
        # 动态清零: the department no longer lists the person; the membership ends, it is never deleted.
        ended = held.changed(valid_to=rules.membership_end_when_left(held.valid_from, month), list_month=month)
        changed[held.id] = ended
        out.append(
            GroupListRow(
                group_list=group_list,
                id_no="",
                name="",
                group=held.group,
                outcome=Outcome.LEFT,
                person_id=held.person_id,
                membership_id=held.id,
                township_id=left_townships.get(held.person_id),
            )
        )
    _write(group_list, made, list(changed.values()), out, user, progress)


def _start(
    starting: list[tuple[GroupListRow, ListedRow, int]],
    month: dt.date,
    made: list[tuple[GroupListRow, SpecialGroupMembership]],
    changed: dict[int, SpecialGroupMembership],
) -> None:
    """New members: a membership made, or one ended earlier with the same start opened again (it is
    the same membership)."""
    if not starting:
        return
    earlier = SpecialGroupMembership.objects.filter(
        person_id__in=bulk.any_of({pid for _r, _row, pid in starting}, "bigint"),
        group__in={row.group for _r, row, _pid in starting},
    ).values_list(*HELD)
    by_start = {(h.person_id, h.group, h.valid_from): h for h in (_Held(*v) for v in earlier)}
    for result, row, person_id in starting:
        values = {
            "valid_to": row.valid_to,
            "source_department": row.department,
            "disability_grade": row.grade,
            "list_month": month,
        }
        held = by_start.get((person_id, row.group, row.valid_from))
        if held is not None:
            changed[held.id] = held.changed(**values)
            result.membership_id = held.id
            continue
        made.append(
            (result, SpecialGroupMembership(person_id=person_id, group=row.group, valid_from=row.valid_from, **values))
        )


def _write(
    group_list: GroupList,
    made: list[tuple[GroupListRow, SpecialGroupMembership]],
    changed: list[SpecialGroupMembership],
    out: list[GroupListRow],
    user: AbstractBaseUser,
    progress: Progress,
) -> None:
    if made:
        memberships = [m for _row, m in made]
        bulk_create_with_history(memberships, SpecialGroupMembership, batch_size=CHUNK, default_user=user)
    if changed:
        storage.memberships_update(changed)
        SpecialGroupMembership.history.bulk_history_create(changed, update=True, default_user=user, batch_size=CHUNK)
    progress(len(out) // 2, len(out))
    _fill_left_names(out)
    for row, membership in made:
        row.membership_id = membership.pk  # made above: its id is known only now
    storage.rows_insert(out)
    counts = {outcome: 0 for outcome in Outcome.values}
    for row in out:
        counts[row.outcome] += 1
    GroupList.objects.filter(pk=group_list.pk).update(
        new_count=counts[Outcome.NEW],
        left_count=counts[Outcome.LEFT],
        unchanged_count=counts[Outcome.UNCHANGED],
        follow_up_count=sum(counts[o] for o in GroupListRow.FOLLOW_UP),
    )
    group_list.refresh_from_db()
    progress(len(out), len(out))


def _fill_left_names(out: list[GroupListRow]) -> None:
    """A member who left is named as the registry has them (the list no longer does)."""
    left = [r for r in out if r.outcome == Outcome.LEFT]
    if not left:
        return
    names = dict(
        (pk, (id_no, name))
        for pk, id_no, name in InsuredPerson.objects.filter(
            pk__in=bulk.any_of([r.person_id for r in left], "bigint")
        ).values_list("pk", "id_no", "name")
    )
    for row in left:
        row.id_no, row.name = names[row.person_id]


# --- Government-paid receivables 政府代缴 (003 二(一) 动态清零、应代尽代; 四(二)) ----------------------------


def gov_paid_members(village_ids: list[int], policy: Any, year: int) -> Any:
    """Persons of these villages the policy year pays for and has not paid for yet: members of a
    paying group at some time of the year, enrolled, alive, not in the employee or land-acquired
    scheme, with no government-paid contribution arrived and no live receivable for it."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    members = SpecialGroupMembership.objects.filter(
        person=OuterRef("pk"), group__in=sorted(rules.paying_groups(policy)), valid_from__lte=end
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
    paid = PersonYear.objects.filter(person=OuterRef("pk"), year=year, gov_paid_amount__gt=0)
    live = Receivable.objects.filter(
        person=OuterRef("pk"), year=year, kind=PaymentKind.GOVERNMENT_PAID, status__in=LIVE
    )
    return (
        InsuredPerson.objects.filter(
            village_id__in=village_ids,
            status__in=ENROLLED,
            died_on__isnull=True,
            has_employee_pension=False,
            has_land_acquired_scheme=False,
        )
        .filter(Exists(members))
        .exclude(Exists(paid))
        .exclude(Exists(live))
    )


def gov_paid_generate(*, county: Region, year: int, user: AbstractBaseUser | None = None) -> int:
    """A government-paid receivable at the policy's amount for every member not yet covered; the
    number made. Set-based: a few queries per policy year, none per person. Run twice, it makes
    nothing the second time (one live receivable per person and year, and those are left out)."""
    resolver = PolicyResolver()
    by_policy: dict[int, tuple[Any, list[int]]] = {}
    villages = Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=county.prefix)
    for pk, code in villages.values_list("pk", "code"):
        policy = resolver.get(code, year)
        if policy is not None and rules.paying_groups(policy) and policy.gov_paid_payer_id:
            by_policy.setdefault(policy.pk, (policy, []))[1].append(pk)
    made = 0
    with transaction.atomic():
        # One generation of a county at a time: the unique index would refuse a second anyway.
        Region.objects.select_for_update().get(pk=county.pk)
        for policy, village_ids in by_policy.values():
            due = policy.gov_paid_deadline or dt.date(year, 12, 31)
            person_ids = list(gov_paid_members(village_ids, policy, year).values_list("pk", flat=True))
            requests = [
                ReceivableRequest(
                    person_id=pk,
                    kind=PaymentKind.GOVERNMENT_PAID,
                    payer_name=policy.gov_paid_payer_name or county.name,
                    payer_id=policy.gov_paid_payer_id,
                    year=year,
                    amount=policy.gov_paid_amount,
                    due_date=due,
                    source_type=GOV_PAID_SOURCE,
                    source_ref=gov_paid_ref(pk, year),
                )
                for pk in person_ids
            ]
            receivables_create_many(requests, user=user)
            made += len(requests)
    return made


def gov_paid_ref(person_id: int, year: int) -> str:
    return f"{person_id}:{year}"


def gov_paid_generate_all(year: int) -> dict[str, int]:
    """Every county with a policy that pays, for the monthly beat (after the month's lists)."""
    counties = Region.objects.filter(level=Region.Level.COUNTY).order_by("code")
    return {county.code: gov_paid_generate(county=county, year=year) for county in counties}
