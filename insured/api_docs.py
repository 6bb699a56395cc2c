"""The OpenAPI schema and its browsable docs are open to any signed-in staff member."""

from rest_framework.permissions import BasePermission

from insured.access import profile_of


class IsStaffMember(BasePermission):
    def has_permission(self, request, view) -> bool:
        return profile_of(request.user) is not None


docs_permission = [IsStaffMember]
