"""Shared by the host pages."""

from django.contrib import messages

from amo.errors import DomainError

PAGE_SIZE = 25


def fail(request, error: DomainError) -> None:
    """Show a refused change as a page error."""
    messages.error(request, error.message)
