"""What a service says to a person (a refusal, a notification) is plain English: no Python repr
of the input ('deposit'), no stored value where its label belongs (awaiting_payment), no state
machine's "cannot be moved to". Read from the source, so a new message is checked before anyone
triggers it."""

import ast
import re
from pathlib import Path

from django.conf import settings

from amo.apps import our_app_configs

JARGON = re.compile(r"be moved to|[a-z]_[a-z]")
# A value formatted straight into a message that holds a stored choice or state, not words.
RAW_VALUE = re.compile(r"(^|\.)(\w*status|value|\w*_role|purpose|kind)$")

# Messages in modules other engineers are rewriting now; each goes when its module is reworded.
NOT_YET_REWORDED: set[tuple[str, str]] = set()


def _texts(call: ast.Call) -> list[ast.expr]:
    if isinstance(call.func, ast.Name) and call.func.id in ("DomainError", "ValidationError") and call.args:
        return [call.args[0]]
    if isinstance(call.func, ast.Name) and call.func.id == "notification_send":
        return [keyword.value for keyword in call.keywords if keyword.arg in ("subject", "body")]
    return []


def _problems(text: ast.expr) -> list[str]:
    parts = text.values if isinstance(text, ast.JoinedStr) else [text]
    found = []
    for part in parts:
        if isinstance(part, ast.Constant) and isinstance(part.value, str) and JARGON.search(part.value):
            found.append(f"says {JARGON.search(part.value).group()!r}")
        elif isinstance(part, ast.FormattedValue):
            shown = ast.unparse(part.value)
            if part.conversion == ord("r"):
                found.append(f"quotes {shown} as Python does")
            elif RAW_VALUE.search(shown) and "display" not in shown and "label" not in shown:
                found.append(f"shows the stored value {shown}")
    return found


def _messages():
    for config in our_app_configs():
        for path in Path(config.path).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for call in ast.walk(function):
                    if isinstance(call, ast.Call):
                        for text in _texts(call):
                            yield str(path.relative_to(settings.BASE_DIR)), function.name, call.lineno, text


def test_every_refusal_and_notification_is_written_in_words():
    messages = list(_messages())
    assert len(messages) > 100
    offences = [
        f"{path}:{line} ({function}): {problem}"
        for path, function, line, text in messages
        if (path, function) not in NOT_YET_REWORDED
        for problem in _problems(text)
    ]
    assert offences == []


def test_the_scan_catches_python_syntax_and_stored_values():
    call = ast.parse(
        'DomainError(f"Unknown purpose {purpose!r}: it is {application.status}, cannot be moved to x_y.")'
    )
    [text] = _texts(call.body[0].value)
    assert _problems(text) == [
        "quotes purpose as Python does",
        "shows the stored value application.status",
        "says 'be moved to'",
    ]
