"""Back payment 补缴 (notice 003 六(三); 002 四(四); 004 五 and 七(三)6): the township office enters an
application for a person of its township naming the missing years and the tier; a county reviewer
approves it (maker-checker); one receivable per year then goes to tax. The supplementary pension
补充养老保险 (004) is paid back the same way, under its own scheme."""

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


class BackPaymentScheme(models.TextChoices):
    BASIC = "basic", _("basic pension")
    SUPPLEMENTARY = "supplementary", _("supplementary pension")


class BackPaymentApplication(models.Model):
    """补缴申请: one person, one scheme, one tier, the years it pays back."""

    class Basis(models.TextChoices):
        INTERRUPTED = "interrupted", _("interrupted contributions (003 section 6(3))")
        AGED = "aged", _("reaching pension age with fewer than 15 paid years (004 section 7(3)6)")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted, waiting for review")
        APPROVED = "approved", _("approved, waiting for payment")
        PAID = "paid", _("paid and credited")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    Scheme = BackPaymentScheme

    number = models.CharField(_("application number"), max_length=20, unique=True)
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="back_payments"
    )
    scheme = models.CharField(_("scheme"), max_length=13, choices=BackPaymentScheme.choices)
    basis = models.CharField(_("basis"), max_length=11, choices=Basis.choices, default=Basis.INTERRUPTED)
    tier = MoneyField(_("tier chosen (yuan a year)"))
    tier_year = models.PositiveSmallIntegerField(_("tiers of the policy year"))
    total = MoneyField(_("total (yuan)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
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
    closed_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid in full at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("back-payment application")
        verbose_name_plural = _("back-payment applications")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__gt=0) & Q(total__gt=0), name="backpay_amounts_positive"),
            # Maker-checker (rules.check_maker_checker): the database refuses it too.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=models.F("submitted_by")),
                name="backpay_maker_is_not_checker",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="backpay_status_idx")]

    def __str__(self) -> str:
        return self.number


class BackPaymentYear(models.Model):
    """One year of an application and, once approved, its receivable."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for review")
        APPROVED = "approved", _("sent to tax, waiting for payment")
        PAID = "paid", _("paid and credited")
        CLOSED = "closed", _("rejected or withdrawn")

    LIVE = (Status.PENDING, Status.APPROVED, Status.PAID)

    application = models.ForeignKey(
        BackPaymentApplication, verbose_name=_("application"), on_delete=models.PROTECT, related_name="years"
    )
    # The person and scheme again, so the database can say "a year is applied for once".
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="+"
    )
    scheme = models.CharField(_("scheme"), max_length=13, choices=BackPaymentScheme.choices)
    year = models.PositiveSmallIntegerField(_("year paid back"))
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    receivable = models.OneToOneField(
        Receivable,
        verbose_name=_("receivable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="back_payment_year",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("back-payment year")
        verbose_name_plural = _("back-payment years")
        ordering = ["application", "year"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="backpay_year_amount_positive"),
            # A person's year of a scheme is on one live application: a repeat changes nothing.
            models.UniqueConstraint(
                fields=["person", "scheme", "year"],
                condition=Q(status__in=["pending", "approved", "paid"]),
                name="backpay_year_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.year}"
