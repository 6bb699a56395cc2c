"""The tax interface's shapes, for the OpenAPI schema. The body itself is read by
payments.intake, which checks every field and reports errors by notice."""

from __future__ import annotations

from rest_framework import serializers

from insured.fields import MACHINE_TEXT_PATTERN
from payments.intake import MAX_NOTICES
from payments.models import Channel, NoticeBatch, PaymentKind


class MachineText(serializers.CharField):
    """Text in a batch: not blank, no control character (payments.intake refuses both)."""

    schema_pattern = MACHINE_TEXT_PATTERN


class MachineId(serializers.CharField):
    """A resident ID exactly as tax sends it: 17 digits and a digit or an upper-case X."""

    schema_pattern = r"^[0-9]{17}[0-9X]$"


class PayerId(serializers.CharField):
    """A resident ID, or a unified social credit code (GB 32100)."""

    schema_pattern = r"^([0-9]{17}[0-9X]|[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10})$"


class MachineAmount(serializers.CharField):
    """Yuan, more than zero, as a decimal string with at most two places."""

    schema_pattern = r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,11}(\.[0-9]{1,2})?)$"


class MachineTime(serializers.DateTimeField):
    """ISO 8601 with its UTC offset, in whole minutes within ±14:59 (payments.intake)."""

    schema_pattern = (
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
    )


class ReversesInput(serializers.Serializer):
    closed = True  # payments.intake refuses an unknown field

    voucher_no = MachineText(max_length=40)
    line_no = serializers.IntegerField(min_value=1, max_value=10**9)


class NoticeInput(serializers.Serializer):
    closed = True  # payments.intake refuses an unknown field

    voucher_no = MachineText(max_length=40, help_text="电子税票号码")
    line_no = serializers.IntegerField(min_value=1, max_value=10**9)
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    insured_id_number = MachineId(min_length=18, max_length=18, help_text="checked to its check character")
    insured_name = MachineText(max_length=50)
    payer_name = MachineText(max_length=100)
    payer_id = PayerId(max_length=18, help_text="resident ID or unified social credit code, with its check character")
    year = serializers.IntegerField(min_value=2009, max_value=2100)
    amount = MachineAmount(help_text='decimal string with at most two places, more than zero, e.g. "500.00"')
    paid_at = MachineTime(help_text="ISO 8601 with UTC offset")
    channel = serializers.ChoiceField(choices=Channel.choices)
    receivable_no = MachineText(max_length=32, allow_null=True, required=False)
    reverses = ReversesInput(allow_null=True, required=False)
    tax_office_code = MachineText(max_length=20, required=False)
    agency_code = MachineText(max_length=20, required=False)


class NoticeBatchInput(serializers.Serializer):
    closed = True  # payments.intake refuses an unknown field

    batch_id = MachineText(max_length=64, help_text="unique per client")
    sent_at = MachineTime()
    count = serializers.IntegerField(min_value=1, help_text="the number of notices")
    total_amount = MachineAmount(help_text="decimal string, the sum of the notices' amounts")
    notices = NoticeInput(many=True, max_length=MAX_NOTICES, min_length=1)


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
