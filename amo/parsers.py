"""DRF's JSON parser, bounded in what it reads (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES).

Kept apart from amo/api.py: DRF's views module reads the parser setting on import, so this module
must not import it.
"""

from django.conf import settings
from rest_framework import exceptions, parsers
from rest_framework.utils import json

# Deeper than any body of ours: a `[[[[...]]]]` probe is refused before anything walks it.
MAX_JSON_DEPTH = 32
TOO_LARGE = "The request body is too large."


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = TOO_LARGE
    default_code = "too_large"


def _read_bounded(stream, parser_context) -> bytes:
    """The body, refused with 413 past DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads the stream itself,
    so Django's own check on request.body never runs for JSON and form bodies)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    meta = parser_context["request"].META
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise RequestTooLarge()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge()
    return body


def _json_depth_check(value) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        stack.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded in size (413) and nesting (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        body = _read_bounded(stream, parser_context)
        try:
            text = body.decode(parsers.get_encoding(parser_context))
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError as error:
            raise exceptions.ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
            ) from error
        except ValueError as error:  # UnicodeDecodeError is one too
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        _json_depth_check(data)
        return data
