"""What the pages of oversight share: the region a page shows (within the user's scope, named by its
division code in the query: a code is no personal data) and the trail from the user's scope down."""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest

from insured import access
from insured.models import Region

CODE = re.compile(r"^[0-9]{12}$")


def shown_region(request: HttpRequest, param: str = "region") -> Region:
    """The region the query names, or the user's own; outside their scope (or malformed) is a 404."""
    code = (request.GET.get(param) or "").strip()
    scope = access.scope_region(request.user)
    if scope is None:
        raise Http404
    if not code or code == scope.code:
        return scope
    if not CODE.match(code):
        raise Http404
    return access.scoped_get(Region.objects.select_related("parent"), request.user, "", code=code)


def trail(user: Any, region: Region) -> list[Region]:
    """From the user's scope region down to `region`, for the breadcrumbs."""
    scope = access.scope_region(user)
    if scope is None:
        return [region]
    return [r for r in [*region.ancestors(), region] if scope.contains(r)]
