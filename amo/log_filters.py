"""Filters of the log's handler (settings.LOGGING)."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx is about the request (a page not found, a permission refused, a body too large): its
    one line says so. Django attaches the exception's traceback to some (every refused
    permission), which tells nothing more and buries the server errors that need reading."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
