from __future__ import annotations

from rest_framework import serializers

from insured.models import AccountEntry, InsuredPerson, PersonYear, SpecialGroupMembership


class PersonListOutput(serializers.ModelSerializer):
    village = serializers.CharField(source="village.name")
    village_code = serializers.CharField(source="village.code")
    township = serializers.CharField(source="village.parent.name")

    class Meta:
        model = InsuredPerson
        fields = [
            "id",
            "id_no",
            "name",
            "sex",
            "birth_date",
            "person_no",
            "status",
            "village",
            "village_code",
            "township",
            "enrolled_on",
        ]


class MembershipOutput(serializers.ModelSerializer):
    class Meta:
        model = SpecialGroupMembership
        fields = ["group", "source_department", "valid_from", "valid_to"]


class EntryOutput(serializers.ModelSerializer):
    class Meta:
        model = AccountEntry
        fields = ["id", "year", "kind", "amount", "source_type", "source_key", "note", "posted_at"]


class PersonYearOutput(serializers.ModelSerializer):
    class Meta:
        model = PersonYear
        fields = ["year", "own_amount", "own_arrived_on", "gov_paid_amount", "support_reserved", "support_credited"]


class YearAccountOutput(serializers.Serializer):
    year = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    entries = EntryOutput(many=True)
    person_year = PersonYearOutput(allow_null=True)


class StandingOutput(serializers.Serializer):
    year = serializers.IntegerField()
    has_own_contribution = serializers.BooleanField()
    cap = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    used = serializers.DecimalField(max_digits=14, decimal_places=2)
    room = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class PersonDetailOutput(PersonListOutput):
    memberships = MembershipOutput(many=True)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    standing = StandingOutput()
    years = YearAccountOutput(many=True, source="account_years")

    class Meta(PersonListOutput.Meta):
        fields = [
            *PersonListOutput.Meta.fields,
            "phone",
            "is_student",
            "has_employee_pension",
            "has_land_acquired_scheme",
            "memberships",
            "balance",
            "standing",
            "years",
        ]
