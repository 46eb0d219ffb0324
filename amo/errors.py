from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import capfirst


class DomainError(Exception):
    """A business rule refused a change. Services raise it; nothing was written.

    The API renders it as {"message": ..., "extra": ...} with status 400 (amo/api.py); HTML views
    show `message` as a form or page error (amo/forms.py). `field` names the input at fault, so
    both can point at it: it becomes extra["fields"] = {field: [message]}.
    """

    def __init__(
        self, message: str, *, extra: dict | None = None, status: int = 400, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.extra = dict(extra or {})
        if field is not None:
            self.extra.setdefault("fields", {})[field] = [message]
        self.status = status


def field_label(model, name: str) -> str:
    """A model field's label as people read it: its verbose name as written, first letter upper
    ("USMLE Step 2 CK score", never str.capitalize()'s "Usmle step 2 ck score")."""
    return str(capfirst(model._meta.get_field(name).verbose_name))


def refuse_invalid(model, error: ValidationError) -> None:
    """A model's validation errors as one DomainError, each named by
    its field's label."""
    fields = error.message_dict
    field, problems = next(iter(fields.items()))
    message = problems[0]
    if field != NON_FIELD_ERRORS:
        message = f"{field_label(model, field)}: {message}"
    raise DomainError(message, extra={"fields": fields}) from error
