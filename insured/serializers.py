from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insured import access
from insured.api_schema import DOCUMENTING
from insured.history import staff_name
from insured.identity import mask_id_no
from insured.models import AccountEntry, InsuredPerson, PersonYear, SpecialGroupMembership
from insured.selectors import PaymentState, YearContribution


class CapabilityFields:
    """Output that follows the same capabilities as the pages, in one place.

    `Meta.capability_fields` names the field groups that need a capability beyond the endpoint's
    own: {capability: [field, …]}; a caller without it gets the response without those fields.
    `Meta.id_fields` are resident IDs: shown whole only to a caller holding PERSON_FULL_ID, masked
    (first 6, last 4) otherwise, and always masked in a list.
    """

    def _caller(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # type: ignore[misc]
        if DOCUMENTING.get():
            return fields  # the schema lists them all, as optional
        user = self._caller()
        for capability, names in getattr(self.Meta, "capability_fields", {}).items():
            if not access.has_capability(user, capability):
                for name in names:
                    fields.pop(name, None)
        return fields

    def _in_list(self) -> bool:
        node = getattr(self, "parent", None)
        while node is not None:
            if isinstance(node, serializers.ListSerializer):
                return True
            node = getattr(node, "parent", None)
        return False

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)  # type: ignore[misc]
        if self._in_list() or not access.has_capability(self._caller(), access.PERSON_FULL_ID):
            for name in getattr(self.Meta, "id_fields", ()):
                if data.get(name):
                    data[name] = mask_id_no(data[name])
        return data


@extend_schema_field({"type": "string", "nullable": True})
class StaffNameField(serializers.Field):
    """A member of staff as the pages and printed forms name them (insured.history.staff_name);
    null when nobody."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return staff_name(value)


class ContributionOutput(serializers.Serializer):
    """This year's contribution as the village sees it: arrived or not, and the tier; no balances."""

    year = serializers.IntegerField()
    state = serializers.ChoiceField(choices=[c for c, _label in PaymentState.choices])
    paid_on = serializers.DateField(allow_null=True)
    tier = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class PersonListOutput(CapabilityFields, serializers.ModelSerializer):
    village = serializers.CharField(source="village.name")
    village_code = serializers.CharField(source="village.code")
    township = serializers.CharField(source="village.parent.name")
    this_year = serializers.SerializerMethodField()

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
            "this_year",
        ]
        id_fields = ["id_no"]
        # Whether this year's own contribution has arrived and its tier: the roles that chase
        # payments (the village accountant among them), without any balance.
        capability_fields = {access.CONTRIBUTION_VIEW: ["this_year"]}

    @extend_schema_field(ContributionOutput)
    def get_this_year(self, person: InsuredPerson) -> dict[str, Any]:
        """From the annotations of insured.selectors.with_contribution (the API's querysets)."""
        year = self.context["year"]
        return ContributionOutput(YearContribution(year, person.payment_state, person.paid_on, person.tier)).data


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
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    standing = StandingOutput(required=False)
    years = YearAccountOutput(many=True, source="account_years", required=False)

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
        # The account is shown to the roles that may see accounts, as on the person page.
        capability_fields = {
            **PersonListOutput.Meta.capability_fields,
            access.ACCOUNT_VIEW: ["balance", "standing", "years"],
        }
