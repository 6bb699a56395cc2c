"""Benchmark: a collective subsidy roster (notice 001 附件3) checked and saved, against
django-import-export's default row-by-row import of the same file; and the summary form 汇总表
of a county of 1,000 villages. On PostgreSQL.

    .venv/bin/python bench/roster.py [--rows 10000] [--villages 1000]
        [--database-url postgres://postgres@127.0.0.1:5432/pension_bench_collective] [--write docs/benchmarks.md]

What it does, in order:

1. Drops and recreates the bench database (its name must contain "bench"), migrates it, and builds
   a bench county: 10 townships of 100 villages, the 2026 policy (tiers 200–5000, the cap 5000),
   R persons in the first village whose own contribution of 2026 has arrived (posted through
   insured.ledger), the village's collective organisation and its plan (standard 200), and for
   the summary two paid social-sponsorship rows in each of the V villages.
2. Writes the R-row roster as the template would be filled in (.xlsx, the ID column as text).
3. Times the upload's dry run (reading the file, then every row checked against the registry and
   the rules: collective.services.roster_upload with dry_run=True), and, separately, the reading
   and the checking; then the commit of the checked rows (the roster and its rows saved, COPY).
4. Times django-import-export's default import of the same file into the same table
   (collective.resources.RosterRowResource: its XLSX format reads the file, then import_data row
   by row, first as a dry run, then for real), which checks no policy rule at all.
5. Times the summary form of the county (V villages): the query, then the PDF.
6. Prints the figures and, with --write, replaces its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
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

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pension_bench_collective"
COUNTY = "211398"
YEAR = 2026
TODAY = dt.date(2026, 11, 23)
TARGET_DRY_RUN = 2.0  # seconds for 10,000 rows (issue 8)
TARGET_COMMIT = 1.0
TARGET_RATIO = 10
TARGET_SUMMARY = 5.0  # seconds for 1,000 villages
TIERS = (("200", "35"), ("300", "40"), ("500", "60"), ("1000", "100"), ("2000", "180"), ("5000", "300"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕琴云凤春梅兵荣新建国利民"
TITLE = "## Collective subsidy roster: check, commit, summary form (`bench/roster.py`)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="R, rows of the roster (default 10,000)")
    parser.add_argument("--villages", type=int, default=1_000, help="V, villages on the summary (default 1,000)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the bench database; dropped and recreated")
    parser.add_argument("--write", metavar="PATH", help="write the figures as a section of this Markdown file")
    args = parser.parse_args(argv)
    if args.rows < 1 or not 1 <= args.villages <= 1000:
        parser.error("--rows must be positive and --villages between 1 and 1,000")
    return args


def resident_id(birth: dt.date, seq: int) -> str:
    from stdnum.iso7064 import mod_11_2

    body = f"{COUNTY}{birth:%Y%m%d}{seq:03d}"
    return body + mod_11_2.calc_check_digit(body)


def person_ids(count: int, offset: int = 0) -> list[str]:
    """`count` distinct valid IDs: 1,000 a birthday (sequence numbers 000–999)."""
    first = dt.date(1960, 1, 1)
    return [resident_id(first + dt.timedelta(days=(offset + n) // 1000), (offset + n) % 1000) for n in range(count)]


def name_of(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)] + GIVEN[n % len(GIVEN)]


def build_county(rows: int, villages: int) -> dict:
    from django.contrib.auth import get_user_model

    from collective import services
    from collective.models import Filing, Organisation, Roster, RosterRow
    from insured import bulk, ledger
    from insured.models import InsuredPerson, PolicyTier, PolicyYear, Region, Role, StaffProfile

    province = Region.objects.create(code="210000000000", name="基准省", level="province")
    city = Region.objects.create(code="211300000000", name="基准市", level="city", parent=province)
    county = Region.objects.create(code=f"{COUNTY}000000", name="基准县", level="county", parent=city)
    all_villages = []
    for t in range(10):
        township = Region.objects.create(
            code=f"{COUNTY}{100 + t:03d}000", name=f"第{t + 1}镇", level="township", parent=county
        )
        all_villages += [
            Region(
                code=f"{COUNTY}{100 + t:03d}{200 + v:03d}",
                name=f"第{t + 1}镇{v + 1}村",
                level="village",
                parent=township,
            )
            for v in range(100)
        ]
    Region.objects.bulk_create(all_villages)
    all_villages = list(Region.objects.filter(level="village").order_by("code"))
    policy = PolicyYear.objects.create(region=county, year=YEAR, title="基准缴费标准")
    for amount, subsidy in TIERS:
        PolicyTier.objects.create(policy_year=policy, amount=Decimal(amount), government_subsidy=Decimal(subsidy))

    home = all_villages[0]
    ids = person_ids(rows)
    InsuredPerson.objects.bulk_create(
        [
            InsuredPerson(
                id_no=id_no,
                name=name_of(n),
                sex="M" if int(id_no[16]) % 2 else "F",
                birth_date=dt.date(int(id_no[6:10]), int(id_no[10:12]), int(id_no[12:14])),
                village=home,
                person_no=f"B{n:012d}",
                status="enrolled",
                enrolled_on=dt.date(2015, 1, 1),
            )
            for n, id_no in enumerate(ids)
        ],
        batch_size=5000,
    )
    persons = dict(InsuredPerson.objects.filter(village=home).values_list("id_no", "pk"))
    paid_on = dt.date(YEAR, 3, 2)
    from django.db import transaction

    with transaction.atomic():
        pairs = {(pk, YEAR) for pk in persons.values()}
        ledger.person_years_lock(pairs)
        ledger.ledger_post(
            [
                ledger.EntryRow(pk, YEAR, "own", Decimal("500.00"), "bench", f"bench:own:{pk}")
                for pk in persons.values()
            ],
            {pair: ledger.YearDelta(own=Decimal("500.00"), own_arrived_on=paid_on) for pair in pairs},
        )

    user_model = get_user_model()
    accountant = user_model.objects.create_user("bench-village", password="x", last_name="刘", first_name="会计")
    StaffProfile.objects.create(user=accountant, role=Role.VILLAGE_ACCOUNTANT, region=home)
    auditor = user_model.objects.create_user("bench-auditor", password="x", last_name="周", first_name="审计")
    StaffProfile.objects.create(user=auditor, role=Role.AUDITOR, region=county)
    from collective.demo import uscc_for

    organisation = Organisation.objects.create(
        name="基准村股份经济合作社",
        uscc=uscc_for("N2", COUNTY, "MA0BENCH"),
        village=home,
        address="基准村",
        legal_person_name="张三",
        legal_person_id_no=ids[0],
        legal_person_phone="13900000000",
        handler_name="李四",
        handler_id_no=ids[1],
        handler_phone="13900000001",
        taxpayer_id=uscc_for("N2", COUNTY, "MA0BENCH"),
        virtual_unit_code="XNBENCH",
        created_by=accountant,
    )
    filing = Filing.objects.create(
        number="BA202611230001",
        kind="collective",
        year=YEAR,
        region=home,
        organisation=organisation,
        standard=Decimal("200.00"),
        planned_count=rows,
        planned_total=Decimal("200.00") * rows,
        declares_not_land_acquired=True,
        resolved_on=dt.date(YEAR, 3, 10),
        publicity_from=dt.date(YEAR, 3, 11),
        publicity_to=dt.date(YEAR, 3, 18),
        created_by=accountant,
    )

    # The summary's material: two paid social-sponsorship rows in each of the first V villages.
    summary_ids = person_ids(2 * villages, offset=rows)
    InsuredPerson.objects.bulk_create(
        [
            InsuredPerson(
                id_no=id_no,
                name=name_of(n),
                sex="M" if int(id_no[16]) % 2 else "F",
                birth_date=dt.date(int(id_no[6:10]), int(id_no[10:12]), int(id_no[12:14])),
                village=all_villages[n // 2],
                person_no=f"S{n:012d}",
                status="enrolled",
                enrolled_on=dt.date(2015, 1, 1),
            )
            for n, id_no in enumerate(summary_ids)
        ],
        batch_size=5000,
    )
    social = Filing.objects.create(
        number="BA202611230002",
        kind="social",
        year=YEAR,
        region=county,
        sponsor_kind="company",
        sponsor_name="基准爱心企业",
        sponsor_code=uscc_for("91", COUNTY, "MA0QPNQR"),
        created_by=accountant,
    )
    summary_persons = list(
        InsuredPerson.objects.filter(id_no__in=summary_ids).order_by("id_no").values_list("pk", flat=True)
    )
    paid_roster = Roster.objects.create(
        number="SB202611230001",
        check_code="BENCH001",
        filing=social,
        status="paid",
        row_count=len(summary_persons),
        total=Decimal("300.00") * len(summary_persons),
        uploaded_by=accountant,
    )
    paid_at = dt.datetime(YEAR, 4, 1, 10, tzinfo=dt.UTC)
    bulk.copy_rows(
        RosterRow._meta.db_table,
        ("roster_id", "seq", "line", "person_id", "name", "sex", "amount", "kind", "paid_at"),
        [
            (paid_roster.pk, n, n + 1, pk, "某", "M", Decimal("300.00"), "social", paid_at)
            for n, pk in enumerate(summary_persons, 1)
        ],
    )
    sql_exec("ANALYZE")
    return {"filing": filing, "accountant": accountant, "auditor": auditor, "ids": ids, "services": services}


def roster_file(ids: list[str]) -> bytes:
    """The roster as the template is filled in: its header, then one row a person, the ID as text."""
    import openpyxl

    from collective import rosters

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(rosters.LAYOUT.title.replace("/", ""))
    sheet.append([c.header for c in rosters.LAYOUT.columns])
    for n, id_no in enumerate(ids):
        sheet.append([n + 1, name_of(n), "男" if int(id_no[16]) % 2 else "女", id_no, "200.00", "集体补助"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def run(args: argparse.Namespace) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    (county, build_seconds) = timed(build_county, args.rows, args.villages)
    services = county["services"]
    from django.db import connection, transaction

    from collective import pdf, rosters, summary
    from collective.models import Roster, RosterRow
    from collective.resources import RosterRowResource

    filing, accountant = county["filing"], county["accountant"]
    content = roster_file(county["ids"])
    name = "基准村申报表.xlsx"
    figures: dict = {"build": build_seconds, "file_kb": len(content) / 1024}

    dry, figures["dry_run"] = timed(
        services.roster_upload, filing, content, name, user=accountant, dry_run=True, today=TODAY
    )
    assert dry.count == args.rows and dry.total == Decimal("200.00") * args.rows, "the dry run refused rows"
    sheet, figures["read"] = timed(services.roster_read, content, name)
    check, figures["check"] = timed(rosters.check_sheet, sheet, filing, today=TODAY)
    assert check.ok, check.errors[:3]

    def commit():
        with transaction.atomic():
            return services._roster_save(filing, check, content=content, filename=name, user=accountant)

    roster, figures["commit"] = timed(commit)
    assert RosterRow.objects.filter(roster=roster).count() == args.rows

    # django-import-export's default: its XLSX format reads the file, import_data goes row by row.
    from import_export.formats.base_formats import XLSX

    baseline_roster = Roster.objects.create(
        number="SB202611239999",
        check_code="BASELINE",
        filing=filing,
        status="discarded",
        row_count=args.rows,
        total=check.total,
        uploaded_by=accountant,
    )
    dataset, figures["ie_read"] = timed(XLSX().create_dataset, content)
    resource = RosterRowResource(roster=baseline_roster)
    result, figures["ie_dry_run"] = timed(resource.import_data, dataset, dry_run=True, raise_errors=True)
    assert not result.has_errors() and not result.has_validation_errors()
    result, figures["ie_import"] = timed(resource.import_data, dataset, dry_run=False, raise_errors=True)
    assert RosterRow.objects.filter(roster=baseline_roster).count() == args.rows

    auditor = county["auditor"]
    wanted = summary.SummaryFilter(YEAR)
    lines, figures["summary_query"] = timed(summary.summary_for, auditor, wanted)
    assert len(lines.lines) == args.villages
    document, figures["summary_pdf"] = timed(pdf.summary_pdf, lines, printed_by=auditor)
    from pypdf import PdfReader

    figures["summary_pages"] = len(PdfReader(io.BytesIO(document)).pages)
    figures["summary_total"] = lines.total
    connection.close()
    return figures


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(args: argparse.Namespace, info: dict, f: dict, command: str) -> str:
    ours = f["dry_run"] + f["commit"]
    theirs = f["ie_read"] + f["ie_import"]
    ratio = theirs / ours
    dry_ratio = (f["ie_read"] + f["ie_dry_run"]) / f["dry_run"]
    summary_total = f["summary_query"] + f["summary_pdf"]
    scale = args.rows / 10_000
    target_dry, target_commit = TARGET_DRY_RUN * scale, TARGET_COMMIT * scale

    def line(label: str, seconds: float, target: str = "", ok: bool | None = None, per_row: bool = True) -> str:
        rate = f"{args.rows / seconds:,.0f}" if per_row else ""
        return f"| {label} | {seconds:.2f} | {rate} | {target} | {'' if ok is None else met(ok)} |"

    rows = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `{command}`",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, PostgreSQL {info['postgres']}, "
        f"Python {info['python']}, Django {info['django']}; load average at start {info['load']}.",
        "",
        f"Data: a roster of {args.rows:,} rows for one village (.xlsx, {f['file_kb']:,.0f} KB, the ID column as "
        f"text), every member enrolled with the year's own contribution arrived; a county of {args.villages:,} "
        f"villages with two paid rows each for the summary. Building the county took {f['build']:.1f} s (not counted).",
        "",
        "| Measure | Seconds | Rows/s | Target | |",
        "|---|---:|---:|---:|---|",
        line(
            "**Dry run**: read the file and check every row (`roster_upload(dry_run=True)`)",
            f["dry_run"],
            f"≤ {target_dry:.1f}",
            f["dry_run"] <= target_dry,
        ),
        line("of which reading the .xlsx (`insured.spreadsheets.read`)", f["read"]),
        line("of which the checks (`collective.rosters.check_sheet`)", f["check"]),
        line(
            "**Commit**: the roster and its rows saved (COPY) and committed",
            f["commit"],
            f"≤ {target_commit:.1f}",
            f["commit"] <= target_commit,
        ),
        line("django-import-export: its XLSX format reads the file", f["ie_read"]),
        line("django-import-export: `import_data(dry_run=True)`", f["ie_dry_run"]),
        line("django-import-export: `import_data()` into the same table", f["ie_import"]),
        f"| **Ratio**: import-export (read + import) / ours (dry run + commit) | {ratio:.1f}× | | "
        f"≥ {TARGET_RATIO}× | {met(ratio >= TARGET_RATIO)} |",
        f"| Ratio of the dry runs: import-export (read + dry run) / ours | {dry_ratio:.1f}× | | | |",
        line(f"**Summary form** of {args.villages:,} villages: the query", f["summary_query"], per_row=False),
        line(
            f"**Summary form**: the PDF ({f['summary_pages']} pages, 合计 {f['summary_total']:,.2f})",
            f["summary_pdf"],
            per_row=False,
        ),
        line(
            "Summary form, query + PDF",
            summary_total,
            f"≤ {TARGET_SUMMARY:.0f}",
            summary_total <= TARGET_SUMMARY,
            per_row=False,
        ),
        "",
        "The import-export baseline is `collective.resources.RosterRowResource` with the library's defaults "
        "(an instance looked up per row by 序号, each row validated with `full_clean` and saved on its own): it "
        "checks only that the ID number names a registered person, none of the rules of notice 001 that our "
        "check applies (membership of the village, status, own contribution, the filed standard, the cap with "
        "what is credited, reserved and pending), so the comparison flatters it.",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    import tempfile

    args = parse_args(argv)
    recreate_database(args.database_url)
    with tempfile.TemporaryDirectory(prefix="bench-roster-") as scratch:
        setup_django(args.database_url, Path(scratch))
        info = machine()
        figures = run(args)
    shown_url = args.database_url
    command = " ".join(
        [
            ".venv/bin/python bench/roster.py",
            f"--rows {args.rows}",
            f"--villages {args.villages}",
            f"--database-url {shown_url}",
        ]
        + ([f"--write {args.write}"] if args.write else [])
    )
    body = render(args, info, figures, command)
    print(body)
    if args.write:
        common.write_section(Path(args.write), body, script="roster.py", title=TITLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
