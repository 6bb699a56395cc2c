"""Build the demo county 演示县（演示数据）: its townships and villages, three demo policy
years, about 300 insured persons with special groups, and one user for every role; then each
app adds its part (insured.plugins.DemoStep): payments the contributions of three years, pushed
as notice batches and credited by the engine.

Run it twice and the second run changes nothing: it only prints the users again. Everything
is made in one transaction, so a failure leaves no half-built county behind. The data is
fictitious: the county code 211370 is not a real county, and every policy year is marked
`is_demo`.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from stdnum.iso7064 import mod_11_2

from insured import plugins, services
from insured.models import (
    InsuredPerson,
    PolicyTier,
    PolicyYear,
    Region,
    Role,
    SpecialGroup,
    StaffProfile,
)

REFERENCE_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "reference.json"
CITY_CODE = "211300000000"  # 朝阳市, from the reference fixture
COUNTY_CODE = "211370000000"
COUNTY_NAME = "演示县（演示数据）"
SEED = 2026
PERSON_COUNT = 300
MEMBER_COUNT = 30
DEMO_YEARS = (2024, 2025, 2026)
EARLIEST_DEMO_DAY = dt.date(2024, 1, 1)

# (township code, name, [(village segment, name, urban-rural class)])
TOWNSHIPS = [
    (
        "211370100000",
        "城关镇",
        [("001", "城关社区", "111"), ("200", "南关村", "220"), ("201", "北关村", "220"), ("202", "杨树沟村", "220")],
    ),
    ("211370101000", "东岭镇", [("200", "东岭村", "121"), ("201", "石门村", "220"), ("202", "大营子村", "220")]),
    (
        "211370200000",
        "西河乡",
        [("200", "西河村", "210"), ("201", "河南村", "220"), ("202", "柳条沟村", "220"), ("203", "榆树林村", "220")],
    ),
]
VILLAGE_ACCOUNTANT_VILLAGE = "211370100200"  # 城关镇南关村

# Tiers and subsidies after notice 004 四(一); the hardship tier after 002 二.
BASIC_TIERS = [
    (200, 35),
    (300, 40),
    (500, 60),
    (700, 80),
    (1000, 100),
    (1500, 140),
    (2000, 180),
    (3000, 220),
    (4000, 260),
    (5000, 300),
]
HARDSHIP_TIER = (100, 30)
GOV_PAID_AMOUNT = Decimal("100.00")
# The county finance bureau, which pays the government-paid contributions (a valid, invented code).
GOV_PAID_PAYER = ("演示县财政局", "11211370012345671B")
POLICY_NOTES = (
    "演示数据，不是真实政策，仅供演示和培训使用。基本养老保险档次与政府补贴仿照安泽县2021年标准"
    "（安政办发〔2021〕16号 四(一)）；另设100元困难群体专用档次（仿照费政办发〔2020〕1号 二），"
    "五类特殊群体政府代缴100元（仿照临市府办便发〔2023〕22号 四(二)）。"
)

# Where each group's list comes from (003 六(二)).
DEPARTMENTS = {
    SpecialGroup.POVERTY_ALLEVIATED: "县乡村振兴局",
    SpecialGroup.DIBAO_RECIPIENT: "县民政局",
    SpecialGroup.EXTREME_POVERTY: "县民政局",
    SpecialGroup.SEVERELY_DISABLED: "县残联",
    SpecialGroup.FAMILY_PLANNING: "县卫健局",
}
GROUP_WEIGHTS = [10, 8, 3, 6, 3]

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江"
    "史顾侯邵孟龙万段"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉建国志华文斌鹏飞海波宏亮春生庆林永福德成俊宇浩然"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英玲桂兰红梅燕萍凤琴翠云雪婷慧佳欣颖晶月"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    last_name: str
    first_name: str
    scope: str  # a region code

    @property
    def password(self) -> str:
        return f"demo-{self.username}-2026"


DEMO_USERS = [
    DemoUser("clerk", Role.CLERK, "李", "晓梅", COUNTY_CODE),
    DemoUser("reviewer", Role.REVIEWER, "王", "建国", COUNTY_CODE),
    DemoUser("reviewer2", Role.REVIEWER, "赵", "丽华", COUNTY_CODE),
    DemoUser("finance", Role.FINANCE, "孙", "秀英", COUNTY_CODE),
    DemoUser("auditor", Role.AUDITOR, "周", "文斌", COUNTY_CODE),
    DemoUser("village", Role.VILLAGE_ACCOUNTANT, "刘", "春生", VILLAGE_ACCOUNTANT_VILLAGE),
    DemoUser("township", Role.TOWNSHIP_OFFICE, "陈", "海燕", TOWNSHIPS[0][0]),
    # A second person of the same office: a refund's first review 初审 is never the intake's (002 附件2).
    DemoUser("township2", Role.TOWNSHIP_OFFICE, "吴", "桂兰", TOWNSHIPS[0][0]),
    DemoUser("admin", Role.ADMINISTRATOR, "张", "志强", COUNTY_CODE),
    DemoUser("taxbureau", Role.TAX_CLIENT, "演示县税务局", "接口", COUNTY_CODE),
]


@dataclass
class PersonSpec:
    id_no: str
    name: str
    village: Region
    status: str
    enrolled_on: dt.date


@dataclass
class Membership:
    group: str
    valid_from: dt.date
    valid_to: dt.date | None

    def is_active_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Command(BaseCommand):
    help = "Build the demo county 演示县（演示数据）: persons, contributions, one user per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="The day the demo is built on (YYYY-MM-DD); default: today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today: dt.date = options["today"] or timezone.localdate()
        if not settings.DEMO_ALLOWED:
            raise CommandError("the demo's users and secrets are public: load_demo refuses to run with these settings")
        if today < EARLIEST_DEMO_DAY:
            raise CommandError(
                f"--today must be {EARLIEST_DEMO_DAY} or later: the demo covers {DEMO_YEARS[0]}–{DEMO_YEARS[-1]}."
            )
        missing = set(Role) - {u.role for u in DEMO_USERS}
        if missing:
            raise CommandError(f"no demo user for the roles: {sorted(missing)}")
        started = time.monotonic()
        with transaction.atomic():
            if Region.objects.filter(code=COUNTY_CODE).exists():
                self.stdout.write(f"{COUNTY_NAME}（{COUNTY_CODE}）已存在，未做任何修改。")
            else:
                counts = DemoBuilder(today).build()
                elapsed = time.monotonic() - started
                self.stdout.write(self.style.SUCCESS(f"已建立{COUNTY_NAME}（{COUNTY_CODE}），用时 {elapsed:.1f} 秒："))
                for label, number in counts.items():
                    self.stdout.write(f"  {label}：{number}")
        self.stdout.write(users_table())


class DemoBuilder:
    def __init__(self, today: dt.date) -> None:
        self.today = today
        # A fixed seed, not a secret: the same demo persons on every machine.
        self.rng = random.Random(SEED)  # noqa: S311

    def build(self) -> dict[str, int]:
        taken = sorted(
            get_user_model()
            .objects.filter(username__in=[u.username for u in DEMO_USERS])
            .values_list("username", flat=True)
        )
        if taken:
            raise CommandError(f"these usernames already exist: {', '.join(taken)}")
        if not Region.objects.filter(code=CITY_CODE).exists():
            # An absolute path, so it loads whether or not FIXTURE_DIRS names fixtures/.
            call_command("loaddata", str(REFERENCE_FIXTURE), verbosity=0)
        county, villages = self.regions()
        for year in DEMO_YEARS:
            self.policy_year(county, year)
        users = self.users()
        persons = self.persons(villages, county, users["clerk"])
        memberships = self.memberships(persons, users["clerk"])
        counts = {
            "乡镇": len(TOWNSHIPS),
            "村（社区）": len(villages),
            "年度缴费标准": len(DEMO_YEARS),
            "参保人": len(persons),
            "五类人员身份": sum(len(m) for m in memberships.values()),
            "用户": len(users),
        }
        # Each app above the registry adds its part: payments the contributions, as notice batches.
        context = plugins.DemoContext(self.today, self.rng, county, villages, users, persons)
        for step in plugins.demo_steps():
            counts.update(step.build(context))
        return counts

    def regions(self) -> tuple[Region, list[Region]]:
        city = Region.objects.get(code=CITY_CODE)
        county = self._region(COUNTY_CODE, COUNTY_NAME, "county", city)
        villages = []
        for code, name, children in TOWNSHIPS:
            township = self._region(code, name, "township", county)
            for segment, village_name, urban_rural in children:
                villages.append(
                    self._region(code[:9] + segment, village_name, "village", township, urban_rural_class=urban_rural)
                )
        return county, villages

    @staticmethod
    def _region(code: str, name: str, level: str, parent: Region, **extra: str) -> Region:
        region = Region(code=code, name=name, level=level, parent=parent, **extra)
        region.full_clean()
        region.save()
        return region

    @staticmethod
    def policy_year(county: Region, year: int) -> PolicyYear:
        policy = PolicyYear(
            region=county,
            year=year,
            is_demo=True,
            title=f"演示县{year}年城乡居民基本养老保险缴费标准（演示数据）",
            source="演示数据，无正式文件",
            notes=POLICY_NOTES,
            hardship_groups=list(SpecialGroup.values),
            gov_paid_groups=list(SpecialGroup.values),
            gov_paid_amount=GOV_PAID_AMOUNT,
            gov_paid_counts_as_own=False,
            collection_start=dt.date(year, 1, 1),
            collection_end=dt.date(year, 12, 31),
            # 003 二(二): the government-paid contributions are done by 31 May; the finance bureau pays them.
            gov_paid_deadline=dt.date(year, 5, 31),
            gov_paid_payer_name=GOV_PAID_PAYER[0],
            gov_paid_payer_id=GOV_PAID_PAYER[1],
        )
        policy.full_clean()
        policy.save()
        tiers = [(HARDSHIP_TIER, True)] + [(tier, False) for tier in BASIC_TIERS]
        for (amount, subsidy), hardship_only in tiers:
            PolicyTier.objects.create(
                policy_year=policy,
                scheme=PolicyTier.Scheme.BASIC,
                amount=Decimal(amount),
                government_subsidy=Decimal(subsidy),
                is_hardship_only=hardship_only,
            )
        return policy

    @staticmethod
    def users() -> dict[str, Any]:
        # Each hash takes about half a second; hashlib releases the GIL while it works, so
        # hashing the nine passwords side by side saves most of the demo's waiting.
        with ThreadPoolExecutor(max_workers=len(DEMO_USERS)) as pool:
            hashes = list(pool.map(make_password, [spec.password for spec in DEMO_USERS]))
        users = {}
        for spec, password_hash in zip(DEMO_USERS, hashes, strict=True):
            is_admin = spec.role == Role.ADMINISTRATOR
            # The county administrator is staff, not a superuser: the admin is cut to the county.
            user = get_user_model()(
                username=spec.username,
                last_name=spec.last_name,
                first_name=spec.first_name,
                is_staff=is_admin,
                password=password_hash,
            )
            validate_password(spec.password, user)
            user.save()
            if is_admin:
                user.groups.add(services.administrator_group_sync())
            scope = Region.objects.get(code=spec.scope)
            profile = StaffProfile(user=user, role=spec.role, region=scope)
            profile.full_clean()
            profile.save()
            users[spec.username] = user
        return users

    def persons(self, villages: list[Region], county: Region, clerk: Any) -> list[InsuredPerson]:
        seen: set[str] = set()
        specs = [self._person_spec(villages, seen) for _ in range(PERSON_COUNT)]
        return [
            services.person_create(
                user=clerk,
                today=self.today,
                agency_region=county,
                id_no=s.id_no,
                name=s.name,
                village=s.village,
                status=s.status,
                enrolled_on=s.enrolled_on,
            )
            for s in specs
        ]

    def _person_spec(self, villages: list[Region], seen: set[str]) -> PersonSpec:
        rng = self.rng
        draw = rng.random()
        status = "receiving" if draw < 0.05 else "suspended" if draw < 0.08 else "enrolled"
        # Those still paying are under 60 in the last demo year; the receiving born before 1961.
        first, last = (1950, 1960) if status == "receiving" else (1967, 2005)
        birth = dt.date(rng.randint(first, last), 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        is_male = rng.random() < 0.5
        id_no = ""
        while not id_no or id_no in seen:
            body = f"{COUNTY_CODE[:6]}{birth:%Y%m%d}{rng.randrange(0, 500) * 2 + is_male:03d}"
            id_no = body + mod_11_2.calc_check_digit(body)
        seen.add(id_no)
        given = GIVEN_MALE if is_male else GIVEN_FEMALE
        given_length = rng.choice((1, 2, 2))
        name = rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(given_length))
        # 16 is a multiple of 4 and the range crosses no century, so 29 February stays valid.
        earliest = max(dt.date(2011, 7, 1), birth.replace(year=birth.year + 16))
        latest = dt.date(2015, 12, 31) if status == "receiving" else dt.date(2023, 12, 31)
        enrolled_on = earliest + dt.timedelta(days=rng.randint(0, max((latest - earliest).days, 0)))
        return PersonSpec(id_no=id_no, name=name, village=rng.choice(villages), status=status, enrolled_on=enrolled_on)

    def memberships(self, persons: list[InsuredPerson], clerk: Any) -> dict[int, list[Membership]]:
        rng = self.rng
        enrolled = [p for p in persons if p.status == InsuredPerson.Status.ENROLLED]
        result: dict[int, list[Membership]] = {}
        for person in rng.sample(enrolled, MEMBER_COUNT):
            group = rng.choices(list(DEPARTMENTS), weights=GROUP_WEIGHTS)[0]
            valid_from = dt.date(rng.randint(2018, 2023), rng.randint(1, 12), 1)
            # Some leave the list: 低保 ends, the poverty monitoring period is over.
            valid_to = dt.date(2024, 12, 31) if rng.random() < 0.2 else None
            services.membership_add(
                person=person,
                group=group,
                source_department=DEPARTMENTS[group],
                valid_from=valid_from,
                valid_to=valid_to,
                user=clerk,
            )
            result[person.pk] = [Membership(group, valid_from, valid_to)]
        return result


def users_table() -> str:
    profiles = {
        p.user.username: p
        for p in StaffProfile.objects.select_related("user", "region").filter(
            user__username__in=[u.username for u in DEMO_USERS]
        )
    }
    widths = (12, 14, 40, 22)
    lines = ["", _row(("用户名", "角色", "范围", "密码"), widths), _row(("-" * 10,) * 4, widths)]
    for spec in DEMO_USERS:
        profile = profiles.get(spec.username)
        scope = profile.region.full_name if profile else "（未找到）"
        lines.append(_row((spec.username, str(Role(spec.role).label), scope, spec.password), widths))
    lines.append("演示账号仅用于演示环境，密码公开，不得用于生产。")
    return "\n".join(lines)


def _row(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    return "  ".join(_pad(cell, width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _pad(text: str, width: int) -> str:
    # A CJK character takes two columns in a terminal.
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - shown, 0)
