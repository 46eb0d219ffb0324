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
