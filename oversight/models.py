"""Oversight: what a county, its townships and its villages watch (notice 003 二, 五(三), 六(二)(三);
002 五; 004 四). The app reads the registry and the payments; it never writes the ledger.

- The progress summary (ProgressDay, ProgressYear): per village and year, what arrived on each day
  and the denominators, refreshed after each batch of notices commits and by beat. The progress
  pages, the API and the weekly report add these rows up; none of them reads notices or persons.
- Coverage 应保尽保 (003 二(一), 六(三)): the household-registration extracts 公安户籍数据 per
  township with their rows, the departments' lists of students and of persons in the employee
  scheme, the counts per village (CoverageCount), and a record of every export naming residents.
- The weekly report 周报 (003 六(二)) of each county, kept with its two files.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from insured.files import private_storage
from insured.identity import mask_id_no
from insured.models import Region
from insured.money import MoneyField


def _count(label: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0)


def _amount(label: str) -> MoneyField:
    return MoneyField(label, default=Decimal("0.00"))


# --- Progress summary ---------------------------------------------------------------------------


class ProgressDay(models.Model):
    """One village's year at the end of a day on which something arrived (the payment's paid date,
    Beijing time): what arrived that day (`paid_new`, for the week line) and every figure to date,
    so a page reads, per village, the last row on or before the day it shows, whatever the number
    of days. `year` is the contribution year 费款所属期, except for back payments 补缴, which count in
    the year they were paid in: they belong to that year's collection, not to the past year they
    make up. Rows are replaced whole by oversight.services.progress_refresh."""

    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    day = models.DateField(_("day"))
    paid_new = _count(_("persons whose first contribution of the year arrived that day"))
    paid_persons = _count(_("persons whose first contribution of the year has arrived"))
    own_count = _count(_("own contributions"))
    own_amount = _amount(_("own contributions: amount"))
    gov_paid_count = _count(_("government-paid contributions"))
    gov_paid_amount = _amount(_("government-paid contributions: amount"))
    members_covered = _count(_("special-group members covered by a government-paid contribution"))
    back_payment_count = _count(_("back payments"))
    back_payment_amount = _amount(_("back payments: amount"))
    sponsorship_count = _count(_("personal and social sponsorships"))
    sponsorship_amount = _amount(_("personal and social sponsorships: amount"))
    collective_count = _count(_("collective subsidies"))
    collective_amount = _amount(_("collective subsidies: amount"))

    class Meta:
        verbose_name = _("progress of a village on a day")
        verbose_name_plural = _("progress of villages by day")
        constraints = [
            # Also the index of a page's look-up: a village's last row of a year on or before a day.
            models.UniqueConstraint(fields=["village", "year", "day"], name="progress_day_unique"),
        ]
        indexes = [models.Index(fields=["year", "day"], name="progress_day_year_idx")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year} {self.day}"


class ProgressYear(models.Model):
    """The denominators of one village's year: the persons liable to contribute (enrolled and
    paying by the end of the year, and whoever contributed for it) and the special-group members
    of a group the year's policy pays for (003 二(一): 应代尽代)."""

    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    liable = _count(_("persons liable to contribute"))
    members = _count(_("special-group members the government pays for"))
    refreshed_at = models.DateTimeField(_("refreshed at"), default=timezone.now)

    class Meta:
        verbose_name = _("progress of a village in a year")
        verbose_name_plural = _("progress of villages by year")
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="progress_year_unique"),
        ]
        indexes = [models.Index(fields=["year", "village"], name="progress_year_year_idx")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"


class ProgressStale(models.Model):
    """A village's year whose summary rows are older than what payments have recorded since: marked
    after each processed batch, counted again by one refresh for every batch marked meanwhile
    (oversight.services.progress.progress_refresh_stale), then removed."""

    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    class Meta:
        verbose_name = _("village year to count again")
        verbose_name_plural = _("village years to count again")
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="progress_stale_unique")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"


# --- Coverage 应保尽保 --------------------------------------------------------------------------


class HouseholdExtract(models.Model):
    """One township's household-registration extract 公安户籍数据 (003 二(一), 六(二)(三)), taken
    whole or not at all. The newest of a township is its current one; the older stay as the
    record of each comparison (台账)."""

    township = models.ForeignKey(
        Region,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "township"},
    )
    data_date = models.DateField(_("extracted on"))
    source_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("content fingerprint"), max_length=64)
    row_count = _count(_("rows"))
    moved_count = _count(_("moved away"))
    dead_count = _count(_("dead"))
    is_current = models.BooleanField(_("current"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household-registration extract")
        verbose_name_plural = _("household-registration extracts")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            # The same file again changes nothing.
            models.UniqueConstraint(fields=["township", "sha256"], name="extract_file_once_per_township"),
            models.UniqueConstraint(
                fields=["township"], condition=Q(is_current=True), name="extract_one_current_per_township"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.data_date}"


class ResidentRecord(models.Model):
    """One resident as the household extract lists them."""

    class Status(models.TextChoices):
        NORMAL = "normal", _("registered here")
        MOVED = "moved", _("moved away")
        DEAD = "dead", _("dead")

    extract = models.ForeignKey(
        HouseholdExtract, verbose_name=_("extract"), on_delete=models.PROTECT, related_name="records", db_index=False
    )
    line = models.PositiveIntegerField(_("row"))
    id_no = models.CharField(_("resident ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1)
    birth_date = models.DateField(_("birth date"))
    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    household_no = models.CharField(_("household number"), max_length=30)
    status = models.CharField(_("registration status"), max_length=6, choices=Status.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("household-registration row")
        verbose_name_plural = _("household-registration rows")
        ordering = ["extract", "line"]
        constraints = [
            models.UniqueConstraint(fields=["extract", "id_no"], name="resident_once_per_extract"),
            models.CheckConstraint(condition=Q(id_no__regex=r"^[0-9]{17}[0-9X]$"), name="resident_id_no_format"),
        ]
        indexes = [
            models.Index(fields=["id_no"], name="resident_id_no_idx"),
            models.Index(fields=["extract", "village"], name="resident_extract_village_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id_no}）"

    @property
    def masked_id_no(self) -> str:
        return mask_id_no(self.id_no)


class DepartmentList(models.Model):
    """A department's list of persons who are not to enrol in the resident scheme (003 三(一), 六(三)):
    full-time students from the education bureau, persons in the employee pension scheme. The
    newest of a county and kind is the current one."""

    class Kind(models.TextChoices):
        STUDENT = "student", _("full-time students")
        EMPLOYEE_SCHEME = "employee_scheme", _("persons in the employee pension scheme")

    region = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    kind = models.CharField(_("list"), max_length=16, choices=Kind.choices)
    department = models.CharField(_("providing department"), max_length=100)
    data_date = models.DateField(_("as of"))
    source_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("content fingerprint"), max_length=64)
    row_count = _count(_("rows"))
    is_current = models.BooleanField(_("current"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department list")
        verbose_name_plural = _("department lists")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "sha256"], name="department_list_file_once"),
            models.UniqueConstraint(
                fields=["region", "kind"], condition=Q(is_current=True), name="department_list_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.get_kind_display()} {self.data_date}"


class DepartmentListEntry(models.Model):
    department_list = models.ForeignKey(
        DepartmentList, verbose_name=_("list"), on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    line = models.PositiveIntegerField(_("row"))
    id_no = models.CharField(_("resident ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50)
    detail = models.CharField(_("school or employer"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("department list row")
        verbose_name_plural = _("department list rows")
        constraints = [
            models.UniqueConstraint(fields=["department_list", "id_no"], name="department_entry_once"),
            models.CheckConstraint(condition=Q(id_no__regex=r"^[0-9]{17}[0-9X]$"), name="department_entry_id_format"),
        ]
        indexes = [models.Index(fields=["id_no"], name="department_entry_id_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{mask_id_no(self.id_no)}）"


class CoverageCount(models.Model):
    """One village's coverage figures as of the last refresh: the residents of its current extract,
    those who should be enrolled (16 or older, registered here, not a student, not in the employee
    scheme), those of them enrolled, the gap, and the enrolled whose registration says moved or dead."""

    village = models.OneToOneField(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="coverage_count"
    )
    extract = models.ForeignKey(
        HouseholdExtract, verbose_name=_("extract"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    residents = _count(_("residents on the extract"))
    eligible = _count(_("residents who should be enrolled"))
    enrolled = _count(_("of them enrolled"))
    reverse = _count(_("enrolled but moved away or dead"))
    refreshed_at = models.DateTimeField(_("refreshed at"), default=timezone.now)

    class Meta:
        verbose_name = _("coverage of a village")
        verbose_name_plural = _("coverage of villages")

    def __str__(self) -> str:
        return f"{self.village} {self.enrolled}/{self.eligible}"

    @property
    def gap(self) -> int:
        return self.eligible - self.enrolled


class CoverageExport(models.Model):
    """Who exported which list naming residents, when, and whether with whole ID numbers. The
    residents of a gap list are not insured persons, so they are recorded here, row by row; the
    insured persons of a reverse list go to insured's access log as well."""

    class Kind(models.TextChoices):
        GAP = "gap", _("gap list")
        REVERSE = "reverse", _("reverse list")

    at = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("list"), max_length=8, choices=Kind.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    row_count = _count(_("rows"))
    full_ids = models.BooleanField(_("with whole ID numbers"), default=False)
    records = models.ManyToManyField(
        ResidentRecord, verbose_name=_("residents"), through="CoverageExportRow", related_name="exports"
    )

    class Meta:
        verbose_name = _("list export")
        verbose_name_plural = _("list exports")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["region", "at"], name="coverage_export_region_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.region_id}"


class CoverageExportRow(models.Model):
    export = models.ForeignKey(CoverageExport, on_delete=models.PROTECT, related_name="rows", db_index=False)
    record = models.ForeignKey(ResidentRecord, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("exported resident")
        verbose_name_plural = _("exported residents")
        constraints = [models.UniqueConstraint(fields=["export", "record"], name="coverage_export_row_once")]

    def __str__(self) -> str:
        return f"{self.export_id}:{self.record_id}"


# --- Weekly report 周报 --------------------------------------------------------------------------


class WeeklyReport(models.Model):
    """The weekly progress report of a county (003 六(二): 每周进展通报), for the week from Monday
    `week_start` to Sunday: made by the Monday beat job, or on demand (then made again, replacing
    the files; the history keeps who made each)."""

    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    week_start = models.DateField(_("week from"))
    year = models.PositiveSmallIntegerField(_("year"))
    made_at = models.DateTimeField(_("made at"), default=timezone.now)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the Monday job made it."),
    )
    xlsx = models.FileField(_("Excel file"), storage=private_storage, upload_to="oversight/reports/%Y/", max_length=200)
    pdf = models.FileField(_("PDF file"), storage=private_storage, upload_to="oversight/reports/%Y/", max_length=200)
    summary = models.JSONField(_("figures"), default=dict, blank=True)
    history = HistoricalRecords(excluded_fields=["summary"])

    class Meta:
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")
        ordering = ["-week_start", "county__code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "week_start"], name="weekly_report_once_per_week"),
            models.CheckConstraint(condition=Q(week_start__iso_week_day=1), name="weekly_report_starts_monday"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.week_start}"

    @property
    def week_end(self) -> dt.date:
        return self.week_start + dt.timedelta(days=6)
