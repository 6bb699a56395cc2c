"""Collection progress 征缴进度 (002 五, 003 六(二), 004 四): the summary rows on a known data set,
rates and the comparison with last year at the same date, the week line, the refresh after a
batch and by beat, and that the figures are read from the summary, not from notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oversight.models import ProgressDay, ProgressStale, ProgressYear
from oversight.selectors.progress import Tally, percent, progress_figures, same_day_last_year
from oversight.services import progress as refresh
from tests.accounts import credit
from tests.factories import InsuredPersonFactory
from tests.oversight.conftest import AS_OF

pytestmark = pytest.mark.django_db


def D(text: str) -> Decimal:
    return Decimal(text)


def _line(progress, region):
    return next(line for line in progress.lines if line.code == region.code)


def test_county_totals_as_of_a_day(world):
    progress = progress_figures(world.county, 2026, AS_OF)
    now = progress.total.now
    assert (now.liable, now.paid, now.paid_rate) == (8, 5, D("62.5"))
    assert (now.members, now.covered, now.covered_rate) == (2, 1, D("50.0"))
    assert now.own == Tally(4, D("1300.00"))
    assert now.gov_paid == Tally(1, D("100.00"))
    assert now.collective == Tally(1, D("200.00"))
    assert now.sponsorship == Tally(1, D("1000.00"))
    assert now.back_payment == Tally(1, D("500.00"))
    assert now.total_amount == D("3100.00")


def test_last_year_at_the_same_date(world):
    progress = progress_figures(world.county, 2026, AS_OF)
    last = progress.total.last_year
    assert progress.last_as_of == dt.date(2025, 3, 31)
    assert (last.liable, last.paid, last.paid_rate) == (8, 2, D("25.0"))
    assert last.own == Tally(1, D("500.00"))
    assert progress.total.rate_change == D("37.5")
    assert progress.total.paid_change == 3


def test_townships_below_the_county(world):
    progress = progress_figures(world.county, 2026, AS_OF)
    assert [line.code for line in progress.lines] == [world.tree["township1"].code, world.tree["township2"].code]
    one, two = progress.lines
    assert (one.now.liable, one.now.paid, one.now.paid_rate, one.last_year.paid_rate) == (5, 3, D("60.0"), D("40.0"))
    assert (two.now.liable, two.now.paid, two.now.paid_rate, two.last_year.paid_rate) == (3, 2, D("66.7"), D("0.0"))
    assert two.rate_change == D("66.7")


def test_villages_below_a_township_and_a_village_alone(world):
    township = progress_figures(world.tree["township1"], 2026, AS_OF)
    assert [(line.name, line.now.paid, line.now.liable) for line in township.lines] == [
        (world.tree["village11"].name, 3, 4),
        (world.tree["village12"].name, 0, 1),
    ]
    village = progress_figures(world.tree["village12"], 2026, AS_OF)
    assert village.lines == [] and village.child_level is None
    assert (village.total.now.liable, village.total.now.paid) == (1, 0)
    later = progress_figures(world.tree["village12"], 2026, dt.date(2026, 4, 2))
    assert later.total.now.paid == 1 and later.total.now.own == Tally(1, D("1000.00"))


def test_every_village_of_the_county_and_the_lagging_ones(world):
    progress = progress_figures(world.county, 2026, AS_OF, by="village")
    assert len(progress.lines) == 4
    assert progress.total.now.paid == 5
    assert [line.code for line in progress.lagging] == [world.tree["village12"].code, world.tree["village22"].code]


def test_weeks_over_the_window_are_cumulative(world):
    progress = progress_figures(world.county, 2026, AS_OF)
    weeks = {w.start: w for w in progress.weeks}
    assert progress.window == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert min(weeks) == dt.date(2025, 12, 29)  # the Monday of the week of 1 January
    assert weeks[dt.date(2026, 1, 12)].paid == 1  # G on 15 January
    assert weeks[dt.date(2026, 2, 23)].paid == 3  # D on Sunday 1 March
    assert weeks[dt.date(2026, 3, 30)].paid == 5  # cut at 31 March
    assert weeks[dt.date(2026, 4, 6)].paid is None
    assert weeks[dt.date(2026, 3, 2)].paid_last_year == 2  # by 8 March 2025: D and A
    assert weeks[dt.date(2026, 4, 6)].paid_last_year == 3  # B on 10 April 2025


def test_a_window_of_the_policy_year_is_used(world):
    from insured.models import PolicyYear

    PolicyYear.objects.filter(year=2026).update(
        collection_start=dt.date(2026, 2, 1), collection_end=dt.date(2026, 9, 30)
    )
    progress = progress_figures(world.county, 2026, AS_OF)
    assert progress.window == (dt.date(2026, 2, 1), dt.date(2026, 9, 30))
    assert progress.weeks[0].start == dt.date(2026, 1, 26) and progress.weeks[-1].end == dt.date(2026, 10, 4)


def test_rates_round_half_up_and_need_a_denominator():
    assert percent(2, 3) == D("66.7")
    assert percent(1, 8) == D("12.5")
    assert percent(1, 0) is None
    assert same_day_last_year(dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)


def test_a_reversed_or_refused_payment_is_not_counted(world):
    from tests.accounts import county_tax_client, push
    from tests.payments.conftest import notice

    a = world.persons["A"]
    original = ProgressDay.objects.get(village=a.village, year=2026, day=dt.date(2026, 3, 2))
    assert original.paid_new == 1 and original.paid_persons == 2  # D on 1 March, A on the 2nd
    voucher = a.notices.get(year=2026).voucher_no
    push(
        county_tax_client(a),
        [notice(a, voucher="REV1", amount="500.00", reverses={"voucher_no": voucher, "line_no": 1})],
    )
    refresh.progress_refresh_region(world.county, (2026,))
    progress = progress_figures(world.county, 2026, AS_OF)
    assert progress.total.now.paid == 4 and progress.total.now.own == Tally(3, D("800.00"))
    assert not ProgressDay.objects.filter(village=a.village, year=2026, day=dt.date(2026, 3, 2)).exists()


def test_the_refresh_replaces_rows_and_runs_twice_the_same(world):
    before = list(ProgressDay.objects.order_by("village_id", "year", "day").values())
    result = refresh.progress_refresh_region(world.county, (2025, 2026))
    after = list(ProgressDay.objects.order_by("village_id", "year", "day").values())
    strip = [{k: v for k, v in row.items() if k != "id"} for row in before]
    assert strip == [{k: v for k, v in row.items() if k != "id"} for row in after]
    assert result.villages == 4 and ProgressYear.objects.count() == 8


def test_a_processed_batch_refreshes_its_villages_after_commit(world, django_capture_on_commit_callbacks):
    c = world.persons["C"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        credit(c, amount="200.00", paid_on=dt.date(2026, 3, 30))
    assert callbacks, "the batch registered its after-commit callback"
    progress = progress_figures(world.county, 2026, AS_OF)
    assert progress.total.now.paid == 6


def test_a_failing_refresh_never_fails_the_batch(world, django_capture_on_commit_callbacks, monkeypatch):
    def broken(batch_pk):
        raise RuntimeError("the summary is away")

    monkeypatch.setattr(refresh, "progress_mark_batch", broken)
    c = world.persons["C"]
    with django_capture_on_commit_callbacks(execute=True):
        notice = credit(c, amount="200.00", paid_on=dt.date(2026, 3, 30))
    assert notice.state == "credited"


def test_beat_refreshes_every_county_with_persons(world):
    ProgressDay.objects.all().delete()
    ProgressYear.objects.all().delete()
    results = refresh.progress_refresh_everywhere(today=dt.date(2026, 11, 22))
    assert [r.years for r in results] == [(2025, 2026)]
    assert progress_figures(world.county, 2026, AS_OF).total.now.paid == 5


def test_a_person_registered_after_the_refresh_waits_for_the_next(world):
    InsuredPersonFactory(village=world.tree["village22"])
    assert progress_figures(world.county, 2026, AS_OF).total.now.liable == 8
    refresh.progress_refresh_region(world.county, (2026,))
    assert progress_figures(world.county, 2026, AS_OF).total.now.liable == 9


def test_the_county_figures_read_only_the_summary(world, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(7):
        progress_figures(world.county, 2026, AS_OF)
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "payments_arrivalnotice" not in tables and "insured_insuredperson" not in tables
    assert "insured_personyear" not in tables and "insured_accountentry" not in tables


def test_batches_mark_their_village_years_and_one_refresh_counts_them_all(world):
    c, d = world.persons["C"], world.persons["I"]
    first = credit(c, amount="200.00", paid_on=dt.date(2026, 3, 30))
    second = credit(d, amount="300.00", paid_on=dt.date(2026, 3, 30))
    ProgressStale.objects.all().delete()
    assert progress_figures(world.county, 2026, AS_OF).total.now.paid == 5  # the summary lags

    assert refresh.progress_mark_batch(first.batch_id) == 1
    assert refresh.progress_mark_batch(second.batch_id) == 1
    assert set(ProgressStale.objects.values_list("village_id", "year")) == {
        (c.village_id, 2026),
        (d.village_id, 2026),
    }
    results = refresh.progress_refresh_stale()

    assert [r.years for r in results] == [(2026,)]  # one count for both batches
    assert not ProgressStale.objects.exists()
    assert progress_figures(world.county, 2026, AS_OF).total.now.paid == 7


def test_a_village_marked_again_while_it_is_counted_is_counted_once_more(world, monkeypatch):
    c = world.persons["C"]
    notice = credit(c, amount="200.00", paid_on=dt.date(2026, 3, 30))
    refresh.progress_mark_batch(notice.batch_id)
    real = refresh.progress_refresh
    rounds = []

    def counting(**kwargs):
        rounds.append(kwargs["village_ids"])
        if len(rounds) == 1:
            refresh.progress_mark_batch(notice.batch_id)  # another batch paid it meanwhile
        return real(**kwargs)

    monkeypatch.setattr(refresh, "progress_refresh", counting)
    refresh.progress_refresh_stale()
    assert rounds == [{c.village_id}, {c.village_id}]
    assert not ProgressStale.objects.exists()
