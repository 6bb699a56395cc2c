"""The one amount field of every money input: a form field for what people type, a serializer
field for what programs send. Both give a Decimal; the rules (insured.rules.check_amount) decide
whether the amount is allowed.

People type amounts as they come: full-width digits from a Chinese input method, spaces,
thousands separators, a trailing 元. The form field normalises those and then checks. A program
is held to the documented form: a decimal string, never a JSON number (which has already been
through a float) and nothing to normalise.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_DIGITS = 14
DECIMAL_PLACES = 2


def normalise_typed_amount(value: str) -> str:
    """What a person typed, as plain ASCII digits: "１，２００．５０ 元" → "1200.50"."""
    text = unicodedata.normalize("NFKC", value)
    text = text.replace("元", "").replace(",", "")
    return "".join(text.split())


class AmountFormField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = normalise_typed_amount(value)
        return super().to_python(value)


_DECIMAL_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$",
        "example": "1000.00",
        "description": "yuan as a decimal string with at most two places; a JSON number is refused",
    }
)
class AmountSerializerField(serializers.Field):
    """Money arrives as a string. A JSON number has already been through a float, which is not
    money, so it is refused; sign and places are left to the rules, which name their clause."""

    default_error_messages = {
        "not_string": _('Give the amount as a decimal string such as "1000.00", not as a number.'),
        "invalid": _('"%(value)s" is not an amount; write it like "1000.00".'),
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_string")
        text = data.strip()
        if not _DECIMAL_TEXT.match(text) or len(text) > 20:
            self.fail("invalid", value=data[:20])
        return Decimal(text)

    def to_representation(self, value: Decimal) -> str:
        return f"{value:.2f}"


class TextSerializerField(serializers.CharField):
    """Text a program sends: a JSON string and nothing else. DRF's CharField also takes a number
    and turns it into text; the schema says `string`, so a number is refused."""

    default_error_messages = {"not_string": _("Give this as a string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_string")
        return super().to_internal_value(data)


# What the schema says of text that machines send (insured.api_schema reads `schema_pattern`).
RESIDENT_ID_PATTERN = r"^[0-9]{17}[0-9Xx]$"
# Not blank, and no control character (NUL, line breaks, ...): names, numbers and codes.
MACHINE_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f\x85][^\x00-\x1f\x7f]*$"


class ResidentIdSerializerField(TextSerializerField):
    """A resident ID a program sends. The schema gives its form (17 digits and a check character);
    what is wrong with a number that has the form (its check character, its birth date) is the
    rules' to say, with their codes (rule 6 of notice 000 for a sponsor, for instance)."""

    schema_pattern = RESIDENT_ID_PATTERN

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
