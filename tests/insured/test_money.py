"""Amounts in Chinese capitals 大写 (GLOSSARY 4.4, PBoC rules), as printed on forms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from insured.money import amount_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("10005", "壹万零伍元整"),
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        # The glossary allows both forms; cn2an writes the 零 before 伍角 out (optional by PBoC).
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("100010", "壹拾万零壹拾元整"),
        ("120000000", "壹亿贰仟万元整"),
        ("10", "壹拾元整"),
    ],
)
def test_glossary_vectors(amount, words):
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.005", "壹分"),
        ("0.004", "零元整"),
        ("0.015", "贰分"),
        ("1000.505", "壹仟元伍角壹分"),
        ("1409.495", "壹仟肆佰零玖元伍角"),
    ],
)
def test_a_third_decimal_is_rounded_half_up(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_zero():
    assert amount_in_words(Decimal("0")) == "零元整"
    assert amount_in_words(Decimal("0.00")) == "零元整"


@pytest.mark.parametrize("amount", ["-1", "-0.01", "-1000.00", "-0.005"])
def test_a_negative_amount_is_refused(amount):
    with pytest.raises(ValueError):
        amount_in_words(Decimal(amount))


def test_a_negative_amount_that_rounds_to_zero_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("-0.004"))
