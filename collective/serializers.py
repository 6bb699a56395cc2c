"""The shapes of the collective subsidy API. Input and output apart; amounts are decimal strings."""

from __future__ import annotations

from rest_framework import serializers

from collective.models import Filing, Roster, RosterRow
from insured.fields import AmountSerializerField


class RosterUploadInput(serializers.Serializer):
    file = serializers.FileField(help_text="the roster, .xlsx or .csv (UTF-8, UTF-8 with BOM, GB18030)")
    dry_run = serializers.BooleanField(default=False, help_text="check every row without saving")


class RosterUploadOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="the saved roster; null on a dry run")
    count = serializers.IntegerField()
    total = AmountSerializerField()


class RowErrorOutput(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="the row's 序号; null for the file as a whole")
    line = serializers.IntegerField(allow_null=True, help_text="the spreadsheet line")
    column = serializers.CharField(allow_null=True, help_text="the column's header, as in the template")
    code = serializers.CharField()
    message = serializers.CharField(help_text="Chinese, naming the rule and its clause of notice 001")


class RosterInvalidOutput(serializers.Serializer):
    """The one error shape (insured.api_errors) with the refused rows."""

    code = serializers.ChoiceField(choices=["roster_invalid"])
    detail = serializers.CharField()
    errors = RowErrorOutput(many=True)


class FilingOutput(serializers.ModelSerializer):
    payer_name = serializers.CharField()
    payer_code = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)
    village = serializers.CharField(source="region.name")
    standard = AmountSerializerField(allow_null=True)
    hardship_standard = AmountSerializerField(allow_null=True)
    planned_total = AmountSerializerField(allow_null=True)

    class Meta:
        model = Filing
        fields = [
            "id",
            "number",
            "kind",
            "year",
            "organisation",
            "village",
            "payer_name",
            "payer_code",
            "standard",
            "hardship_standard",
            "planned_count",
            "planned_total",
            "filed_on",
        ]


class RosterRowOutput(serializers.ModelSerializer):
    id_no = serializers.CharField(source="person.masked_id_no")
    person = serializers.IntegerField(source="person_id")
    amount = AmountSerializerField()
    receivable = serializers.CharField(source="receivable.number", allow_null=True, default=None)

    class Meta:
        model = RosterRow
        fields = ["seq", "line", "person", "name", "sex", "id_no", "amount", "kind", "receivable", "paid_at"]


class RosterOutput(serializers.ModelSerializer):
    filing = serializers.IntegerField(source="filing_id")
    total = AmountSerializerField()
    paid_count = serializers.IntegerField()

    class Meta:
        model = Roster
        fields = [
            "id",
            "number",
            "filing",
            "status",
            "row_count",
            "total",
            "paid_count",
            "uploaded_at",
            "submitted_at",
            "first_review_due_on",
            "reviewed_at",
            "approved_at",
            "rejected_at",
            "rejection_reason",
            "paid_at",
        ]


class RosterRejectInput(serializers.Serializer):
    # Blank is let through: the service refuses it with code reason_required.
    reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class FilingFilters(serializers.Serializer):
    year = serializers.IntegerField(min_value=2009, max_value=2100, required=False, help_text="only this year")
