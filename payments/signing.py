"""Who is pushing: the tax client's HMAC signature over the timestamp and the raw body.

X-Signature = hex(HMAC-SHA256(secret, X-Timestamp + "." + body)). A timestamp more than
five minutes away is refused, so a captured request cannot be replayed later; a replay
within the window changes nothing because a batch id stores once.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.utils.translation import gettext as _

from payments.models import TaxClient

MAX_SKEW_SECONDS = 300


class SignatureRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    *, client_id: str | None, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> TaxClient:
    if not client_id or not timestamp or not signature:
        raise SignatureRefused(
            401, "signature_missing", _("X-Client-Id, X-Timestamp and X-Signature headers are required.")
        )
    client = TaxClient.objects.filter(client_id=client_id).first()
    if client is None:
        raise SignatureRefused(401, "client_unknown", _("Unknown client."))
    try:
        moment = int(timestamp)
    except ValueError:
        raise SignatureRefused(401, "timestamp_invalid", _("X-Timestamp must be Unix seconds.")) from None
    if abs((now if now is not None else time.time()) - moment) > MAX_SKEW_SECONDS:
        raise SignatureRefused(
            401, "timestamp_skew", _("X-Timestamp is more than 300 seconds away from the server's clock.")
        )
    expected = sign(client.secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise SignatureRefused(401, "signature_invalid", _("The signature does not match."))
    if not client.is_active:
        raise SignatureRefused(403, "client_inactive", _("This client has been switched off."))
    return client
