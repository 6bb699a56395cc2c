"""The progress summary (ProgressDay, ProgressYear), counted again from what payments and the
registry record, for a set of villages and years at a time.

After a batch of notices commits, the villages and years it paid are marked stale
(`progress_mark_batch`, one statement) and a refresh is queued a little later
(`progress_refresh_stale`): one count for every batch marked meanwhile, so a county receiving a
batch every few seconds is counted again once, not once a batch, and never inside the crediting.
Beat also counts every county's this year and last every half hour (manual assignments, refunds,
registrations and memberships change figures too), and `manage.py progress_refresh` does on
demand. Each run replaces the rows of its villages and years whole, in one transaction, one run at
a time: run twice, it writes the same rows.

What is counted, per village, year and paid day (Beijing time):
- persons whose first contribution of the year arrived: the own contribution as the ledger keeps
  it (the person-year's arrival day, gone again when reversed or refunded) or a government-paid
  contribution 政府代缴 still in the person-year, whichever came first;
- the credited payments of each kind, counted and summed (a payment reversed 冲正 is not counted);
  back payments 补缴 in the year they were paid in;
- special-group members of a group the year's policy pays for, and the day each was first covered
  by a government-paid contribution (003 二(一): 应代尽代);
- the persons liable to contribute: enrolled and paying by the end of the year, and anyone who
  contributed for it whatever their status now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone

from insured import bulk, formats
from insured.models import InsuredPerson, PersonYear, Region, SpecialGroupMembership
from insured.selectors import PolicyResolver
from oversight.models import ProgressDay, ProgressStale, ProgressYear
from payments.models import ArrivalNotice, NoticeBatch, PaymentKind

ZERO = Decimal("0.00")
# Any fixed numbers: the advisory lock that lets one refresh at a time replace summary rows, and
# the one that lets one worker at a time count the stale village years (the others leave it to him).
REFRESH_LOCK = 7_110_011
STALE_LOCK = 7_110_012

Kind = PaymentKind
# Which ProgressDay figures each kind of payment adds to (count field, amount field).
KIND_FIELDS = {
    Kind.OWN: ("own_count", "own_amount"),
    Kind.GOVERNMENT_PAID: ("gov_paid_count", "gov_paid_amount"),
    Kind.SPONSORSHIP: ("sponsorship_count", "sponsorship_amount"),
    Kind.SOCIAL: ("sponsorship_count", "sponsorship_amount"),
    Kind.COLLECTIVE: ("collective_count", "collective_amount"),
    Kind.BACK_PAYMENT: ("back_payment_count", "back_payment_amount"),
}


@dataclass
class DayCell:
    paid_persons: int = 0
    own_count: int = 0
    own_amount: Decimal = ZERO
    gov_paid_count: int = 0
    gov_paid_amount: Decimal = ZERO
    members_covered: int = 0
    back_payment_count: int = 0
    back_payment_amount: Decimal = ZERO
    sponsorship_count: int = 0
    sponsorship_amount: Decimal = ZERO
    collective_count: int = 0
    collective_amount: Decimal = ZERO


CELL_FIELDS = tuple(f.name for f in fields(DayCell))


@dataclass(frozen=True)
class RefreshResult:
    villages: int
    years: tuple[int, ...]
    day_rows: int


@dataclass(slots=True)
class PaidPerson:
    village_id: int
    status: str
    enrolled_on: dt.date
    first_paid: dt.date
    gov_first: dt.date | None = None


def villages_of(region: Region) -> list[int]:
    if region.level == Region.Level.VILLAGE:
        return [region.pk]
    return list(
        Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=region.prefix).values_list("pk", flat=True)
    )


def progress_refresh(*, village_ids: Collection[int], years: Collection[int]) -> RefreshResult:
    """Count the villages' years again and replace their summary rows."""
    villages = sorted(set(village_ids))
    wanted_years = tuple(sorted(set(years)))
    if not villages or not wanted_years:
        return RefreshResult(0, wanted_years, 0)
    with transaction.atomic():
        _one_refresh_at_a_time()
        codes = dict(Region.objects.filter(pk__in=villages, level=Region.Level.VILLAGE).values_list("pk", "code"))
        villages = sorted(codes)
        cells: dict[tuple[int, int, dt.date], DayCell] = defaultdict(DayCell)
        _add_payments(cells, villages, wanted_years)
        paid = _first_contributions(villages, wanted_years)
        members = _members(codes, wanted_years)
        for (person_id, year), person in paid.items():
            cells[(person.village_id, year, person.first_paid)].paid_persons += 1
            if person.gov_first is not None and person_id in members.get((person.village_id, year), ()):
                cells[(person.village_id, year, person.gov_first)].members_covered += 1
        liable = _liable(villages, wanted_years, paid)
        _replace(villages, wanted_years, cells, liable, members)
    return RefreshResult(len(villages), wanted_years, len(cells))


def progress_refresh_region(region: Region, years: Collection[int]) -> RefreshResult:
    return progress_refresh(village_ids=villages_of(region), years=years)


def _batch_village_years(batch_pk: int) -> set[tuple[int, int]]:
    """The villages and years a processed batch of notices paid (back payments: the year paid in)."""
    if not NoticeBatch.objects.filter(pk=batch_pk, status=NoticeBatch.Status.PROCESSED).exists():
        return set()
    notices = ArrivalNotice.objects.filter(batch_id=batch_pk, person__isnull=False)
    pairs = set(notices.values_list("person__village_id", "year").distinct().order_by())
    pairs |= set(
        notices.filter(kind=Kind.BACK_PAYMENT)
        .annotate(paid_year=ExtractYear("paid_at", tzinfo=formats.BEIJING))
        .values_list("person__village_id", "paid_year")
        .distinct()
        .order_by()
    )
    return pairs


def progress_refresh_batch(batch_pk: int) -> RefreshResult:
    """Count again, now, the villages and years a processed batch paid."""
    pairs = _batch_village_years(batch_pk)
    return progress_refresh(village_ids={v for v, _ in pairs}, years={y for _, y in pairs})


def progress_mark_batch(batch_pk: int) -> int:
    """Mark the villages and years a processed batch paid as stale; a mark already there is
    moved to now, so a refresh already counting them counts them once more."""
    pairs = _batch_village_years(batch_pk)
    if not pairs:
        return 0
    now = timezone.now()
    marks = [ProgressStale(village_id=v, year=y, marked_at=now) for v, y in sorted(pairs)]
    ProgressStale.objects.bulk_create(
        marks, update_conflicts=True, unique_fields=["village", "year"], update_fields=["marked_at"]
    )
    return len(marks)


def progress_refresh_stale(max_rounds: int = 20) -> list[RefreshResult]:
    """Count again every stale village year, round after round until none is left (batches keep
    marking while it counts). A second worker finding one at it leaves: the first takes its marks."""
    results: list[RefreshResult] = []
    for _round in range(max_rounds):
        with transaction.atomic():
            if bulk.is_postgres() and not bulk.fetch("SELECT pg_try_advisory_xact_lock(%s)", [STALE_LOCK])[0][0]:
                return results
            started = timezone.now()
            marks = list(ProgressStale.objects.values_list("village_id", "year"))
            if not marks:
                return results
            by_year: dict[int, set[int]] = defaultdict(set)
            for village_id, year in marks:
                by_year[year].add(village_id)
            for year, villages in sorted(by_year.items()):
                results.append(progress_refresh(village_ids=villages, years=(year,)))
            # What was marked again while this round counted stays for the next round.
            ProgressStale.objects.filter(marked_at__lte=started).delete()
    return results


def progress_refresh_everywhere(today: dt.date | None = None) -> list[RefreshResult]:
    """Beat's run: this year and last, for every county that has insured persons."""
    today = today or timezone.localdate()
    counties = Region.objects.filter(
        level=Region.Level.COUNTY,
        code__in=InsuredPerson.objects.values("village__parent__parent__code").distinct(),
    ).order_by("code")
    return [progress_refresh_region(county, (today.year - 1, today.year)) for county in counties]


def _one_refresh_at_a_time() -> None:
    # Two refreshes of the same villages at once would each delete and insert: the second would
    # find the first's rows. They queue here instead (SQLite's demo has one writer anyway).
    if bulk.is_postgres():
        bulk.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])


def _credited(villages: list[int]) -> QuerySet[ArrivalNotice]:
    """Payments that are in the accounts now: credited and not reversed (a reversal notice takes
    its payment out of this set by turning it `reversed`)."""
    return ArrivalNotice.objects.filter(
        state=ArrivalNotice.State.CREDITED,
        reverses_voucher_no="",
        person__village_id__in=bulk.any_of(villages, "bigint"),
    )


def _year_bounds(years: tuple[int, ...]) -> tuple[dt.datetime, dt.datetime]:
    tz = formats.BEIJING
    return (
        dt.datetime(years[0], 1, 1, tzinfo=tz),
        dt.datetime(years[-1] + 1, 1, 1, tzinfo=tz),
    )


def _add_payments(cells: dict, villages: list[int], years: tuple[int, ...]) -> None:
    paid_day = TruncDate("paid_at", tzinfo=formats.BEIJING)
    in_year = (
        _credited(villages)
        .filter(year__in=years, kind__in=[k for k in KIND_FIELDS if k != Kind.BACK_PAYMENT])
        .values("kind", village=F("person__village_id"), y=F("year"), d=paid_day)
    )
    since, until = _year_bounds(years)
    back = (
        _credited(villages)
        .filter(kind=Kind.BACK_PAYMENT, paid_at__gte=since, paid_at__lt=until)
        .values("kind", village=F("person__village_id"), y=ExtractYear("paid_at", tzinfo=formats.BEIJING), d=paid_day)
    )
    for source in (in_year, back):
        for row in source.annotate(n=Count("pk"), amount=Sum("amount")).order_by():
            if row["y"] not in years:
                continue
            count_field, amount_field = KIND_FIELDS[row["kind"]]
            cell = cells[(row["village"], row["y"], row["d"])]
            setattr(cell, count_field, getattr(cell, count_field) + row["n"])
            setattr(cell, amount_field, getattr(cell, amount_field) + (row["amount"] or ZERO))


def _first_contributions(villages: list[int], years: tuple[int, ...]) -> dict[tuple[int, int], PaidPerson]:
    """Per person-year, the day the first contribution arrived: the own contribution's arrival day
    as the ledger keeps it, or the first government-paid payment still in the account."""
    person = ("person__village_id", "person__status", "person__enrolled_on")
    paid: dict[tuple[int, int], PaidPerson] = {}
    own = PersonYear.objects.filter(
        year__in=years, own_arrived_on__isnull=False, person__village_id__in=bulk.any_of(villages, "bigint")
    ).values_list("person_id", "year", "own_arrived_on", *person)
    for person_id, year, arrived, village_id, status, enrolled_on in own.iterator(chunk_size=5000):
        paid[(person_id, year)] = PaidPerson(village_id, status, enrolled_on, arrived)
    still_paid = PersonYear.objects.filter(person=OuterRef("person"), year=OuterRef("year"), gov_paid_amount__gt=0)
    government = (
        _credited(villages)
        .filter(kind=Kind.GOVERNMENT_PAID, year__in=years)
        .filter(Exists(still_paid))
        .values("person_id", "year", *person)
        .annotate(first=Min("paid_at"))
        .values_list("person_id", "year", "first", *person)
        .order_by()
    )
    for person_id, year, first, village_id, status, enrolled_on in government.iterator(chunk_size=5000):
        day = timezone.localtime(first, formats.BEIJING).date()
        found = paid.get((person_id, year))
        if found is None:
            paid[(person_id, year)] = PaidPerson(village_id, status, enrolled_on, day, day)
        else:
            found.gov_first = day
            found.first_paid = min(found.first_paid, day)
    return paid


def _members(codes: dict[int, str], years: tuple[int, ...]) -> dict[tuple[int, int], set[int]]:
    """Per village and year, the persons in a special group that year's policy pays for, enrolled
    and paying (or already paid for): 003 二(一), 002 四(三)."""
    policies = PolicyResolver()
    first_day, last_day = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    rows = (
        SpecialGroupMembership.objects.filter(
            person__village_id__in=bulk.any_of(list(codes), "bigint"), valid_from__lte=last_day
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first_day))
        .filter(person__status=InsuredPerson.Status.ENROLLED)
        .values_list("person_id", "person__village_id", "group", "valid_from", "valid_to")
    )
    members: dict[tuple[int, int], set[int]] = defaultdict(set)
    for person_id, village_id, group, valid_from, valid_to in rows.iterator(chunk_size=5000):
        for year in years:
            if valid_from > dt.date(year, 12, 31) or (valid_to is not None and valid_to < dt.date(year, 1, 1)):
                continue
            policy = policies.get(codes[village_id], year)
            if policy is not None and group in (policy.gov_paid_groups or []):
                members[(village_id, year)].add(person_id)
    return members


def _liable(
    villages: list[int], years: tuple[int, ...], paid: dict[tuple[int, int], PaidPerson]
) -> dict[tuple[int, int], int]:
    enrolled = InsuredPerson.objects.filter(
        village_id__in=bulk.any_of(villages, "bigint"), status=InsuredPerson.Status.ENROLLED
    )
    # One count a year: enrolled by the end of it.
    counts = {f"y{year}": Count("pk", filter=Q(enrolled_on__lte=dt.date(year, 12, 31))) for year in years}
    liable: dict[tuple[int, int], int] = defaultdict(int)
    for row in enrolled.values("village_id").annotate(**counts).order_by():
        for year in years:
            liable[(row["village_id"], year)] = row[f"y{year}"]
    for (_person_id, year), person in paid.items():
        counted = person.status == InsuredPerson.Status.ENROLLED and person.enrolled_on <= dt.date(year, 12, 31)
        if not counted:
            liable[(person.village_id, year)] += 1
    return liable


def _replace(
    villages: list[int],
    years: tuple[int, ...],
    cells: dict[tuple[int, int, dt.date], DayCell],
    liable: dict[tuple[int, int], int],
    members: dict[tuple[int, int], set[int]],
) -> None:
    now = timezone.now()
    ProgressDay.objects.filter(village_id__in=bulk.any_of(villages, "bigint"), year__in=years).delete()
    ProgressYear.objects.filter(village_id__in=bulk.any_of(villages, "bigint"), year__in=years).delete()
    year_rows = [
        (village, year, liable.get((village, year), 0), len(members.get((village, year), ())), now)
        for village in villages
        for year in years
    ]
    _insert(ProgressDay, ("village_id", "year", "day", "paid_new", *CELL_FIELDS), _running_totals(cells))
    _insert(ProgressYear, ("village_id", "year", "liable", "members", "refreshed_at"), year_rows)


def _running_totals(cells: dict[tuple[int, int, dt.date], DayCell]) -> Iterable[tuple]:
    """Each village-year's days in order: the day's new payers, then every figure to date."""
    running: dict[tuple[int, int], list] = {}
    for (village, year, day), cell in sorted(cells.items()):
        flows = [getattr(cell, name) for name in CELL_FIELDS]
        totals = running.get((village, year))
        totals = flows if totals is None else [a + b for a, b in zip(totals, flows, strict=True)]
        running[(village, year)] = totals
        yield (village, year, day, cell.paid_persons, *totals)


def _insert(model: type, names: tuple[str, ...], rows: Iterable[tuple]) -> None:
    if bulk.is_postgres():
        columns = [model._meta.get_field(n).column for n in names]
        bulk.copy_rows(model._meta.db_table, columns, rows)
        return
    model.objects.bulk_create((model(**dict(zip(names, row, strict=True))) for row in rows), batch_size=500)
