"""One cell at a time: what a spreadsheet gives (text, a number, a date, a formula) turned into
the value a column wants, or a `CellProblem` that says in Chinese what is wrong and how to fix it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from insured.fields import normalise_typed_amount
from insured.identity import parse_resident_id


class ColumnKind(StrEnum):
    TEXT = "text"
    NAME = "name"  # a person's name: spaces around it and between Chinese characters dropped
    ID_NO = "id_no"  # an 18-character resident ID, stored as text
    AMOUNT = "amount"  # yuan, a Decimal; whether it is allowed is the rules' to say
    INTEGER = "integer"
    CHOICE = "choice"  # one of the column's choices
    DATE = "date"
    CODE = "code"  # a long number kept as text (an e-tax voucher number): refused once a spreadsheet rounded it


class CellProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Formula:
    """A formula cell: its text is kept for the error sheet, never evaluated."""

    def __init__(self, text: str) -> None:
        self.text = text


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EXPONENT = re.compile(r"^[0-9]+(\.[0-9]+)?E[+-]?[0-9]+$")
_SPACES = re.compile(r"\s+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}·])\s+(?=[{_CJK}·])")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def normalise_text(value: str) -> str:
    """Full-width digits, letters and brackets to half-width (NFKC), invisible characters out,
    spaces around trimmed."""
    return unicodedata.normalize("NFKC", value).translate(_INVISIBLE).strip()


def normalise_header(value: Any) -> str:
    """Header cells compare without spaces, with either kind of bracket, and without the `*` some
    templates put on required columns."""
    if value is None:
        return ""
    text = normalise_text(str(value))
    return _SPACES.sub("", text).replace("*", "")


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = normalise_text(str(value))
    return text or None


def as_name(value: Any) -> str | None:
    text = as_text(value)
    return _SPACE_BETWEEN_CJK.sub("", text) if text else text


def as_id_no(value: Any) -> str | None:
    if isinstance(value, bool):
        raise CellProblem("id_format", _("A resident ID number has 18 characters: 17 digits and a final digit or X."))
    if isinstance(value, (int, float)):
        # A spreadsheet keeps 15 significant digits: the last three of an 18-digit ID are lost.
        raise CellProblem(
            "id_stored_as_number",
            _(
                "The ID number %(shown)s was stored as a number, and a spreadsheet keeps only 15 digits of a "
                "number, so its last digits are lost. Format the ID column as text (设置单元格格式 → 文本) "
                "and type or paste the numbers again."
            )
            % {"shown": f"{value:.5E}" if isinstance(value, float) else value},
        )
    text = as_text(value)
    if text is None:
        return None
    number = text.replace(" ", "").upper()
    if _EXPONENT.match(number):
        raise CellProblem(
            "id_exponent",
            _(
                "The ID number shows as %(shown)s: the spreadsheet turned it into a number in exponent form and "
                "its last digits are lost. Format the ID column as text (设置单元格格式 → 文本) and type or "
                "paste the numbers again."
            )
            % {"shown": text},
        )
    try:
        return parse_resident_id(number).number
    except ValidationError as exc:
        raise CellProblem(exc.code or "id_invalid", exc.messages[0]) from None


def as_code(value: Any) -> str | None:
    """A voucher or reference number: text. A spreadsheet keeps 15 significant digits of a number, so
    a longer one stored as a number (or shown in exponent form) has lost its last digits."""
    lost = CellProblem(
        "code_stored_as_number",
        _(
            "The number %(shown)s was stored as a number and a spreadsheet keeps only 15 digits of it. Format the "
            "column as text (设置单元格格式 → 文本) and type or paste the numbers again."
        )
        % {"shown": value},
    )
    if isinstance(value, bool):
        raise lost
    if isinstance(value, int):
        if len(str(abs(value))) > 15:
            raise lost
        return str(value)
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise lost
        return str(int(value))
    text = as_text(value)
    if text is not None and _EXPONENT.match(text.replace(" ", "").upper()):
        raise lost
    return text


def as_amount(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellProblem("amount_invalid", _("%(value)s is not an amount in yuan.") % {"value": value})
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that reads back as the same float: 123.45, not 123.4500000000000028.
        return Decimal(repr(value))
    text = normalise_typed_amount(str(value))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CellProblem("amount_invalid", _("%(value)s is not an amount in yuan.") % {"value": value}) from None
    if not amount.is_finite():
        raise CellProblem("amount_invalid", _("%(value)s is not an amount in yuan.") % {"value": value})
    return amount


def as_integer(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = as_text(value)
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    raise CellProblem("integer_invalid", _("%(value)s is not a whole number.") % {"value": text})


def as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    if text is None:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellProblem("date_invalid", _("%(value)s is not a date; write it as 2026-03-01.") % {"value": text})


def as_choice(value: Any, choices: tuple[str, ...]) -> str | None:
    text = as_text(value)
    if text is None:
        return None
    text = _SPACES.sub("", text)
    if text not in choices:
        message = _("%(value)s is not one of: %(choices)s.") % {"value": text, "choices": "、".join(choices)}
        raise CellProblem("choice_invalid", message)
    return text
