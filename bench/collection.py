"""Benchmark: the government-paid receivables generated for a county (issue 9: 200,000 persons with
20,000 members of the special groups, set-based, ≤ 5 s), and a department's 20,000-row special-group
list imported with its difference (≤ 5 s). On PostgreSQL.

    .venv/bin/python bench/collection.py [--persons 200000] [--members 20000] [--rows 20000]
        [--database-url postgres://postgres@127.0.0.1:5432/pension_bench_collection] [--write docs/benchmarks.md]

What it does, in order:

1. Drops and recreates the bench database (its name must contain "bench"), migrates it, and builds
   a bench county: 10 townships of 100 villages, the 2026 policy (government-paid amount 100 for the
   five groups, its payer), P enrolled persons spread over the villages and M memberships of 低保对象.
2. Times `collection.services.gov_paid_generate` for the county: M receivables made; then again,
   which makes none (idempotent), and counts the queries of each run.
3. Writes the civil affairs bureau's list of R rows as a GB18030 CSV: the members but the last
   thousand (unchanged; those are the members who left), a thousand enrolled persons new to the
   group and the rest strangers to the registry (listed for follow-up).
4. Times the reading and checking of the list, then the whole import (`group_list_import`: read,
   check, the difference applied with history, the rows of the difference saved, and the
   government-paid receivables of the new members generated), and counts its queries.
5. Prints the figures and, with --write, replaces its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - after the path is set
from bench.common import machine, recreate_database, setup_django, sql_exec  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pension_bench_collection"
COUNTY = "211398"
YEAR = 2026
TARGET_GENERATE = 5.0
TARGET_IMPORT = 5.0
NEW = 1000
LEFT = 1000
PAYER = ("基准县财政局", "11211398012345670E")
TITLE = "## Special-group lists and government-paid receivables (`bench/collection.py`)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=200_000, help="P, persons of the county (default 200,000)")
    parser.add_argument("--members", type=int, default=20_000, help="M, members of 低保对象 (default 20,000)")
    parser.add_argument("--rows", type=int, default=20_000, help="R, rows of the department's list (default 20,000)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the bench database; dropped and recreated")
    parser.add_argument("--write", metavar="PATH", help="write the figures as a section of this Markdown file")
    args = parser.parse_args(argv)
    if not LEFT + NEW < args.members + NEW <= args.persons or args.rows < args.members - LEFT + NEW:
        parser.error("need persons ≥ members + 1,000 and rows ≥ members (the list's kept, new and strangers)")
    return args


def resident_id(birth: dt.date, seq: int, area: str = COUNTY) -> str:
    from stdnum.iso7064 import mod_11_2

    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + mod_11_2.calc_check_digit(body)


def person_ids(count: int, offset: int = 0, area: str = COUNTY) -> list[str]:
    """`count` distinct valid IDs: 1,000 a birthday (sequence numbers 000–999)."""
    first = dt.date(1950, 1, 1)
    return [
        resident_id(first + dt.timedelta(days=(offset + n) // 1000), (offset + n) % 1000, area) for n in range(count)
    ]


def build_county(persons: int, members: int) -> dict:
    from django.contrib.auth import get_user_model

    from insured import bulk
    from insured.models import InsuredPerson, PolicyTier, PolicyYear, Region, Role, SpecialGroupMembership, StaffProfile

    province = Region.objects.create(code="210000000000", name="基准省", level="province")
    city = Region.objects.create(code="211300000000", name="基准市", level="city", parent=province)
    county = Region.objects.create(code=f"{COUNTY}000000", name="基准县", level="county", parent=city)
    villages = []
    for t in range(10):
        township = Region.objects.create(
            code=f"{COUNTY}{100 + t:03d}000", name=f"第{t + 1}镇", level="township", parent=county
        )
        villages += [
            Region(
                code=f"{COUNTY}{100 + t:03d}{200 + v:03d}",
                name=f"第{t + 1}镇{v + 1}村",
                level="village",
                parent=township,
            )
            for v in range(100)
        ]
    Region.objects.bulk_create(villages)
    village_ids = list(Region.objects.filter(level="village").order_by("code").values_list("pk", flat=True))
    policy = PolicyYear.objects.create(
        region=county,
        year=YEAR,
        title="基准缴费标准",
        gov_paid_amount=Decimal("100.00"),
        gov_paid_groups=["poverty_alleviated", "dibao_recipient", "extreme_poverty_person", "severely_disabled"],
        hardship_groups=["dibao_recipient"],
        gov_paid_payer_name=PAYER[0],
        gov_paid_payer_id=PAYER[1],
        gov_paid_deadline=dt.date(YEAR, 5, 31),
    )
    for amount in ("100", "200", "500", "1000", "2000"):
        PolicyTier.objects.create(policy_year=policy, amount=Decimal(amount), government_subsidy=Decimal("30"))
    ids = person_ids(persons)
    bulk.copy_rows(
        InsuredPerson._meta.db_table,
        (
            "id_no", "name", "sex", "birth_date", "village_id", "person_no", "status", "enrolled_on", "phone",
            "is_student", "has_employee_pension", "has_land_acquired_scheme", "created_at", "updated_at",
        ),
        (
            (
                id_no, f"基准{n}", "M" if int(id_no[16]) % 2 else "F",
                dt.date(int(id_no[6:10]), int(id_no[10:12]), int(id_no[12:14])), village_ids[n % len(village_ids)],
                f"B{n:012d}", "enrolled", dt.date(2015, 1, 1), "", False, False, False,
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
            for n, id_no in enumerate(ids)
        ),
    )  # fmt: skip
    pk_of = dict(InsuredPerson.objects.values_list("id_no", "pk"))
    bulk.copy_rows(
        SpecialGroupMembership._meta.db_table,
        ("person_id", '"group"', "source_department", "valid_from"),
        ((pk_of[id_no], "dibao_recipient", "县民政局", dt.date(2020, 1, 1)) for id_no in ids[:members]),
    )
    clerk = get_user_model().objects.create_user("bench-clerk", password="x", last_name="李", first_name="经办")
    StaffProfile.objects.create(user=clerk, role=Role.CLERK, region=county)
    sql_exec("ANALYZE")
    return {"county": county, "clerk": clerk, "ids": ids}


def list_file(ids: list[str], members: int, rows: int) -> bytes:
    """The bureau's list: the members but the last LEFT, NEW persons new to the group, then strangers."""
    listed = ids[: members - LEFT] + ids[members : members + NEW]
    listed += person_ids(rows - len(listed), area="211399")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("序号", "公民身份号码", "姓名", "人员类别", "残疾等级", "认定部门", "开始日期", "结束日期"))
    for n, id_no in enumerate(listed, start=1):
        writer.writerow((n, id_no, f"基准{n}", "低保对象", "", "县民政局", "2020-01-01", ""))
    return out.getvalue().encode("gb18030")


def timed(fn, *args, **kwargs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - started
    return result, seconds, len(queries)


def run(args: argparse.Namespace) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    world = build_county(args.persons, args.members)
    figures: dict = {"build": time.perf_counter() - started}

    from collection import services
    from collection.models import GroupListRow
    from payments.models import Receivable

    county, clerk = world["county"], world["clerk"]
    made, figures["generate"], figures["generate_queries"] = timed(
        services.gov_paid_generate, county=county, year=YEAR, user=clerk
    )
    assert made == args.members == Receivable.objects.filter(kind="government_paid").count(), made
    again, figures["again"], figures["again_queries"] = timed(
        services.gov_paid_generate, county=county, year=YEAR, user=clerk
    )
    assert again == 0
    sql_exec("ANALYZE")

    content = list_file(world["ids"], args.members, args.rows)
    figures["file_kb"] = len(content) / 1024
    sheet, figures["read"], _ = timed(services.group_list_read, content, "民政局.csv")
    (errors, rows), figures["check"], _ = timed(services.check_rows, sheet, "县民政局")
    assert not errors and len(rows) == args.rows
    result, figures["import"], figures["import_queries"] = timed(
        services.group_list_import,
        county=county,
        list_month=dt.date(YEAR, 3, 1),
        department="县民政局",
        content=content,
        filename="民政局.csv",
        user=clerk,
    )
    listed = result.group_list
    strangers = args.rows - (args.members - LEFT) - NEW
    assert (listed.new_count, listed.left_count, listed.unchanged_count) == (NEW, LEFT, args.members - LEFT)
    assert listed.follow_up_count == strangers and result.generated == NEW
    figures["difference_rows"] = GroupListRow.objects.filter(group_list=listed).count()
    figures["strangers"] = strangers
    return figures


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(args: argparse.Namespace, info: dict, f: dict, command: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rate = lambda n, s: f"{n / s:,.0f}" if s else "—"  # noqa: E731
    return "\n".join(
        [
            f"Run {now}: `{command}`",
            "",
            f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, PostgreSQL {info['postgres']}, "
            f"Python {info['python']}, Django {info['django']}; load average at start {info['load']}.",
            "",
            f"Data: a county of {args.persons:,} enrolled persons in 1,000 villages, {args.members:,} of them members "
            f"of 低保对象 (paid for by the policy); the civil affairs bureau's list of {args.rows:,} rows (GB18030 "
            f"CSV, {f['file_kb']:,.0f} KB): {args.members - LEFT:,} members kept, {LEFT:,} members left out, "
            f"{NEW:,} new, {f['strangers']:,} not in the registry. Building the county took {f['build']:.1f} s "
            "(not counted).",
            "",
            "| Measure | Seconds | Rows/s | Queries | Target | |",
            "|---|---:|---:|---:|---:|---|",
            f"| **Generate** the government-paid receivables ({args.members:,} made, with history) | "
            f"{f['generate']:.2f} | {rate(args.members, f['generate'])} | {f['generate_queries']} | "
            f"≤ {TARGET_GENERATE:.0f} | {met(f['generate'] <= TARGET_GENERATE)} |",
            f"| Generate again (nothing to make) | {f['again']:.2f} |  | {f['again_queries']} |  |  |",
            f"| **Import the list** (`group_list_import`: read, check, difference with history, "
            f"{f['difference_rows']:,} rows of the difference, {NEW:,} receivables) | {f['import']:.2f} | "
            f"{rate(args.rows, f['import'])} | {f['import_queries']} | ≤ {TARGET_IMPORT:.0f} | "
            f"{met(f['import'] <= TARGET_IMPORT)} |",
            f"| of which reading the CSV (`insured.spreadsheets.read`) | {f['read']:.2f} | {rate(args.rows, f['read'])}"
            " |  |  |  |",
            f"| of which the row checks (`check_rows`) | {f['check']:.2f} | {rate(args.rows, f['check'])} |  |  |  |",
            "",
            "The query counts do not grow with the county or the list: the generation asks one query for the "
            "members the year pays for and has not paid for (memberships, person-years and live receivables as "
            "`EXISTS`), and `payments.services.receivables_create_many` writes the receivables by COPY and their "
            "history by one `INSERT … SELECT` (the ORM's `bulk_create` and simple-history's made two Python "
            "objects a receivable: 7.2 s for the same 20,000 on the same machine). The import reads the listed "
            "persons and the running memberships with one query each, COPYs the rows of the difference, and "
            "updates the changed memberships by one `UPDATE … FROM` (the ORM's `bulk_update`, a `CASE` a row, took "
            "14 s for 5,000); a member confirmed as they stand is not written at all, only its row of the "
            "difference.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    import tempfile

    args = parse_args(argv)
    recreate_database(args.database_url)
    with tempfile.TemporaryDirectory(prefix="bench-collection-") as scratch:
        setup_django(args.database_url, Path(scratch))
        info = machine()
        figures = run(args)
    command = " ".join(
        [
            ".venv/bin/python bench/collection.py",
            f"--persons {args.persons}",
            f"--members {args.members}",
            f"--rows {args.rows}",
            f"--database-url {args.database_url}",
        ]
        + ([f"--write {args.write}"] if args.write else [])
    )
    body = render(args, info, figures, command)
    print(body)
    if args.write:
        common.write_section(Path(args.write), body, script="collection.py", title=TITLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
