"""Words for messages written in Python: numbers (templates use Django's `pluralize`), and what a
message may quote of someone's input."""

import re
from datetime import date, datetime

# C0 and C1 control characters but tab and newline: invisible, or worse (NUL), when echoed back.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def pluralize(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and its noun, singular for exactly one: "1 week", "3 weeks", "2 seats left"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def printable(text: str) -> str:
    """`text` with each control character shown as its escape ("a\\x00b"), safe to quote back."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def day_label(value: date) -> str:
    """A day as people read it everywhere (pages, emails, messages): "Dec 7, 2026", never zero-padded.
    Templates say the same with `|date:"M j, Y"`."""
    return f"{value:%b} {value.day}, {value.year}"


def moment_label(value: datetime) -> str:
    """A moment as people read it: "Dec 7, 2026 14:05" (the caller says which time zone)."""
    return f"{day_label(value)} {value:%H:%M}"
