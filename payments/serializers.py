"""The tax interface's shapes, for the OpenAPI schema. The body itself is read by
payments.intake, which checks every field and reports errors by notice."""

from __future__ import annotations

from rest_framework import serializers

from payments.models import Channel, NoticeBatch, PaymentKind


class ReversesInput(serializers.Serializer):
    voucher_no = serializers.CharField(max_length=40)
    line_no = serializers.IntegerField(min_value=1)


class NoticeInput(serializers.Serializer):
    voucher_no = serializers.CharField(max_length=40, help_text="电子税票号码")
    line_no = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    insured_id_number = serializers.CharField(min_length=18, max_length=18)
    insured_name = serializers.CharField(max_length=50)
    payer_name = serializers.CharField(max_length=100)
    payer_id = serializers.CharField(max_length=18, help_text="resident ID or unified social credit code")
    year = serializers.IntegerField(min_value=2009, max_value=2100)
    amount = serializers.CharField(help_text='decimal string with at most two places, e.g. "500.00"')
    paid_at = serializers.DateTimeField(help_text="ISO 8601 with UTC offset")
    channel = serializers.ChoiceField(choices=Channel.choices)
    receivable_no = serializers.CharField(max_length=32, allow_null=True, required=False)
    reverses = ReversesInput(allow_null=True, required=False)
    tax_office_code = serializers.CharField(max_length=20, required=False)
    agency_code = serializers.CharField(max_length=20, required=False)


class NoticeBatchInput(serializers.Serializer):
    batch_id = serializers.CharField(max_length=64, help_text="unique per client")
    sent_at = serializers.DateTimeField()
    count = serializers.IntegerField(min_value=1)
    total_amount = serializers.CharField(help_text="decimal string, the sum of the notices' amounts")
    notices = NoticeInput(many=True)


class BatchStatusOutput(serializers.ModelSerializer):
    received = serializers.IntegerField(source="declared_count")
    credited = serializers.IntegerField(source="credited_count")
    duplicate = serializers.IntegerField(source="duplicate_count")
    unmatched = serializers.IntegerField(source="unmatched_count")
    reversed = serializers.IntegerField(source="reversed_count")

    class Meta:
        model = NoticeBatch
        fields = [
            "id",
            "batch_id",
            "status",
            "received_at",
            "processed_at",
            "received",
            "credited",
            "duplicate",
            "unmatched",
            "reversed",
        ]


class BatchErrorOutput(serializers.Serializer):
    notice = serializers.IntegerField(allow_null=True, help_text="0-based position; null for the batch")
    field = serializers.CharField()
    message = serializers.CharField()


class BatchInvalidOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = BatchErrorOutput(many=True)
