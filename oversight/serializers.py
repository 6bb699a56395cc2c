"""What the oversight API answers: the progress figures (no personal data), amounts as decimal
strings, rates as per cent with one decimal (null where there is nothing to divide by)."""

from __future__ import annotations

from rest_framework import serializers

from insured.fields import AmountSerializerField
from oversight.forms import EARLIEST_YEAR


class ProgressRateField(serializers.DecimalField):
    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=6, decimal_places=1, allow_null=True, **kwargs)


class ProgressTallyOutput(serializers.Serializer):
    count = serializers.IntegerField()
    amount = AmountSerializerField()


class ProgressFiguresOutput(serializers.Serializer):
    liable = serializers.IntegerField(help_text="persons liable to contribute")
    paid = serializers.IntegerField(help_text="persons whose own or government-paid contribution arrived")
    paid_rate = ProgressRateField()
    members = serializers.IntegerField(help_text="special-group members the year's policy pays for")
    covered = serializers.IntegerField(help_text="of them covered by a government-paid contribution")
    covered_rate = ProgressRateField()
    own = ProgressTallyOutput()
    gov_paid = ProgressTallyOutput()
    back_payment = ProgressTallyOutput(help_text="back payments paid in the year")
    sponsorship = ProgressTallyOutput(help_text="personal and social sponsorship")
    collective = ProgressTallyOutput()
    total_amount = AmountSerializerField()


class ProgressLineOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    now = ProgressFiguresOutput()
    last_year = ProgressFiguresOutput(help_text="last year as of the same date")
    rate_change = ProgressRateField(help_text="paid rate against last year, in percentage points")


class ProgressWeekOutput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    paid = serializers.IntegerField(allow_null=True, help_text="persons paid by the week's Sunday")
    paid_last_year = serializers.IntegerField()


class ProgressOutput(serializers.Serializer):
    region_code = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.full_name")
    year = serializers.IntegerField()
    as_of = serializers.DateField()
    last_as_of = serializers.DateField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    refreshed_at = serializers.DateTimeField(allow_null=True)
    lines = ProgressLineOutput(many=True)
    total = ProgressLineOutput()
    weeks = ProgressWeekOutput(many=True)


class ProgressFilters(serializers.Serializer):
    year = serializers.IntegerField(min_value=EARLIEST_YEAR, max_value=2100)
    date = serializers.DateField(required=False, help_text="as of this day; default: today or the year's end")
