"""Money is Decimal with two places, rounded half-up in one place only."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(raw: object) -> Decimal:
    """A decimal string with at most two places. Floats are refused: they are not money."""
    if isinstance(raw, (float, bool)):
        raise ValueError("amounts must be decimal strings, not floats")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {raw!r}") from None
    if not value.is_finite() or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"an amount has at most two decimal places: {raw!r}")
    return quantize(value)


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
