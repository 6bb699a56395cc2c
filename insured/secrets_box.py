"""Secrets kept at rest encrypted (the tax clients' signing secrets): Fernet (AES-128-CBC with an
HMAC) from `cryptography`, under a key from the environment, FIELD_ENCRYPTION_KEY, never from the
database it protects. Without that setting (the demo and the tests) a key is derived from
SECRET_KEY; production requires the setting."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _box() -> Fernet:
    key = settings.FIELD_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(f"field-encryption:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def seal(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    return _box().decrypt(sealed.encode()).decode()
