"""The shapes of the sponsorship API. Input and output apart; the rules are checked by the
services, so an amount reaches them as typed and is refused there with the rule's code."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from insured.fields import AmountSerializerField, ResidentIdSerializerField, TextSerializerField
from insured.models import InsuredPerson
from insured.serializers import CapabilityFields, StaffNameField, StandingOutput
from payments.models import ArrivalNotice
from subsidy import selectors
from subsidy.models import SponsorshipApplication


class SponsorshipCreateInput(serializers.Serializer):
    sponsor_name = TextSerializerField(max_length=50)
    # Checked by rule 6, which names what is wrong with the number; only absurd input stops here.
    sponsor_id_no = ResidentIdSerializerField()
    sponsor_phone = TextSerializerField(max_length=20)
    relation = serializers.ChoiceField(choices=SponsorshipApplication.Relation.choices)
    beneficiary_id_no = ResidentIdSerializerField(help_text="the insured person's resident ID number")
    year = serializers.IntegerField(min_value=2009, max_value=2100)
    amount = AmountSerializerField()

    default_error_messages = {
        "beneficiary_not_found": _("No insured person with this resident ID number is registered in your region."),
    }

    def validate_beneficiary_id_no(self, value: str) -> InsuredPerson:
        # Out of scope reads as unknown: the caller learns nothing about other regions.
        person = selectors.beneficiary_by_id_no(self.context["request"].user, value)
        if person is None:
            raise serializers.ValidationError(
                self.error_messages["beneficiary_not_found"], code="beneficiary_not_found"
            )
        return person

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["beneficiary"] = attrs.pop("beneficiary_id_no")
        return attrs


class SponsorshipRejectInput(serializers.Serializer):
    # Blank is let through: the service refuses it with code reason_required.
    reason = TextSerializerField(max_length=200, allow_blank=True, required=False, default="")


class BeneficiaryOutput(CapabilityFields, serializers.ModelSerializer):
    village = serializers.CharField(source="village.name")

    class Meta:
        model = InsuredPerson
        fields = ["id", "id_no", "name", "person_no", "status", "village"]
        id_fields = ["id_no"]


class SponsorshipCheckOutput(serializers.Serializer):
    beneficiary = BeneficiaryOutput()
    standing = StandingOutput()


class ReceivableOutput(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    due_date = serializers.DateField()
    paid_at = serializers.DateTimeField(allow_null=True)


class SponsorshipOutput(CapabilityFields, serializers.ModelSerializer):
    beneficiary = BeneficiaryOutput()
    # The login names stay for the systems that read them; the *_name fields name the staff as
    # the pages and printed forms do (insured.history.staff_name).
    submitted_by = serializers.CharField(source="submitted_by.username")
    submitted_by_name = StaffNameField(source="submitted_by")
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, default=None)
    reviewed_by_name = StaffNameField(source="reviewed_by")
    signed_by = serializers.CharField(source="signed_by.username", allow_null=True, default=None)
    signed_by_name = StaffNameField(source="signed_by")
    closed_by = serializers.CharField(source="closed_by.username", allow_null=True, default=None)
    closed_by_name = StaffNameField(source="closed_by")
    receivable = ReceivableOutput(allow_null=True)

    class Meta:
        model = SponsorshipApplication
        fields = [
            "id",
            "number",
            "status",
            "sponsor_name",
            "sponsor_id_no",
            "sponsor_phone",
            "relation",
            "beneficiary",
            "year",
            "amount",
            "submitted_at",
            "submitted_by",
            "submitted_by_name",
            "reviewed_at",
            "reviewed_by",
            "reviewed_by_name",
            "rejection_reason",
            "signed_at",
            "signed_by",
            "signed_by_name",
            "receivable",
            "credited_at",
            "closed_at",
            "closed_by",
            "closed_by_name",
        ]
        id_fields = ["sponsor_id_no"]


class CreditOutput(serializers.ModelSerializer):
    """The tax payment that credited the application (000 三(三)2)."""

    class Meta:
        model = ArrivalNotice
        fields = ["voucher_no", "line_no", "paid_at", "channel"]


class SponsorshipDetailOutput(SponsorshipOutput):
    credit = CreditOutput(allow_null=True)

    class Meta(SponsorshipOutput.Meta):
        fields = [*SponsorshipOutput.Meta.fields, "credit"]


class SponsorshipFilters(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=SponsorshipApplication.Status.choices, required=False, help_text="only this state"
    )
