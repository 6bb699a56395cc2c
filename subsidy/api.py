"""Personal sponsorship over HTTP (notice 000), the same steps as the counter pages.

County staff only (000 五(一): not delegated to townships or villages): township and village
roles lack the sponsorship capabilities and get 403; an application outside the caller's
region is not found (404). Each view parses, calls one service, and answers.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insured import access, api_query
from subsidy import selectors, services
from subsidy.capabilities import SPONSORSHIP_ENTER, SPONSORSHIP_REVIEW, SPONSORSHIP_VIEW
from subsidy.models import SponsorshipApplication
from subsidy.serializers import (
    SponsorshipCheckOutput,
    SponsorshipCreateInput,
    SponsorshipDetailOutput,
    SponsorshipFilters,
    SponsorshipOutput,
    SponsorshipRejectInput,
)

REFUSED = {
    400: OpenApiResponse(
        description="A rule refused: its code, and a Chinese message naming the rule and the clause of notice 000; "
        "or `invalid` with `errors` by field when the input does not match this schema. Nothing is saved.",
    )
}


def _input(request: Request) -> services.SponsorshipInput:
    serializer = SponsorshipCreateInput(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return services.SponsorshipInput(**serializer.validated_data)


def _answer(request: Request, application: SponsorshipApplication, code: int = status.HTTP_200_OK) -> Response:
    application = selectors.application_get(request.user, application.pk)
    application.credit = selectors.credit_notice(application)
    return Response(SponsorshipDetailOutput(application, context={"request": request}).data, status=code)


class SponsorshipListApi(generics.ListAPIView):
    serializer_class = SponsorshipOutput
    # Amounts are strings in JSON; a form post would hide whether a number was sent.
    parser_classes = [JSONParser]

    def get_permissions(self) -> list[BasePermission]:
        # Reading needs SPONSORSHIP_VIEW; submitting is the clerk at the window.
        name = SPONSORSHIP_ENTER if self.request.method == "POST" else SPONSORSHIP_VIEW
        return [access.capability(name)()]

    def get_queryset(self) -> QuerySet[SponsorshipApplication]:
        queryset = selectors.applications_for(self.request.user)
        wanted = api_query.read(self.request, SponsorshipFilters).get("status")
        return queryset.filter(status=wanted) if wanted else queryset

    @extend_schema(summary="Sponsorship applications in the caller's region", parameters=[SponsorshipFilters])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Submit an application at the window",
        description="Every rule of notice 000 is checked first; a refusal is 400 with the rule's code "
        "and nothing is saved.",
        request=SponsorshipCreateInput,
        responses={201: SponsorshipDetailOutput, **REFUSED},
    )
    def post(self, request: Request) -> Response:
        application = services.application_submit(
            _input(request), user=request.user, agency_region=access.scope_region(request.user)
        )
        return _answer(request, application, status.HTTP_201_CREATED)


class SponsorshipCheckApi(APIView):
    permission_classes = [access.capability(SPONSORSHIP_ENTER)]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Check an application without saving it",
        description="Runs every rule as the clerk types; 200 with the beneficiary's standing this year, "
        "or 400 with the first rule that refuses.",
        request=SponsorshipCreateInput,
        responses={200: SponsorshipCheckOutput, **REFUSED},
    )
    def post(self, request: Request) -> Response:
        data = _input(request)
        standing = services.application_check(
            data, today=timezone.localdate(), agency_region=access.scope_region(request.user)
        )
        checked = SponsorshipCheckOutput(
            {"beneficiary": data.beneficiary, "standing": standing}, context={"request": request}
        )
        return Response(checked.data)


class SponsorshipDetailApi(APIView):
    permission_classes = [access.capability(SPONSORSHIP_VIEW)]

    @extend_schema(
        summary="One sponsorship application, with the payment that credited it", responses=SponsorshipDetailOutput
    )
    def get(self, request: Request, pk: int) -> Response:
        return _answer(request, selectors.application_get(request.user, pk))


class _StepApi(APIView):
    # One step on one application, found in the caller's scope or 404.
    parser_classes = [JSONParser]


class SponsorshipApproveApi(_StepApi):
    permission_classes = [access.capability(SPONSORSHIP_REVIEW)]

    @extend_schema(
        summary="Approve (never one's own entry); reserves the amount against the cap",
        request=None,
        responses={200: SponsorshipDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = services.application_approve(
            selectors.application_get(request.user, pk),
            user=request.user,
            agency_region=access.scope_region(request.user),
        )
        return _answer(request, application)


class SponsorshipRejectApi(_StepApi):
    permission_classes = [access.capability(SPONSORSHIP_REVIEW)]

    @extend_schema(
        summary="Reject with a reason (never one's own entry)",
        request=SponsorshipRejectInput,
        responses={200: SponsorshipDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_get(request.user, pk)
        serializer = SponsorshipRejectInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_reject(application, user=request.user, **serializer.validated_data)
        return _answer(request, application)


class SponsorshipSignaturesApi(_StepApi):
    permission_classes = [access.capability(SPONSORSHIP_ENTER)]

    @extend_schema(
        summary="Record that sponsor and beneficiary signed the form (000 三(二)); creates the receivable",
        request=None,
        responses={200: SponsorshipDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = services.application_record_signatures(
            selectors.application_get(request.user, pk),
            user=request.user,
            agency_region=access.scope_region(request.user),
        )
        return _answer(request, application)


class SponsorshipWithdrawApi(_StepApi):
    permission_classes = [access.capability(SPONSORSHIP_ENTER)]

    @extend_schema(
        summary="Withdraw before payment; refused once credited (000 三(三))",
        request=None,
        responses={200: SponsorshipDetailOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = services.application_withdraw(selectors.application_get(request.user, pk), user=request.user)
        return _answer(request, application)
