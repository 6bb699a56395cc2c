"""Money in: receivables sent to tax, arrival notices pushed back by tax, and the manual
assignment of notices that matched nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from insured.models import InsuredPerson, Region
from insured.money import MoneyField


class PaymentKind(models.TextChoices):
    """What a payment is for, as tax and the agency both name it."""

    OWN = "own", _("own contribution")
    GOVERNMENT_PAID = "government_paid", _("government-paid contribution")
    SPONSORSHIP = "sponsorship", _("personal sponsorship")
    COLLECTIVE = "collective", _("collective subsidy")
    SOCIAL = "social", _("social sponsorship")
    BACK_PAYMENT = "back_payment", _("back payment")
    SUPPLEMENTARY = "supplementary", _("supplementary pension contribution")


class Channel(models.TextChoices):
    WECHAT = "wechat", _("WeChat")
    ALIPAY = "alipay", _("Alipay")
    BANK_COUNTER = "bank_counter", _("bank counter")
    MOBILE_BANK = "mobile_bank", _("mobile banking")
    POS = "pos", _("POS terminal")
    TAX_APP = "tax_app", _("tax bureau app")
    TAX_HALL = "tax_hall", _("tax service hall")
    BATCH_CLIENT = "batch_client", _("social insurance fee client (batch)")


class TaxClient(models.Model):
    """A tax bureau system allowed to push arrival notices, with its shared HMAC secret."""

    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    name = models.CharField(_("client name"), max_length=100)
    secret = models.CharField(
        _("shared secret"),
        max_length=128,
        help_text=_("At least 32 characters; give it to the tax bureau by a secure channel."),
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region served"), on_delete=models.PROTECT, related_name="tax_clients"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        verbose_name = _("tax client")
        verbose_name_plural = _("tax clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class Receivable(models.Model):
    """An amount the agency has assessed and sent to tax to collect (应收核定)."""

    class Status(models.TextChoices):
        OPEN = "open", _("not yet sent to tax")
        SENT = "sent", _("sent to tax")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")
        VOIDED = "voided", _("voided")

    number = models.CharField(_("receivable number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PaymentKind.choices)
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="receivables"
    )
    payer_name = models.CharField(_("payer name"), max_length=100)
    payer_id = models.CharField(_("payer resident ID or social credit code"), max_length=18)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = MoneyField(_("amount"))
    due_date = models.DateField(_("due date"))
    source_type = models.CharField(_("source type"), max_length=40)
    source_ref = models.CharField(_("source record"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("cancelled or voided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receivable_amount_positive"),
            # One live receivable per source record: a repeat of the same request changes nothing.
            models.UniqueConstraint(
                fields=["source_type", "source_ref"],
                condition=Q(status__in=["open", "sent", "paid"]),
                name="receivable_one_live_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "year"], name="receivable_person_year_idx"),
            models.Index(fields=["status", "paid_at"], name="receivable_status_paid_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ReceivableExport(models.Model):
    """One file of receivables (new and cancelled) handed to tax."""

    number = models.CharField(_("export number"), max_length=32, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("receivable export")
        verbose_name_plural = _("receivable exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class ReceivableExportLine(models.Model):
    class Action(models.TextChoices):
        NEW = "new", _("new")
        CANCEL = "cancel", _("cancel")

    export = models.ForeignKey(ReceivableExport, on_delete=models.CASCADE, related_name="lines")
    receivable = models.ForeignKey(Receivable, on_delete=models.PROTECT, related_name="export_lines")
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)

    class Meta:
        constraints = [
            # A receivable is announced to tax once, and its cancellation once.
            models.UniqueConstraint(fields=["receivable", "action"], name="export_line_once_per_action"),
        ]

    def __str__(self) -> str:
        return f"{self.export_id}:{self.receivable_id}:{self.action}"


class NoticeBatch(models.Model):
    """A batch of arrival notices exactly as tax sent it; stored whole or not at all."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received, waiting to be processed")
        PROCESSED = "processed", _("processed")

    class Source(models.TextChoices):
        API = "api", _("pushed over the API")
        FILE = "file", _("loaded from a file")

    client = models.ForeignKey(
        TaxClient, verbose_name=_("tax client"), on_delete=models.PROTECT, related_name="batches"
    )
    batch_id = models.CharField(_("batch id"), max_length=64)
    body_sha256 = models.CharField(_("content fingerprint"), max_length=64)
    source = models.CharField(_("source"), max_length=4, choices=Source.choices, default=Source.API)
    sent_at = models.DateTimeField(_("sent at"))
    declared_count = models.PositiveIntegerField(_("count"))
    declared_total = MoneyField(_("total amount"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    credited_count = models.PositiveIntegerField(_("credited"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    unmatched_count = models.PositiveIntegerField(_("unmatched"), default=0)
    reversed_count = models.PositiveIntegerField(_("reversals applied"), default=0)

    class Meta:
        verbose_name = _("notice batch")
        verbose_name_plural = _("notice batches")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "batch_id"], name="batch_unique_per_client"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="batch_status_idx")]

    def __str__(self) -> str:
        return self.batch_id


class ArrivalNotice(models.Model):
    """One payment as tax reported it (到账信息). Never changed except by processing."""

    class State(models.TextChoices):
        RECEIVED = "received", _("received")
        CREDITED = "credited", _("credited")
        DUPLICATE = "duplicate", _("duplicate")
        UNMATCHED = "unmatched", _("waiting for manual assignment")
        REVERSED = "reversed", _("reversed")
        # Waited in the queue and was paid back to the payer by a refund 退费, never credited.
        REFUNDED = "refunded", _("refunded without being credited")

    class Reason(models.TextChoices):
        NO_RECEIVABLE = "no_receivable", _("no receivable with this number")
        RECEIVABLE_REQUIRED = "receivable_required", _("this kind of payment needs a receivable")
        RECEIVABLE_PAID = "receivable_paid", _("the receivable is already paid")
        RECEIVABLE_CLOSED = "receivable_closed", _("the receivable was cancelled or voided")
        RECEIVABLE_MISMATCH = "receivable_mismatch", _("person, kind or year differs from the receivable")
        AMOUNT_MISMATCH = "amount_mismatch", _("the amount differs from the receivable")
        PERSON_UNKNOWN = "person_unknown", _("no insured person with this ID number")
        PERSON_CLOSED = "person_closed", _("the insured person's record is closed")
        NOT_A_TIER = "not_a_tier", _("the own contribution is not a tier of the year")
        OWN_ALREADY_PAID = "own_already_paid", _("the own contribution for this year has already arrived")
        POLICY_INCOMPLETE = "policy_incomplete", _("the year's policy or subsidy has not been entered")
        GOV_PAID_MISMATCH = "gov_paid_mismatch", _("not the government-paid amount of the year")
        CAP_EXCEEDED = "cap_exceeded", _("would pass the year's cap on sponsorship and collective subsidy (rule 1)")
        REVERSAL_UNKNOWN = "reversal_unknown", _("the reversed payment is unknown or was not credited")
        REVERSAL_MISMATCH = "reversal_mismatch", _("the reversal does not match the reversed payment")
        REFUNDED = "refunded", _("the reversed payment has already been refunded to the payer")
        REFUND_PENDING = "refund_pending", _("the reversed payment is on a refund application in progress")

    # The foreign keys below are indexed by the composite indexes that start with them.
    batch = models.ForeignKey(
        NoticeBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="notices", db_index=False
    )
    voucher_no = models.CharField(_("e-tax voucher number"), max_length=40)
    line_no = models.PositiveIntegerField(_("line"))
    kind = models.CharField(_("kind"), max_length=20, choices=PaymentKind.choices)
    insured_id_no = models.CharField(_("insured person's ID number"), max_length=18)
    insured_name = models.CharField(_("insured person's name"), max_length=50)
    payer_name = models.CharField(_("payer name"), max_length=100)
    payer_id = models.CharField(_("payer ID"), max_length=18)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = MoneyField(_("amount"))
    paid_at = models.DateTimeField(_("paid at"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    receivable_no = models.CharField(_("receivable number"), max_length=32, blank=True)
    reverses_voucher_no = models.CharField(_("reverses voucher"), max_length=40, blank=True)
    reverses_line_no = models.PositiveIntegerField(_("reverses line"), null=True, blank=True)
    tax_office_code = models.CharField(_("tax office code"), max_length=20, blank=True)
    agency_code = models.CharField(_("agency code"), max_length=20, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RECEIVED)
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices, blank=True)
    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
        db_index=False,
    )
    receivable = models.ForeignKey(
        Receivable,
        verbose_name=_("receivable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    # db_default: the batch's notices are stored by COPY, which names only the columns it fills.
    refund_ref = models.CharField(_("refund application"), max_length=32, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("arrival notice")
        verbose_name_plural = _("arrival notices")
        ordering = ["batch", "id"]
        indexes = [
            models.Index(fields=["voucher_no", "line_no"], name="notice_voucher_idx"),
            models.Index(fields=["batch", "state"], name="notice_batch_state_idx"),
            models.Index(fields=["state", "paid_at"], name="notice_state_paid_idx"),
            models.Index(fields=["person", "year"], name="notice_person_year_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="notice_amount_positive"),
            models.CheckConstraint(
                condition=Q(state="refunded", refunded_at__isnull=False) & ~Q(refund_ref="")
                | (~Q(state="refunded") & Q(refunded_at__isnull=True)),
                name="notice_refunded_has_when_and_what",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_no}/{self.line_no}"

    @property
    def is_reversal(self) -> bool:
        return bool(self.reverses_voucher_no)

    @property
    def source_key(self) -> str:
        """The ledger key of this notice's credit: a voucher line credits once, ever."""
        return f"notice:{self.voucher_no}:{self.line_no}"


class ManualAssignment(models.Model):
    """手工划账: a clerk assigns a waiting notice; a different person confirms; then it posts."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed, waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed and posted")
        REJECTED = "rejected", _("rejected")

    notice = models.ForeignKey(
        ArrivalNotice, verbose_name=_("arrival notice"), on_delete=models.PROTECT, related_name="assignments"
    )
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="+"
    )
    receivable = models.ForeignKey(
        Receivable, verbose_name=_("receivable"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("manual assignment")
        verbose_name_plural = _("manual assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["notice"], condition=Q(status="proposed"), name="assignment_one_open_per_notice"
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="assignment_maker_is_not_checker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} → {self.person_id}"


class ReconciliationRun(models.Model):
    """A stored reconciliation (对账) of one day or month: the figures and their differences."""

    class Period(models.TextChoices):
        DAY = "day", _("day")
        MONTH = "month", _("month")

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=5, choices=Period.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rows = models.JSONField(_("figures"), default=list, blank=True)
    differences = models.JSONField(_("differences"), default=list, blank=True)
    has_differences = models.BooleanField(_("has differences"), default=False)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-start", "-created_at"]

    def __str__(self) -> str:
        return f"{self.region} {self.start}–{self.end}"
