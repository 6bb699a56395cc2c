"""Reading a batch of arrival notices, from the API or from a file.

Everything is checked before anything is stored: a batch with one bad notice is refused
whole, with every error listed by notice, so tax can correct and resend it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from insured.identity import parse_resident_id, validate_uscc
from insured.money import parse_machine_amount
from payments.models import Channel, PaymentKind

MAX_NOTICES = 50_000
MAX_UTC_OFFSET = dt.timedelta(hours=14, minutes=59)
NOTICE_FIELDS = (
    "voucher_no",
    "line_no",
    "kind",
    "insured_id_number",
    "insured_name",
    "payer_name",
    "payer_id",
    "year",
    "amount",
    "paid_at",
    "channel",
    "receivable_no",
    "reverses",
    "tax_office_code",
    "agency_code",
)
OPTIONAL = frozenset({"receivable_no", "reverses", "tax_office_code", "agency_code"})
REQUIRED = tuple(f for f in NOTICE_FIELDS if f not in OPTIONAL)
CSV_COLUMNS = (*[f for f in NOTICE_FIELDS if f != "reverses"], "reverses_voucher_no", "reverses_line_no")
_KINDS = frozenset(PaymentKind.values)
# NUL and the other control characters: PostgreSQL cannot store NUL, and none belongs in a name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CHANNELS = frozenset(Channel.values)


@dataclass
class BatchError:
    notice: int | None  # 0-based position in the batch; None for the batch itself
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"notice": self.notice, "field": self.field, "message": self.message}


class BatchInvalid(Exception):
    def __init__(self, errors: list[BatchError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass
class ParsedBatch:
    batch_id: str
    sent_at: dt.datetime
    count: int
    total_amount: Decimal
    # Tuples in the order of payments.storage.NOTICE_COLUMNS, ready to be copied in.
    rows: list[tuple] = field(default_factory=list)


def body_fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _reject_float(text: str) -> Any:
    raise ValueError(f"JSON number {text} where a decimal string is required")


def parse_batch_json(body: bytes) -> ParsedBatch:
    try:
        data = json.loads(body, parse_float=_reject_float)
    except RecursionError:
        raise BatchInvalid([BatchError(None, "body", _("The body is not valid JSON."))]) from None
    except ValueError as exc:
        if "decimal string" in str(exc):
            message = _('Amounts must be decimal strings such as "500.00", not JSON numbers.')
        else:
            message = _("The body is not valid JSON.")
        raise BatchInvalid([BatchError(None, "body", message)]) from None
    if not isinstance(data, dict):
        raise BatchInvalid([BatchError(None, "body", _("The body must be a JSON object."))])
    return _parse_batch(data)


def parse_batch_csv(text: str, *, batch_id: str, sent_at: dt.datetime) -> ParsedBatch:
    """A CSV file with the notices' columns (reverses split in two); count and total are
    derived, since a file carries no envelope."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise BatchInvalid([BatchError(None, "columns", _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)})])
    notices: list[dict[str, Any]] = []
    for row in reader:
        notice: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
        for key in ("line_no", "year", "reverses_line_no"):
            value = notice.get(key)
            if value not in (None, ""):
                notice[key] = int(value) if str(value).isdigit() else value
        rev_voucher, rev_line = notice.pop("reverses_voucher_no", ""), notice.pop("reverses_line_no", "")
        notice["reverses"] = {"voucher_no": rev_voucher, "line_no": rev_line} if rev_voucher else None
        for key in ("receivable_no", "tax_office_code", "agency_code"):
            notice[key] = notice.get(key) or None
        notices.append(notice)
    total = sum((parse_machine_amount(n["amount"]) for n in notices if _is_amount(n.get("amount"))), Decimal("0"))
    return _parse_batch(
        {
            "batch_id": batch_id,
            "sent_at": sent_at.isoformat(),
            "count": len(notices),
            "total_amount": f"{total:.2f}",
            "notices": notices,
        }
    )


def _is_amount(value: Any) -> bool:
    try:
        parse_machine_amount(value)
    except ValueError:
        return False
    return True


ENVELOPE_FIELDS = frozenset({"batch_id", "sent_at", "count", "total_amount", "notices"})


def _parse_batch(data: dict[str, Any]) -> ParsedBatch:
    errors: list[BatchError] = []
    unknown = set(data) - ENVELOPE_FIELDS
    if unknown:
        errors.append(BatchError(None, "batch", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}))
    batch_id = data.get("batch_id")
    if not isinstance(batch_id, str) or not batch_id.strip() or len(batch_id) > 64 or _CONTROL.search(batch_id):
        errors.append(BatchError(None, "batch_id", _("batch_id must be a non-empty string of at most 64 characters.")))
    sent_at = _datetime(data.get("sent_at"))
    if sent_at is None:
        errors.append(BatchError(None, "sent_at", _("sent_at must be an ISO 8601 time with its UTC offset.")))
    count = data.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        errors.append(BatchError(None, "count", _("count must be a whole number.")))
    total = _amount(data.get("total_amount"))
    if total is None:
        errors.append(
            BatchError(None, "total_amount", _("total_amount must be a decimal string with at most two places."))
        )
    notices = data.get("notices")
    if not isinstance(notices, list) or not notices:
        errors.append(BatchError(None, "notices", _("notices must be a non-empty list.")))
        raise BatchInvalid(errors)
    if len(notices) > MAX_NOTICES:
        errors.append(BatchError(None, "notices", _("A batch holds at most %(n)s notices.") % {"n": MAX_NOTICES}))
        raise BatchInvalid(errors)

    rows = []
    for index, notice in enumerate(notices):
        row = _parse_notice(index, notice, errors)
        if row is not None:
            rows.append(row)
    if isinstance(count, int) and count != len(notices):
        errors.append(
            BatchError(
                None,
                "count",
                _("count is %(count)s but the batch holds %(n)s notices.") % {"count": count, "n": len(notices)},
            )
        )
    if total is not None and not errors:
        actual = sum((r[8] for r in rows), Decimal("0.00"))
        if actual != total:
            errors.append(
                BatchError(
                    None,
                    "total_amount",
                    _("total_amount is %(total)s but the notices add up to %(sum)s.") % {"total": total, "sum": actual},
                )
            )
    if errors:
        raise BatchInvalid(errors)
    return ParsedBatch(batch_id=batch_id.strip(), sent_at=sent_at, count=count, total_amount=total, rows=rows)


def _datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    offset = parsed.utcoffset()
    # Offsets as the schema gives them (docs/openapi.yaml): whole minutes within ±14:59. PostgreSQL
    # refuses a larger one, which would fail the batch's copy after it was parsed (a 500).
    if offset is None or offset.seconds % 60 or abs(offset) > MAX_UTC_OFFSET:
        return None
    return parsed


def _amount(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_machine_amount(value)
    except ValueError:
        return None


def _text(
    notice: dict[str, Any], name: str, limit: int, errors: list[BatchError], index: int, required: bool = True
) -> str:
    value = notice.get(name)
    if value is None or value == "":
        if required:
            errors.append(BatchError(index, name, _("This field is required.")))
        return ""
    if not isinstance(value, str) or len(value) > limit:
        errors.append(BatchError(index, name, _("Must be text of at most %(n)s characters.") % {"n": limit}))
        return ""
    if _CONTROL.search(value):
        errors.append(BatchError(index, name, _("Must not contain control characters.")))
        return ""
    return value.strip()


def _whole(
    notice: dict[str, Any], name: str, errors: list[BatchError], index: int, low: int = 1, high: int = 10**9
) -> int | None:
    value = notice.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append(
            BatchError(index, name, _("Must be a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        )
        return None
    return value


def _parse_notice(index: int, notice: Any, errors: list[BatchError]) -> tuple | None:
    if not isinstance(notice, dict):
        errors.append(BatchError(index, "notice", _("Each notice must be a JSON object.")))
        return None
    before = len(errors)
    unknown = set(notice) - set(NOTICE_FIELDS)
    if unknown:
        errors.append(BatchError(index, "notice", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}))
    voucher_no = _text(notice, "voucher_no", 40, errors, index)
    line_no = _whole(notice, "line_no", errors, index)
    kind = notice.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        errors.append(BatchError(index, "kind", _("Unknown kind; one of: %(k)s") % {"k": ", ".join(sorted(_KINDS))}))
    insured_id_no = _id_number(notice.get("insured_id_number"), "insured_id_number", errors, index)
    insured_name = _text(notice, "insured_name", 50, errors, index)
    payer_name = _text(notice, "payer_name", 100, errors, index)
    # A person paying for themselves: the payer's ID is the insured's, already checked.
    same_payer = insured_id_no and notice.get("payer_id") == notice.get("insured_id_number")
    payer_id = insured_id_no if same_payer else _payer_id(notice.get("payer_id"), errors, index)
    year = _whole(notice, "year", errors, index, 2009, 2100)
    amount = _amount(notice.get("amount"))
    if amount is None or amount <= 0:
        errors.append(
            BatchError(
                index,
                "amount",
                _('amount must be a positive decimal string with at most two places, such as "500.00".'),
            )
        )
    paid_at = _datetime(notice.get("paid_at"))
    if paid_at is None:
        errors.append(BatchError(index, "paid_at", _("paid_at must be an ISO 8601 time with its UTC offset.")))
    channel = notice.get("channel")
    if not isinstance(channel, str) or channel not in _CHANNELS:
        errors.append(
            BatchError(index, "channel", _("Unknown channel; one of: %(c)s") % {"c": ", ".join(sorted(_CHANNELS))})
        )
    receivable_no = _text(notice, "receivable_no", 32, errors, index, required=False)
    reverses_voucher, reverses_line = _reverses(notice.get("reverses"), errors, index)
    tax_office_code = _text(notice, "tax_office_code", 20, errors, index, required=False)
    agency_code = _text(notice, "agency_code", 20, errors, index, required=False)
    if len(errors) > before:
        return None
    return (
        voucher_no,
        line_no,
        kind,
        insured_id_no,
        insured_name,
        payer_name,
        payer_id,
        year,
        amount,
        paid_at,
        channel,
        receivable_no,
        reverses_voucher,
        reverses_line,
        tax_office_code,
        agency_code,
    )


def _id_number(value: Any, name: str, errors: list[BatchError], index: int) -> str:
    if not isinstance(value, str):
        errors.append(BatchError(index, name, _("This field is required.")))
        return ""
    try:
        return parse_resident_id(value, strict=True).number
    except ValidationError as exc:
        errors.append(BatchError(index, name, exc.messages[0]))
        return ""


def _payer_id(value: Any, errors: list[BatchError], index: int) -> str:
    """A person pays with a resident ID; a village collective or company with its credit code."""
    if not isinstance(value, str) or not value.strip():
        errors.append(BatchError(index, "payer_id", _("This field is required.")))
        return ""
    try:
        return parse_resident_id(value, strict=True).number
    except ValidationError:
        pass
    try:
        return validate_uscc(value, strict=True)
    except ValidationError:
        errors.append(
            BatchError(
                index,
                "payer_id",
                _("payer_id is neither a valid resident ID number nor a valid unified social credit code."),
            )
        )
        return ""


def _reverses(value: Any, errors: list[BatchError], index: int) -> tuple[str, int | None]:
    if value is None:
        return "", None
    voucher = value.get("voucher_no") if isinstance(value, dict) else None
    if not isinstance(voucher, str) or not voucher.strip() or len(voucher) > 40 or _CONTROL.search(voucher):
        errors.append(BatchError(index, "reverses", _('reverses must be null or {"voucher_no": …, "line_no": …}.')))
        return "", None
    line = value.get("line_no")
    if not isinstance(line, int) or isinstance(line, bool) or not 1 <= line <= 10**9:
        errors.append(BatchError(index, "reverses", _("reverses.line_no must be a whole number from 1.")))
        return "", None
    return voucher.strip(), line
