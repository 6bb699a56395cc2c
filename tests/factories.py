"""factory-boy factories for the registry. Every ID they make has a correct check digit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from stdnum.iso7064 import mod_11_2

from insured.models import (
    InsuredPerson,
    PolicyTier,
    PolicyYear,
    Region,
    Role,
    SpecialGroup,
    SpecialGroupMembership,
    StaffProfile,
)

DEMO_TIERS = [("200", "35"), ("300", "40"), ("500", "60"), ("1000", "100"), ("2000", "180"), ("5000", "300")]


def make_id_no(birth: dt.date, seq: int, area: str = "211370") -> str:
    body = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + mod_11_2.calc_check_digit(body)


def region_tree(county_code: str = "211370", county_name: str = "测试县") -> dict[str, Region]:
    """Province > city > county > two townships > two villages each."""
    province, _ = Region.objects.get_or_create(
        code=f"{county_code[:2]}0000000000", defaults={"name": "测试省", "level": "province"}
    )
    city, _ = Region.objects.get_or_create(
        code=f"{county_code[:4]}00000000", defaults={"name": "测试市", "level": "city", "parent": province}
    )
    county = Region.objects.create(code=f"{county_code}000000", name=county_name, level="county", parent=city)
    tree = {"province": province, "city": city, "county": county}
    for t, tcode in enumerate(("100", "200")):
        township = Region.objects.create(
            code=f"{county_code}{tcode}000", name=f"{county_name}第{t + 1}镇", level="township", parent=county
        )
        tree[f"township{t + 1}"] = township
        for v, vcode in enumerate(("201", "202")):
            tree[f"village{t + 1}{v + 1}"] = Region.objects.create(
                code=f"{county_code}{tcode}{vcode}", name=f"{township.name}{v + 1}村", level="village", parent=township
            )
    return tree


class PolicyYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyYear
        skip_postgeneration_save = True

    region = factory.LazyFunction(lambda: region_tree()["county"])
    year = 2026
    title = "测试缴费标准"
    gov_paid_amount = Decimal("100.00")
    hardship_groups = factory.LazyFunction(lambda: list(SpecialGroup.values))

    @factory.post_generation
    def tiers(self, create, extracted, **kwargs):
        tiers = extracted if extracted is not None else DEMO_TIERS
        for amount, subsidy in tiers:
            PolicyTier.objects.create(
                policy_year=self, amount=Decimal(amount), government_subsidy=Decimal(subsidy) if subsidy else None
            )
        if extracted is None:
            PolicyTier.objects.create(
                policy_year=self, amount=Decimal("100"), government_subsidy=Decimal("30"), is_hardship_only=True
            )


def first_village(region: Region) -> Region:
    return Region.objects.filter(level="village", code__startswith=region.prefix).order_by("code").first()


class InsuredPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsuredPerson

    name = factory.Sequence(lambda n: f"测试{n}")
    birth_date = dt.date(1970, 5, 17)
    id_no = factory.LazyAttributeSequence(lambda o, n: make_id_no(o.birth_date, n + 1, o.village.code[:6]))
    sex = factory.LazyAttribute(lambda o: "M" if int(o.id_no[16]) % 2 else "F")
    person_no = factory.Sequence(lambda n: f"T{n:010d}")
    status = InsuredPerson.Status.ENROLLED
    enrolled_on = dt.date(2015, 1, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialGroupMembership

    group = SpecialGroup.DIBAO_RECIPIENT
    source_department = "民政局"
    valid_from = dt.date(2020, 1, 1)


def make_user(role: str, region: Region, username: str | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username or f"{role}-{region.code}", password="pw-test-123", **extra
    )
    StaffProfile.objects.create(user=user, role=Role(role), region=region)
    return user
