"""The push endpoint for arrival notices (issue 3, item 2): signatures, malformed batches,
idempotency, the status endpoint and the same batch pushed three times at once."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from insured.models import AccountEntry, PersonYear
from payments.models import ArrivalNotice, NoticeBatch, TaxClient
from tests.factories import InsuredPersonFactory, first_village
from tests.payments.conftest import SECRET, SignedClient, batch, notice
from tests.payments.helpers import stranger

# A rural collective economic organisation's credit code (registration authority N):
# notice 001 附件5 has collectives pay with it; stdnum's own check would refuse it.
COLLECTIVE_USCC = "N2211370MA0000007M"


def _nothing_stored() -> None:
    assert NoticeBatch.objects.count() == 0
    assert ArrivalNotice.objects.count() == 0


def _errors(response) -> list[dict]:
    body = response.json()
    assert body["code"] == "batch_invalid"
    return body["errors"]


def _raw(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


# --- signatures -------------------------------------------------------------------------


@pytest.mark.django_db
def test_good_signature_stores_the_batch_and_answers_202(signed, insured, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed.push(batch([notice(insured)]))

    assert response.status_code == 202, response.content
    stored = NoticeBatch.objects.get()
    assert response.json()["id"] == stored.pk
    assert response.json()["batch_id"] == "B0001"
    assert stored.client.client_id == "tax-test"
    assert stored.source == NoticeBatch.Source.API
    assert stored.declared_count == 1
    assert stored.declared_total == Decimal("500.00")
    assert ArrivalNotice.objects.filter(batch=stored).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["HTTP_X_CLIENT_ID", "HTTP_X_TIMESTAMP", "HTTP_X_SIGNATURE"])
def test_missing_signature_header_is_refused_with_401(signed, insured, header):
    raw = _raw(batch([notice(insured)]))
    headers = signed.headers(raw)
    del headers[header]

    response = signed.api.post("/api/v1/tax/notice-batches/", data=raw, content_type="application/json", **headers)

    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.django_db
def test_unknown_client_is_refused_with_401(signed, insured):
    response = SignedClient(client_id="tax-nobody").push(batch([notice(insured)]))

    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.django_db
def test_signature_with_another_secret_is_refused_with_401(signed, insured):
    response = SignedClient(secret="x" * 40).push(batch([notice(insured)]))

    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.django_db
def test_signature_over_another_body_is_refused_with_401(signed, insured):
    """A body changed in transit (here: the amount) no longer matches its signature."""
    raw = _raw(batch([notice(insured)]))
    headers = signed.headers(raw)
    tampered = raw.replace(b'"500.00"', b'"5000.00"')

    response = signed.api.post("/api/v1/tax/notice-batches/", data=tampered, content_type="application/json", **headers)

    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.django_db
@pytest.mark.parametrize("skew", [-301, 301], ids=["301s-old", "301s-in-the-future"])
def test_timestamp_more_than_300_seconds_away_is_refused_with_401(signed, insured, skew):
    """A captured request cannot be replayed after the five-minute window."""
    response = signed.push(batch([notice(insured)]), timestamp=int(time.time()) + skew)

    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.django_db
def test_timestamp_that_is_not_unix_seconds_is_refused_with_401(signed, insured):
    raw = _raw(batch([notice(insured)]))
    headers = signed.headers(raw)
    headers["HTTP_X_TIMESTAMP"] = "2026-03-02T12:00:00+08:00"

    response = signed.api.post("/api/v1/tax/notice-batches/", data=raw, content_type="application/json", **headers)

    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.django_db
def test_inactive_client_with_a_good_signature_is_refused_with_403(signed, insured, tax_client):
    TaxClient.objects.filter(pk=tax_client.pk).update(is_active=False)

    response = signed.push(batch([notice(insured)]))

    assert response.status_code == 403
    _nothing_stored()


# --- malformed batches --------------------------------------------------------------------


@pytest.mark.django_db
def test_invalid_json_is_refused_with_400_and_nothing_stored(signed):
    response = signed.push(None, raw=b'{"batch_id": "B0001", "notices": [')

    assert response.status_code == 400
    assert [e["field"] for e in _errors(response)] == ["body"]
    _nothing_stored()


@pytest.mark.django_db
def test_json_number_with_a_fraction_as_amount_is_refused_with_400(signed, insured):
    """Amounts are decimal strings; a float is not money (STYLE: floats refused at the edges)."""
    raw = _raw(batch([notice(insured)])).replace(b'"amount": "500.00"', b'"amount": 500.0')
    assert b'"amount": 500.0' in raw

    response = signed.push(None, raw=raw)

    assert response.status_code == 400
    errors = _errors(response)
    assert errors and "500.00" in errors[0]["message"]
    _nothing_stored()


@pytest.mark.django_db
def test_json_integer_as_amount_is_refused_with_400_for_that_notice(signed, insured):
    good = notice(insured, voucher="V0001")
    bad = notice(insured, voucher="V0002")
    payload = batch([good, bad])
    bad["amount"] = 500
    payload["total_amount"] = "1000.00"

    response = signed.push(payload)

    assert response.status_code == 400
    assert {"notice": 1, "field": "amount"} in [{k: e[k] for k in ("notice", "field")} for e in _errors(response)]
    _nothing_stored()


WRONG_CHECK_DIGIT = object()


def _bad_second_notice(person, **change) -> dict:
    """A batch whose second notice carries the fault, so the errors must name notice 1."""
    payload = batch(
        [notice(person, voucher="V0001"), notice(person, voucher="V0002", kind="government_paid", amount="100.00")]
    )
    if change.get("insured_id_number") is WRONG_CHECK_DIGIT:
        last = person.id_no[17]
        change["insured_id_number"] = person.id_no[:17] + ("0" if last != "0" else "1")
    payload["notices"][1].update(change)
    return payload


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "100.001"}, "amount"),
        ({"amount": "-100.00"}, "amount"),
        ({"insured_id_number": WRONG_CHECK_DIGIT}, "insured_id_number"),
        ({"insured_id_number": "211370700517001"}, "insured_id_number"),
        ({"kind": "donation"}, "kind"),
        ({"channel": "cash"}, "channel"),
        ({"paid_at": "2026-03-02T10:15:00"}, "paid_at"),
        ({"memo": "多余字段"}, "notice"),
        ({"payer_id": "ABC123"}, "payer_id"),
        ({"payer_id": "91110000600037341X"}, "payer_id"),
        ({"line_no": "1"}, "line_no"),
        ({"year": 2008}, "year"),
        ({"reverses": {"voucher_no": "V0001"}}, "reverses"),
    ],
    ids=[
        "three-decimals",
        "negative-amount",
        "id-checksum",
        "15-digit-id",
        "unknown-kind",
        "unknown-channel",
        "naive-paid-at",
        "unknown-field",
        "payer-id-neither-id-nor-credit-code",
        "payer-credit-code-bad-check-character",
        "line-no-as-string",
        "year-before-the-scheme",
        "reverses-without-line",
    ],
)
def test_malformed_notice_is_refused_with_400_listed_by_notice(signed, insured, change, field):
    response = signed.push(_bad_second_notice(insured, **change))

    assert response.status_code == 400, response.content
    errors = _errors(response)
    assert {(e["notice"], e["field"]) for e in errors} == {(1, field)}
    assert all(e["message"] for e in errors)
    _nothing_stored()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "missing",
    [
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
    ],
)
def test_missing_required_field_is_refused_with_400_for_that_notice(signed, insured, missing):
    payload = _bad_second_notice(insured)
    del payload["notices"][1][missing]

    response = signed.push(payload)

    assert response.status_code == 400
    assert (1, missing) in {(e["notice"], e["field"]) for e in _errors(response)}
    _nothing_stored()


@pytest.mark.django_db
def test_every_bad_notice_is_listed_not_only_the_first(signed, insured):
    payload = batch([notice(insured, voucher="V1"), notice(insured, voucher="V2"), notice(insured, voucher="V3")])
    payload["notices"][0]["kind"] = "donation"
    payload["notices"][2]["channel"] = "cash"

    response = signed.push(payload)

    assert response.status_code == 400
    assert {(e["notice"], e["field"]) for e in _errors(response)} == {(0, "kind"), (2, "channel")}
    _nothing_stored()


@pytest.mark.django_db
def test_unknown_field_in_the_batch_envelope_is_refused_with_400(signed, insured):
    """The contract is strict: an unknown notice field is refused, and so is an unknown
    field beside batch_id and notices (a misspelt envelope field must not be ignored)."""
    response = signed.push(batch([notice(insured)], memo="多余字段"))

    assert response.status_code == 400, response.content
    assert any(e["notice"] is None and "memo" in e["message"] for e in _errors(response))
    _nothing_stored()


@pytest.mark.django_db
def test_count_not_matching_the_notices_is_refused_with_400(signed, insured):
    response = signed.push(batch([notice(insured)], count=2))

    assert response.status_code == 400
    assert [(e["notice"], e["field"]) for e in _errors(response)] == [(None, "count")]
    _nothing_stored()


@pytest.mark.django_db
def test_total_amount_not_matching_the_notices_is_refused_with_400(signed, insured):
    response = signed.push(batch([notice(insured)], total_amount="499.99"))

    assert response.status_code == 400
    assert [(e["notice"], e["field"]) for e in _errors(response)] == [(None, "total_amount")]
    _nothing_stored()


@pytest.mark.django_db
def test_total_amount_as_json_number_is_refused_with_400(signed, insured):
    response = signed.push(batch([notice(insured)], total_amount=500))

    assert response.status_code == 400
    assert (None, "total_amount") in {(e["notice"], e["field"]) for e in _errors(response)}
    _nothing_stored()


@pytest.mark.django_db
def test_sent_at_without_offset_is_refused_with_400(signed, insured):
    response = signed.push(batch([notice(insured)], sent_at="2026-03-02T12:00:00"))

    assert response.status_code == 400
    assert (None, "sent_at") in {(e["notice"], e["field"]) for e in _errors(response)}
    _nothing_stored()


@pytest.mark.django_db
def test_empty_notice_list_is_refused_with_400(signed):
    response = signed.push(batch([], total_amount="0.00"))

    assert response.status_code == 400
    assert (None, "notices") in {(e["notice"], e["field"]) for e in _errors(response)}
    _nothing_stored()


@pytest.mark.django_db
def test_collective_paying_with_an_n_credit_code_is_accepted(signed, insured):
    """Notice 001 附件5: a village collective pays with its credit code, which starts with N."""
    response = signed.push(batch([notice(insured, payer_name="某村股份经济合作社", payer_id=COLLECTIVE_USCC)]))

    assert response.status_code == 202, response.content
    assert ArrivalNotice.objects.get().payer_id == COLLECTIVE_USCC


@pytest.mark.django_db
def test_company_paying_with_a_credit_code_is_accepted(signed, insured):
    response = signed.push(batch([notice(insured, payer_name="某公司", payer_id="91110000600037341L")]))

    assert response.status_code == 202, response.content
    assert ArrivalNotice.objects.get().payer_id == "91110000600037341L"


# --- idempotency and status ---------------------------------------------------------------


@pytest.mark.django_db
def test_same_batch_id_and_same_body_again_answers_200_with_the_same_batch(
    signed, insured, django_capture_on_commit_callbacks
):
    payload = batch([notice(insured)])
    with django_capture_on_commit_callbacks(execute=True):
        first = signed.push(payload)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = signed.push(payload)

    assert first.status_code == 202
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["credited"] == 1
    assert callbacks == []  # nothing queued for processing a second time
    assert NoticeBatch.objects.count() == 1
    assert ArrivalNotice.objects.count() == 1
    assert AccountEntry.objects.filter(person=insured, kind="own").count() == 1


@pytest.mark.django_db
def test_same_batch_id_with_a_different_body_answers_409(signed, insured):
    first = signed.push(batch([notice(insured)]))
    other = signed.push(batch([notice(insured, amount="1000.00")]))

    assert first.status_code == 202
    assert other.status_code == 409
    assert other.json()["code"] == "batch_conflict"
    stored = NoticeBatch.objects.get()
    assert stored.declared_total == Decimal("500.00")
    assert list(ArrivalNotice.objects.values_list("amount", flat=True)) == [Decimal("500.00")]


@pytest.mark.django_db
def test_status_returns_the_counts_of_a_processed_batch(signed, policy, django_capture_on_commit_callbacks):
    village = first_village(policy.region)
    one, two = InsuredPersonFactory(village=village), InsuredPersonFactory(village=village)
    payload = batch(
        [
            notice(one, voucher="V1"),
            notice(two, voucher="V2"),
            notice(one, voucher="V1"),  # the same voucher line again: duplicate
            notice(stranger(village), voucher="V3"),  # nobody with this ID: unmatched
            notice(two, voucher="V4", reverses={"voucher_no": "V2", "line_no": 1}),
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert signed.push(payload).status_code == 202

    response = signed.status("B0001")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "processed"
    assert {k: body[k] for k in ("received", "credited", "duplicate", "unmatched", "reversed")} == {
        "received": 5,
        "credited": 2,
        "duplicate": 1,
        "unmatched": 1,
        "reversed": 1,
    }
    stored = NoticeBatch.objects.get()
    assert (stored.credited_count, stored.duplicate_count, stored.unmatched_count, stored.reversed_count) == (
        2,
        1,
        1,
        1,
    )


@pytest.mark.django_db
def test_status_of_a_batch_not_yet_processed_says_received(signed, insured):
    signed.push(batch([notice(insured)]))  # on_commit never fires here: the batch waits

    body = signed.status("B0001").json()

    assert body["status"] == "received"
    assert body["received"] == 1
    assert NoticeBatch.objects.get().status == NoticeBatch.Status.RECEIVED


@pytest.mark.django_db
def test_status_of_another_clients_batch_is_404(signed, insured, tax_client):
    TaxClient.objects.create(client_id="tax-other", name="另一税务", secret="o" * 40, region=tax_client.region)
    other = SignedClient(client_id="tax-other", secret="o" * 40)
    assert other.push(batch([notice(insured)], batch_id="B-OTHER")).status_code == 202

    assert signed.status("B-OTHER").status_code == 404
    assert signed.status("B-NOWHERE").status_code == 404
    assert other.status("B-OTHER").status_code == 200
    assert NoticeBatch.objects.get().client.client_id == "tax-other"


@pytest.mark.django_db
def test_status_without_a_signature_is_401(signed, insured):
    signed.push(batch([notice(insured)]))

    response = signed.api.get("/api/v1/tax/notice-batches/B0001/")

    assert response.status_code == 401
    assert NoticeBatch.objects.count() == 1


@pytest.mark.django_db
def test_two_clients_may_use_the_same_batch_id(signed, insured, tax_client):
    TaxClient.objects.create(client_id="tax-other", name="另一税务", secret="o" * 40, region=tax_client.region)
    other = SignedClient(client_id="tax-other", secret="o" * 40)

    assert signed.push(batch([notice(insured, voucher="V1")])).status_code == 202
    assert other.push(batch([notice(insured, voucher="V2")])).status_code == 202

    assert NoticeBatch.objects.filter(batch_id="B0001").count() == 2


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_same_batch_pushed_by_three_threads_at_once_is_stored_and_credited_once(tax_client, insured):
    raw = _raw(batch([notice(insured)]))
    start = threading.Barrier(3)
    results: list[tuple[int, int | None]] = []
    failures: list[BaseException] = []

    def push() -> None:
        try:
            client = SignedClient(secret=SECRET)
            start.wait()
            response = client.push(None, raw=raw)
            results.append((response.status_code, response.json().get("id")))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    assert sorted(code for code, _ in results) == [200, 200, 202]
    stored = NoticeBatch.objects.get()
    assert {pk for _, pk in results} == {stored.pk}
    assert stored.status == NoticeBatch.Status.PROCESSED
    assert stored.credited_count == 1
    assert ArrivalNotice.objects.count() == 1
    entries = sorted(AccountEntry.objects.filter(person=insured).values_list("kind", "amount"))
    assert entries == [("government_subsidy", Decimal("60.00")), ("own", Decimal("500.00"))]
    assert PersonYear.objects.get(person=insured, year=2026).own_amount == Decimal("500.00")


# --- Hardening (issue 12): the signature of a GET covers its path; bodies are read within limits ---


def test_a_signed_status_request_opens_only_the_batch_it_names(signed, insured):
    assert signed.push(batch([notice(insured)], "B-ONE")).status_code == 202
    assert signed.push(batch([notice(insured, voucher="V0002")], "B-TWO")).status_code == 202
    signed_for_one = signed.headers(b"/api/v1/tax/notice-batches/B-ONE/")
    assert signed.api.get("/api/v1/tax/notice-batches/B-ONE/", **signed_for_one).status_code == 200
    assert signed.api.get("/api/v1/tax/notice-batches/B-TWO/", **signed_for_one).status_code == 401


def test_a_status_request_signed_over_an_empty_body_is_refused(signed, insured):
    assert signed.push(batch([notice(insured)], "B-ONE")).status_code == 202
    response = signed.api.get("/api/v1/tax/notice-batches/B-ONE/", **signed.headers(b""))
    assert response.status_code == 401


def test_a_signature_that_is_not_lower_case_hex_is_refused_not_crashed(signed, insured):
    raw = json.dumps(batch([notice(insured)])).encode()
    headers = signed.headers(raw)
    for bad in ("签名" * 32, headers["HTTP_X_SIGNATURE"].upper(), "ab"):
        response = signed.api.post(
            "/api/v1/tax/notice-batches/",
            data=raw,
            content_type="application/json",
            **(headers | {"HTTP_X_SIGNATURE": bad}),
        )
        assert response.status_code == 401
    assert not NoticeBatch.objects.exists()


def test_a_batch_larger_than_the_limit_is_refused_with_413(signed, insured, settings):
    settings.TAX_BATCH_MAX_BYTES = 1000
    response = signed.push(batch([notice(insured, line=i) for i in range(1, 20)]))
    assert response.status_code == 413
    assert not NoticeBatch.objects.exists()


def test_an_unknown_client_is_refused_before_its_large_body_is_read(signed, insured, settings):
    settings.TAX_BATCH_MAX_BYTES = 1000
    stranger_client = SignedClient(client_id="nobody")
    response = stranger_client.push(batch([notice(insured, line=i) for i in range(1, 20)]))
    assert response.status_code == 401


def test_other_routes_keep_djangos_small_body_limit(client, db):
    response = client.post("/login/", {"username": "x" * (3 * 1024 * 1024), "password": "y"})
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "paid_at", ["2026-03-02T12:00:00+21:53", "2026-03-02T12:00:00-15:00", "2026-03-02T12:00:00+05:00:30"]
)
def test_an_offset_postgresql_cannot_store_is_refused_not_a_500(signed, insured, paid_at):
    """Found by Schemathesis (issue 17): +21:53 parsed, then failed the batch's COPY with a 500."""
    response = signed.push(batch([notice(insured, paid_at=paid_at)]))
    assert response.status_code == 400, response.content
    assert [e["field"] for e in _errors(response)] == ["paid_at"]
    _nothing_stored()


@pytest.mark.django_db
def test_the_widest_real_offsets_are_taken(signed, insured):
    response = signed.push(batch([notice(insured, paid_at="2026-03-02T12:00:00+14:00")]))
    assert response.status_code == 202, response.content
