"""Personal sponsorship 个人资助 (notice 000): a sponsor pays extra into an insured person's
account, applied for at the county window, approved, signed, paid through tax, credited."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from insured.models import InsuredPerson
from insured.money import MoneyField
from payments.models import Receivable


class SponsorshipApplication(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted, waiting for review")
        APPROVED = "approved", _("approved, waiting for signatures")
        SIGNED = "signed", _("signed, waiting for payment")
        CREDITED = "credited", _("credited to the account")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")
        VOIDED = "voided", _("voided: unpaid when its year ended")

    class Relation(models.TextChoices):
        CHILD = "child", _("child")
        GRANDCHILD = "grandchild", _("grandchild")
        SPOUSE = "spouse", _("spouse")
        SIBLING = "sibling", _("brother or sister")
        OTHER_RELATIVE = "relative", _("other relative")
        OTHER = "other", _("other")

    # The states in which an approved amount is reserved against the cap (rule 1).
    RESERVING = (Status.APPROVED, Status.SIGNED)

    number = models.CharField(_("application number"), max_length=20, unique=True)
    check_code = models.CharField(_("check code"), max_length=10, unique=True)
    sponsor_name = models.CharField(_("sponsor's name"), max_length=50)
    sponsor_id_no = models.CharField(_("sponsor's resident ID number"), max_length=18)
    sponsor_phone = models.CharField(_("sponsor's phone"), max_length=20)
    relation = models.CharField(_("relation to the beneficiary"), max_length=10, choices=Relation.choices)
    beneficiary = models.ForeignKey(
        InsuredPerson, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="sponsorships"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("entered at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    signed_at = models.DateTimeField(_("signatures recorded at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signatures recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receivable = models.OneToOneField(
        Receivable,
        verbose_name=_("receivable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sponsorship",
    )
    credited_at = models.DateTimeField(_("credited at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("withdrawn or voided at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("personal sponsorship application")
        verbose_name_plural = _("personal sponsorship applications")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sponsorship_amount_positive"),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=models.F("submitted_by")),
                name="sponsorship_maker_is_not_checker",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "year"], name="sponsorship_status_year_idx"),
            # The reviewer's queue, oldest first: read in order, it stops at the page's 50 rows
            # instead of joining and sorting every waiting application (docs/benchmarks.md).
            models.Index(fields=["status", "submitted_at", "id"], name="sponsorship_status_sub_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_awaiting_payment(self) -> bool:
        return (
            self.status == self.Status.SIGNED
            and self.receivable is not None
            and self.receivable.status == Receivable.Status.SENT
        )
