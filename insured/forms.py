from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from insured.identity import parse_resident_id
from insured.models import AccessRecord, InsuredPerson, Region
from insured.rules import RuleViolation
from insured.selectors import PaymentState, PersonFilters


def add_rule_error(form: forms.Form, exc: RuleViolation) -> None:
    """Show a rule failure on its field, or above the form when it names none."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, ValidationError(exc.message, code=exc.code))


def focus(form: forms.Form, default: str | None = None) -> None:
    """Put the cursor where the clerk types next: the first field in error, else `default`
    (the page's other forms must then not claim it: see `unfocus`)."""
    target = next((name for name in form.fields if name in form.errors), default)
    for name, field in form.fields.items():
        if name == target:
            field.widget.attrs["autofocus"] = True
        else:
            field.widget.attrs.pop("autofocus", None)


def unfocus(form: forms.Form) -> None:
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Resident ID, person number or name"), max_length=50, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The counter's first key press lands here; a card reader types the ID and Enter.
        self.fields["q"].widget.attrs.update({"autofocus": True, "autocomplete": "off", "inputmode": "search"})


class PersonFilterForm(forms.Form):
    """The list's filters, in the query string (no personal data): township, village, status and
    this year's contribution. Only the regions inside the user's scope are offered."""

    township = forms.ChoiceField(label=_("Township"), required=False)
    village = forms.ChoiceField(label=_("Village"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *InsuredPerson.Status.choices]
    )
    payment = forms.ChoiceField(label=_("This year's contribution"), required=False)

    def __init__(self, *args: Any, scope: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        below = Region.objects.filter(code__startswith=scope.prefix).select_related("parent").order_by("code")
        self._townships = {r.code: r for r in below if r.level == Region.Level.TOWNSHIP}
        self._villages = {r.code: r for r in below if r.level == Region.Level.VILLAGE}
        self.fields["township"].choices = [("", _("All")), *((c, r.name) for c, r in self._townships.items())]
        self.fields["village"].choices = [("", _("All")), *self._village_groups()]
        self.fields["payment"].choices = [("", _("All")), *PaymentState.choices]
        if scope.level == Region.Level.VILLAGE:
            del self.fields["township"], self.fields["village"]
        elif scope.level == Region.Level.TOWNSHIP:
            del self.fields["township"]

    def _village_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        groups: dict[str, list[tuple[str, str]]] = {}
        for code, village in self._villages.items():
            groups.setdefault(village.parent.name if village.parent else "", []).append((code, village.name))
        return list(groups.items())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        township, village = data.get("township"), data.get("village")
        if township and village and not village.startswith(self._townships[township].prefix):
            raise ValidationError(_("The village chosen is not in the township chosen."), code="village_elsewhere")
        return data

    def filters(self, query: str = "") -> PersonFilters:
        """The filters chosen; those that do not parse are left out (the form shows why)."""
        data = self.cleaned_data if self.is_valid() else {}
        return PersonFilters(
            query=query,
            township=self._townships.get(data.get("township") or ""),
            village=self._villages.get(data.get("village") or ""),
            status=data.get("status") or "",
            payment=data.get("payment") or "",
        )


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
            "died_on",
        ]
        widgets = {
            "enrolled_on": forms.DateInput(attrs={"type": "date"}),
            "died_on": forms.DateInput(attrs={"type": "date"}),
        }

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
