"""Benchmark: the collection progress page 征缴进度 of a county of 200,000 persons with a year of
notices (and last year's, to compare with), read from the summary tables; the refresh that keeps
them; the weekly report. On PostgreSQL.

    .venv/bin/python bench/progress.py [--persons 200000] [--villages 300] [--runs 30]
        [--database-url postgres://postgres@127.0.0.1:5432/pension_bench_oversight] [--write docs/benchmarks.md]

What it does, in order:

1. Drops and recreates the bench database (its name must contain "bench"), migrates it, and builds a
   bench county: 10 townships of V/10 villages, the policy years 2025 and 2026 (tiers 200–5000, the
   government paying 100 for the five groups), P persons (bulk_create), a tenth of them in a special
   group, a clerk.
2. Pays two contribution years through the real path, batches of 10,000 notices stored and credited
   by the engine (payments.services.batch_store, payments.processing.batch_process): for each year
   87 % of persons pay their own contribution on a day from 2 January to 20 November, and the
   government pays for 80 % of the members on 1 March. (The after-batch refresh is switched off while
   loading, so the loading is not what is measured.)
3. Times the full refresh of the county's summary (both years), and the refresh after one batch of
   10,000 notices (the hook's work).
4. Times the county page (GET /oversight/progress/ as the clerk, through Django's test client: the
   view, the selector's queries, the template), R runs after one warm-up: median and 95th percentile;
   and the same for a township and a village, and the selector alone; counts the queries.
5. Times the weekly report of one week (figures, XLSX, PDF).
6. Prints the figures and, with --write, replaces its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - after the path is set
from bench.common import machine, recreate_database, setup_django, sql_exec  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pension_bench_oversight"
COUNTY = "211397"
YEARS = (2025, 2026)
AS_OF = dt.date(2026, 11, 22)
TARGET_PAGE_MS = 300
BATCH = 10_000
TIERS = (("200", "35"), ("300", "40"), ("500", "60"), ("1000", "100"), ("2000", "180"), ("5000", "300"))
TIER_WEIGHTS = (40, 25, 20, 8, 5, 2)
GROUPS = ("poverty_alleviated", "dibao_recipient", "extreme_poverty_person", "severely_disabled")
TITLE = "## Collection progress page and its summary (`bench/progress.py`)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=200_000, help="P, insured persons (default 200,000)")
    parser.add_argument("--villages", type=int, default=300, help="V, villages, a multiple of 10 (default 300)")
    parser.add_argument("--runs", type=int, default=30, help="R, timed page loads each (default 30)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the bench database; dropped and recreated")
    parser.add_argument("--write", metavar="PATH", help="write the figures as a section of this Markdown file")
    args = parser.parse_args(argv)
    if args.persons < 1000 or args.villages < 10 or args.villages % 10 or args.villages > 9990:
        parser.error("--persons at least 1,000; --villages a multiple of 10 up to 9,990")
    return args


def resident_id(birth: dt.date, seq: int) -> str:
    from stdnum.iso7064 import mod_11_2

    body = f"{COUNTY}{birth:%Y%m%d}{seq:03d}"
    return body + mod_11_2.calc_check_digit(body)


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def build_county(persons: int, villages: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from insured.models import InsuredPerson, PolicyTier, PolicyYear, Region, Role, SpecialGroupMembership, StaffProfile
    from payments.models import TaxClient

    call_command("migrate", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures" / "reference.json"), verbosity=0)
    city = Region.objects.get(code="211300000000")
    county = Region.objects.create(code=f"{COUNTY}000000", name="进度基准县", level="county", parent=city)
    village_rows = []
    for t in range(10):
        township = Region.objects.create(
            code=f"{COUNTY}{100 + t:03d}000", name=f"基准{t + 1}镇", level="township", parent=county
        )
        for v in range(villages // 10):
            village_rows.append(
                Region(
                    code=f"{COUNTY}{100 + t:03d}{200 + v:03d}",
                    name=f"基准{t + 1}镇{v + 1}村",
                    level="village",
                    parent=township,
                )
            )
    all_villages = Region.objects.bulk_create(village_rows)
    for year in YEARS:
        policy = PolicyYear.objects.create(
            region=county,
            year=year,
            title=f"进度基准县{year}年缴费标准",
            hardship_groups=list(GROUPS),
            gov_paid_groups=list(GROUPS),
            gov_paid_amount=Decimal("100.00"),
        )
        PolicyTier.objects.bulk_create(
            [PolicyTier(policy_year=policy, amount=Decimal(a), government_subsidy=Decimal(s)) for a, s in TIERS]
            + [
                PolicyTier(
                    policy_year=policy, amount=Decimal("100"), government_subsidy=Decimal("30"), is_hardship_only=True
                )
            ]
        )
    first = dt.date(1966, 1, 1)
    people = []
    for n in range(persons):
        id_no = resident_id(first + dt.timedelta(days=n // 1000), n % 1000)
        people.append(
            InsuredPerson(
                id_no=id_no,
                name=f"基准{n}",
                sex="M" if int(id_no[16]) % 2 else "F",
                birth_date=first + dt.timedelta(days=n // 1000),
                village=all_villages[n % len(all_villages)],
                person_no=f"B{n:010d}",
                enrolled_on=dt.date(2015, 1, 1),
            )
        )
    created = InsuredPerson.objects.bulk_create(people, batch_size=5000)
    members = [p for i, p in enumerate(created) if i % 10 == 3]
    SpecialGroupMembership.objects.bulk_create(
        [
            SpecialGroupMembership(
                person=p, group=GROUPS[i % len(GROUPS)], source_department="县民政局", valid_from=dt.date(2020, 1, 1)
            )
            for i, p in enumerate(members)
        ],
        batch_size=5000,
    )
    client = TaxClient.objects.create(client_id="bench-progress", name="基准税务", secret="b" * 40, region=county)
    clerk = get_user_model().objects.create_user(
        username="bench-clerk", password="bench-pw-2026", last_name="基", first_name="准"
    )
    StaffProfile.objects.create(user=clerk, role=Role.CLERK, region=county)
    return {"county": county, "client": client, "clerk": clerk, "persons": created, "members": {p.pk for p in members}}


def notices_of(world: dict, rng: random.Random) -> list[dict]:
    """Two contribution years: own contributions on a day of the year, the government's on 1 March."""
    tiers = [t for t, _ in TIERS]
    out = []
    line = 0
    for year in YEARS:
        last_day = (AS_OF - dt.date(2026, 1, 2)).days
        for person in world["persons"]:
            if person.pk in world["members"] and rng.random() < 0.8:
                line += 1
                out.append(_notice(person, year, "government_paid", "100.00", dt.date(year, 3, 1), line))
            if rng.random() < 0.87:
                line += 1
                day = dt.date(year, 1, 2) + dt.timedelta(days=rng.randint(0, last_day))
                out.append(_notice(person, year, "own", rng.choices(tiers, TIER_WEIGHTS)[0] + ".00", day, line))
    out.sort(key=lambda n: n["paid_at"])
    return out


def _notice(person, year: int, kind: str, amount: str, day: dt.date, line: int) -> dict:
    return {
        "voucher_no": f"3{COUNTY}{line:011d}",
        "line_no": 1,
        "kind": kind,
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": "进度基准县财政局" if kind == "government_paid" else person.name,
        "payer_id": person.id_no,
        "year": year,
        "amount": amount,
        "paid_at": f"{day.isoformat()}T10:00:00+08:00",
        "channel": "batch_client" if kind == "government_paid" else "wechat",
        "receivable_no": None,
        "reverses": None,
        "tax_office_code": None,
        "agency_code": None,
    }


def pay(world: dict, notices: list[dict]) -> list[int]:
    from payments import intake, processing, services

    batches = []
    for start in range(0, len(notices), BATCH):
        chunk = notices[start : start + BATCH]
        body = {
            "batch_id": f"BENCH-PROGRESS-{start // BATCH:04d}",
            "sent_at": chunk[-1]["paid_at"],
            "count": len(chunk),
            "total_amount": f"{sum(Decimal(n['amount']) for n in chunk):.2f}",
            "notices": chunk,
        }
        raw = json.dumps(body, ensure_ascii=False).encode()
        stored = services.batch_store(
            client=world["client"], parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
        )
        processing.batch_process(stored.batch.pk)
        batches.append(stored.batch.pk)
    return batches


def page_times(client, url: str, runs: int) -> tuple[list[float], int]:
    from django.db import connection

    response = client.get(url)  # warm-up: templates compiled, connections open
    assert response.status_code == 200, (url, response.status_code)
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200
    return seconds, len(statements)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> dict:
    from django.test import Client

    from insured.models import Region
    from oversight.models import ProgressDay
    from oversight.selectors.progress import progress_figures
    from oversight.services import progress, reports
    from payments import handlers
    from payments.models import ArrivalNotice

    figures: dict = {}
    world, figures["build"] = timed(build_county, args.persons, args.villages)
    notices = notices_of(world, random.Random(2026))
    handlers._after_batch.pop("oversight", None)  # the loading is not what is measured
    batches, figures["pay"] = timed(pay, world, notices)
    figures["notices"] = len(notices)
    figures["credited"] = ArrivalNotice.objects.filter(state="credited").count()
    sql_exec("VACUUM ANALYZE")
    county = world["county"]
    _result, figures["refresh_full"] = timed(progress.progress_refresh_region, county, YEARS)
    figures["day_rows"] = ProgressDay.objects.count()
    _, figures["refresh_batch"] = timed(progress.progress_refresh_batch, batches[len(batches) // 2])
    sql_exec("ANALYZE oversight_progressday")

    client = Client()
    client.force_login(world["clerk"])
    township = Region.objects.filter(level="township", code__startswith=COUNTY).order_by("code").first()
    village = Region.objects.filter(level="village", parent=township).order_by("code").first()
    query = f"year=2026&date={AS_OF.isoformat()}"
    for key, region in (("county", county), ("township", township), ("village", village)):
        seconds, count = page_times(client, f"/oversight/progress/?region={region.code}&{query}", args.runs)
        figures[f"{key}_median"], figures[f"{key}_p95"], figures[f"{key}_queries"] = (
            statistics.median(seconds),
            p95(seconds),
            count,
        )
    selector = []
    for _ in range(args.runs):
        shown, seconds = timed(progress_figures, county, 2026, AS_OF)
        selector.append(seconds)
    figures["selector_median"] = statistics.median(selector)
    figures["paid"], figures["liable"], figures["rate"] = (
        shown.total.now.paid,
        shown.total.now.liable,
        shown.total.now.paid_rate,
    )
    figures["last_rate"] = shown.total.last_year.paid_rate
    week = reports.week_bounds(AS_OF)[0] - dt.timedelta(days=7)
    report, figures["report"] = timed(reports.weekly_report_make, county, week)
    figures["report_paid"] = report.summary["total"]["paid"]
    figures["page_equals_report"] = (
        report.summary["total"] == progress_figures(county, 2026, week + dt.timedelta(days=6)).total.now.as_json()
    )
    return figures


def render(args: argparse.Namespace, info: dict, f: dict, command: str) -> str:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f}"

    met = "met" if f["county_median"] * 1000 < TARGET_PAGE_MS else "**not met**"
    return "\n".join(
        [
            f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `{command}`",
            "",
            f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, PostgreSQL {info['postgres']}, "
            f"Python {info['python']}, Django {info['django']}; load average at start {info['load']}.",
            "",
            f"Data: {args.persons:,} persons in {args.villages:,} villages of 10 townships, a tenth in a special "
            "group; "
            f"{f['notices']:,} notices of the contribution years 2025 and 2026 ({f['credited']:,} credited), pushed in "
            f"batches of {BATCH:,} and credited by the engine ({f['pay']:.0f} s, not counted; building the county "
            f"{f['build']:.0f} s). The summary holds {f['day_rows']:,} village-day rows. As of {AS_OF}: "
            f"{f['paid']:,} of {f['liable']:,} paid ({f['rate']} %; last year at the same date {f['last_rate']} %).",
            "",
            "| Measure | Median ms | 95th pct ms | Queries | Target |",
            "|---|---:|---:|---:|---|",
            f"| **County page** (`GET /oversight/progress/`: view, queries, template) | {ms(f['county_median'])} | "
            f"{ms(f['county_p95'])} | {f['county_queries']} | < {TARGET_PAGE_MS} ms: {met} |",
            f"| Township page | {ms(f['township_median'])} | {ms(f['township_p95'])} | {f['township_queries']} | |",
            f"| Village page | {ms(f['village_median'])} | {ms(f['village_p95'])} | {f['village_queries']} | |",
            f"| The selector alone (`progress_figures`, the county) | {ms(f['selector_median'])} | | | |",
            "",
            "| Work in the background | Seconds |",
            "|---|---:|",
            f"| Full refresh of the county's summary, both years (beat, every 30 minutes) | {f['refresh_full']:.1f} |",
            f"| Refresh after one batch of {BATCH:,} notices (the after-batch hook, in a worker) | "
            f"{f['refresh_batch']:.1f} |",
            f"| The weekly report: figures, XLSX and PDF | {f['report']:.1f} |",
            "",
            f"The weekly report's county figures equal the page's as of the same Sunday: {f['page_equals_report']}. "
            f"Each page load is a fresh request through Django's test client after one warm-up, {args.runs} runs.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    recreate_database(args.database_url)
    with tempfile.TemporaryDirectory(prefix="bench-progress-") as scratch:
        setup_django(args.database_url, Path(scratch))
        info = machine()
        figures = run(args)
    command = " ".join(
        [
            ".venv/bin/python bench/progress.py",
            f"--persons {args.persons}",
            f"--villages {args.villages}",
            f"--runs {args.runs}",
            f"--database-url {args.database_url}",
        ]
        + ([f"--write {args.write}"] if args.write else [])
    )
    body = render(args, info, figures, command)
    print(body)
    if args.write:
        common.write_section(Path(args.write), body, script="progress.py", title=TITLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
