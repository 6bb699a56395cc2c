"""The roster 补助/资助申报表 (001 附件3): its spreadsheet layout, the check of every row against
the registry and the rules, and the saving of a roster that passed.

The check is set-based: one query for the persons of the whole file, one for their person-years,
one for what other rosters have pending, one for their special groups; the rules are then asked
row by row in memory (insured.rules). It runs on an uploaded file (`check_sheet`) and again on a
saved roster at each step (`check_rows`), so a row that stopped passing (the person began to
draw a pension, the cap filled up) is caught before the money moves.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from collective.models import Filing, Roster, RosterRow
from insured import bulk, plugins, rules
from insured.models import InsuredPerson, PersonYear, SpecialGroupMembership
from insured.rules import RuleViolation
from insured.selectors import PolicyResolver
from insured.spreadsheets import Column, ColumnKind, Layout, RowError, Sheet

ZERO = Decimal("0.00")
APP = "collective"
# Above this many rows a page hands the file to a background job (insured.jobs) with a progress bar.
SYNC_ROWS = 2000
MAX_SEQ = 999_999
SEX_CODE = {"男": "M", "女": "F"}
SEX_LABEL = {code: label for label, code in SEX_CODE.items()}

LAYOUT = Layout(
    title="城乡居民基本养老保险补助/资助申报表",
    columns=(
        Column("seq", "序号", ColumnKind.INTEGER, width=7, example=1),
        Column("name", "姓名", ColumnKind.NAME, width=12, example="王秀兰"),
        Column("sex", "性别", ColumnKind.CHOICE, choices=("男", "女"), width=7, example="女"),
        Column(
            "id_no",
            "公民身份号码",
            ColumnKind.ID_NO,
            aliases=("身份证号码", "身份证号", "证件号码", "社会保障号码"),
            width=22,
        ),
        Column(
            "amount",
            "补助金（资助）金额",
            ColumnKind.AMOUNT,
            aliases=("补助金额", "资助金额", "补助（资助）金额", "补助金（资助）金额（元）", "金额"),
            width=18,
            example="200.00",
        ),
        Column(
            "type",
            "补助或资助类型",
            ColumnKind.TEXT,
            aliases=("补助（资助）类型", "类型"),
            choices=tuple(rules.SUPPORT_TYPE_OF_LABEL),
            width=16,
            example="集体补助",
        ),
    ),
    row_key="seq",
    max_rows=20_000,
    notes=(
        "本表由资助人或补助（资助）单位填报，一行一人（内蒙古人社办发〔2025〕16号 附件3）。",
        "序号：从1开始的整数，不得重复。姓名、性别、公民身份号码：与参保登记一致；公民身份号码为18位，本列已设为文本格式，"
        "请勿改为数值，否则后几位会丢失。",
        "补助金（资助）金额：以元为单位，最多两位小数；集体补助按本年度备案的补助标准填写。",
        "补助或资助类型：集体补助或社会资助。",
        "补助对象须为参加城乡居民基本养老保险、本年度个人缴费已到账、未领取养老保险待遇的本集体经济组织成员；"
        "集体补助和社会（个人）资助合计不超过当年最高缴费档次。",
    ),
)
# Which column a rule's refusal belongs to on the error sheet: a rule about the person names the ID.
COLUMN_OF_FIELD = {"seq": "seq", "amount": "amount", "name": "name", "sex": "sex", "type": "type", "id_no": "id_no"}


@dataclass(frozen=True)
class RowInput:
    """A row to check, from a file or from a saved roster."""

    index: int
    seq: int | None
    line: int
    name: str | None
    sex: str | None  # 男 or 女
    id_no: str | None
    amount: Decimal | None
    type_label: str | None
    has_cell_errors: bool = False


@dataclass(frozen=True)
class CheckedRow:
    seq: int
    line: int
    person_id: int
    name: str
    sex: str
    amount: Decimal
    kind: str


@dataclass
class RosterCheck:
    """The rows that passed and every error, file-level ones (row None) included."""

    rows: list[CheckedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    input_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def count(self) -> int:
        return self.input_count

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), ZERO)


Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


def inputs_of_sheet(sheet: Sheet) -> list[RowInput]:
    bad = {e.line for e in sheet.errors}
    return [
        RowInput(
            index=index,
            seq=values.get("seq"),
            line=line,
            name=values.get("name"),
            sex=values.get("sex"),
            id_no=values.get("id_no"),
            amount=values.get("amount"),
            type_label=values.get("type"),
            has_cell_errors=line in bad,
        )
        for index, (_row, line, values) in enumerate(sheet.records())
    ]


def inputs_of_roster(roster: Roster) -> list[RowInput]:
    rows = roster.rows.select_related("person").order_by("seq")
    return [
        RowInput(
            index=index,
            seq=row.seq,
            line=row.line,
            name=row.name,
            sex=SEX_LABEL.get(row.sex),
            id_no=row.person.id_no,
            amount=row.amount,
            type_label=rules.SUPPORT_TYPE_LABELS[row.kind],
        )
        for index, row in enumerate(rows)
    ]


def check_filing(filing: Filing, today: dt.date) -> None:
    """What the whole filing must satisfy before any of its rows is looked at."""
    rules.check_filing_year(filing.year, today)
    if filing.kind == Filing.Kind.COLLECTIVE:
        rules.check_virtual_unit_recorded(filing.organisation.virtual_unit_code)
        rules.check_not_land_acquired_subsidy(filing.declares_not_land_acquired)


def check_sheet(
    sheet: Sheet, filing: Filing, *, today: dt.date, progress: Progress = _no_progress, exclude: Roster | None = None
) -> RosterCheck:
    check = check_rows(inputs_of_sheet(sheet), filing, today=today, progress=progress, exclude=exclude)
    check.errors = sorted([*sheet.errors, *check.errors], key=_error_order)
    return check


def _error_order(error: RowError) -> tuple:
    return (error.line or 0, [c.header for c in LAYOUT.columns].index(error.column) if error.column else 99)


class _Facts:
    """What the check reads, each with one query."""

    def __init__(self, inputs: Sequence[RowInput], filing: Filing, exclude: Roster | None) -> None:
        # Thousands of values travel as one array parameter each (insured.bulk.any_of).
        ids = {r.id_no for r in inputs if r.id_no}
        self.persons = {
            p.id_no: p
            for p in InsuredPerson.objects.filter(id_no__in=bulk.any_of(ids, "text"))
            .select_related("village")
            .order_by()
        }
        pids = [p.pk for p in self.persons.values()]
        year = filing.year
        self.person_years = {
            py.person_id: py for py in PersonYear.objects.filter(person_id__in=bulk.any_of(pids, "bigint"), year=year)
        }
        pending = (
            RosterRow.objects.filter(
                person_id__in=bulk.any_of(pids, "bigint"), roster__filing__year=year, roster__status__in=Roster.PENDING
            )
            .exclude(roster=exclude)
            .order_by()
            .values("person_id")
            .annotate(total=Sum("amount"))
        )
        self.pending = {row["person_id"]: row["total"] for row in pending}
        for person_id, amount in plugins.pending_support(pids, year, except_app=APP).items():
            self.pending[person_id] = self.pending.get(person_id, ZERO) + amount
        self.policies = PolicyResolver()
        self.hardship: set[int] | None = None
        self._pids = pids

    def is_hardship(self, person: InsuredPerson, day: dt.date) -> bool:
        if self.hardship is None:
            members = SpecialGroupMembership.objects.filter(
                person_id__in=bulk.any_of(self._pids, "bigint"), valid_from__lte=day
            ).exclude(valid_to__lt=day)
            self.hardship = set(members.values_list("person_id", flat=True))
        return person.pk in self.hardship


def check_rows(
    inputs: Sequence[RowInput],
    filing: Filing,
    *,
    today: dt.date,
    progress: Progress = _no_progress,
    exclude: Roster | None = None,
    with_cap: bool = True,
) -> RosterCheck:
    """Every rule of notice 001 for every row. `exclude` is the roster being checked again (its own
    rows are not pending beside themselves); `with_cap=False` leaves rule 1 to the approval, which
    checks it under the person-year locks."""
    check = RosterCheck(input_count=len(inputs))
    try:
        check_filing(filing, today)
    except RuleViolation as exc:
        check.errors.append(RowError(None, None, None, exc.code, exc.message))
        return check
    facts = _Facts(inputs, filing, exclude)
    seen_seq: dict[int, int] = {}
    seen_person: dict[str, int] = {}
    total = len(inputs)
    for done, row in enumerate(inputs, start=1):
        if done % 500 == 0:
            progress(done, total)
        try:
            checked = _check_row(row, filing, facts, today, seen_seq, seen_person, with_cap)
        except RuleViolation as exc:
            column = LAYOUT.column(COLUMN_OF_FIELD.get(exc.field or "", "id_no")).header
            check.errors.append(RowError(row.seq or row.index + 1, row.line, column, exc.code, exc.message))
            continue
        if checked is not None:
            check.rows.append(checked)
    progress(total, total)
    if filing.kind == Filing.Kind.COLLECTIVE and check.ok:
        _check_plan(check, filing, exclude)
    return check


def _check_row(
    row: RowInput,
    filing: Filing,
    facts: _Facts,
    today: dt.date,
    seen_seq: dict[int, int],
    seen_person: dict[str, int],
    with_cap: bool,
) -> CheckedRow | None:
    if row.seq is not None:
        if row.seq > MAX_SEQ:
            raise RuleViolation(
                "seq_invalid", _("No. %(seq)s is too large; number the rows from 1.") % {"seq": row.seq}, "seq"
            )
        if row.seq in seen_seq:
            raise RuleViolation(
                "seq_duplicate",
                _("No. %(seq)s is used twice (lines %(first)s and %(line)s); number the rows once each.")
                % {"seq": row.seq, "first": seen_seq[row.seq], "line": row.line},
                "seq",
            )
        seen_seq[row.seq] = row.line
    if row.id_no:
        rules.check_person_once(seen_person.get(row.id_no))
        seen_person[row.id_no] = row.seq or row.index + 1
    if row.has_cell_errors or None in (row.seq, row.id_no, row.amount, row.type_label):
        return None  # the cells' own errors are reported; the rules need the values
    kind = rules.support_type_of(row.type_label)
    rules.check_support_type_allowed(kind, payer_is_collective=filing.kind == Filing.Kind.COLLECTIVE)
    rules.check_amount(row.amount)
    region = filing.organisation.village if filing.organisation_id else filing.region
    person = rules.check_member(
        facts.persons.get(row.id_no), region, id_no=row.id_no, collective=filing.kind == Filing.Kind.COLLECTIVE
    )
    rules.check_registry_match(person, name=row.name, sex=SEX_CODE.get(row.sex or ""))
    rules.check_can_receive_support(person)  # rule 3
    policy = facts.policies.get(person.village.code, filing.year)
    if policy is None:
        raise RuleViolation(
            "policy_missing",
            _(
                "No contribution standard for %(year)s covers %(village)s; ask the administrator to enter the "
                "policy year."
            )
            % {"year": filing.year, "village": person.village.name},
        )
    person_year = facts.person_years.get(person.pk)
    rules.check_own_contribution_arrived(person_year, policy)  # rule 2
    if kind == rules.COLLECTIVE:
        rules.check_collective_standard(
            row.amount,
            standard=filing.standard,
            hardship_standard=filing.hardship_standard,
            is_hardship=filing.hardship_standard is not None and facts.is_hardship(person, today),
        )
    if with_cap:
        # Rule 1: what is credited and reserved, what other filings have pending, and this row.
        held = person_year.support_used if person_year else ZERO
        used = held + facts.pending.get(person.pk, ZERO)
        rules.check_cap(year=filing.year, cap=policy.top_tier, used=used, amount=row.amount)
    return CheckedRow(row.seq, row.line, person.pk, row.name or person.name, person.sex, row.amount, kind)


def _check_plan(check: RosterCheck, filing: Filing, exclude: Roster | None) -> None:
    others = (
        RosterRow.objects.filter(roster__filing=filing, roster__status__in=Roster.LIVE, kind=RosterRow.Kind.COLLECTIVE)
        .exclude(roster=exclude)
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    mine = sum((r.amount for r in check.rows if r.kind == rules.COLLECTIVE), ZERO)
    try:
        rules.check_within_plan(others + mine, filing.planned_total)
    except RuleViolation as exc:
        check.errors.append(RowError(None, None, None, exc.code, exc.message))


def save_rows(roster: Roster, rows: Iterable[CheckedRow]) -> None:
    """The rows of a roster that passed, written in one go (COPY on PostgreSQL)."""
    values = [(roster.pk, r.seq, r.line, r.person_id, r.name, r.sex, r.amount, r.kind) for r in rows]
    columns = ("roster_id", "seq", "line", "person_id", "name", "sex", "amount", "kind")
    if bulk.is_postgres():
        bulk.copy_rows(RosterRow._meta.db_table, columns, values)
        return
    RosterRow.objects.bulk_create([RosterRow(**dict(zip(columns, v, strict=True))) for v in values], batch_size=500)


def errors_by_row(errors: Iterable[RowError]) -> dict[int | None, list[RowError]]:
    grouped: dict[int | None, list[RowError]] = defaultdict(list)
    for error in errors:
        grouped[error.row].append(error)
    return grouped
