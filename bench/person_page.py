"""Benchmark: what one person page costs, in process, warm: its SQL queries and its time.

    .venv/bin/python bench/person_page.py [--persons 200000] [--renders 20]
        [--database-url postgres://postgres@127.0.0.1:5432/pension_bench_person_page] [--reuse]

What it does, in order:

1. Unless --reuse finds the county already built: drops and builds the bench database with the
   county of bench/notices.py (P persons in 100 villages, the policy years 2022–2026), then a
   person with a long history (tests/rich_person.py: an own contribution every year, a reversal,
   a sponsorship credited against its receivable, collective subsidy rows, a refund and a
   back-payment application, a special group, a government-paid receivable; needs the `dev`
   extra for factory-boy) and a county clerk, who sees every panel. ANALYZE.
2. As the clerk (django.test.Client, the demo's settings, DEBUG off, the connection kept): the page once to warm the
   caches, then once with the queries captured (count, and time in PostgreSQL as Django measures
   it), then `--renders` times; prints the count, the median and the fastest render, and with
   --queries every statement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - after the path is set
from bench import notices as nb  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pension_bench_person_page"
CLERK = "bench-page-clerk"
RICH_ID_BODY = f"{nb.COUNTY}19491231"  # born before every bench person (their births begin in 1950)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=200_000, help="P, persons of the county (default 200,000)")
    parser.add_argument("--renders", type=int, default=20, help="warm renders timed (default 20)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the bench database; dropped and recreated")
    parser.add_argument("--reuse", action="store_true", help="keep a county built by an earlier run")
    parser.add_argument("--queries", action="store_true", help="print every statement of one render")
    return parser.parse_args(argv)


def _built(url: str, persons: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            found = conn.execute("SELECT count(*) FROM insured_insuredperson").fetchone()[0]
            return found == persons + 1  # and the rich person
    except psycopg.Error:
        return False


def build(args: argparse.Namespace) -> None:
    common.recreate_database(args.database_url)
    nb.setup_django(args.database_url)
    from django.core.management import call_command

    from insured.models import Region, Role
    from tests.factories import make_user
    from tests.rich_person import rich_person

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    print(f"building the county: {args.persons:,} persons", flush=True)
    nb.build_county(args.persons, 1)
    county = Region.objects.get(level=Region.Level.COUNTY)
    village = Region.objects.filter(level=Region.Level.VILLAGE).order_by("code").first()
    born = dt.date(1949, 12, 31)
    rich_person(village, list(nb.YEARS), tag="BENCH", id_no=nb.resident_id(nb.COUNTY, born, 1), birth_date=born)
    make_user(Role.CLERK, county, username=CLERK)
    common.sql_exec("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:,.0f} s", flush=True)


def measure(args: argparse.Namespace) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from insured.models import InsuredPerson

    person = InsuredPerson.objects.get(id_no__startswith=RICH_ID_BODY)
    client = Client()
    client.force_login(get_user_model().objects.get(username=CLERK), backend="insured.auth.StaffBackend")
    url = reverse("insured:person-detail", args=[person.pk])
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    queries = list(captured.captured_queries)  # read now: the next request empties the log
    times = []
    for _ in range(args.renders):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return {
        "queries": queries,
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
        "median_ms": statistics.median(times),
        "min_ms": min(times),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A worker keeps its connection, as in production (docs/benchmarks.md, "Pages: one database
    # connection per worker"); a new one per request would also empty the captured queries.
    os.environ["CONN_MAX_AGE"] = "60"
    if args.reuse and _built(args.database_url, args.persons):
        print("reusing the county built before (migrated to this code)", flush=True)
        nb.setup_django(args.database_url)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    else:
        build(args)
    figures = measure(args)
    queries = figures["queries"]
    if args.queries:
        for q in queries:
            print(f"{float(q['time']) * 1000:7.2f} ms  {q['sql'][:160]}")
    print(
        f"person page, {args.persons:,} persons: {len(queries)} queries ({figures['sql_ms']:.1f} ms in SQL); "
        f"warm render median {figures['median_ms']:.1f} ms, fastest {figures['min_ms']:.1f} ms "
        f"({args.renders} renders)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
