"""Security events on the "security" logger (one JSON object a line, config.logformat): logins,
failures, lockouts, refusals, tokens. An operator ships the stream as it is."""

from __future__ import annotations

import logging
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

logger = logging.getLogger("security")


def _address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def event(name: str, *, request: HttpRequest | None = None, level: int = logging.INFO, **fields: Any) -> None:
    details = {"ip": _address(request), "path": getattr(request, "path", "")} | fields
    logger.log(level, name, extra={"fields": details})


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    event("login", request=request, username=user.get_username())


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    event("logout", request=request, username=user.get_username() if user else "")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    event("login_failed", request=request, level=logging.WARNING, username=str(credentials.get("username", ""))[:150])


@receiver(user_locked_out)
def _locked_out(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    event("lockout", request=request, level=logging.WARNING, username=str(username or "")[:150])
