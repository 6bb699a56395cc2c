"""The registry: regions, policy years, insured persons, special groups, staff scopes,
and the personal-account ledger that the rules read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from insured.files import private_storage
from insured.identity import mask_id_no, parse_resident_id
from insured.money import MoneyField


class RegionManager(models.Manager["Region"]):
    def get_by_natural_key(self, code: str) -> Region:
        return self.get(code=code)


class Region(models.Model):
    """A division of the statistical division code tree (统计用区划代码, 2+2+2+3+3 digits)."""

    # A level (县级, 村级) is not a place (县, 村): "village" alone names the village a record
    # belongs to, so the levels carry a context of their own.
    class Level(models.TextChoices):
        PROVINCE = "province", pgettext_lazy("region level", "province")
        CITY = "city", pgettext_lazy("region level", "city")
        COUNTY = "county", pgettext_lazy("region level", "county")
        TOWNSHIP = "township", pgettext_lazy("region level", "township")
        VILLAGE = "village", pgettext_lazy("region level", "village")

    # How many leading digits of the code identify a division of each level.
    PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
    PARENT_LEVEL = {"city": "province", "county": "city", "township": "county", "village": "township"}

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("division name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    urban_rural_class = models.CharField(_("urban-rural class"), max_length=3, blank=True)
    external_code = models.CharField(_("code in the tax system"), max_length=30, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = RegionManager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{12}$"), name="region_code_12_digits"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="region_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def prefix(self) -> str:
        return self.code[: self.PREFIX_LENGTH[self.level]]

    def contains(self, other: Region) -> bool:
        return other.code.startswith(self.prefix)

    def ancestors(self) -> list[Region]:
        """From the province down to this region's parent."""
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in [*self.ancestors()[1:], self])

    def clean(self) -> None:
        length = self.PREFIX_LENGTH.get(self.level)
        if length and self.code and set(self.code[length:]) - {"0"}:
            raise ValidationError(
                {
                    "code": _("A %(level)s code must end in zeros after its first %(n)s digits.")
                    % {"level": self.get_level_display(), "n": length}
                }
            )
        expected_parent = self.PARENT_LEVEL.get(self.level)
        if expected_parent and (self.parent is None or self.parent.level != expected_parent):
            raise ValidationError(
                {
                    "parent": _("The parent of a %(level)s must be a %(parent)s.")
                    % {
                        "level": self.get_level_display(),
                        "parent": Region.Level(expected_parent).label,
                    }
                }
            )
        if self.parent is not None and not self.code.startswith(self.parent.prefix):
            raise ValidationError(
                {"code": _("The code must begin with the parent's code %(p)s.") % {"p": self.parent.prefix}}
            )


class PolicyYearManager(models.Manager["PolicyYear"]):
    def get_by_natural_key(self, region_code: str, year: int) -> PolicyYear:
        return self.get(region__code=region_code, year=year)


class SpecialGroup(models.TextChoices):
    """The five groups of notice 003 四(二)."""

    POVERTY_ALLEVIATED = "poverty_alleviated", _("poverty-alleviated person")
    DIBAO_RECIPIENT = "dibao_recipient", _("minimum living allowance recipient")
    EXTREME_POVERTY = "extreme_poverty_person", _("person in extreme poverty")
    SEVERELY_DISABLED = "severely_disabled", _("severely disabled person")
    FAMILY_PLANNING = "family_planning_household", _("family-planning household")


class PolicyYear(models.Model):
    """The contribution standard of one region for one year (年度缴费标准)."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="policy_years")
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    source = models.CharField(_("source notice"), max_length=200, blank=True)
    hardship_groups = models.JSONField(
        _("groups that may use the hardship tier"),
        default=list,
        blank=True,
        help_text=_("Codes of the special groups allowed to choose a hardship-only tier."),
    )
    gov_paid_groups = models.JSONField(
        _("groups whose contribution the government pays"),
        default=list,
        blank=True,
    )
    gov_paid_amount = MoneyField(_("government-paid amount for special groups"), null=True, blank=True)
    gov_paid_counts_as_own = models.BooleanField(
        _("government-paid contribution counts as own contribution"),
        default=False,
        help_text=_("Rule 2: whether a government-paid contribution satisfies the own-contribution requirement."),
    )
    collection_start = models.DateField(_("collection window start"), null=True, blank=True)
    collection_end = models.DateField(_("collection window end"), null=True, blank=True)
    collection_day_from = models.PositiveSmallIntegerField(_("first collection day of a month"), null=True, blank=True)
    collection_day_to = models.PositiveSmallIntegerField(_("last collection day of a month"), null=True, blank=True)
    back_payment_years = models.PositiveSmallIntegerField(
        _("back payment reaches back (years)"),
        null=True,
        blank=True,
        help_text=_(
            "How many past years a back payment for interrupted contributions may reach (003 section 6(3)); "
            "empty: back to the enrolment year."
        ),
    )
    is_demo = models.BooleanField(_("demo policy"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    objects = PolicyYearManager()

    class Meta:
        verbose_name = _("policy year")
        verbose_name_plural = _("policy years")
        ordering = ["region__code", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="policy_year_unique_per_region"),
            models.CheckConstraint(condition=Q(year__gte=2009) & Q(year__lte=2100), name="policy_year_range"),
            models.CheckConstraint(
                condition=Q(collection_day_from__isnull=True)
                | (Q(collection_day_from__gte=1) & Q(collection_day_from__lte=31)),
                name="policy_year_day_from_range",
            ),
            models.CheckConstraint(
                condition=Q(collection_day_to__isnull=True)
                | (Q(collection_day_to__gte=1) & Q(collection_day_to__lte=31)),
                name="policy_year_day_to_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"

    def natural_key(self) -> tuple[str, int]:
        return (self.region.code, self.year)

    natural_key.dependencies = ["insured.region"]  # type: ignore[attr-defined]

    def basic_tiers(self) -> list[PolicyTier]:
        return [t for t in self.tiers.all() if t.scheme == PolicyTier.Scheme.BASIC]

    def supplementary_tiers(self) -> list[PolicyTier]:
        return [t for t in self.tiers.all() if t.scheme == PolicyTier.Scheme.SUPPLEMENTARY]

    @property
    def top_tier(self) -> Decimal | None:
        """The cap of rule 1; None while the administrator has not entered the tiers."""
        amounts = [t.amount for t in self.basic_tiers()]
        return max(amounts) if amounts else None

    def tier_for(self, amount: Decimal, scheme: str = "basic") -> PolicyTier | None:
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("tiers")
        if prefetched is None:
            return next((t for t in self.tiers.all() if t.scheme == scheme and t.amount == amount), None)
        # A prefetched policy is a snapshot: index it once, since a batch asks thousands of times.
        index = self.__dict__.get("_tier_index")
        if index is None:
            index = self.__dict__["_tier_index"] = {(t.scheme, t.amount): t for t in prefetched}
        return index.get((scheme, amount))

    def clean(self) -> None:
        for name in ("hardship_groups", "gov_paid_groups"):
            unknown = set(getattr(self, name) or []) - set(SpecialGroup.values)
            if unknown:
                raise ValidationError({name: _("Unknown special group: %(g)s") % {"g": ", ".join(sorted(unknown))}})
        if self.region_id and self.region.level not in ("province", "city", "county"):
            raise ValidationError({"region": _("A policy year belongs to a province, city or county.")})


class PolicyTierManager(models.Manager["PolicyTier"]):
    def get_by_natural_key(self, region_code: str, year: int, scheme: str, amount: str) -> PolicyTier:
        return self.get(
            policy_year__region__code=region_code, policy_year__year=year, scheme=scheme, amount=Decimal(amount)
        )


class PolicyTier(models.Model):
    """One contribution tier 缴费档次 and the government subsidy 政府补贴 paid beside it."""

    class Scheme(models.TextChoices):
        BASIC = "basic", _("basic pension")
        SUPPLEMENTARY = "supplementary", _("supplementary pension")

    policy_year = models.ForeignKey(
        PolicyYear, verbose_name=_("policy year"), on_delete=models.CASCADE, related_name="tiers"
    )
    scheme = models.CharField(_("scheme"), max_length=13, choices=Scheme.choices, default=Scheme.BASIC)
    amount = MoneyField(_("contribution"))
    government_subsidy = MoneyField(
        _("government subsidy"),
        null=True,
        blank=True,
        help_text=_("Empty where the notice does not print it; the administrator enters it."),
    )
    is_hardship_only = models.BooleanField(_("hardship groups only"), default=False)
    history = HistoricalRecords()

    objects = PolicyTierManager()

    class Meta:
        verbose_name = _("contribution tier")
        verbose_name_plural = _("contribution tiers")
        ordering = ["policy_year", "scheme", "amount"]
        constraints = [
            models.UniqueConstraint(fields=["policy_year", "scheme", "amount"], name="tier_unique_amount"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tier_amount_positive"),
            models.CheckConstraint(
                condition=Q(government_subsidy__isnull=True) | Q(government_subsidy__gte=0),
                name="tier_subsidy_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount}"

    def natural_key(self) -> tuple[str, int, str, str]:
        return (*self.policy_year.natural_key(), self.scheme, str(self.amount))

    natural_key.dependencies = ["insured.policyyear"]  # type: ignore[attr-defined]


class InsuredPerson(models.Model):
    """A resident enrolled in the scheme (参保人)."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled and paying")
        SUSPENDED = "suspended", _("suspended")
        RECEIVING = "receiving", _("receiving benefits")
        CLOSED = "closed", _("closed")

    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    id_no = models.CharField(_("resident ID number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    village = models.ForeignKey(
        Region,
        verbose_name=_("household registration village"),
        on_delete=models.PROTECT,
        related_name="persons",
        limit_choices_to={"level": "village"},
    )
    person_no = models.CharField(_("person number"), max_length=20, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENROLLED)
    enrolled_on = models.DateField(_("enrolment date"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_student = models.BooleanField(_("full-time student"), default=False)
    has_employee_pension = models.BooleanField(_("covered by the employee pension"), default=False)
    has_land_acquired_scheme = models.BooleanField(_("covered by the land-acquired farmers' scheme"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("insured person")
        verbose_name_plural = _("insured persons")
        ordering = ["village__code", "person_no"]
        constraints = [
            models.CheckConstraint(condition=Q(id_no__regex=r"^[0-9]{17}[0-9X]$"), name="person_id_no_format"),
        ]
        indexes = [models.Index(fields=["name"], name="person_name_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id_no}）"

    @property
    def masked_id_no(self) -> str:
        return mask_id_no(self.id_no)

    def age_on(self, day: dt.date) -> int:
        return parse_resident_id(self.id_no, today=day).age_on(day)

    def active_groups(self, day: dt.date) -> set[str]:
        return {m.group for m in self.memberships.all() if m.is_active_on(day)}


class SpecialGroupMembership(models.Model):
    """A person's membership of one of the five special groups 五类人员, as a department certified it."""

    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.CASCADE, related_name="memberships"
    )
    group = models.CharField(_("special group"), max_length=30, choices=SpecialGroup.choices)
    source_department = models.CharField(_("certifying department"), max_length=50)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("special group membership")
        verbose_name_plural = _("special group memberships")
        ordering = ["person", "group", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["person", "group", "valid_from"], name="membership_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} {self.get_group_display()}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Role(models.TextChoices):
    CLERK = "clerk", _("counter clerk")
    REVIEWER = "reviewer", _("reviewer")
    FINANCE = "finance", _("finance")
    AUDITOR = "auditor", _("auditor")
    VILLAGE_ACCOUNTANT = "village_accountant", _("village accountant")
    TOWNSHIP_OFFICE = "township_office", _("township office")
    ADMINISTRATOR = "administrator", _("administrator")
    TAX_CLIENT = "tax_client", _("tax bureau system")


class StaffProfile(models.Model):
    """A user's role and the region their work is cut to."""

    # The level of region each role is scoped to; county-level roles may also hold a wider scope.
    ROLE_SCOPE_LEVELS = {
        Role.VILLAGE_ACCOUNTANT: {"village"},
        Role.TOWNSHIP_OFFICE: {"township"},
        Role.CLERK: {"county"},
        Role.REVIEWER: {"county"},
        Role.FINANCE: {"county"},
        Role.AUDITOR: {"county", "city", "province"},
        Role.ADMINISTRATOR: {"county", "city", "province"},
        Role.TAX_CLIENT: {"county", "city", "province"},
    }

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name=_("scope region"), on_delete=models.PROTECT, related_name="staff")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("staff scope")
        verbose_name_plural = _("staff scopes")

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.region}"

    def clean(self) -> None:
        allowed = self.ROLE_SCOPE_LEVELS.get(self.role, set())
        if self.region_id and self.region.level not in allowed:
            raise ValidationError(
                {
                    "region": _("A %(role)s is scoped to a region of level: %(levels)s.")
                    % {
                        "role": Role(self.role).label,
                        "levels": "、".join(str(Region.Level(lv).label) for lv in sorted(allowed)),
                    }
                }
            )


class AccountEntry(models.Model):
    """One line of a personal account. Never updated or deleted: the database refuses it."""

    class Kind(models.TextChoices):
        OWN = "own", _("own contribution")
        GOVERNMENT_SUBSIDY = "government_subsidy", _("government subsidy")
        GOVERNMENT_PAID = "government_paid", _("government-paid contribution")
        COLLECTIVE = "collective", _("collective subsidy")
        SPONSORSHIP = "sponsorship", _("personal sponsorship")
        SOCIAL = "social", _("social sponsorship")
        BACK_PAYMENT = "back_payment", _("back payment")
        SUPPLEMENTARY = "supplementary", _("supplementary pension contribution")
        SUPPLEMENTARY_SUBSIDY = "supplementary_subsidy", _("supplementary pension subsidy")
        REFUND = "refund", _("refund")
        REVERSAL = "reversal", _("reversal")

    # Every index costs each of the millions of inserts; the person is indexed by
    # entry_person_year_idx (its first column) and the source key by its unique constraint.
    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("contribution year"))
    kind = models.CharField(_("kind"), max_length=25, choices=Kind.choices)
    amount = MoneyField(_("amount"))
    source_type = models.CharField(_("source type"), max_length=30)
    source_key = models.CharField(_("source key"), max_length=100)
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("account entry")
        verbose_name_plural = _("account entries")
        ordering = ["person", "year", "posted_at", "id"]
        indexes = [
            models.Index(fields=["person", "year"], name="entry_person_year_idx"),
            models.Index(fields=["source_type", "posted_at"], name="entry_source_posted_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            # A source credits once: the same notice pushed twice changes nothing.
            models.UniqueConstraint(fields=["source_key"], name="entry_source_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year} {self.kind} {self.amount}"


class PersonYearQuerySet(models.QuerySet["PersonYear"]):
    def locked(self, person_id: int, year: int) -> PersonYear:
        """The row every money rule for this person and year is checked under.

        Created first if missing, then locked: two services checking the cap at once queue
        on this lock instead of both seeing the old figures.
        """
        self.get_or_create(person_id=person_id, year=year)
        return self.select_for_update().get(person_id=person_id, year=year)


class PersonYear(models.Model):
    """Per person and year: what has arrived and what support is reserved or credited."""

    # Indexed by the (person, year) unique constraint.
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="years", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    own_amount = MoneyField(_("own contribution arrived"), default=Decimal("0.00"))
    own_arrived_on = models.DateField(_("own contribution arrived on"), null=True, blank=True)
    gov_paid_amount = MoneyField(_("government-paid contribution arrived"), default=Decimal("0.00"))
    support_reserved = MoneyField(_("sponsorship and subsidy approved, not yet paid"), default=Decimal("0.00"))
    support_credited = MoneyField(_("sponsorship and subsidy credited"), default=Decimal("0.00"))

    objects = PersonYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("person year")
        verbose_name_plural = _("person years")
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="person_year_unique"),
            models.CheckConstraint(condition=Q(support_reserved__gte=0), name="person_year_reserved_not_negative"),
            models.CheckConstraint(condition=Q(support_credited__gte=0), name="person_year_credited_not_negative"),
            models.CheckConstraint(condition=Q(own_amount__gte=0), name="person_year_own_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}"

    @property
    def support_used(self) -> Decimal:
        return self.support_reserved + self.support_credited


class Holiday(models.Model):
    """The administrator's calendar of days off and working weekend days.

    `chinese-calendar` covers the years its release knows (it raises for later years); this
    table overrides it and carries the years after.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"), default=False, help_text=_("Tick for a weekend day that is worked (调休上班).")
    )
    name = models.CharField(_("holiday name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("holiday calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Job(models.Model):
    """Work that takes longer than a page may wait (a large list checked, a county's report
    printed), done by a Celery worker while the page shows its progress (insured.jobs).

    Its files are the requester's: the page, the progress and the download are found only by the
    user who asked, within their region.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=50)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The requester's scope when the job was asked for."),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    input_file = models.FileField(
        _("input file"), storage=private_storage, upload_to="jobs/input/%Y/%m/", max_length=200, blank=True
    )
    input_name = models.CharField(_("input file name"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result_file = models.FileField(
        _("result file"), storage=private_storage, upload_to="jobs/result/%Y/%m/", max_length=200, blank=True
    )
    result_name = models.CharField(_("result file name"), max_length=200, blank=True)
    result_type = models.CharField(_("result content type"), max_length=120, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="job_requester_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="job_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=models.F("total")), name="job_done_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class AccessRecord(models.Model):
    """Who looked at whom (个人信息保护法): a view of a person's page or account, a printed form or
    an export naming the person. Append-only, like the ledger: the database refuses changes."""

    class What(models.TextChoices):
        PAGE = "page", _("person page")
        ACCOUNT = "account", _("personal account")
        API = "api", _("API")
        FORM = "form", _("printed form")
        EXPORT = "export", _("export")

    at = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    what = models.CharField(_("what"), max_length=10, choices=What.choices)
    detail = models.CharField(_("detail"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("access records")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["person", "at"], name="access_person_at_idx"),
            models.Index(fields=["user", "at"], name="access_user_at_idx"),
            models.Index(fields=["at"], name="access_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.person_id} {self.what}"


class PrintRecord(models.Model):
    """Who printed what (issue 15): every printed form, one row per form (a batch of 500 forms is
    500 rows), with what the form said when it was printed, so that its check code still verifies
    as printed after the document changes. Append-only, like the access log.

    The persons a form names are recorded in the access log as well (insured.access_log)."""

    at = models.DateTimeField(_("printed at"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("printed by"), on_delete=models.PROTECT, related_name="+"
    )
    form = models.CharField(
        _("form"), max_length=50, help_text=_("Which form of the system, e.g. subsidy.application.")
    )
    title = models.CharField(_("title"), max_length=100)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    check_code = models.CharField(_("check code"), max_length=20, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Whose document it is: the auditor of this region reads the record."),
    )
    facts = models.JSONField(_("printed facts"), default=list, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=1)
    link = models.CharField(_("link"), max_length=200, blank=True)
    job = models.ForeignKey(
        Job,
        verbose_name=_("batch job"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("print record")
        verbose_name_plural = _("print records")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["check_code"], name="print_check_code_idx", condition=~Q(check_code="")),
            models.Index(fields=["form", "number", "at"], name="print_form_number_idx"),
            models.Index(fields=["user", "at"], name="print_user_at_idx"),
            models.Index(fields=["at"], name="print_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.form} {self.number}"

    @property
    def fact_rows(self) -> list[tuple[str, str]]:
        return [(str(label), str(value)) for label, value in self.facts]
