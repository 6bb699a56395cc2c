"""No input may produce a 5xx: the parsers of machine input (the tax contract) and of human input
(forms, IDs, amounts), and the query parameters of every page, fuzzed with Hypothesis.

Each parser either returns a value that the database can store or refuses with its own error;
nothing else escapes.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError as ApiValidationError

from insured.fields import AmountFormField, AmountSerializerField
from insured.identity import parse_resident_id, validate_uscc
from insured.models import Role
from insured.money import parse_machine_amount
from payments import intake, signing
from payments.storage import NOTICE_COLUMNS
from tests.factories import make_id_no, make_user

# Text as attackers and careless clients send it: any code point, NUL and full-width digits included.
HOSTILE_TEXT = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["\x00", "１２３", "2.1137E+17", " 500.00 ", "5e2", "-0", "NaN", "Infinity", "１０００．００", "‭500"]
)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(HOSTILE_TEXT, children, max_size=4),
    max_leaves=12,
)
VALID_ID = make_id_no(dt.date(1970, 5, 17), 15)
NOTICE_TEXT_LIMITS = {"voucher_no": 40, "insured_name": 50, "payer_name": 100, "payer_id": 18, "receivable_no": 32}


def _notice(**overrides):
    notice = {
        "voucher_no": "V1",
        "line_no": 1,
        "kind": "own",
        "insured_id_number": VALID_ID,
        "insured_name": "测试",
        "payer_name": "测试",
        "payer_id": VALID_ID,
        "year": 2026,
        "amount": "500.00",
        "paid_at": "2026-03-02T10:15:00+08:00",
        "channel": "wechat",
        "receivable_no": None,
        "reverses": None,
        "tax_office_code": None,
        "agency_code": None,
    }
    notice.update(overrides)
    return notice


def _batch(notices, **overrides):
    body = {
        "batch_id": "B1",
        "sent_at": "2026-03-02T12:00:00+08:00",
        "count": len(notices),
        "total_amount": "500.00",
        "notices": notices,
    }
    body.update(overrides)
    return json.dumps(body, ensure_ascii=False).encode()


def _storable(parsed: intake.ParsedBatch) -> None:
    """What the parser lets through fits the notice table: no control characters, lengths within
    the columns, amounts within numeric(14,2)."""
    for row in parsed.rows:
        values = dict(zip(NOTICE_COLUMNS, row, strict=True))
        for name, limit in NOTICE_TEXT_LIMITS.items():
            text = values[name]
            assert len(text) <= limit and not any(ord(c) < 32 or ord(c) == 127 for c in text), name
        assert Decimal("0") < values["amount"] < Decimal("1e12")
        assert values["insured_id_no"].isascii()


# --- The tax contract --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_push_parser_takes_any_bytes(body):
    try:
        _storable(intake.parse_batch_json(body))
    except intake.BatchInvalid as exc:
        assert exc.errors


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_push_parser_takes_any_json_document(document):
    try:
        _storable(intake.parse_batch_json(json.dumps(document).encode()))
    except intake.BatchInvalid as exc:
        assert exc.errors


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(_notice())), JSON_VALUES)
def test_push_parser_takes_any_value_in_any_field_of_a_notice(field, value):
    try:
        _storable(intake.parse_batch_json(_batch([_notice(**{field: value})])))
    except intake.BatchInvalid as exc:
        assert all(e.as_dict()["message"] for e in exc.errors)


def test_push_parser_refuses_nul_and_full_width_digits():
    for field, value in [
        ("voucher_no", "V\x001"),
        ("insured_name", "王\x00春"),
        ("insured_id_number", VALID_ID[:6] + "１９７０" + VALID_ID[10:]),
        ("amount", "５００.００"),
        ("amount", " 500.00"),
        ("amount", "5E2"),
        ("amount", "+500.00"),
        ("amount", "0500.00"),
        ("reverses", {"voucher_no": "V\x00", "line_no": 1}),
        ("reverses", {"voucher_no": "V9", "line_no": 10**12}),
    ]:
        with pytest.raises(intake.BatchInvalid):
            intake.parse_batch_json(_batch([_notice(**{field: value})]))


def test_push_parser_refuses_deep_nesting():
    with pytest.raises(intake.BatchInvalid):
        intake.parse_batch_json(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(client_id=HOSTILE_TEXT | st.none(), timestamp=HOSTILE_TEXT | st.none(), signature=HOSTILE_TEXT | st.none())
def test_signature_check_takes_any_headers(client_id, timestamp, signature):
    try:
        signing.verify(client_id=client_id, timestamp=timestamp, signature=signature, body=b"{}")
    except signing.SignatureRefused as exc:
        assert exc.status in (401, 403)


# --- Human input -------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(HOSTILE_TEXT)
def test_resident_id_parser_takes_any_text(text):
    try:
        parsed = parse_resident_id(text)
    except ValidationError:
        return
    assert len(parsed.number) == 18 and parsed.number.isascii()


def test_resident_id_typed_in_full_width_is_normalised_and_machine_input_is_not():
    full_width = VALID_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_resident_id(full_width).number == VALID_ID
    with pytest.raises(ValidationError):
        parse_resident_id(full_width, strict=True)
    with pytest.raises(ValidationError):
        parse_resident_id(VALID_ID[:-1] + "٣", strict=True)  # an Arabic-Indic digit


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
def test_credit_code_check_takes_any_text(text):
    try:
        code = validate_uscc(text)
    except ValidationError:
        return
    assert len(code) == 18 and code.isascii()


@settings(max_examples=400, deadline=None)
@given(HOSTILE_TEXT | st.integers() | st.floats() | st.none())
def test_machine_amount_parser_takes_anything(value):
    try:
        amount = parse_machine_amount(value)
    except ValueError:
        return
    assert amount.as_tuple().exponent == -2 and amount < Decimal("1e12")


@settings(max_examples=400, deadline=None)
@given(HOSTILE_TEXT)
def test_typed_amount_field_takes_any_text(text):
    try:
        amount = AmountFormField(required=False).clean(text)
    except ValidationError:
        return
    assert amount is None or amount.as_tuple().exponent >= -2


def test_typed_amount_is_normalised():
    field = AmountFormField()
    assert field.clean("１，２００．５０ 元") == Decimal("1200.50")
    assert field.clean(" 300 ") == Decimal("300")


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_api_amount_field_takes_any_json_value(value):
    try:
        amount = AmountSerializerField().to_internal_value(value)
    except ApiValidationError:
        return
    assert isinstance(amount, Decimal) and isinstance(value, str)


# --- Every page's query parameters ----------------------------------------------------------------

PAGES = [
    "insured:home",
    "insured:person-search",
    "payments:batch-list",
    "payments:receivable-list",
    "payments:queue",
    "payments:reconciliation",
    "payments:reconciliation-csv",
    "subsidy:list",
    "subsidy:verify",
    "subsidy:counter",
    "payments:bank-statements",
    "oversight:progress",
    "oversight:coverage",
    "oversight:gap-list",
    "oversight:reverse-list",
    "oversight:report-list",
]
PARAMS = ["q", "page", "status", "date", "period", "code", "id_no", "tab", "year", "region", "ids"]


@pytest.fixture
def clerk(db):
    from tests.factories import PolicyYearFactory

    policy = PolicyYearFactory()
    return make_user(Role.CLERK, policy.region)


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES), params=st.dictionaries(st.sampled_from(PARAMS), HOSTILE_TEXT, max_size=3))
def test_no_query_parameter_makes_a_page_fail(client, clerk, page, params):
    client.force_login(clerk)
    response = client.get(reverse(page), params)
    assert response.status_code < 500, (page, params)


@pytest.mark.django_db
def test_nul_in_a_query_parameter_is_a_400(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("insured:person-search"), {"q": "王\x00"}).status_code == 400
    assert client.get("/api/v1/persons/", {"q": "\x00"}).status_code == 400


@pytest.mark.django_db
def test_a_far_future_reconciliation_date_is_refused_with_a_message(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("payments:reconciliation"), {"period": "month", "date": "9999-12-31"})
    assert response.status_code == 200 and response.context["result"] is None
    assert "date" in response.context["form"].errors
