"""Refunds 退费 (notice 002 附件2; notice 000 三(三)): money that entered a personal account, or
waits in the unmatched queue, and has to go back to the person (or the heir).

The township office 乡镇人社所 takes the application and signs its first review, and sends the
month's applications to the county by the 25th; the county reviews 复核; early the next month its
finance reviewer 财务复核人 requests the money from the finance bureau 请款; the bank's result is
recorded; a paid refund takes its entries out of the ledger (insured.ledger.refund_post) and the
month's paid refunds are reported to tax.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from insured import rules
from insured.models import AccountEntry, InsuredPerson, Region
from insured.money import MoneyField
from payments.models import ArrivalNotice


class RefundCaseManager(models.Manager["RefundCase"]):
    def get_by_natural_key(self, code: str) -> RefundCase:
        return self.get(code=code)


class RefundCase(models.Model):
    """退费情形: reference data the administrator maintains. Which kinds of money the case returns
    to the payee, which go back to the fund, and which waiting payments it may return."""

    class Payee(models.TextChoices):
        PERSON = rules.PAYEE_PERSON, _("the insured person")
        HEIR = rules.PAYEE_HEIR, _("the heir")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    basis = models.CharField(_("policy basis"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    payee = models.CharField(_("paid to"), max_length=10, choices=Payee.choices, default=Payee.PERSON)
    kinds_to_payee = models.JSONField(_("kinds paid to the payee"), default=list, blank=True)
    kinds_to_fund = models.JSONField(_("kinds returned to the fund"), default=list, blank=True)
    queue_reasons = models.JSONField(
        _("waiting payments it returns"),
        default=list,
        blank=True,
        help_text=_("Payments waiting in the unmatched queue for these reasons may be refunded in this case."),
    )
    settles_account = models.BooleanField(
        _("settles the whole account"),
        default=False,
        help_text=_("Death and emigration: every entry still in the account is taken out at once."),
    )
    evidence = models.CharField(
        _("supporting document required"),
        max_length=50,
        blank=True,
        help_text=_("For example a death certificate; empty when the case needs none."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    objects = RefundCaseManager()

    class Meta:
        verbose_name = _("refund case")
        verbose_name_plural = _("refund cases")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    def clean(self) -> None:
        try:
            rules.check_refund_case_destinations(
                payee=self.payee, kinds_to_payee=set(self.kinds_to_payee), kinds_to_fund=set(self.kinds_to_fund)
            )
        except rules.RuleViolation as exc:
            raise ValidationError({"kinds_to_payee": exc.message}) from None
        unknown = set(self.queue_reasons) - set(ArrivalNotice.Reason.values)
        if unknown:
            raise ValidationError({"queue_reasons": _("Unknown reason: %(r)s") % {"r": ", ".join(sorted(unknown))}})

    @property
    def returned_kinds(self) -> set[str]:
        return set(self.kinds_to_payee) | set(self.kinds_to_fund)


def copy_path(instance: RefundApplication, filename: str) -> str:
    """Under MEDIA_ROOT, never served from there: only through the copy view, which checks scope."""
    suffix = PurePath(filename).suffix.lower()[:5]
    return f"refunds/{instance.number}/{uuid.uuid4().hex}{suffix}"


class RefundRequest(models.Model):
    """请款: the county's request to the finance bureau for one month's refunds (002 附件2 三)."""

    number = models.CharField(_("request number"), max_length=20, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month whose applications it pays."))
    count = models.PositiveIntegerField(_("count"))
    payee_total = MoneyField(_("total paid to applicants"))
    fund_total = MoneyField(_("total returned to the fund"))
    requested_on = models.DateField(_("requested on"))
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-month", "-created_at"]
        constraints = [
            # One request a county a month: a second click asks for nothing twice.
            models.UniqueConstraint(fields=["region", "month"], name="refund_request_one_per_month"),
            models.CheckConstraint(condition=Q(payee_total__gt=0), name="refund_request_total_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class RefundTaxReport(models.Model):
    """The refunds paid and passed to tax (002 附件2 四: 按月将已办理的退费信息传递至税务部门)."""

    number = models.CharField(_("report number"), max_length=20, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(_("count"))
    total = MoneyField(_("total paid to applicants"))
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("refund report to tax")
        verbose_name_plural = _("refund reports to tax")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class RefundApplication(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("received, waiting for the township's first review")
        FIRST_REVIEWED = "first_reviewed", _("first review signed, waiting to be sent to the county")
        HANDED_OVER = "handed_over", _("sent to the county, waiting for review")
        RETURNED = "returned", _("returned to the township")
        APPROVED = "approved", _("approved, waiting for the request for money")
        REQUESTED = "requested", _("money requested, waiting for payment")
        PAID = "paid", pgettext_lazy("refund status", "paid")
        PAYMENT_FAILED = "payment_failed", _("payment failed, returned to the township")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Relation(models.TextChoices):
        SELF = "self", _("the insured person")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        OTHER_HEIR = "other_heir", _("other heir")

    class AccountType(models.TextChoices):
        CARD = "card", _("bank card")
        PASSBOOK = "passbook", _("passbook or settlement account")

    # The township may correct the application and send it on again, or withdraw it.
    CORRECTABLE = (Status.RECEIVED, Status.RETURNED, Status.PAYMENT_FAILED)
    WITHDRAWABLE = (Status.RECEIVED, Status.FIRST_REVIEWED, Status.RETURNED, Status.PAYMENT_FAILED)
    COPIES = ("id_card_copy", "bank_card_copy", "payment_proof", "evidence_copy")

    number = models.CharField(_("application number"), max_length=20, unique=True)
    check_code = models.CharField(_("check code"), max_length=10, unique=True)
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="refunds"
    )
    township = models.ForeignKey(Region, verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(RefundCase, verbose_name=_("refund case"), on_delete=models.PROTECT, related_name="+")
    circumstances = models.CharField(_("circumstances"), max_length=200, blank=True)
    applicant_name = models.CharField(_("applicant's name"), max_length=50)
    applicant_id_no = models.CharField(_("applicant's resident ID number"), max_length=18)
    relation = models.CharField(_("relation to the insured person"), max_length=12, choices=Relation.choices)
    applicant_phone = models.CharField(_("applicant's phone"), max_length=20)
    bank_name = models.CharField(_("bank"), max_length=60)
    account_type = models.CharField(_("account type"), max_length=10, choices=AccountType.choices)
    account_no = models.CharField(_("account number"), max_length=30)
    account_name = models.CharField(_("account name"), max_length=50)
    payee_amount = MoneyField(_("amount paid to the applicant"))
    fund_amount = MoneyField(_("amount returned to the fund"), default=Decimal("0.00"))
    id_card_copy = models.FileField(_("copy of the ID card"), upload_to=copy_path, blank=True, max_length=200)
    bank_card_copy = models.FileField(
        _("copy of the bank card or passbook"), upload_to=copy_path, blank=True, max_length=200
    )
    payment_proof = models.FileField(_("payment certificate"), upload_to=copy_path, blank=True, max_length=200)
    evidence_copy = models.FileField(_("supporting document"), upload_to=copy_path, blank=True, max_length=200)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(_("last corrected at"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last corrected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_reviewed_at = models.DateTimeField(_("first review signed at"), null=True, blank=True)
    first_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first review by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handed_over_at = models.DateTimeField(_("sent to the county at"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    batch_month = models.DateField(_("request month"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.CharField(_("reason for returning"), max_length=200, blank=True)
    request = models.ForeignKey(
        RefundRequest,
        verbose_name=_("refund request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    result_recorded_at = models.DateTimeField(_("payment result recorded at"), null=True, blank=True)
    result_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payment result recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    failure_reason = models.CharField(_("reason the payment failed"), max_length=200, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tax_report = models.ForeignKey(
        RefundTaxReport,
        verbose_name=_("reported to tax in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund application")
        verbose_name_plural = _("refund applications")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(payee_amount__gt=0), name="refund_payee_amount_positive"),
            models.CheckConstraint(condition=Q(fund_amount__gte=0), name="refund_fund_amount_not_negative"),
            # Maker-checker (002 附件2; rules.check_maker_checker): the first review is another
            # person's than the intake's, the county's review another's than both.
            models.CheckConstraint(
                condition=Q(first_reviewed_by__isnull=True) | ~Q(first_reviewed_by=models.F("received_by")),
                name="refund_first_review_not_by_intake",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True)
                | (~Q(reviewed_by=models.F("received_by")) & ~Q(reviewed_by=models.F("first_reviewed_by"))),
                name="refund_review_not_by_township",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_on__isnull=False) & ~Q(bank_reference="")),
                name="refund_paid_has_date_and_reference",
            ),
        ]
        indexes = [models.Index(fields=["status", "batch_month"], name="refund_status_month_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def total_amount(self) -> Decimal:
        return self.payee_amount + self.fund_amount

    @property
    def masked_account_no(self) -> str:
        return f"{self.account_no[:4]}****{self.account_no[-4:]}" if len(self.account_no) > 8 else self.account_no

    @property
    def years(self) -> list[int]:
        return sorted({line.year for line in self.lines.all()})


class RefundLine(models.Model):
    """One piece of money on an application: a ledger entry, or a payment waiting in the queue.

    A live line reserves its money: the same entry or waiting payment is on one live
    application at most (the unique constraints below), so two applications cannot refund it.
    """

    class Destination(models.TextChoices):
        PAYEE = "payee", _("to the applicant")
        FUND = "fund", _("back to the fund")

    application = models.ForeignKey(
        RefundApplication, verbose_name=_("refund application"), on_delete=models.CASCADE, related_name="lines"
    )
    entry = models.ForeignKey(
        AccountEntry,
        verbose_name=_("account entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notice = models.ForeignKey(
        ArrivalNotice,
        verbose_name=_("waiting payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=25, choices=AccountEntry.Kind.choices)
    amount = MoneyField(_("amount"))
    destination = models.CharField(_("goes"), max_length=5, choices=Destination.choices)
    is_live = models.BooleanField(_("reserved"), default=True)

    class Meta:
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")
        ordering = ["application", "year", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_line_amount_positive"),
            models.CheckConstraint(
                condition=Q(entry__isnull=False, notice__isnull=True) | Q(entry__isnull=True, notice__isnull=False),
                name="refund_line_entry_or_notice",
            ),
            # The same money is refunded once: a line stays live until its application is withdrawn.
            models.UniqueConstraint(
                fields=["entry"], condition=Q(is_live=True, entry__isnull=False), name="refund_line_entry_once"
            ),
            models.UniqueConstraint(
                fields=["notice"], condition=Q(is_live=True, notice__isnull=False), name="refund_line_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {self.amount}"

    @property
    def is_from_queue(self) -> bool:
        return self.notice_id is not None
