"""Collection progress over HTTP: the same figures as the progress page (oversight.selectors.progress),
for the city's or the province's dashboards. Cut to the caller's region: a region outside it is a 404."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insured import access, api_query
from oversight.forms import ProgressForm
from oversight.plugin import PROGRESS_VIEW
from oversight.selectors.progress import progress_figures
from oversight.serializers import ProgressFilters, ProgressOutput
from oversight.views.common import shown_region


class ProgressApi(APIView):
    permission_classes = [access.capability(PROGRESS_VIEW)]

    @extend_schema(
        summary="Collection progress 征缴进度 of a region for a year, beside last year at the same date",
        description="A year after this one, or a day outside the year's collection window, is refused with "
        "`out_of_range`; a region outside the caller's is not found.",
        parameters=[
            OpenApiParameter(
                "region", str, pattern=r"^[0-9]{12}$", description="division code; default: the caller's region"
            ),
            ProgressFilters,
        ],
        responses={
            200: ProgressOutput,
            404: OpenApiResponse(description="No such region within the caller's, or no scope at all."),
        },
    )
    def get(self, request: Request) -> Response:
        region = shown_region(request)
        api_query.read(request, ProgressFilters)
        form = ProgressForm(request.query_params, region=region, today=timezone.localdate())
        if not form.is_valid():
            # What the schema allows but today's date or the region's collection window does not.
            raise ValidationError({k: list(v) for k, v in form.errors.items()}, code="out_of_range")
        progress = progress_figures(region, form.cleaned_data["year"], form.cleaned_data["date"])
        return Response(ProgressOutput(progress).data)
