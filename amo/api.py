"""API plumbing shared by every app: the error format."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from amo.errors import DomainError


def exception_handler(exc, context):
    """Render every API error as {"message": str, "extra": {...}}."""
    if isinstance(exc, DomainError):
        return Response({"message": exc.message, "extra": exc.extra}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first = next(iter(fields.items()), None)
        message = "Invalid input."
        if first is not None:
            name, problems = first
            problem = problems[0] if isinstance(problems, list) and problems else problems
            message = f"{problem}" if name == "non_field_errors" else f"{name}: {problem}"
        response.data = {"message": message, "extra": {"fields": fields}}
    else:
        detail = response.data.get("detail", "Error.") if isinstance(response.data, dict) else response.data
        response.data = {"message": str(detail), "extra": {}}
    return response
