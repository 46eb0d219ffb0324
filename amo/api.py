"""API plumbing shared by every app: the error format (the parsers are in amo/parsers.py)."""

import math
import re
from functools import wraps

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from amo.errors import DomainError
from amo.parsers import TOO_LARGE
from amo.text import pluralize, printable

# DRF's own messages that quote the input as Python prints it ("\"['deposit']\" is not a valid
# choice.") or name a Python type ("got type \"str\"", "received list"), said in words instead.
# A message a field was given in our words keeps them.
PLAIN_MESSAGES = [
    (r'".*" is not a valid (path )?choice\.', "Select a valid choice."),
    (r'Expected a list of items but got type ".*"\.', "Enter a list."),
    (r'Expected a dictionary of items but got type ".*"\.', "Enter an object of names and values."),
    (r'Invalid pk ".*" - object does not exist\.|Object with .* does not exist\.', "No such item exists."),
    (r"Incorrect type\. Expected pk value, received .*\.", "Enter the item's id, a whole number."),
    (r"Invalid data\. Expected a dictionary, but got .*\.", "Send a JSON object of named fields."),
]


def _plain(detail):
    """DRF's error detail with every message that quotes Python said in words instead."""
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    for pattern, words in PLAIN_MESSAGES:
        if re.fullmatch(pattern, str(detail), re.S):
            return exceptions.ErrorDetail(words, code=getattr(detail, "code", None))
    return detail


def _codes(detail) -> set[str]:
    if isinstance(detail, dict):
        return set().union(*(_codes(value) for value in detail.values()))
    if isinstance(detail, list):
        return set().union(*(_codes(item) for item in detail))
    return {getattr(detail, "code", None)}


def _first_problem(detail, where: str = "") -> tuple[str, str]:
    """The first message in DRF's nested error detail, and the input it is about ("documents[0]")."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = str(key) if not where else f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}"
            return _first_problem(value, inner)
        return where, "Invalid input."
    if isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                return _first_problem(item, f"{where}[{index}]")
            return where, str(item)
        return where, "Invalid input."
    return where, str(detail)


def sent_values(data) -> dict:
    """A query string's or form's values as a plain dict, one value per name, for a serializer.

    DRF reads an empty value in a QueryDict as "left out", so `?submitted_to=` or a form's empty
    `expires_on` would pass as no value at all; from a dict, "" is validated like any other value
    and refused where it is not one (a date, a choice).
    """
    return data.dict() if hasattr(data, "dict") else data


def validated_data(serializer) -> dict:
    """`serializer.is_valid(raise_exception=True)`, its refusal carrying the fields' labels, so the
    message names an input as the page does ("USMLE Step 2 CK score: ..."), not by its key."""
    if not serializer.is_valid():
        error = exceptions.ValidationError(serializer.errors)
        error.labels = _labels(serializer)
        raise error
    return serializer.validated_data


def _labels(serializer) -> dict[str, str]:
    return {name: str(field.label) for name, field in serializer.fields.items() if field.label}


def _input_label(exc, context, where: str) -> str:
    """The label of the body input `where` names ("documents[0]" is the documents' label and
    index): a serializer field's label (DRF's is the model field's verbose name as written). Query
    parameters keep their keys, which is what a client types."""
    labels = getattr(exc, "labels", None)
    view = context.get("view")
    request = context.get("request")
    reads = request is None or request.method in ("GET", "HEAD", "OPTIONS")
    if labels is None and not reads and getattr(view, "serializer_class", None) is not None:
        labels = _labels(view.get_serializer())
    key = re.split(r"[.\[]", where, maxsplit=1)[0]
    label = (labels or {}).get(key)
    return where if label is None else label + where[len(key) :]


def error_response_body(message: str, extra: dict | None = None) -> dict:
    """The API's error format; what it quotes of the input shows control characters escaped."""
    return {"message": printable(message), "extra": _printable(extra or {})}


def _printable(value):
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    return printable(value) if isinstance(value, str) else value


def exception_handler(exc, context):
    """Render every API error as {"message": str, "extra": {...}}, the message in words."""
    if isinstance(exc, DomainError):
        return Response(error_response_body(exc.message, exc.extra), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, SuspiciousOperation):
        # Django's limits on what a request may carry (DATA_UPLOAD_MAX_*), met while parsing.
        message, status = _refused_request(exc)
        return Response(error_response_body(message), status=status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.Throttled):
        # Rounded up, not down as DRF's header is: a client that waits as told is let in.
        seconds = max(1, math.ceil(exc.wait or 0))
        response["Retry-After"] = str(seconds)
        response.data = error_response_body(
            f"Too many requests. Try again in {pluralize(seconds, 'second')}."
        )
    elif isinstance(exc, exceptions.ValidationError):
        detail = _plain(exc.detail)
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        if _codes(fields) == {"does_not_exist"}:
            # Only ids that name nothing: the same 404 as an id in the path that names nothing.
            response.status_code = 404
        name, problem = _first_problem(fields)
        if name in ("", "non_field_errors"):
            message = problem
        else:
            message = f"{_input_label(exc, context, name)}: {problem}"
        response.data = error_response_body(message, {"fields": fields})
    else:
        detail = response.data.get("detail", "Error.") if isinstance(response.data, dict) else response.data
        response.data = error_response_body(_first_problem(detail)[1])
    return response


def _refused_request(exception: Exception) -> tuple[str, int]:
    """What to say, and the status, when Django refuses a request as a whole."""
    if isinstance(exception, RequestDataTooBig):
        return TOO_LARGE, 413
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return "The request carries too many fields or files.", 400
    return "Bad request.", 400


def require_methods(*methods: str):
    """Django's require_http_methods for an endpoint that programs call (the health check, Stripe's
    webhook): another method is 405 in the API's format, with Allow, not an empty HTML answer."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                allowed = " or ".join(methods)
                response = JsonResponse(
                    error_response_body(f"This address takes {allowed} only."), status=405
                )
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def bad_request(request, exception) -> JsonResponse:
    """Django's 400 in the API's format: 413 for a body past DATA_UPLOAD_MAX_MEMORY_SIZE."""
    message, status = _refused_request(exception)
    return JsonResponse(error_response_body(message), status=status)
