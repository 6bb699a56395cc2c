"""Collection's records: the departments' monthly special-group lists 五类人员名单 and what each
import changed (the difference against the memberships), kept for the 台账 of notice 003 二(一).

The memberships themselves live in the registry (insured.SpecialGroupMembership): an import adds,
confirms and ends them there, never deletes one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from collection.backpay_models import BackPaymentApplication, BackPaymentScheme, BackPaymentYear  # noqa: F401
from insured.models import InsuredPerson, Region, SpecialGroup, SpecialGroupMembership


class GroupList(models.Model):
    """One department's list of members of special groups for one month, as imported (whole)."""

    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    department = models.CharField(_("providing department"), max_length=50)
    list_month = models.DateField(_("list month"), help_text=_("The first day of the month the list is for."))
    groups = models.JSONField(_("special groups on the list"), default=list)
    source_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("file fingerprint"), max_length=64)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new members"), default=0)
    left_count = models.PositiveIntegerField(_("members who left"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    follow_up_count = models.PositiveIntegerField(_("listed for follow-up"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("special-group list")
        verbose_name_plural = _("special-group lists")
        ordering = ["-list_month", "-uploaded_at", "-id"]
        constraints = [
            # The same file twice changes nothing: the second upload finds the first.
            models.UniqueConstraint(fields=["county", "sha256"], name="group_list_file_once"),
            models.CheckConstraint(condition=Q(list_month__day=1), name="group_list_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.list_month:%Y-%m}"


class GroupListRow(models.Model):
    """One line of the difference an import made: a row of the list and what became of it, or a
    member of the list's groups whom the list no longer names (left)."""

    class Outcome(models.TextChoices):
        NEW = "new", _("new member")
        UNCHANGED = "unchanged", _("unchanged")
        LEFT = "left", _("left the group")
        NOT_ENROLLED = "not_enrolled", _("not enrolled")
        NOT_LOCAL = "not_local", _("not registered in the county")
        DEAD = "dead", _("dead")
        EMPLOYEE_SCHEME = "employee_scheme", _("covered by the employee pension")

    # Outcomes that are no membership: the person is listed for the offices to follow up.
    FOLLOW_UP = (Outcome.NOT_ENROLLED, Outcome.NOT_LOCAL, Outcome.DEAD, Outcome.EMPLOYEE_SCHEME)

    group_list = models.ForeignKey(
        GroupList, verbose_name=_("special-group list"), on_delete=models.CASCADE, related_name="rows"
    )
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    id_no = models.CharField(_("resident ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50)
    group = models.CharField(_("special group"), max_length=30, choices=SpecialGroup.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    membership = models.ForeignKey(
        SpecialGroupMembership,
        verbose_name=_("membership"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The township the row belongs to (the person's, or for a stranger the one the ID names, if
    # any): what the township's 台账 and its office's scope read.
    township = models.ForeignKey(
        Region, verbose_name=_("township"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("special-group list row")
        verbose_name_plural = _("special-group list rows")
        ordering = ["group_list", "outcome", "line", "id"]
        indexes = [
            models.Index(fields=["group_list", "outcome"], name="group_row_outcome_idx"),
            models.Index(fields=["township", "outcome"], name="group_row_township_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_list_id} {self.line} {self.outcome}"

    @property
    def masked_id_no(self) -> str:
        from insured.identity import mask_id_no

        return mask_id_no(self.id_no)
