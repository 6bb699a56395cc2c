"""Who may log in with a password, and who may hold an API token.

The tax bureau's system is a machine client: it signs each request with its own secret
(payments.signing) and never logs into the staff pages or obtains a token, even if an account
with its role exists. API tokens (django-rest-knox: hashed, expiring) go only to the roles whose
systems use the API (insured.access.API_USE).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LogoutView
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from insured import access, security
from insured.fields import TextSerializerField
from insured.models import Role


def is_machine(user: Any) -> bool:
    profile = getattr(user, "staff", None) if getattr(user, "pk", None) else None
    return profile is not None and profile.role == Role.TAX_CLIENT


class StaffBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and not is_machine(user)

    def get_user(self, user_id: Any) -> Any:
        """The logged-in user of each request, read with the staff profile and its region: every
        page checks the role and cuts to the region, which were two more queries a request."""
        user_model = get_user_model()
        user = user_model._default_manager.select_related("staff__region").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


class TokenInput(serializers.Serializer):
    username = TextSerializerField(max_length=150)
    password = TextSerializerField(max_length=128, trim_whitespace=False)


class TokenLoginApi(APIView):
    """POST username and password, get a token that expires (REST_KNOX TOKEN_TTL)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request: Request) -> str:
        # Wrong credentials are a 401 with its challenge, not DRF's fallback 403.
        return 'Token realm="api"'

    @extend_schema(
        summary="Obtain an API token (roles that use the API only)",
        request=TokenInput,
        responses={
            200: inline_serializer(
                "TokenOutput", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
            ),
            400: OpenApiResponse(description="username or password missing"),
            401: OpenApiResponse(description="wrong username or password, or locked out after too many failures"),
            403: OpenApiResponse(description="this role does not use the API"),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        raw: HttpRequest = request._request
        user = authenticate(raw, **data.validated_data)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Wrong username or password, or too many failed attempts."))
        if not access.has_capability(user, access.API_USE):
            security.event("token_refused", request=raw, username=user.get_username())
            raise exceptions.PermissionDenied(_("Your role does not use the API."))
        instance, token = AuthToken.objects.create(user)
        security.event("token_issued", request=raw, username=user.get_username())
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_200_OK)


class TokenLogoutApi(LogoutView):
    """POST with the token: it stops working at once."""

    @extend_schema(summary="Revoke the API token used for this request", request=None, responses={204: None})
    def post(self, request: Request, format: Any = None) -> Response:
        return super().post(request, format)
