"""The tax bureau's push endpoint for arrival notices (see docs/tax-interface.md)."""

from __future__ import annotations

import io

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from insured import api_errors
from payments import intake, services, signing, tasks
from payments.models import NoticeBatch, TaxClient
from payments.serializers import BatchInvalidOutput, BatchStatusOutput, NoticeBatchInput


class TaxClientUser:
    """The machine identity of a tax client, as DRF's request.user."""

    is_authenticated = True
    is_active = True

    def __init__(self, client: TaxClient) -> None:
        self.client = client
        self.pk = f"tax-client-{client.pk}"  # what the API's throttles count requests by

    def __str__(self) -> str:
        return self.client.client_id


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def _signed_content(request: Request) -> bytes:
    """What the signature covers: the raw body of a push, the path of a GET.

    A push may be large (a batch of 50,000 notices is about 25 MB), far above the small limit
    every other route keeps; so the client is identified and the declared length checked before
    the body is read, here and nowhere else.
    """
    raw = request._request
    if raw.method == "GET":
        return raw.path.encode()
    signing.client_of(raw.headers.get("X-Client-Id"))
    try:
        length = int(raw.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 <= length <= settings.TAX_BATCH_MAX_BYTES:
        raise BodyTooLarge(_("A batch may be at most %(n)s bytes.") % {"n": settings.TAX_BATCH_MAX_BYTES})
    if not hasattr(raw, "_body"):
        raw._body = raw.read()
        raw._stream = io.BytesIO(raw._body)
    return raw._body


class TaxSignatureAuthentication(BaseAuthentication):
    def authenticate(self, request: Request):
        headers = request.headers
        try:
            client = signing.verify(
                client_id=headers.get("X-Client-Id"),
                timestamp=headers.get("X-Timestamp"),
                signature=headers.get("X-Signature"),
                body=_signed_content(request),
            )
        except signing.SignatureRefused as exc:
            if exc.status == 403:
                raise exceptions.PermissionDenied(exc.message, code=exc.code) from None
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        return TaxClientUser(client), client

    def authenticate_header(self, request: Request) -> str:
        return 'HMAC-SHA256 realm="tax"'


class TaxSignatureScheme(OpenApiAuthenticationExtension):
    """Three headers that go together (payments.signing): all three are required."""

    target_class = "payments.api.TaxSignatureAuthentication"
    name = ["taxClientId", "taxTimestamp", "taxSignature"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-Client-Id", "description": "the client id tax was given"},
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Timestamp",
                "description": "Unix seconds, within 300 s of the server's clock",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Signature",
                "description": "POST: hex(HMAC-SHA256(secret, X-Timestamp + '.' + raw body)); GET: the same over "
                "X-Timestamp + '.' + the request path (docs/tax-interface.md).",
            },
        ]


class IsTaxClient(BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.user, TaxClientUser)


def _status(batch: NoticeBatch, code: int) -> Response:
    return Response(BatchStatusOutput(batch).data, status=code)


class NoticeBatchPushApi(APIView):
    authentication_classes = [TaxSignatureAuthentication]
    # The body is JSON, read by payments.intake from the raw bytes the signature covers; the
    # parser only tells the schema so.
    parser_classes = [JSONParser]
    permission_classes = [IsTaxClient]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "tax"

    @extend_schema(
        summary="Push a batch of arrival notices",
        request=NoticeBatchInput,
        responses={
            202: BatchStatusOutput,
            200: BatchStatusOutput,
            400: OpenApiResponse(
                BatchInvalidOutput,
                description="The batch was refused whole (`batch_invalid`, with every error by notice); nothing "
                "was stored.",
            ),
            403: OpenApiResponse(description="This client has been switched off."),
            409: OpenApiResponse(description="This batch_id was already used for a batch with a different body."),
            413: OpenApiResponse(description="The body is larger than TAX_BATCH_MAX_BYTES."),
        },
        description="Stored whole in one transaction before 202 is returned; processed in the background. "
        "The same batch_id with the same body again: 200 with the earlier result; with another body: 409.",
    )
    def post(self, request: Request) -> Response:
        body = _signed_content(request)
        try:
            parsed = intake.parse_batch_json(body)
        except intake.BatchInvalid as exc:
            return Response(
                api_errors.body(
                    "batch_invalid",
                    _("The batch was refused; nothing was stored."),
                    errors=[e.as_dict() for e in exc.errors],
                ),
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            result = services.batch_store(client=request.auth, parsed=parsed, fingerprint=intake.body_fingerprint(body))
        except services.BatchConflict:
            return Response(
                api_errors.body(
                    "batch_conflict", _("This batch_id was already used for a batch with different content.")
                ),
                status=status.HTTP_409_CONFLICT,
            )
        if result.created or result.batch.status == NoticeBatch.Status.RECEIVED:
            # A resend of a batch still waiting (its first push lost its hand-over when the
            # connection dropped) hands it to a worker again; processing is safe to repeat.
            tasks.batch_dispatch(result.batch.pk)
        # Read again: where tasks run in-process (the demo) the batch has just been processed.
        batch = NoticeBatch.objects.get(pk=result.batch.pk)
        return _status(batch, status.HTTP_202_ACCEPTED if result.created else status.HTTP_200_OK)


class NoticeBatchStatusApi(APIView):
    authentication_classes = [TaxSignatureAuthentication]
    permission_classes = [IsTaxClient]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "tax"

    @extend_schema(
        summary="State and counts of a pushed batch",
        responses={200: BatchStatusOutput, 403: OpenApiResponse(description="This client has been switched off.")},
        parameters=[
            OpenApiParameter(
                "batch_id",
                str,
                OpenApiParameter.PATH,
                pattern=r"^[^\x00-\x1f\x7f/]*[^\s\x00-\x1f\x7f\x85/][^\x00-\x1f\x7f/]*$",
                description="the batch_id it was pushed with",
            )
        ],
    )
    def get(self, request: Request, batch_id: str) -> Response:
        batch = get_object_or_404(NoticeBatch, client=request.auth, batch_id=batch_id)
        return _status(batch, status.HTTP_200_OK)
