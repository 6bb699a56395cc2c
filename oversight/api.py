"""Collection progress over HTTP: the same figures as the progress page (oversight.selectors.progress),
for the city's or the province's dashboards. Cut to the caller's region: a region outside it is a 404."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insured import access
from oversight.forms import ProgressForm
from oversight.plugin import PROGRESS_VIEW
from oversight.selectors.progress import progress_figures
from oversight.serializers import ProgressOutput
from oversight.views.common import shown_region


class ProgressApi(APIView):
    permission_classes = [access.capability(PROGRESS_VIEW)]

    @extend_schema(
        summary="Collection progress 征缴进度 of a region for a year, beside last year at the same date",
        parameters=[
            OpenApiParameter("region", str, description="12-digit division code; default: the caller's region"),
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("date", str, description="as of this day (YYYY-MM-DD); default: today or the year's end"),
        ],
        responses={200: ProgressOutput},
    )
    def get(self, request: Request) -> Response:
        region = shown_region(request)
        form = ProgressForm(request.query_params, region=region, today=timezone.localdate())
        if not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        progress = progress_figures(region, form.cleaned_data["year"], form.cleaned_data["date"])
        return Response(ProgressOutput(progress).data)
