"""Benchmark: the pages staff use, on a county of a million persons, under load (issue 14, item 5).

    make bench-install          # the project with locust (the `bench` extra), once
    .venv/bin/python bench/pages.py [--persons 1000000] [--notices 200000] [--users 20] [--seconds 60]
        [--workers 5] [--database-url postgres://postgres@127.0.0.1:5432/pension_bench_pages] [--reuse]
        [--write docs/benchmarks.md]

What it does, in order:

1. Unless --reuse finds the county already built: drops and builds the bench database, the
   county of bench/notices.py with P persons (100 villages), N notices pushed through the signed
   API and credited by the engine (so person pages have accounts), 2,000 personal sponsorship
   applications waiting for review, and the staff: one clerk per simulated user and two
   reviewers, all of the county. ANALYZE.
2. Look-ups, in process, as the views call them (`insured.selectors.person_search` on a clerk's
   scope, the first page of matches read): 1,000 random resident IDs and 1,000 random names;
   p50/p95/p99.
3. gunicorn on 127.0.0.1 (config.wsgi with the demo settings on this PostgreSQL, DEBUG off,
   `--workers` processes), then locust, headless, for `--seconds` with `--users` simulated staff
   (four clerks to a reviewer; bench/locust_pages.py): the counter page and its look-up by
   resident ID (POST), the person page, the person search by name (POST and its list), the
   reviewer's queue. Per page: requests, p50/p95/p99 and errors, from locust's statistics.
4. The reconciliation of the busiest month and of the whole year printed as PDF (the auditor's
   largest forms of the kind; the collective 汇总表 at 1,000 villages is bench/roster.py's).
5. Prints the figures and, with --write, replaces its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - after the path is set
from bench import notices as nb  # noqa: E402

PASSWORD = "bench-pages-Pw-2026"
AIM_LOOKUP_P95_MS = 50
AIM_PAGE_P95_MS = 150
AIM_PDF_SECONDS = 5
TITLE = "## Pages under load on a county of a million persons (`bench/pages.py`)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--notices", type=int, default=200_000, help="notices pushed and credited first")
    parser.add_argument("--applications", type=int, default=2_000, help="sponsorships waiting for review")
    parser.add_argument("--users", type=int, default=20, help="simulated staff at once")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load runs")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn worker processes")
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pension_bench_pages")
    parser.add_argument("--reuse", action="store_true", help="keep a county built by an earlier run")
    parser.add_argument(
        "--random-page-cost",
        type=float,
        default=1.1,
        help="PostgreSQL's random_page_cost for the bench database, as docker-compose.yml sets it (4 is the default)",
    )
    parser.add_argument("--write", metavar="PATH")
    parser.add_argument("--seed", type=int, default=20261205)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- the county


def _built(url: str, persons: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            return conn.execute("SELECT count(*) FROM insured_insuredperson").fetchone()[0] == persons
    except psycopg.Error:
        return False


def build(args: argparse.Namespace, rng: random.Random) -> None:
    nb.recreate_database(args.database_url)
    nb.setup_django(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from insured.models import InsuredPerson, Region, Role, StaffProfile
    from payments import tasks
    from payments.models import NoticeBatch
    from payments.processing import batch_process

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    print(f"building the county: {args.persons:,} persons", flush=True)
    county = nb.build_county(args.persons, args.notices // 200 + 1)
    gov_uscc = nb.gov_payer_uscc()
    n = args.notices
    goods, bad = nb.make_primaries(rng, args.persons, n - n // 100, n // 100)
    stream = nb.make_stream(rng, goods + bad, 0, 0, 10_000, first_seq=1)
    nb.enrol_gov_paid_members(stream.records)
    print(f"pushing and crediting {n:,} notices", flush=True)
    stored: list[int] = []
    tasks.batch_dispatch = stored.append  # processed below, one after another
    nb.push_batches(nb_client(), stream.records, county, gov_uscc, 10_000, nb.Timers(), tag="PAGES")
    for pk in NoticeBatch.objects.order_by("pk").values_list("pk", flat=True):
        batch_process(pk)
    region = Region.objects.get(level=Region.Level.COUNTY)
    users = get_user_model().objects
    for i in range(1, args.users + 1):
        user = users.create_user(username=f"clerk{i:02d}", password=PASSWORD, last_name="柜员", first_name=f"{i}")
        StaffProfile.objects.create(user=user, role=Role.CLERK, region=region)
    for i in (1, 2):
        user = users.create_user(username=f"reviewer{i}", password=PASSWORD, last_name="复核", first_name=f"{i}")
        StaffProfile.objects.create(user=user, role=Role.REVIEWER, region=region)
    paid = list(
        InsuredPerson.objects.filter(years__year=2026, years__own_arrived_on__isnull=False).values_list(
            "pk", flat=True
        )[: args.applications * 2]
    )
    _applications(rng, paid[: args.applications], users.get(username="clerk01"), region)
    nb.sql_exec("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:,.0f} s", flush=True)


def nb_client():
    from django.test import Client

    return Client()


def _applications(rng: random.Random, person_pks: list[int], clerk, region) -> None:
    from stdnum.iso7064 import mod_11_2

    from insured.models import InsuredPerson
    from subsidy import services
    from subsidy.services import SponsorshipInput

    today = dt.date(2026, 11, 20)
    for n, person in enumerate(InsuredPerson.objects.filter(pk__in=person_pks)):
        body = f"211399{1970 + n % 30}0{1 + n % 9}1{n % 10}{n % 1000:03d}"
        services.application_submit(
            SponsorshipInput(
                sponsor_name=person.name[0] + "建国",
                sponsor_id_no=body + mod_11_2.calc_check_digit(body),
                sponsor_phone=f"139{rng.randint(0, 99_999_999):08d}",
                relation="child",
                beneficiary=person,
                year=2026,
                amount=Decimal("500.00"),
            ),
            user=clerk,
            agency_region=region,
            today=today,
        )


# --------------------------------------------------------------------------- measurements


def percentiles(values_ms: list[float]) -> dict[str, float]:
    values = sorted(values_ms)
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "n": len(values)}


def lookups(args: argparse.Namespace, rng: random.Random) -> dict[str, dict]:
    from django.contrib.auth import get_user_model

    from insured import access, selectors
    from insured.models import InsuredPerson

    clerk = get_user_model().objects.get(username="clerk01")
    scope = access.scoped(InsuredPerson.objects.all(), clerk, "village")
    sample = list(InsuredPerson.objects.order_by("?").values_list("id_no", "name")[: args.lookups])
    results = {}
    for label, queries in (("resident ID", [s[0] for s in sample]), ("name", [s[1] for s in sample])):
        times = []
        for query in queries:
            began = time.perf_counter()
            rows = list(selectors.person_search(scope, query)[:50])
            times.append((time.perf_counter() - began) * 1000)
            assert rows, query
        results[label] = percentiles(times)
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(args: argparse.Namespace) -> tuple[list[dict], dict]:
    from insured.models import InsuredPerson

    locust = shutil.which("locust", path=str(ROOT / ".venv" / "bin"))
    if locust is None:
        raise SystemExit("locust is not installed: run `make bench-install` first")
    sample = list(InsuredPerson.objects.order_by("?").values_list("pk", "id_no", "name")[:5_000])
    workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    data = workdir / "data.json"
    data.write_text(
        json.dumps(
            {
                "password": PASSWORD,
                "clerks": [f"clerk{i:02d}" for i in range(1, args.users + 1)],
                "reviewers": ["reviewer1", "reviewer2"],
                "pks": [s[0] for s in sample],
                "ids": [s[1] for s in sample],
                "names": [s[2] for s in sample],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": "",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PAGES_BENCH_DATA": str(data),
        "CACHE_URL": "redis://127.0.0.1:6379/8",  # one cache for the web workers, as in production
        "CONN_MAX_AGE": "60",  # each worker keeps its database connection, as in production
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        stats = workdir / "stats"
        subprocess.run(
            [
                locust,
                "-f",
                str(ROOT / "bench" / "locust_pages.py"),
                "--headless",
                "--users",
                str(args.users + 2),
                "--spawn-rate",
                str(args.users + 2),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(stats),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        rows = list(csv.DictReader(open(f"{stats}_stats.csv", encoding="utf-8")))  # noqa: SIM115
        failures = list(csv.DictReader(open(f"{stats}_failures.csv", encoding="utf-8")))  # noqa: SIM115
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    return rows, {"failures": failures}


def pdfs() -> list[tuple[str, float, int]]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from insured.models import Region
    from payments.models import ArrivalNotice
    from payments.pdf import reconciliation_pdf
    from payments.reconciliation.compute import reconcile

    auditor = get_user_model().objects.get(username="reviewer1")
    county = Region.objects.get(level=Region.Level.COUNTY)
    busiest = (
        ArrivalNotice.objects.filter(paid_at__year=2026)
        .annotate(month=TruncMonth("paid_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["month"]
        .date()
    )
    month_end = (busiest.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    out = []
    for label, start, end in (
        (f"reconciliation of {busiest:%Y-%m}", busiest, month_end),
        ("reconciliation of 2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ):
        began = time.perf_counter()
        result = reconcile(county, start, end)
        pdf = reconciliation_pdf(result, printed_by=auditor)
        out.append((label, time.perf_counter() - began, len(pdf)))
    return out


# --------------------------------------------------------------------------- report


def render(args, info, looked, rows, extra, printed) -> str:
    now = dt.datetime.now(dt.UTC)
    lines = [
        f"Run {now:%Y-%m-%d %H:%M} UTC: `.venv/bin/python bench/pages.py --persons {args.persons} "
        f"--notices {args.notices} --users {args.users} --seconds {args.seconds} --workers {args.workers}`",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, PostgreSQL {info['postgres']}, "
        f"Python {info['python']}, Django {info['django']}; load average at start {info['load']}. gunicorn "
        f"with {args.workers} sync workers and locust on the same machine as PostgreSQL; "
        f"random_page_cost {args.random_page_cost:g}.",
        "",
        f"Look-ups in process ({args.lookups:,} each, `insured.selectors.person_search` on a clerk's scope, "
        f"first page read):",
        "",
        "| Look-up | p50 ms | p95 ms | p99 ms | aim p95 |",
        "|---|---:|---:|---:|---|",
    ]
    for label, p in looked.items():
        ok = "met" if p["p95"] <= AIM_LOOKUP_P95_MS else "**not met**"
        lines.append(
            f"| by {label} | {p['p50']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} | ≤ {AIM_LOOKUP_P95_MS} ms: {ok} |"
        )
    lines += [
        "",
        f"Pages under load ({args.users} clerks and 2 reviewers for {args.seconds} s, 0.5–1.5 s between "
        "clicks; locust's figures):",
        "",
        "| Page | requests | failures | p50 ms | p95 ms | p99 ms | aim p95 |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if row["Name"] in ("Aggregated",) or row["Name"].startswith("login"):
            continue
        p95 = float(row["95%"])
        ok = "met" if p95 <= AIM_PAGE_P95_MS and row["Failure Count"] == "0" else "**not met**"
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | {row['95%']} | "
            f"{row['99%']} | ≤ {AIM_PAGE_P95_MS} ms, 0 errors: {ok} |"
        )
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total:
        lines.append(
            f"| **all** | {total['Request Count']} | {total['Failure Count']} | {total['50%']} | {total['95%']} | "
            f"{total['99%']} | |"
        )
    if extra["failures"]:
        lines += [
            "",
            "Failures: " + "; ".join(f"{f['Name']}: {f['Error']} ×{f['Occurrences']}" for f in extra["failures"]),
        ]
    lines += ["", "Printed forms:", "", "| Form | seconds | size | aim |", "|---|---:|---:|---|"]
    for label, seconds, size in printed:
        ok = "met" if seconds <= AIM_PDF_SECONDS else "**not met**"
        lines.append(f"| {label} | {seconds:.2f} | {size / 1024:,.0f} KiB | ≤ {AIM_PDF_SECONDS} s: {ok} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    if args.reuse and _built(args.database_url, args.persons):
        print("reusing the county built before (migrated to this code)", flush=True)
        nb.setup_django(args.database_url)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    else:
        build(args, rng)
    # The planner's cost of a page read at random, as the deployment's PostgreSQL has it (new
    # connections, the server's included, take it).
    name = nb.sql_exec("SELECT current_database()")[0][0]
    nb.sql_exec(f'ALTER DATABASE "{name}" SET random_page_cost = {args.random_page_cost:g}')
    nb.sql_exec(f"SET random_page_cost = {args.random_page_cost:g}")  # this process's look-ups
    info = nb.machine()
    print("look-ups in process", flush=True)
    looked = lookups(args, rng)
    print(f"pages under load: {args.users} clerks, 2 reviewers, {args.seconds} s", flush=True)
    rows, extra = load(args)
    print("printing the reconciliation", flush=True)
    printed = pdfs()
    report = render(args, info, looked, rows, extra, printed)
    print()
    print(report)
    if args.write:
        common.write_section(Path(args.write), report, script="pages.py", title=TITLE)
        print(f"written to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
