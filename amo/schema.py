"""The OpenAPI schema says every status an operation answers, not only its success.

One general rule instead of a decorator on every view: each operation documents the refusals it
can give in the API's error format (amo/api.py), decided from what the view is. A view still names
its own extra statuses (a 503 from Stripe, a 404 for an id in its body) with extend_schema.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from amo.validators import validate_single_line

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorSerializer(serializers.Serializer):
    """The API's one error format."""

    message = serializers.CharField(help_text="What went wrong, in words a person reads.")
    extra = serializers.DictField(
        help_text='More about it: `fields` maps each refused input to its messages ({"kind": ["..."]}).'
    )

    class Meta:
        ref_name = "Error"


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_REQUEST = error("The request is not valid: `message` says why, `extra.fields` names each input.")
UNAUTHORIZED = error("No credentials, or a token that is unknown, expired or revoked.")
FORBIDDEN = error("Signed in, but this account may not do this (its role, or two-factor authentication).")
NOT_FOUND = error("No such object among yours (another account's is the same 404), or no such page.")
CONFLICT = error("Not possible in the object's current state (e.g. an offer that has expired).")
TOO_LARGE = error("The request body is too large.")
UNSUPPORTED = error("The body's content type is not one this operation reads.")
TOO_MANY = error("Too many requests: wait the seconds `Retry-After` says, then try again.")
UNAVAILABLE = error("A service AMO depends on (Stripe) did not answer; nothing was changed. Try again.")


# What amo.text.breaks_one_line refuses, as a JSON Schema pattern: C0 and C1 controls, lone
# surrogates, the line and paragraph separators, and the bidirectional controls. At least one
# character: drf-spectacular offers blank as the other choice where a field allows it.
SINGLE_LINE_PATTERN = (
    "^[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]+$"
)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, adding to each operation the error statuses it can answer."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A one-line text input (amo.validators.validate_single_line) says so with a pattern."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        single_line = validate_single_line in getattr(field, "validators", ())
        # What the server accepts: responses carry no input rules.
        if direction == "request" and single_line and schema.get("type") == "string":
            schema.setdefault("pattern", SINGLE_LINE_PATTERN)
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            responses.setdefault(
                str(code), self._get_response_for_code(response, str(code), direction=direction)
            )
        return responses

    def _error_responses(self) -> dict[int, OpenApiResponse]:
        public = all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        takes_body = self.method in UNSAFE
        # Every request is read through the token authentication first: a bad token is a 401 anywhere.
        answers = {401: UNAUTHORIZED, 429: TOO_MANY}
        if takes_body or self._get_filter_parameters() or self._has_query_parameters():
            answers[400] = BAD_REQUEST
        if not public:
            answers[403] = FORBIDDEN
        # An id that names nothing of yours, in the path or in the body, is a 404.
        if "{" in self.path or takes_body or self._is_paginated_list():
            answers[404] = NOT_FOUND
        if takes_body:
            answers.update({409: CONFLICT, 413: TOO_LARGE, 415: UNSUPPORTED})
        return answers

    def _has_query_parameters(self) -> bool:
        return any(
            parameter.get("in") == "query"
            for parameter in self._get_parameters()
            if isinstance(parameter, dict)
        )

    def _is_paginated_list(self) -> bool:
        # A page past the last is a 404 (DRF's page number pagination).
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None

    def _get_filter_parameters(self):
        """django-filter's parameters as its filters read them: within their bounds (min_value,
        max_value), and empty for "any"."""
        parameters = super()._get_filter_parameters()
        filterset = getattr(self.view, "filterset_class", None)
        filters = filterset.base_filters if filterset is not None else {}
        for parameter in parameters:
            extra = getattr(filters.get(parameter["name"]), "extra", {})
            bounds = {"minimum": extra.get("min_value"), "maximum": extra.get("max_value")}
            parameter["schema"].update({key: value for key, value in bounds.items() if value is not None})
            if extra.get("decimal_places") == 0 and parameter["schema"].get("type") == "number":
                parameter["schema"]["type"] = "integer"
            # django-filter reads an empty value as no filter, as a page's form sends an unset one.
            if "enum" in parameter["schema"]:
                parameter["schema"]["enum"] = [*parameter["schema"]["enum"], ""]
            elif "format" in parameter["schema"] or "pattern" in parameter["schema"]:
                parameter["schema"] = {"anyOf": [parameter["schema"], {"type": "string", "maxLength": 0}]}
        return parameters

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before the next request.",
            }
        return headers
