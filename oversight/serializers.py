"""What the oversight API answers: the progress figures (no personal data), amounts as decimal
strings, rates as per cent with one decimal (null where there is nothing to divide by)."""

from __future__ import annotations

from rest_framework import serializers

from insured.fields import AmountSerializerField


class RateField(serializers.DecimalField):
    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=6, decimal_places=1, allow_null=True, **kwargs)


class TallyOutput(serializers.Serializer):
    count = serializers.IntegerField()
    amount = AmountSerializerField()


class FiguresOutput(serializers.Serializer):
    liable = serializers.IntegerField(help_text="persons liable to contribute")
    paid = serializers.IntegerField(help_text="persons whose own or government-paid contribution arrived")
    paid_rate = RateField()
    members = serializers.IntegerField(help_text="special-group members the year's policy pays for")
    covered = serializers.IntegerField(help_text="of them covered by a government-paid contribution")
    covered_rate = RateField()
    own = TallyOutput()
    gov_paid = TallyOutput()
    back_payment = TallyOutput(help_text="back payments paid in the year")
    sponsorship = TallyOutput(help_text="personal and social sponsorship")
    collective = TallyOutput()
    total_amount = AmountSerializerField()


class LineOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    now = FiguresOutput()
    last_year = FiguresOutput(help_text="last year as of the same date")
    rate_change = RateField(help_text="paid rate against last year, in percentage points")


class WeekOutput(serializers.Serializer):
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
    lines = LineOutput(many=True)
    total = LineOutput()
    weeks = WeekOutput(many=True)
