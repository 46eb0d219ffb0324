"""Words for messages written in Python: numbers (templates use Django's `pluralize`), and what a
message may quote of someone's input."""

import re
import unicodedata
from datetime import date, datetime

# C0 and C1 control characters but tab and newline: invisible, or worse (NUL), when echoed back.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# What breaks a line or a header, or hides what text says: C0 and C1 controls (CR, LF, tab, NUL...),
# lone surrogates, the Unicode line and paragraph separators, and the bidirectional embeddings,
# overrides and isolates that make a name read backwards. Other invisible format characters stay
# allowed: the zero-width joiners belong to names written in Persian, Hindi and other scripts.
_NOT_ONE_LINE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def breaks_one_line(character: str) -> bool:
    """Whether `character` has no place in text that must stay on one line (a name, a subject)."""
    return character in _BIDI_CONTROLS or unicodedata.category(character) in _NOT_ONE_LINE_CATEGORIES


def one_line(text: str) -> str:
    """`text` on one line: each run of blanks and characters that break a line becomes one space."""
    return " ".join("".join(" " if breaks_one_line(c) else c for c in text).split())


def pluralize(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and its noun, singular for exactly one: "1 week", "3 weeks", "2 seats left"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def in_words(items: list[str]) -> str:
    """A list as a sentence says it: "Ada", "Ada and Ben", "Ada, Ben and Cy"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


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
