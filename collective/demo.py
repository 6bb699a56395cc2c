"""The collective subsidy part of the demo county, built through the production path.

- 南关村 (the `village` user's village) registers its collective organisation, the clerk records the
  virtual unit code tax gave it, and the village files its plan for the year: the demo walk starts
  there, with the rosters in `fixtures/demo/` (README: "Collective subsidy").
- 东岭村's organisation, whose roster the county entered, reviewed and approved, and a company's
  social sponsorship of residents of 石门村 and 西河村: both paid through tax (an arrival-notice batch
  credited by the engine), so the members' accounts show the money and the summary form has lines.

`roster_files()` makes the two demo rosters of 南关村 (one with deliberate errors, one corrected)
from the demo county; `manage.py collective_demo_rosters` writes them, and the SQLite demo test
checks that the shipped files are still the ones the demo makes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from collective import rosters, services
from collective.models import Filing, Organisation, Roster
from insured.identity import organisation_code_check
from insured.models import InsuredPerson, PersonYear, Region
from insured.plugins import DemoContext
from insured.rules import SUPPORT_TYPE_LABELS
from payments import intake, processing
from payments import services as payment_services
from payments.demo import tax_client
from payments.models import NoticeBatch

NANGUAN = "211370100200"  # 城关镇南关村: the demo village accountant's
NORTH_GATE = "211370100201"  # 城关镇北关村: next door
DONGLING = "211370101200"  # 东岭镇东岭村
SOCIAL_VILLAGES = ("211370101201", "211370200200")  # 东岭镇石门村, 西河乡西河村
NANGUAN_STANDARD = Decimal("200.00")
DONGLING_STANDARD = Decimal("300.00")
SOCIAL_AMOUNT = Decimal("500.00")
DONGLING_ROWS = 10
SOCIAL_ROWS_PER_VILLAGE = 3
ERRORS_FILE = "nanguan-roster-with-errors.xlsx"
CORRECTED_FILE = "nanguan-roster.xlsx"
SEX = {"M": "男", "F": "女"}


def uscc_for(first_two: str, division: str, organisation: str) -> str:
    from stdnum.cn import uscc

    body = f"{first_two}{division}{organisation}{organisation_code_check(organisation)}"
    return body + uscc.calc_check_digit(body)


def _id(body: str) -> str:
    from stdnum.iso7064 import mod_11_2

    return body + mod_11_2.calc_check_digit(body)


def build(context: DemoContext) -> dict[str, int]:
    users = context.users
    today = context.today
    nanguan = _organisation(
        NANGUAN, "南关村股份经济合作社", "MA0NANGU", users["village"], users["clerk"], handler=("刘春生", "13904710002")
    )
    _plan(nanguan, users["village"], today, standard=NANGUAN_STANDARD, count=16)
    dongling = _organisation(
        DONGLING, "东岭村股份经济合作社", "MA0DNGLN", users["clerk"], users["clerk"], handler=("康建华", "13904710012")
    )
    dongling_plan = _plan(dongling, users["clerk"], today, standard=DONGLING_STANDARD, count=DONGLING_ROWS)
    members = _paid(Region.objects.get(code=DONGLING), today.year)[:DONGLING_ROWS]
    approved = [_approved(dongling_plan, [(p, DONGLING_STANDARD, "collective") for p in members], context)]
    sponsor = services.social_filing_create(
        services.SponsorInput(
            "company",
            "演示爱心企业有限公司（演示数据）",
            uscc_for("91", "211370", "MA0AXN88"),
            "04707771234",
            "演示县城关镇建设路8号",
            today.year,
        ),
        user=users["clerk"],
        agency_region=context.county,
        today=today,
    )
    beneficiaries = [
        p
        for code in SOCIAL_VILLAGES
        for p in _paid(Region.objects.get(code=code), today.year)[:SOCIAL_ROWS_PER_VILLAGE]
    ]
    approved.append(_approved(sponsor, [(p, SOCIAL_AMOUNT, "social") for p in beneficiaries], context))
    _pay(context, approved)
    return {
        "集体经济组织": Organisation.objects.count(),
        "集体补助备案和社会资助": Filing.objects.count(),
        "已到账的补助/资助申报表": Roster.objects.filter(status=Roster.Status.PAID).count(),
    }


def _organisation(
    village_code: str, name: str, code: str, registrant: Any, clerk: Any, *, handler: tuple[str, str]
) -> Organisation:
    village = Region.objects.get(code=village_code)
    organisation = services.organisation_register(
        services.OrganisationInput(
            name=name,
            uscc=uscc_for("N2", village_code[:6], code),
            village=village,
            address=f"演示县{village.parent.name}{village.name}村民委员会",
            legal_person_name="张长青" if village_code == NANGUAN else "康长海",
            legal_person_id_no=_id(f"{village_code[:6]}19680402" + ("511" if village_code == NANGUAN else "531")),
            legal_person_phone="13904710001" if village_code == NANGUAN else "13904710011",
            handler_name=handler[0],
            handler_id_no=_id(f"{village_code[:6]}19790909" + ("613" if village_code == NANGUAN else "633")),
            handler_phone=handler[1],
            taxpayer_id="",
            bank_name="演示县农村信用合作联社",
            bank_account=f"62280047{village_code[-6:]}0001",
        ),
        user=registrant,
    )
    return services.organisation_record_virtual_unit(organisation, code=f"XN{village_code}", user=clerk)


def _plan(organisation: Organisation, user: Any, today: dt.date, *, standard: Decimal, count: int) -> Filing:
    year = today.year
    return services.filing_create(
        organisation,
        services.PlanInput(
            year=year,
            proposed_on=dt.date(year, 3, 1),
            resolved_on=dt.date(year, 3, 10),
            attendance_expected=45,
            attendance_present=41,
            publicity_from=dt.date(year, 3, 11),
            publicity_to=dt.date(year, 3, 18),
            standard=standard,
            hardship_standard=standard + Decimal("100.00"),
            planned_count=count,
            planned_total=standard * count,
            declares_not_land_acquired=True,
            minutes="演示数据：成员代表会议记录（四议两公开）。".encode(),
            minutes_name="会议记录（演示）.txt",
        ),
        user=user,
        today=today,
    )


def _paid(village: Region, year: int) -> list[InsuredPerson]:
    """The village's enrolled persons whose own contribution of the year has arrived (rule 2)."""
    paid = PersonYear.objects.filter(year=year, own_arrived_on__isnull=False).values("person_id")
    return list(InsuredPerson.objects.filter(village=village, status="enrolled", pk__in=paid).order_by("person_no"))


def workbook(rows: list[list[Any]]) -> bytes:
    """A roster as a village would fill in the template: the ID column formatted as text."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(_template()))
    sheet = book.worksheets[0]
    # Into the template's own cells, which are formatted (the ID column as text), from line 2 on.
    for line, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=line, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _template() -> bytes:
    from insured.spreadsheets import template

    return template(rosters.LAYOUT)


def _row(seq: int, person: InsuredPerson, amount: Decimal, kind: str) -> list[Any]:
    return [seq, person.name, SEX[person.sex], person.id_no, f"{amount:.2f}", SUPPORT_TYPE_LABELS[kind]]


def _approved(filing: Filing, rows: list[tuple[InsuredPerson, Decimal, str]], context: DemoContext) -> Roster:
    users, today = context.users, context.today
    content = workbook([_row(n, p, amount, kind) for n, (p, amount, kind) in enumerate(rows, start=1)])
    result = services.roster_upload(
        filing, content, f"{filing.payer_name}申报表.xlsx", user=users["clerk"], today=today
    )
    roster = services.roster_submit(result.roster, user=users["clerk"], today=today)
    roster = services.roster_review(roster, user=users["reviewer"], today=today)
    return services.roster_approve(roster, user=users["reviewer2"], today=today)


def _pay(context: DemoContext, approved: list[Roster]) -> None:
    """The payers pay: tax sends one arrival notice per row, which the engine credits."""
    notices = []
    now = timezone.localtime()
    for roster in approved:
        for row in roster.rows.select_related("person", "receivable").order_by("seq"):
            receivable = row.receivable
            notices.append(
                {
                    "voucher_no": f"3211370{now:%Y%m%d}{roster.pk:03d}",
                    "line_no": row.seq,
                    "kind": receivable.kind,
                    "insured_id_number": row.person.id_no,
                    "insured_name": row.person.name,
                    "payer_name": receivable.payer_name,
                    "payer_id": receivable.payer_id,
                    "year": receivable.year,
                    "amount": f"{receivable.amount:.2f}",
                    "paid_at": now.isoformat(timespec="seconds"),
                    "channel": "batch_client" if receivable.kind == "collective" else "tax_hall",
                    "receivable_no": receivable.number,
                    "reverses": None,
                    "tax_office_code": "12113700000",
                    "agency_code": row.person.village.code[:6],
                }
            )
    body = {
        "batch_id": f"DEMO-COLLECTIVE-{context.today.year}",
        "sent_at": now.isoformat(timespec="seconds"),
        "count": len(notices),
        "total_amount": f"{sum(Decimal(n['amount']) for n in notices):.2f}",
        "notices": notices,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    stored = payment_services.batch_store(
        client=tax_client(context.county), parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    processing.batch_process(stored.batch.pk)
    batch = NoticeBatch.objects.get(pk=stored.batch.pk)
    if batch.unmatched_count:
        raise RuntimeError(f"demo batch {batch.batch_id}: {batch.unmatched_count} payments were not credited")


def roster_files(year: int) -> dict[str, bytes]:
    """南关村's two demo rosters: one with deliberate errors of every kind a village makes, and the
    corrected one (every member whose own contribution of the year has arrived, at the standard)."""
    village = Region.objects.get(code=NANGUAN)
    paid = _paid(village, year)
    corrected = [_row(n, p, NANGUAN_STANDARD, "collective") for n, p in enumerate(paid, start=1)]
    unpaid = (
        InsuredPerson.objects.filter(village=village, status="enrolled")
        .exclude(pk__in=[p.pk for p in paid])
        .order_by("-person_no")
        .first()
    )
    neighbour = _paid(Region.objects.get(code=NORTH_GATE), year)[0]
    errors = [list(r) for r in corrected[:9]]
    errors[1][3] = errors[1][3][:17] + ("1" if errors[1][3][17] != "1" else "2")  # a wrong check character
    errors[2][3] = "2.11370E+17"  # what Excel shows for an ID typed into a number column
    errors[3][3] = int(errors[3][3][:15] + "000") if errors[3][3][:17].isdigit() else errors[3][3]  # a number
    errors[4][1] = errors[4][1][0] + "小" + errors[4][1][1:]  # a name that is not the registered one
    errors[5][4] = "200.005"  # three decimal places
    errors[6][5] = "慰问金"  # neither 集体补助 nor 社会资助
    errors[7][4] = "250.00"  # not the standard filed
    errors.append([10, neighbour.name, SEX[neighbour.sex], neighbour.id_no, "200.00", "集体补助"])  # not a member
    if unpaid is not None:
        errors.append([11, unpaid.name, SEX[unpaid.sex], unpaid.id_no, "200.00", "集体补助"])  # own not arrived
    return {ERRORS_FILE: workbook(errors), CORRECTED_FILE: workbook(corrected)}
