"""The API's one error shape, produced here and nowhere else.

Every error the API gives is a JSON object:

    {"code": "...", "detail": "...", "field": "...", "errors": {...}}

- `code`: what went wrong, for programs. `invalid` means the request does not match the
  published schema (a missing field, a wrong type, a value outside its pattern); any other code
  at 400 is a check beyond the schema: a policy rule (its code from insured.rules) or a look-up
  (`beneficiary_not_found`). 401, 403, 404, 405, 415 and 429 carry DRF's codes
  (`not_authenticated`, `permission_denied`, `not_found`, ...).
- `detail`: a message for people (Chinese unless the caller chose English), naming the rule
  and its notice clause for a rule refusal.
- `field`: the input field a rule refusal concerns, when it concerns one.
- `errors`: per-field messages, `{field: [message, ...]}` (nested as the input nests), when
  the request did not match the schema.

DRF's exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]) calls `exception_handler`;
the control-character guard and the 404/500 of a URL under /api/ that no API view answers
call `error_response`, so they answer in the same shape. insured.api_schema documents it
once, as the component `Error`, and references it from every operation.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from insured.rules import RuleViolation

# The codes DRF's fields give when a value does not match its declared type, length, range or
# choices: what the schema already says. Any other code is a check beyond the schema.
SCHEMA_CODES = frozenset(
    {
        "invalid",
        "required",
        "null",
        "blank",
        "empty",
        "max_length",
        "min_length",
        "max_value",
        "min_value",
        "max_digits",
        "max_decimal_places",
        "max_whole_digits",
        "invalid_choice",
        "not_a_list",
        "not_a_dict",
        "not_a_number",
        "not_string",
        "max_string_length",
        "null_characters_not_allowed",
        "surrogate_characters_not_allowed",
        "incorrect_type",
        "date",
        "datetime",
        "make_aware",
        "overflow",
        "no_name",
        "invalid_image",
        "parse_error",
    }
)
INVALID = "invalid"


def body(code: str, detail: str, *, field: str | None = None, errors: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {"code": code, "detail": detail}
    if field:
        data["field"] = field
    if errors is not None:
        data["errors"] = errors
    return data


def _codes(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        return [code for value in tree.values() for code in _codes(value)]
    if isinstance(tree, list):
        return [code for value in tree for code in _codes(value)]
    return [str(tree)]


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    codes = _codes(exc.get_codes())
    # Input that matches the schema but fails a check beyond it (a look-up, a date window) is
    # named by the first such check; anything the schema already forbids is `invalid`.
    if codes and not set(codes) & SCHEMA_CODES:
        return body(codes[0], _first_message(detail), errors=detail)
    return body(INVALID, _("The request does not match the API's schema."), errors=detail)


def _first_message(tree: Any) -> str:
    if isinstance(tree, dict):
        for value in tree.values():
            return _first_message(value)
    if isinstance(tree, list):
        for value in tree:
            return _first_message(value)
    return str(tree)


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RuleViolation):
        return Response(body(exc.code, exc.message, field=exc.field), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a bug, answered by error_response's 500 below
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    elif isinstance(exc, exceptions.APIException):
        response.data = body(_code_of(exc), str(exc.detail))
    else:  # Django's Http404 and PermissionDenied, which DRF has turned into its own
        code = "not_found" if response.status_code == status.HTTP_404_NOT_FOUND else "permission_denied"
        response.data = body(code, str(response.data.get("detail", "")))
    return response


def error_response(request: HttpRequest | None, code: str, detail: str, status_code: int) -> JsonResponse:
    """The same shape outside DRF's views (middleware, URL resolution, a crash)."""
    return JsonResponse(body(code, detail), status=status_code, json_dumps_params={"ensure_ascii": False})


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None):
    """config.urls.handler404: a URL under /api/ that no view answers (a pk that is not a number)."""
    if is_api(request):
        return error_response(request, "not_found", _("Not found."), status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest):
    """config.urls.handler500."""
    if is_api(request):
        return error_response(
            request, "server_error", _("A server error occurred."), status.HTTP_500_INTERNAL_SERVER_ERROR
        )
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None):
    """config.urls.handler400: what Django refuses before any view (a malformed body, a bad host)."""
    if is_api(request):
        return error_response(request, "bad_request", _("Bad request."), status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def lockout(request: HttpRequest, original_response: Any = None, credentials: Any = None):
    """settings.AXES_LOCKOUT_CALLABLE: too many failed logins. The token endpoint answers in the
    API's shape (429 `locked_out`); the login page shows its page."""
    if is_api(request):
        return error_response(
            request,
            "locked_out",
            _("Too many failed attempts: this account is locked on this computer for an hour."),
            settings.AXES_HTTP_RESPONSE_CODE,
        )
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=settings.AXES_HTTP_RESPONSE_CODE)
