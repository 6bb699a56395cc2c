"""Collective subsidy 集体补助 and social sponsorship 社会资助 (notice 001).

A village's collective economic organisation 集体经济组织 registers once (附件5's header) and is
known to tax as a virtual unit 虚拟单位. Each year it files its plan 备案 (一年一策: the
resolution 四议两公开, the standard per person, the total), and uploads rosters 申报表 (附件3)
under the plan. A company, charity or person sponsoring residents (附件2) files a social
sponsorship at the county agency and uploads its roster the same way. Each roster is checked
row by row, reviewed by the county within 3 working days, approved by another person, and then
paid through tax, one receivable per row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from insured.files import private_storage
from insured.models import InsuredPerson, Region
from insured.money import MoneyField
from payments.models import Receivable


class Organisation(models.Model):
    """A village collective economic organisation 嘎查村集体经济组织 (001 附件1 四(一); 附件5)."""

    name = models.CharField(_("organisation name"), max_length=100)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="collective_organisations",
        limit_choices_to={"level": "village"},
    )
    address = models.CharField(_("address"), max_length=200)
    legal_person_name = models.CharField(_("legal person"), max_length=50)
    legal_person_id_no = models.CharField(_("legal person's ID number"), max_length=18)
    legal_person_phone = models.CharField(_("legal person's phone"), max_length=20)
    handler_name = models.CharField(_("handler"), max_length=50)
    handler_id_no = models.CharField(_("handler's ID number"), max_length=18)
    handler_phone = models.CharField(_("handler's phone"), max_length=20)
    taxpayer_id = models.CharField(_("taxpayer identification number"), max_length=20)
    bank_name = models.CharField(_("bank of the direct-debit agreement"), max_length=100, blank=True)
    bank_account = models.CharField(_("account of the direct-debit agreement"), max_length=40, blank=True)
    virtual_unit_code = models.CharField(
        _("virtual unit code"),
        max_length=30,
        blank=True,
        help_text=_("The code under which tax knows the organisation's virtual unit (001 attachment 1 section 4)."),
    )
    virtual_unit_recorded_at = models.DateTimeField(_("virtual unit code recorded at"), null=True, blank=True)
    virtual_unit_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("virtual unit code recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("collective economic organisation")
        verbose_name_plural = _("collective economic organisations")
        ordering = ["village__code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"), name="organisation_uscc_format"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def can_file(self) -> bool:
        return bool(self.virtual_unit_code)


class Filing(models.Model):
    """One year's plan of a collective organisation 集体补助备案 (一年一策), or one social
    sponsorship 社会资助 entered at the county agency; its rosters are uploaded under it."""

    class Kind(models.TextChoices):
        COLLECTIVE = "collective", _("collective subsidy")
        SOCIAL = "social", _("social sponsorship")

    class SponsorKind(models.TextChoices):
        COMPANY = "company", _("company")
        CHARITY = "charity", _("charity or public-welfare organisation")
        PERSON = "person", _("person")

    number = models.CharField(_("filing number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    # Whose records these are: the organisation's village, or the county agency that took a
    # social sponsorship. Every read is cut to the user's region through it.
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filings",
    )
    sponsor_kind = models.CharField(_("kind of sponsor"), max_length=10, choices=SponsorKind.choices, blank=True)
    sponsor_name = models.CharField(_("sponsor's name"), max_length=100, blank=True)
    sponsor_code = models.CharField(_("sponsor's credit code or ID number"), max_length=18, blank=True)
    sponsor_phone = models.CharField(_("sponsor's phone"), max_length=20, blank=True)
    sponsor_address = models.CharField(_("sponsor's address"), max_length=200, blank=True)
    # The resolution 四议两公开 (001 二(四)) and the plan of 附件5 (collective only).
    proposed_on = models.DateField(_("proposed by the village committees on"), null=True, blank=True)
    resolved_on = models.DateField(_("resolved by the members' meeting on"), null=True, blank=True)
    attendance_expected = models.PositiveIntegerField(_("members expected at the meeting"), null=True, blank=True)
    attendance_present = models.PositiveIntegerField(_("members present"), null=True, blank=True)
    publicity_from = models.DateField(_("resolution made public from"), null=True, blank=True)
    publicity_to = models.DateField(_("resolution made public until"), null=True, blank=True)
    minutes = models.FileField(
        _("minutes of the meeting"), storage=private_storage, upload_to="collective/minutes/%Y/", blank=True
    )
    minutes_name = models.CharField(_("minutes file name"), max_length=200, blank=True)
    standard = MoneyField(_("standard per person (yuan)"), null=True, blank=True)
    hardship_standard = MoneyField(
        _("standard for hardship groups (yuan)"),
        null=True,
        blank=True,
        help_text=_("Empty when hardship groups get the same standard (001 section 2(2): 适当向困难群体倾斜)."),
    )
    planned_count = models.PositiveIntegerField(_("members planned"), null=True, blank=True)
    planned_total = MoneyField(_("total planned (yuan)"), null=True, blank=True)
    declares_not_land_acquired = models.BooleanField(
        _("the money is not the land-acquired farmers' pension subsidy"), default=False
    )
    filed_on = models.DateField(_("filed on"), default=timezone.localdate)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        ordering = ["-year", "-created_at", "-id"]
        constraints = [
            # 一年一策: one plan a year for an organisation.
            models.UniqueConstraint(
                fields=["organisation", "year"], condition=Q(kind="collective"), name="filing_one_plan_a_year"
            ),
            models.CheckConstraint(
                condition=(Q(kind="collective") & Q(organisation__isnull=False))
                | (Q(kind="social") & Q(organisation__isnull=True) & ~Q(sponsor_name="") & ~Q(sponsor_code="")),
                name="filing_payer_matches_kind",
            ),
            models.CheckConstraint(condition=Q(standard__isnull=True) | Q(standard__gt=0), name="filing_standard_pos"),
            models.CheckConstraint(
                condition=Q(hardship_standard__isnull=True) | Q(hardship_standard__gt=0),
                name="filing_hardship_standard_pos",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def payer_name(self) -> str:
        return self.organisation.name if self.organisation_id else self.sponsor_name

    @property
    def payer_code(self) -> str:
        """Who pays tax: the organisation's credit code, or the sponsor's code or resident ID."""
        return self.organisation.uscc if self.organisation_id else self.sponsor_code

    @property
    def planned_total_wan(self) -> Decimal | None:
        """The plan's total in 万元, as 附件5's sentence prints it."""
        return None if self.planned_total is None else self.planned_total / Decimal(10000)


class Roster(models.Model):
    """A roster 补助/资助申报表 (001 附件3): the persons, the amount and the type of each row."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("checked, not yet submitted")
        SUBMITTED = "submitted", _("submitted, waiting for the first review")
        REVIEWED = "reviewed", _("first review passed, waiting for approval")
        APPROVED = "approved", _("approved, waiting for payment")
        PAID = "paid", _("paid in full")
        REJECTED = "rejected", _("rejected")
        DISCARDED = "discarded", _("replaced before submission")

    # Submitted but not yet approved: what rule 1 counts as pending (001 二(二)).
    PENDING = (Status.SUBMITTED, Status.REVIEWED)
    # Approved: its rows are reserved against the cap or credited.
    APPROVED_STATES = (Status.APPROVED, Status.PAID)
    LIVE = (Status.SUBMITTED, Status.REVIEWED, Status.APPROVED, Status.PAID)

    number = models.CharField(_("roster number"), max_length=20, unique=True)
    check_code = models.CharField(_("check code"), max_length=10, unique=True)
    filing = models.ForeignKey(Filing, verbose_name=_("filing"), on_delete=models.PROTECT, related_name="rosters")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    source_file = models.FileField(
        _("uploaded file"), storage=private_storage, upload_to="collective/rosters/%Y/", blank=True
    )
    source_name = models.CharField(_("uploaded file name"), max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    total = MoneyField(_("total"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_review_due_on = models.DateField(_("first review due on"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("first review at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first review by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    paid_at = models.DateTimeField(_("paid in full at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="roster_total_positive"),
            # Maker-checker (001 附件1 四(三)): the approval is another person's than the first review.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("reviewed_by")),
                name="roster_reviewer_is_not_approver",
            ),
            # A filing has at most one roster waiting to be submitted: a new upload replaces it.
            models.UniqueConstraint(fields=["filing"], condition=Q(status="draft"), name="roster_one_draft_per_filing"),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="roster_status_idx")]

    def __str__(self) -> str:
        return self.number


class RosterRow(models.Model):
    """One row of a roster: the person, the amount and whether it is collective subsidy or social
    sponsorship; after approval its receivable, and when tax pays it, when."""

    class Kind(models.TextChoices):
        COLLECTIVE = "collective", _("collective subsidy")
        SOCIAL = "social", _("social sponsorship")

    roster = models.ForeignKey(Roster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="rows")
    seq = models.PositiveIntegerField(_("No."))
    line = models.PositiveIntegerField(_("spreadsheet line"))
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="roster_rows"
    )
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=InsuredPerson.Sex.choices)
    amount = MoneyField(_("amount"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    receivable = models.OneToOneField(
        Receivable,
        verbose_name=_("receivable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="roster_row",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster row")
        verbose_name_plural = _("roster rows")
        ordering = ["roster", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["roster", "seq"], name="roster_row_seq_unique"),
            models.UniqueConstraint(fields=["roster", "person"], name="roster_row_person_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="roster_row_amount_positive"),
        ]
        indexes = [models.Index(fields=["person", "roster"], name="roster_row_person_idx")]

    def __str__(self) -> str:
        return f"{self.roster_id}:{self.seq}"
