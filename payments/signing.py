"""Who is pushing or asking: the tax client's HMAC signature.

POST: X-Signature = hex(HMAC-SHA256(secret, X-Timestamp + "." + raw body)).
GET:  X-Signature = hex(HMAC-SHA256(secret, X-Timestamp + "." + request path)), so a signed GET
      opens the one batch it names, not any batch within the window.
A timestamp more than five minutes away is refused, so a captured request cannot be replayed
later; a replayed push within the window changes nothing because a batch id stores once.
The headers are machine input: each must match its documented form exactly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from django.utils.translation import gettext as _

from payments.models import TaxClient

MAX_SKEW_SECONDS = 300
CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


class SignatureRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature of a push (over the body) or of a GET (pass the path, encoded, as `body`)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def client_of(client_id: str | None) -> TaxClient:
    """The client a request names, before its body is read (the push checks it first)."""
    if not client_id or not CLIENT_ID.match(client_id):
        raise SignatureRefused(
            401, "signature_missing", _("X-Client-Id, X-Timestamp and X-Signature headers are required.")
        )
    client = TaxClient.objects.filter(client_id=client_id).first()
    if client is None:
        raise SignatureRefused(401, "client_unknown", _("Unknown client."))
    return client


def verify(
    *, client_id: str | None, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> TaxClient:
    if not client_id or not timestamp or not signature:
        raise SignatureRefused(
            401, "signature_missing", _("X-Client-Id, X-Timestamp and X-Signature headers are required.")
        )
    client = client_of(client_id)
    if not TIMESTAMP.match(timestamp):
        raise SignatureRefused(401, "timestamp_invalid", _("X-Timestamp must be Unix seconds."))
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        raise SignatureRefused(
            401, "timestamp_skew", _("X-Timestamp is more than 300 seconds away from the server's clock.")
        )
    expected = sign(client.secret, timestamp, body)
    if not SIGNATURE.match(signature) or not hmac.compare_digest(expected, signature):
        raise SignatureRefused(401, "signature_invalid", _("The signature does not match."))
    if not client.is_active:
        raise SignatureRefused(403, "client_inactive", _("This client has been switched off."))
    return client
