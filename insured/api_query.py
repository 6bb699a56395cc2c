"""A list's filters read from the query string as strictly as a body: a serializer names them,
the schema documents them from it (`extend_schema(parameters=[TheFilters])`), and a value it
refuses is a 400 in the API's one error shape, never silently ignored."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request


def read(request: Request, filters: type[serializers.Serializer]) -> dict[str, Any]:
    serializer = filters(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
