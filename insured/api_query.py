"""A list's filters read from the query string as strictly as a body: a serializer names them,
the schema documents them from it (`extend_schema(parameters=[TheFilters])`), and a value it
refuses is a 400 in the API's one error shape, never silently ignored."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


def read(request: Request, filters: type[serializers.Serializer]) -> dict[str, Any]:
    # A plain dict, not the QueryDict: DRF reads an empty form value as "not given", but `?year=`
    # is not a year, and the schema says so.
    serializer = filters(data=dict(request.query_params.items()))
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class Pagination(PageNumberPagination):
    """DRF's page numbers as the schema gives them, a whole number from 1: `?page=` and
    `?page=last` are refused like any other page that is not there (404), not read as pages."""

    last_page_strings = ()

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        number = request.query_params.get(self.page_query_param, "1")
        if not (number.isascii() and number.isdigit()):
            raise NotFound(_("Invalid page."))
        return number
