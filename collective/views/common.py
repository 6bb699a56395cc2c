"""What the pages of collective subsidy share: who may file under a filing, and one step on a roster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from collective import selectors
from collective.models import Filing, Roster
from collective.plugin import COLLECTIVE_FILE, SOCIAL_ENTER
from insured import access
from insured.rules import RuleViolation


def filer_capability(filing: Filing) -> str:
    """A village files its own collective subsidy; the county clerk enters social sponsorship."""
    return COLLECTIVE_FILE if filing.kind == Filing.Kind.COLLECTIVE else SOCIAL_ENTER


def may_file(user: Any, filing: Filing) -> bool:
    return access.has_capability(user, filer_capability(filing))


def require_filer(user: Any, filing: Filing) -> None:
    if not may_file(user, filing):
        raise PermissionDenied


def roster_step(
    request: HttpRequest, pk: int, take: Callable[[Roster], object], done: str, *, filer: bool = False
) -> HttpResponse:
    roster = selectors.roster_get(request.user, pk)  # out of scope is 404 before anything else
    if filer:
        require_filer(request.user, roster.filing)
    try:
        take(roster)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("collective:roster-detail", pk=roster.pk)
