"""What the published schema says about every operation, in one place (issue 17).

drf-spectacular describes each view's parameters, bodies and successful answers from its
serializers and `extend_schema`. This module adds what is true of every API view and must not
be copied view by view:

- the answers every operation can give besides its success, all in the one error shape
  (insured.api_errors, the component `Error`): 400 (input that does not match the schema, a
  refused rule, a control character), 401 with `WWW-Authenticate` (no or a bad credential), 403
  (a role that may not), 404 (an id outside the caller's region, or none), 415 (a body that is not
  the declared media type), 413 where a view declares it, 429 (throttled);
- which roles may call an operation (`x-roles`, and a sentence in its description), read from the
  capability its permission names and the grants the apps register (insured.plugins);
- the constraints the API enforces on text input: a required text is not blank and no text
  carries NUL (DRF's CharField refuses both);
- links from a list to the detail and the steps of the objects it returns
  (`postprocess_links`, a SPECTACULAR_SETTINGS postprocessing hook), so a client, and
  Schemathesis's stateful tests, can follow them.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from insured import plugins

# Set while a serializer is being described, so that its fields are all of them, not a caller's.
DOCUMENTING: ContextVar[bool] = ContextVar("documenting", default=False)
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Not blank once trimmed, and no NUL: what a DRF CharField (allow_blank=False) accepts.
TEXT_PATTERN = r"^[^\x00]*[^\s\x00\x85][^\x00]*$"
TEXT_PATTERN_BLANK_OK = r"^[^\x00]*$"
QUERY_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"

ERROR_DESCRIPTIONS = {
    "400": "Refused: `code` is `invalid` when the request does not match this schema (`errors` by field), "
    "or a rule's or look-up's code (the rule and its notice clause in `detail`); nothing was changed.",
    "401": "No credential, or a bad or expired one; `WWW-Authenticate` names the scheme.",
    "403": "The caller's role may not do this (see x-roles).",
    "404": "Not found, or outside the caller's region.",
    "413": "The body is larger than this operation accepts.",
    "415": "The body is not of a media type this operation accepts.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}
CHALLENGE = {
    "WWW-Authenticate": {"schema": {"type": "string"}, "description": "the authentication scheme to use"},
}


class PensionAutoSchema(AutoSchema):
    def _permissions(self) -> list[Any]:
        try:
            return list(self.view.get_permissions())
        except Exception:  # a view whose permissions need a real request: document the strictest
            return []

    def _is_public(self) -> bool:
        permissions = self._permissions()
        return bool(permissions) and all(isinstance(p, AllowAny) for p in permissions)

    def roles(self) -> list[str] | None:
        capabilities = {getattr(p, "capability", None) for p in self._permissions()} - {None}
        if not capabilities:
            return None
        grants = plugins.all_capabilities()
        return sorted(role for role, held in grants.items() if capabilities <= held)

    def get_description(self) -> str:
        description = super().get_description()
        roles = self.roles()
        if roles:
            description = f"{description}\n\nRoles: {', '.join(roles)}.".strip()
        return description

    def get_extensions(self) -> dict[str, Any]:
        extensions = dict(super().get_extensions() or {})
        roles = self.roles()
        if roles is not None:
            extensions["x-roles"] = roles
        return extensions

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        wanted = ["400"]
        if not self._is_public():
            wanted += ["401", "403"]
        elif type(self.view).get_authenticate_header is not APIView.get_authenticate_header:
            wanted.append("401")  # a public view that checks a credential itself (the token login)
        if re.search(r"{\w+}", self.path) or self._paginated():
            wanted.append("404")  # no such object in the caller's region; a page past the last
        if self._get_request_body():
            wanted.append("415")
        if getattr(self.view, "throttle_classes", None):
            wanted.append("429")
        for code in {*wanted, *(c for c in responses if c.startswith("4"))}:
            responses[code] = self._error_response(code, responses.get(code))
        return dict(sorted(responses.items()))

    def _paginated(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "integer" and (parameter["name"] == "page" or parameter["in"] == "path"):
                schema["minimum"] = 1  # a page or an id: <int:pk> takes no sign
            elif (
                parameter["in"] in ("query", "path")
                and schema.get("type") == "string"
                and not ({"enum", "pattern", "format"} & set(schema))
            ):
                # The control-character guard (insured.middleware) refuses these in a URL.
                schema["pattern"] = QUERY_TEXT_PATTERN
        return parameters

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        # The schema is the same whoever asks: every field a caller may get is in it, and those
        # that follow a capability (insured.serializers.CapabilityFields) are not required.
        token = DOCUMENTING.set(True)
        try:
            schema = super()._map_basic_serializer(serializer, direction)
        finally:
            DOCUMENTING.reset(token)
        optional = {
            name
            for names in getattr(getattr(serializer, "Meta", None), "capability_fields", {}).values()
            for name in names
        }
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        if direction == "request" and getattr(serializer, "closed", False):
            schema["additionalProperties"] = False  # its parser refuses a field it does not know
        return schema

    def _error_response(self, code: str, declared: dict[str, Any] | None) -> dict[str, Any]:
        description = (declared or {}).get("description") or ERROR_DESCRIPTIONS.get(code, "")
        content = (declared or {}).get("content") or {}
        schema = next(iter(content.values()), {}).get("schema")
        # A view may declare a richer body for a code (the tax push's errors by notice); it must
        # still be the one shape, so it is the Error component extended, never another shape.
        body = {"allOf": [ERROR_REF, schema]} if schema and schema != ERROR_REF else ERROR_REF
        response: dict[str, Any] = {"content": {"application/json": {"schema": body}}, "description": description}
        if code == "401":
            response["headers"] = CHALLENGE
        return response

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and getattr(field, "schema_pattern", None):
            schema["pattern"] = field.schema_pattern
        elif (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.read_only
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "enum" not in schema
            and "format" not in schema
        ):
            schema["pattern"] = TEXT_PATTERN_BLANK_OK if field.allow_blank else TEXT_PATTERN
        return schema


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The one error shape of the API (insured.api_errors).",
    "properties": {
        "code": {
            "type": "string",
            "description": "`invalid`: the request does not match this schema; another code at 400: a policy rule "
            "(insured.rules) or a look-up refused it; at 401, 403, 404, 405, 413, 415 and 429 DRF's codes "
            "(not_authenticated, authentication_failed, permission_denied, not_found, throttled, ...)",
        },
        "detail": {"type": "string", "description": "for people; a rule refusal names the rule and its notice clause"},
        "field": {"type": "string", "description": "the input field a rule refusal concerns"},
        "errors": {
            "description": "per-field messages {field: [message, ...]} when the request does not match the schema "
            "(nested as the input nests); for a refused tax batch, the list of its errors by notice",
            "anyOf": [
                {"type": "object", "additionalProperties": True},
                {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            ],
        },
    },
    "required": ["code", "detail"],
}


def postprocess_error_component(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """The Error component every operation references."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    return result


_PARAM = re.compile(r"{(\w+)}")


def _success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for code in ("200", "201", "202"):
        response = operation.get("responses", {}).get(code)
        if response:
            return code, response
    return None


def _object_of(result: dict[str, Any], response: dict[str, Any]) -> tuple[str, set[str]] | None:
    """Where the object an answer returns is (`` or `/results/0` in a page), and its fields."""
    schemas = result.get("components", {}).get("schemas", {})
    schema = next(iter(response.get("content", {}).values()), {}).get("schema", {})
    component = schemas.get(_component(schema), {}) if "$ref" in schema else schema
    properties = component.get("properties", {})
    if "results" in properties and properties["results"].get("type") == "array":
        item = schemas.get(_component(properties["results"].get("items", {})), {})
        return "/results/0", set(item.get("properties", {}))
    return ("", set(properties)) if properties else None


def _component(schema: dict[str, Any]) -> str:
    return schema.get("$ref", "").rsplit("/", 1)[-1]


def _returns(operation: dict[str, Any]) -> str:
    success = _success(operation)
    return _component(next(iter(success[1].get("content", {}).values()), {}).get("schema", {})) if success else ""


def _bases(path: str, operation: dict[str, Any], paths: dict[str, Any]) -> list[str]:
    """The collections whose objects an answer returns: `/x/` for a list or a create at `/x/`; `/x/`
    for a step at `/x/{id}/step/` that answers with the object itself (what `GET /x/{id}/` gives);
    `/a/b/` for `/a/x/{id}/b/`, a sub-collection whose objects live at `/a/b/{id}/`."""
    if not _PARAM.search(path):
        return [path]
    base = _PARAM.split(path)[0]
    bases = []
    detail = next((p for p in paths if p.startswith(base + "{") and p.count("/") == base.count("/") + 1), None)
    if detail and _returns(operation) and _returns(operation) == _returns(paths[detail].get("get", {})):
        bases.append(base)
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    if not _PARAM.fullmatch(tail):
        sibling = base.rstrip("/").rsplit("/", 1)[0] + f"/{tail}/"
        if any(p.startswith(sibling + "{") for p in paths):
            bases.append(sibling)
    return bases


def postprocess_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """OpenAPI links from an answer that returns objects (a list's page, a created or changed
    object) to every operation on one of them, so a client (and Schemathesis's stateful run)
    can go from `GET /x/` or `POST /x/` to `GET /x/{id}/`, `POST /x/{id}/approve/`, ..."""
    paths = result.get("paths", {})
    for path, item in paths.items():
        for method, operation in item.items():
            # A step on one object (`POST /x/{id}/approve/`) starts no walk: reached with a drawn
            # id it finds nothing, and it is reached from the list and the detail anyway.
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if method != "get" and _PARAM.search(path):
                continue
            success = _success(operation)
            returned = _object_of(result, success[1]) if success else None
            if returned is None:
                continue
            prefix, fields = returned
            links = {}
            for base in _bases(path, operation, paths):
                for target_path, target_item in paths.items():
                    names = _PARAM.findall(target_path)
                    if len(names) != 1 or not target_path.startswith(base + "{") or names[0] not in fields:
                        continue
                    for target in target_item.values():
                        if isinstance(target, dict) and "operationId" in target and target is not operation:
                            links[target["operationId"]] = {
                                "operationId": target["operationId"],
                                "parameters": {names[0]: f"$response.body#{prefix}/{names[0]}"},
                            }
            if links:
                success[1]["links"] = links
    return result
