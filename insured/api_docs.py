"""The OpenAPI schema and its browsable docs: for the staff roles whose systems use the API."""

from rest_framework.permissions import BasePermission

from insured import access


class UsesTheApi(BasePermission):
    def has_permission(self, request, view) -> bool:
        return access.has_capability(request.user, access.API_USE)


docs_permission = [UsesTheApi]
