from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
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


class QuickSelect(forms.Select):
    """A select with the HTML of Django's own, written in Python: Django's template includes a
    template for every option, which for a county's hundred villages took a tenth of the person
    list's time on every request (docs/benchmarks.md)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(format_html('\n  <optgroup label="{}">', group_name))
            html += [
                format_html(
                    '\n  <option value="{}"{}>{}</option>', option["value"], flatatt(option["attrs"]), option["label"]
                )
                for option in options
            ]
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 - every part above is escaped by format_html


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Resident ID, person number or name"), max_length=50, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The counter's first key press lands here; a card reader types the ID and Enter.
        self.fields["q"].widget.attrs.update({"autofocus": True, "autocomplete": "off", "inputmode": "search"})


class PersonFilterForm(forms.Form):
    """The list's filters, in the query string (no personal data): township, village, status and
    this year's contribution. Only the regions inside the user's scope are offered."""

    township = forms.ChoiceField(label=_("Township"), required=False, widget=QuickSelect)
    village = forms.ChoiceField(label=_("Village"), required=False, widget=QuickSelect)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *InsuredPerson.Status.choices]
    )
    payment = forms.ChoiceField(label=_("This year's contribution"), required=False)

    def __init__(self, *args: Any, scope: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The county's hundreds of villages as plain rows, not model instances: the list builds this
        # form on every request (docs/benchmarks.md); only a region chosen becomes a Region.
        below = (
            Region.objects.filter(
                code__startswith=scope.prefix, level__in=(Region.Level.TOWNSHIP, Region.Level.VILLAGE)
            )
            .order_by("code")
            .values_list("pk", "code", "name", "level", "parent__name")
        )
        self._townships: dict[str, tuple[int, str]] = {}
        self._villages: dict[str, tuple[int, str]] = {}
        groups: dict[str, list[tuple[str, str]]] = {}
        for pk, code, name, level, parent_name in below:
            if level == Region.Level.TOWNSHIP:
                self._townships[code] = (pk, name)
            else:
                self._villages[code] = (pk, name)
                groups.setdefault(parent_name or "", []).append((code, name))
        self.fields["township"].choices = [("", _("All")), *((c, name) for c, (_pk, name) in self._townships.items())]
        self.fields["village"].choices = [("", _("All")), *groups.items()]
        self.fields["payment"].choices = [("", _("All")), *PaymentState.choices]
        if scope.level == Region.Level.VILLAGE:
            del self.fields["township"], self.fields["village"]
        elif scope.level == Region.Level.TOWNSHIP:
            del self.fields["township"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        township, village = data.get("township"), data.get("village")
        if township and village and not village.startswith(self._region(township, Region.Level.TOWNSHIP).prefix):
            raise ValidationError(_("The village chosen is not in the township chosen."), code="village_elsewhere")
        return data

    def _region(self, code: str | None, level: str) -> Region | None:
        """The region offered under this code, or None."""
        offered = self._townships if level == Region.Level.TOWNSHIP else self._villages
        if not code or code not in offered:
            return None
        pk, name = offered[code]
        return Region(pk=pk, code=code, name=name, level=level)

    def filters(self, query: str = "") -> PersonFilters:
        """The filters chosen; those that do not parse are left out (the form shows why)."""
        data = self.cleaned_data if self.is_valid() else {}
        return PersonFilters(
            query=query,
            township=self._region(data.get("township"), Region.Level.TOWNSHIP),
            village=self._region(data.get("village"), Region.Level.VILLAGE),
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
