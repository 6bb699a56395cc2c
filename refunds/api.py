"""Refunds over HTTP (notice 002 附件2), the same steps as the pages.

Each view names its capability (township office, county reviewer, finance); an application
outside the caller's region is not found (404). A rule's refusal is a 400 with its code and a
Chinese message, and nothing is saved. Each view parses, calls one service, and answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insured import access, access_log, api_query
from refunds import selectors, services
from refunds.forms import CopyField
from refunds.models import RefundApplication, RefundCase, RefundRequest, RefundTaxReport
from refunds.plugin import (
    REFUND_BATCHES,
    REFUND_ENTER,
    REFUND_FINANCE,
    REFUND_FIRST_REVIEW,
    REFUND_REPORT,
    REFUND_REVIEW,
    REFUND_VIEW,
)
from refunds.serializers import (
    ApplicantInput,
    CaseOutput,
    CorrectionUpload,
    HandOverOutput,
    PaymentInput,
    ReasonInput,
    RefundCreateInput,
    RefundCreateUpload,
    RefundDetailOutput,
    RefundFilters,
    RefundOutput,
    RequestInput,
    RequestOutput,
    TaxReportOutput,
)

REFUSED = {
    400: OpenApiResponse(
        description="A rule refused: its code, and a Chinese message naming the rule and the clause of notice 002 "
        "attachment 2 or notice 000; or `invalid` with `errors` by field when the input does not match this "
        "schema. Nothing is saved.",
    )
}


def _answer(request: Request, application: RefundApplication, code: int = status.HTTP_200_OK) -> Response:
    application = selectors.application_get(request.user, application.pk)
    access_log.record(request.user, [application.person_id], access_log.What.API, application.number)
    application.steps = selectors.application_steps(application)
    application.missing_copies = services.missing_copies(application)
    return Response(RefundDetailOutput(application).data, status=code)


def _copies(request: Request) -> dict[str, Any]:
    """Uploaded copies, each checked like the page's (PDF, JPEG or PNG, at most 5 MB)."""
    from django.core.exceptions import ValidationError
    from rest_framework.exceptions import ValidationError as ApiValidationError

    found = {}
    for field in RefundApplication.COPIES:
        upload = request.FILES.get(field)
        if upload is not None:
            try:
                found[field] = CopyField().clean(upload)
            except ValidationError as exc:
                # A file the schema allows but of a kind refunds.copies does not take.
                raise ApiValidationError({field: exc.messages}, code="copy_refused") from None
    return found


class RefundListApi(generics.ListAPIView):
    serializer_class = RefundOutput
    parser_classes = [JSONParser, MultiPartParser]

    def get_permissions(self) -> list[BasePermission]:
        # Reading needs REFUND_VIEW; taking an application is the township office's.
        name = REFUND_ENTER if self.request.method == "POST" else REFUND_VIEW
        return [access.capability(name)()]

    def get_queryset(self) -> QuerySet[RefundApplication]:
        queryset = selectors.applications_for(self.request.user)
        wanted = api_query.read(self.request, RefundFilters).get("status")
        return queryset.filter(status=wanted) if wanted else queryset

    @extend_schema(summary="Refund applications in the caller's region", parameters=[RefundFilters])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Take a refund application (township office)",
        description="The ledger entries and waiting payments are named by id; the amount is computed from them. "
        "Copies may be sent as multipart files id_card_copy, bank_card_copy, payment_proof, evidence_copy.",
        request={"application/json": RefundCreateInput, "multipart/form-data": RefundCreateUpload},
        responses={201: RefundDetailOutput, **REFUSED},
    )
    def post(self, request: Request) -> Response:
        serializer = RefundCreateInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application = services.application_receive(
            services.RefundInput(
                person=data["person"],
                case=data["case"],
                entry_ids=tuple(data["entries"]),
                notice_ids=tuple(data["notices"]),
                applicant=serializer.to_applicant(),
            ),
            copies=_copies(request),
            user=request.user,
            agency_region=access.scope_region(request.user),
        )
        return _answer(request, application, status.HTTP_201_CREATED)


class RefundDetailApi(APIView):
    permission_classes = [access.capability(REFUND_VIEW)]

    @extend_schema(
        summary="One refund application with its money, its steps and its missing copies", responses=RefundDetailOutput
    )
    def get(self, request: Request, pk: int) -> Response:
        return _answer(request, selectors.application_get(request.user, pk))


class _StepApi(APIView):
    """One step on one application, found in the caller's scope or 404."""

    parser_classes = [JSONParser]
    take: Callable[..., RefundApplication]

    def step(self, request: Request, pk: int, **kwargs: Any) -> Response:
        application = selectors.application_get(request.user, pk)
        return _answer(request, type(self).take(application, user=request.user, **kwargs))


class FirstReviewApi(_StepApi):
    permission_classes = [access.capability(REFUND_FIRST_REVIEW)]
    take = staticmethod(services.application_first_review)

    @extend_schema(
        summary="Sign the township's first review 初审 (never one's own intake)",
        request=None,
        responses={200: RefundDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.step(request, pk)


class ApproveApi(_StepApi):
    permission_classes = [access.capability(REFUND_REVIEW)]
    take = staticmethod(services.application_approve)

    @extend_schema(summary="Approve at the county 复核", request=None, responses={200: RefundDetailOutput, **REFUSED})
    def post(self, request: Request, pk: int) -> Response:
        return self.step(request, pk)


class ReturnApi(_StepApi):
    permission_classes = [access.capability(REFUND_REVIEW)]
    take = staticmethod(services.application_return)

    @extend_schema(
        summary="Return to the township with a reason",
        request=ReasonInput,
        responses={200: RefundDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.application_get(request.user, pk)  # out of scope is 404 before bad input is 400
        serializer = ReasonInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.step(request, pk, **serializer.validated_data)


class WithdrawApi(_StepApi):
    permission_classes = [access.capability(REFUND_ENTER)]
    take = staticmethod(services.application_withdraw)

    @extend_schema(
        summary="Withdraw before the money is requested; frees the money it held",
        request=None,
        responses={200: RefundDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.step(request, pk)


class CorrectApi(_StepApi):
    permission_classes = [access.capability(REFUND_ENTER)]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Correct the applicant and bank account, or upload copies; back to the first review",
        request={"application/json": ApplicantInput, "multipart/form-data": CorrectionUpload},
        responses={200: RefundDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_get(request.user, pk)
        applicant = None
        if not isinstance(request.data, Mapping):  # `null`, a list: not the object the schema asks for
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]}, code="invalid")
        if any(k in request.data for k in ApplicantInput().fields):
            serializer = ApplicantInput(data=request.data)
            serializer.is_valid(raise_exception=True)
            applicant = serializer.to_applicant()
        corrected = services.application_correct(
            application, user=request.user, applicant=applicant, copies=_copies(request)
        )
        return _answer(request, corrected)


class PaymentApi(_StepApi):
    permission_classes = [access.capability(REFUND_FINANCE)]
    take = staticmethod(services.application_record_payment)

    @extend_schema(
        summary="Record the bank's payment; the refund leaves the account",
        request=PaymentInput,
        responses={200: RefundDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.application_get(request.user, pk)
        serializer = PaymentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.step(request, pk, **serializer.validated_data)


class PaymentFailedApi(_StepApi):
    permission_classes = [access.capability(REFUND_FINANCE)]
    take = staticmethod(services.application_record_failure)

    @extend_schema(
        summary="Record a failed payment; back to the township, the ledger untouched",
        request=ReasonInput,
        responses={200: RefundDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.application_get(request.user, pk)
        serializer = ReasonInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.step(request, pk, **serializer.validated_data)


class HandOverApi(APIView):
    permission_classes = [access.capability(REFUND_FIRST_REVIEW)]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Send the township's signed applications to the county (by the 25th)",
        request=None,
        responses={200: HandOverOutput, **REFUSED},
    )
    def post(self, request: Request) -> Response:
        sent = services.applications_hand_over(user=request.user, region=access.scope_region(request.user))
        return Response(
            HandOverOutput({"batch_month": sent[0].batch_month, "applications": [a.number for a in sent]}).data
        )


class CaseListApi(generics.ListAPIView):
    permission_classes = [access.capability(REFUND_VIEW)]
    serializer_class = CaseOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[RefundCase]:
        return selectors.active_cases()

    @extend_schema(summary="The refund cases 退费情形 in use")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _county(request: Request) -> Any:
    region = selectors.county_of(request.user)
    if region is None:
        raise Http404
    return region


class RequestListApi(generics.ListAPIView):
    serializer_class = RequestOutput
    parser_classes = [JSONParser]

    def get_permissions(self) -> list[BasePermission]:
        name = REFUND_FINANCE if self.request.method == "POST" else REFUND_BATCHES
        return [access.capability(name)()]

    def get_queryset(self) -> QuerySet[RefundRequest]:
        return selectors.requests_for(self.request.user).prefetch_related("applications")

    @extend_schema(summary="Requests for money 请款 in the caller's county")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Request the money of a month (early the next month)",
        request=RequestInput,
        responses={201: RequestOutput, **REFUSED},
    )
    def post(self, request: Request) -> Response:
        serializer = RequestInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.request_create(
            region=_county(request), month=serializer.validated_data["month"], user=request.user
        )
        return Response(RequestOutput(made).data, status=status.HTTP_201_CREATED)


class RequestDetailApi(APIView):
    permission_classes = [access.capability(REFUND_BATCHES)]

    @extend_schema(summary="One request for money with its applications", responses=RequestOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RequestOutput(selectors.request_get(request.user, pk)).data)


class TaxReportListApi(generics.ListAPIView):
    serializer_class = TaxReportOutput
    parser_classes = [JSONParser]

    def get_permissions(self) -> list[BasePermission]:
        name = REFUND_REPORT if self.request.method == "POST" else REFUND_BATCHES
        return [access.capability(name)()]

    def get_queryset(self) -> QuerySet[RefundTaxReport]:
        return selectors.reports_for(self.request.user).prefetch_related("applications")

    @extend_schema(summary="Refund reports passed to tax")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Report every paid refund not yet reported to tax",
        request=None,
        responses={201: TaxReportOutput, **REFUSED},
    )
    def post(self, request: Request) -> Response:
        report = services.tax_report_create(region=_county(request), user=request.user)
        return Response(TaxReportOutput(report).data, status=status.HTTP_201_CREATED)
