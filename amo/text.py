"""Words around numbers, for messages written in Python (templates use Django's `pluralize`)."""


def pluralize(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and its noun, singular for exactly one: "1 week", "3 weeks", "2 seats left"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
