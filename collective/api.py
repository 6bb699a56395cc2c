"""Collective subsidy and social sponsorship over HTTP (notice 001): the roster upload, the reads,
and the steps of review, as on the pages. A filing or roster outside the caller's region is not
found (404); a role that may not take a step is refused (403)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective import rosters, selectors, services
from collective.models import Filing, Roster
from collective.plugin import COLLECTIVE_APPROVE, COLLECTIVE_REVIEW, COLLECTIVE_VIEW
from collective.serializers import (
    FilingFilters,
    FilingOutput,
    RosterInvalidOutput,
    RosterOutput,
    RosterRejectInput,
    RosterRowOutput,
    RosterUploadInput,
    RosterUploadOutput,
)
from collective.views.common import require_filer
from insured import access, api_errors, api_query
from insured.spreadsheets import RowError

INVALID_EXAMPLE = {
    "code": "roster_invalid",
    "detail": "申报表未通过检查，未保存。",
    "errors": [
        {
            "row": 3,
            "line": 4,
            "column": "公民身份号码",
            "code": "id_exponent",
            "message": "公民身份号码显示为2.11370E+17，后几位已丢失；请把该列设为文本格式后重新录入。",
        },
        {"row": None, "line": None, "column": "补助或资助类型", "code": "column_missing", "message": "表头缺少……"},
    ],
}
REFUSED = {
    400: OpenApiResponse(
        description="A rule refused the step: {code, detail}; a step refused because rows no longer pass names "
        "the first rows' 序号 in the detail."
    )
}


def _invalid(errors: list[RowError]) -> Response:
    body = api_errors.body(
        "roster_invalid", _("The roster was refused; nothing was saved."), errors=[e.as_dict() for e in errors]
    )
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _with_paid(queryset: QuerySet[Roster]) -> QuerySet[Roster]:
    return queryset.annotate(paid_count=Count("rows", filter=Q(rows__paid_at__isnull=False)))


class FilingListApi(generics.ListAPIView):
    permission_classes = [access.capability(COLLECTIVE_VIEW)]
    serializer_class = FilingOutput

    def get_queryset(self) -> QuerySet[Filing]:
        queryset = selectors.filings_for(self.request.user)
        year = api_query.read(self.request, FilingFilters).get("year")
        return queryset.filter(year=year) if year else queryset

    @extend_schema(
        summary="Filings in the caller's region: collective plans 备案 and social sponsorships",
        parameters=[FilingFilters],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class FilingDetailApi(APIView):
    permission_classes = [access.capability(COLLECTIVE_VIEW)]

    @extend_schema(summary="One filing", responses=FilingOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(FilingOutput(selectors.filing_get(request.user, pk)).data)


class RosterUploadApi(APIView):
    """POST a roster under a filing: every row is checked; it is saved only if every row passes."""

    permission_classes = [access.capability(COLLECTIVE_VIEW)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Upload a roster 申报表 (notice 001 attachment 3)",
        description=(
            "Multipart field `file`: an .xlsx or .csv (UTF-8, UTF-8 with BOM or GB18030) with the columns 序号, "
            "姓名, 性别, 公民身份号码, 补助金（资助）金额, 补助或资助类型. Every row is checked: the ID's check "
            "character, name and sex against the registry, membership of the organisation's village, enrolled and "
            "not receiving benefits (rule 3), own contribution of the year arrived (rule 2), the amount, the type, "
            "no person twice and the cap (rule 1) counting this file, other pending filings and sponsorships, "
            "and what is reserved and credited. IDs stored as numbers or in exponent form and formula cells are "
            "refused. `dry_run=true` checks without saving (200). When every row passes the roster is saved, "
            "waiting to be submitted (201). Any error is a 400 with every error row by row and nothing saved; "
            "a file that is not a spreadsheet, has no rows or lacks a column gives one error with `row: null`. "
            "Only the village accountant of the filing's village (a social sponsorship: the county clerk) may upload. "
            "The API answers at once whatever the size (up to 20,000 rows, 10 MB); the pages hand a file of more than "
            "2,000 rows to a background job."
        ),
        request={"multipart/form-data": RosterUploadInput},
        responses={
            201: RosterUploadOutput,
            200: OpenApiResponse(RosterUploadOutput, description="dry run: every row passes; nothing saved"),
            400: OpenApiResponse(
                RosterInvalidOutput,
                description="rows refused, nothing saved",
                examples=[OpenApiExample("errors", value=INVALID_EXAMPLE)],
            ),
            403: OpenApiResponse(description="the caller's role may not upload under this filing"),
            404: OpenApiResponse(description="no such filing in the caller's region"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        filing = selectors.filing_get(request.user, pk)
        require_filer(request.user, filing)
        serializer = RosterUploadInput(data=request.data)
        if not serializer.is_valid():
            return _invalid(
                [
                    RowError(None, None, None, "file_missing", str(e))
                    for errs in serializer.errors.values()
                    for e in errs
                ]
            )
        upload = serializer.validated_data["file"]
        if upload.size > rosters.LAYOUT.max_bytes:
            message = _("The file may be at most %(mb)s MB.") % {"mb": rosters.LAYOUT.max_bytes >> 20}
            return _invalid([RowError(None, None, None, "file_too_large", message)])
        try:
            result = services.roster_upload(
                filing, upload.read(), upload.name, user=request.user, dry_run=serializer.validated_data["dry_run"]
            )
        except services.RosterInvalid as invalid:
            return _invalid(invalid.errors)
        body = {"id": result.roster.pk if result.roster else None, "count": result.count, "total": result.total}
        code = status.HTTP_201_CREATED if result.roster else status.HTTP_200_OK
        return Response(RosterUploadOutput(body).data, status=code)


class RosterDetailApi(APIView):
    permission_classes = [access.capability(COLLECTIVE_VIEW)]

    @extend_schema(summary="One roster, with how many of its rows are paid", responses=RosterOutput)
    def get(self, request: Request, pk: int) -> Response:
        roster = access.scoped_get(
            _with_paid(selectors.rosters_for(request.user)), request.user, "filing__region", pk=pk
        )
        return Response(RosterOutput(roster).data)


class RosterRowsApi(generics.ListAPIView):
    permission_classes = [access.capability(COLLECTIVE_VIEW)]
    serializer_class = RosterRowOutput

    def get_queryset(self):
        return selectors.roster_rows(selectors.roster_get(self.request.user, self.kwargs["pk"]))

    @extend_schema(summary="The rows of a roster, with their receivables and payment (IDs masked)")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class _StepApi(APIView):
    parser_classes = [JSONParser]

    def answer(self, request: Request, roster: Roster) -> Response:
        fresh = _with_paid(Roster.objects.filter(pk=roster.pk)).get()
        return Response(RosterOutput(fresh).data)


class RosterSubmitApi(_StepApi):
    permission_classes = [access.capability(COLLECTIVE_VIEW)]

    @extend_schema(
        summary="Submit a checked roster to the county (the filer); every rule is checked again",
        request=None,
        responses={200: RosterOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        roster = selectors.roster_get(request.user, pk)
        require_filer(request.user, roster.filing)
        return self.answer(request, services.roster_submit(roster, user=request.user))


class RosterReviewApi(_StepApi):
    permission_classes = [access.capability(COLLECTIVE_REVIEW)]

    @extend_schema(
        summary="The county's first review (never one's own entry)",
        request=None,
        responses={200: RosterOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.answer(request, services.roster_review(selectors.roster_get(request.user, pk), user=request.user))


class RosterApproveApi(_StepApi):
    permission_classes = [access.capability(COLLECTIVE_APPROVE)]

    @extend_schema(
        summary="Approve (not the first reviewer): reserves every row under the cap and sends the receivables",
        request=None,
        responses={200: RosterOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.answer(request, services.roster_approve(selectors.roster_get(request.user, pk), user=request.user))


class RosterRejectApi(_StepApi):
    permission_classes = [access.capability(COLLECTIVE_REVIEW)]

    @extend_schema(
        summary="Send back to the filer with a reason",
        request=RosterRejectInput,
        responses={200: RosterOutput, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        roster = selectors.roster_get(request.user, pk)
        serializer = RosterRejectInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.answer(request, services.roster_reject(roster, user=request.user, **serializer.validated_data))
