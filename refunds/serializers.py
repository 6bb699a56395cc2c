"""The shapes of the refunds API. Input and output apart; no amount is ever sent: an application's
amount is computed from the ledger entries and waiting payments it names. Resident IDs and account
numbers go out masked."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from insured.fields import ResidentIdSerializerField, TextSerializerField
from insured.models import InsuredPerson
from refunds import selectors
from refunds.models import RefundApplication, RefundCase, RefundLine, RefundRequest, RefundTaxReport
from refunds.services import Applicant


class ApplicantInput(serializers.Serializer):
    relation = serializers.ChoiceField(choices=RefundApplication.Relation.choices)
    applicant_name = TextSerializerField(max_length=50)
    # Checked by the rules, which say what is wrong with the number; only absurd input stops here.
    applicant_id_no = ResidentIdSerializerField()
    applicant_phone = TextSerializerField(max_length=20)
    bank_name = TextSerializerField(max_length=60)
    account_type = serializers.ChoiceField(choices=RefundApplication.AccountType.choices)
    account_no = TextSerializerField(max_length=40)
    account_name = TextSerializerField(max_length=50)
    circumstances = TextSerializerField(max_length=200, required=False, allow_blank=True, default="")

    def to_applicant(self) -> Applicant:
        return Applicant(**{f: self.validated_data[f] for f in Applicant.__dataclass_fields__})


class RefundCreateInput(ApplicantInput):
    person_id_no = ResidentIdSerializerField(help_text="the insured person's resident ID number")
    case = serializers.SlugRelatedField(slug_field="code", queryset=RefundCase.objects.filter(is_active=True))
    entries = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, help_text="ledger entry ids"
    )
    notices = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="ids of the person's payments waiting in the unmatched queue",
    )

    default_error_messages = {
        "person_not_found": _("No insured person with this resident ID number is registered in your region."),
    }

    def validate_person_id_no(self, value: str) -> InsuredPerson:
        # Out of scope reads as unknown: the caller learns nothing about other townships.
        person = selectors.person_in_scope(self.context["request"].user, value)
        if person is None:
            raise serializers.ValidationError(self.error_messages["person_not_found"], code="person_not_found")
        return person

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["person"] = attrs.pop("person_id_no")
        return attrs


class ReasonInput(serializers.Serializer):
    # Blank is let through: the service refuses it with code reason_required.
    reason = TextSerializerField(max_length=200, allow_blank=True, required=False, default="")


class PaymentInput(serializers.Serializer):
    paid_on = serializers.DateField()
    bank_reference = TextSerializerField(max_length=60, allow_blank=True)


class RequestInput(serializers.Serializer):
    month = serializers.DateField(input_formats=["%Y-%m", "%Y-%m-%d"], help_text="YYYY-MM")


class CaseOutput(serializers.ModelSerializer):
    class Meta:
        model = RefundCase
        fields = [
            "code",
            "name",
            "basis",
            "description",
            "payee",
            "kinds_to_payee",
            "kinds_to_fund",
            "queue_reasons",
            "settles_account",
            "evidence",
        ]


class PersonOutput(serializers.ModelSerializer):
    id_no = serializers.CharField(source="masked_id_no")
    village = serializers.CharField(source="village.name")

    class Meta:
        model = InsuredPerson
        fields = ["id", "id_no", "name", "person_no", "village"]


class LineOutput(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()

    class Meta:
        model = RefundLine
        fields = ["year", "kind", "amount", "destination", "entry", "notice", "source"]

    def get_source(self, line: RefundLine) -> str:
        if line.notice is not None:
            return f"{line.notice.voucher_no}/{line.notice.line_no}"
        return line.entry.source_key


def _who(field: str) -> serializers.CharField:
    return serializers.CharField(source=f"{field}.username", allow_null=True, default=None)


class RefundOutput(serializers.ModelSerializer):
    person = PersonOutput()
    case = serializers.CharField(source="case.code")
    account_no = serializers.CharField(source="masked_account_no")
    received_by = _who("received_by")
    first_reviewed_by = _who("first_reviewed_by")
    reviewed_by = _who("reviewed_by")
    request = serializers.CharField(source="request.number", allow_null=True, default=None)
    tax_report = serializers.CharField(source="tax_report.number", allow_null=True, default=None)

    class Meta:
        model = RefundApplication
        fields = [
            "id",
            "number",
            "check_code",
            "status",
            "person",
            "case",
            "circumstances",
            "applicant_name",
            "relation",
            "bank_name",
            "account_type",
            "account_no",
            "account_name",
            "payee_amount",
            "fund_amount",
            "received_at",
            "received_by",
            "first_reviewed_at",
            "first_reviewed_by",
            "handed_over_at",
            "batch_month",
            "reviewed_at",
            "reviewed_by",
            "return_reason",
            "request",
            "paid_on",
            "bank_reference",
            "failure_reason",
            "tax_report",
        ]


class StepOutput(serializers.Serializer):
    label = serializers.CharField()
    who = serializers.CharField()
    when = serializers.DateTimeField()
    note = serializers.CharField()


class RefundDetailOutput(RefundOutput):
    lines = LineOutput(many=True)
    steps = StepOutput(many=True)
    missing_copies = serializers.ListField(child=serializers.CharField())

    class Meta(RefundOutput.Meta):
        fields = [*RefundOutput.Meta.fields, "lines", "steps", "missing_copies"]


class RequestOutput(serializers.ModelSerializer):
    created_by = _who("created_by")
    applications = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)

    class Meta:
        model = RefundRequest
        fields = [
            "id",
            "number",
            "month",
            "count",
            "payee_total",
            "fund_total",
            "requested_on",
            "created_by",
            "applications",
        ]


class TaxReportOutput(serializers.ModelSerializer):
    applications = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)

    class Meta:
        model = RefundTaxReport
        fields = ["id", "number", "count", "total", "created_at", "applications"]


class HandOverOutput(serializers.Serializer):
    batch_month = serializers.DateField()
    applications = serializers.ListField(child=serializers.CharField())


class RefundFilters(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=RefundApplication.Status.choices, required=False, help_text="only this state"
    )


class CopiesInput(serializers.Serializer):
    """The copies a multipart request may carry: PDF, JPEG or PNG, at most 5 MB each (refunds.copies).
    Read by refunds.api, which refuses a file of another kind with the code `copy_refused`."""

    id_card_copy = serializers.FileField(required=False, help_text="the applicant's resident ID card")
    bank_card_copy = serializers.FileField(required=False, help_text="the bank card or passbook")
    payment_proof = serializers.FileField(required=False, help_text="the proof of the payment to refund")
    evidence_copy = serializers.FileField(required=False, help_text="the evidence of the refund case")


class RefundCreateUpload(CopiesInput, RefundCreateInput):
    """RefundCreateInput as a multipart form, with the copies."""


class CorrectionUpload(CopiesInput, ApplicantInput):
    """ApplicantInput as a multipart form, with the copies."""
