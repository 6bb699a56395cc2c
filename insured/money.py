"""Money is Decimal with two places, rounded half-up in one place only."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The tax contract's amounts, exactly as docs/tax-interface.md writes them: ASCII digits, no sign,
# no leading zero, no spaces, no exponent, at most two places ("500", "500.5", "500.00").
MACHINE_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$")


def parse_machine_amount(raw: object) -> Decimal:
    """An amount a program sent. Anything but the documented decimal string is refused."""
    if not isinstance(raw, str) or not MACHINE_AMOUNT.match(raw):
        raise ValueError(f"not a decimal string with at most two places: {raw!r}"[:120])
    return quantize(Decimal(raw))


class MoneyField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "insured.money.MoneyField", args, kwargs


def amount_in_words(value: Decimal) -> str:
    """大写金额 as printed on forms: rounded half-up to the cent, cn2an's rmb mode (the PBoC
    rules in GLOSSARY 4.4: 壹拾 kept, one 零 for a run of zeros, 整 after 元 or 角)."""
    import cn2an

    if value < 0:  # before rounding: -0.004 would otherwise print as 负零元整
        raise ValueError("a negative amount has no capital form on a payment form")
    amount = quantize(value)
    return cn2an.an2cn(f"{amount:.2f}", "rmb")
