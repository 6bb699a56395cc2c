"""Who may do what, and where.

Two checks guard every page, export, API endpoint and PDF:
- a capability, named by the view; a role lacking it gets 403, and a view that names none
  is refused to everyone (no permission named means no access). Which role holds which
  capability each app declares in its plugin.py (insured.plugins);
- a scope: every queryset a user reads goes through `scoped()`, so a record outside the
  user's region is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework.permissions import BasePermission

from insured import plugins, security
from insured.models import Region, StaffProfile

M = TypeVar("M", bound=Model)

# insured's own capabilities; each app above declares its own in its plugin.py (insured.plugins).
PERSON_VIEW = "person.view"
PERSON_EDIT = "person.edit"
ACCOUNT_VIEW = "account.view"
# Whether a person's own contribution of the year has arrived, and its tier; no balances: what a
# village accountant chases (the village holds this, not ACCOUNT_VIEW).
CONTRIBUTION_VIEW = "contribution.view"
POLICY_VIEW = "policy.view"
PERSON_FULL_ID = "person.full_id"  # the whole resident ID on a person's own page (elsewhere masked)
API_USE = "api.use"  # API tokens, the schema and its docs: the roles whose systems call the API
AUDIT_VIEW = "audit.view"  # who looked at whom (the access log)
JOB_VIEW = "job.view"  # the background jobs one asked for (insured.jobs)
PRINT_BATCH = "print.batch"  # many forms printed as one file (insured.printing.batches)
PRINT_VERIFY = "print.verify"  # look up a check code: what the form said when it was printed


def profile_of(user: Any) -> StaffProfile | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


def has_capability(user: Any, capability: str) -> bool:
    profile = profile_of(user)
    return profile is not None and capability in plugins.capabilities_of(profile.role)


def scoped(queryset: QuerySet[M], user: Any, region_path: str) -> QuerySet[M]:
    """Cut a queryset to the user's region.

    `region_path` leads from the model to a Region ("village" for a person, "person__village"
    for an entry, "" for regions themselves). Region codes nest (2+2+2+3+3 digits), so a
    prefix match on the code selects the user's region and everything under it.
    """
    profile = profile_of(user)
    if profile is None:
        return queryset.none()
    lookup = f"{region_path}__code__startswith" if region_path else "code__startswith"
    return queryset.filter(**{lookup: profile.region.prefix})


def scoped_get(queryset: QuerySet[M], user: Any, region_path: str, **lookup: Any) -> M:
    return get_object_or_404(scoped(queryset, user, region_path), **lookup)


def scope_region(user: Any) -> Region | None:
    profile = profile_of(user)
    return profile.region if profile else None


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view that anyone may open (login)."""
    view.access_declared = True  # type: ignore[attr-defined]
    return view


def capability_required(capability: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, capability):
                security.event("refused", request=request, username=request.user.get_username(), need=capability)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access_declared = True  # type: ignore[attr-defined]
        return wrapped

    return decorator


class DenyUnlessDeclaredMiddleware:
    """Refuse any staff page whose view does not declare who may open it.

    The admin and the API have their own guards (staff login; DRF's default DenyAll).
    """

    OWN_GUARDS = ("/admin/", "/api/", "/static/", "/i18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any) -> None:
        if request.path.startswith(self.OWN_GUARDS):
            return None
        if getattr(view_func, "access_declared", False):
            return None
        raise PermissionDenied


class DenyAll(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return False


def capability(name: str) -> type[BasePermission]:
    """A DRF permission class for one capability."""

    class HasCapability(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return has_capability(request.user, name)

    HasCapability.__name__ = f"HasCapability[{name}]"
    HasCapability.capability = name  # type: ignore[attr-defined]  # the schema names the roles that hold it
    return HasCapability


def staff_context(request: HttpRequest) -> dict[str, Any]:
    """The signed-in member of staff, their capabilities and their menu, for every page."""
    profile = profile_of(getattr(request, "user", None))
    if profile is None:
        return {"staff": None, "caps": frozenset(), "menu": []}
    caps = plugins.capabilities_of(profile.role)
    return {"staff": profile, "caps": caps, "menu": plugins.menu_for(caps)}
