class DomainError(Exception):
    """A business rule refused a change. Services raise it; nothing was written.

    The API renders it as {"message": ..., "extra": ...} with status 400 (amo/api.py); HTML views
    show `message` as a form or page error.
    """

    def __init__(self, message: str, *, extra: dict | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        self.status = status
