from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from insured.identity import parse_resident_id
from insured.models import AccessRecord, InsuredPerson, Region
from insured.rules import RuleViolation


def add_rule_error(form: forms.Form, exc: RuleViolation) -> None:
    """Show a rule failure on its field, or above the form when it names none."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, ValidationError(exc.message, code=exc.code))


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Resident ID, person number or name"), max_length=50, required=False)


class PersonForm(forms.ModelForm):
    class Meta:
        model = InsuredPerson
        fields = [
            "id_no",
            "name",
            "village",
            "person_no",
            "status",
            "enrolled_on",
            "phone",
            "is_student",
            "has_employee_pension",
            "has_land_acquired_scheme",
        ]
        widgets = {"enrolled_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, scope: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Region.objects.filter(
            level=Region.Level.VILLAGE, code__startswith=scope.prefix
        ).select_related("parent")
        self.fields["village"].label_from_instance = lambda r: f"{r.parent.name} {r.name}"
        self.fields["person_no"].required = False
        self.fields["person_no"].help_text = _("Leave empty to assign the next number.")
        self.fields["id_no"].widget.attrs.update({"autocomplete": "off", "autofocus": True})
        if self.instance.pk:
            # The ID number is the person's identity; a wrong one is corrected by the administrator.
            self.fields["id_no"].disabled = True

    def clean_id_no(self) -> str:
        if self.instance.pk:
            return self.instance.id_no
        return parse_resident_id(self.cleaned_data["id_no"]).number

    def validate_unique(self) -> None:
        # Uniqueness is decided by the service under the database's unique index, with a
        # Chinese message; ModelForm's own check would race and speak English.
        pass

    def _post_clean(self) -> None:
        # The service builds and validates the instance; the form only parses input.
        pass


class AccessLogFilterForm(forms.Form):
    what = forms.ChoiceField(label=_("What"), choices=[("", "—"), *AccessRecord.What.choices], required=False)
    user = forms.CharField(label=_("Member of staff"), max_length=50, required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def apply(self, records: QuerySet[AccessRecord]) -> QuerySet[AccessRecord]:
        data = self.cleaned_data
        if data["what"]:
            records = records.filter(what=data["what"])
        if data["user"]:
            who = data["user"].strip()
            records = records.filter(
                Q(user__username=who) | Q(user__last_name__startswith=who[:1], user__first_name=who[1:])
            )
        if data["since"]:
            records = records.filter(at__date__gte=data["since"])
        if data["until"]:
            records = records.filter(at__date__lte=data["until"])
        return records
