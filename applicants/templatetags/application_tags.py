"""Template tags of applications."""

from django import template

from applicants.models import Application, LetterRequest

register = template.Library()

S = Application.Status
STATUS_TONES = {
    **dict.fromkeys([S.OFFERED, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED], "text-bg-success"),
    **dict.fromkeys(
        [S.REJECTED, S.WITHDRAWN, S.DECLINED, S.EXPIRED, S.CANCELLED, S.NO_SHOW, S.ENDED_EARLY],
        "text-bg-secondary",
    ),
    **dict.fromkeys([S.WAITLISTED, S.AWAITING_PAYMENT], "text-bg-warning"),
}


@register.filter
def status_tone(status: str) -> str:
    """The badge colour of an application status: good news green, ended grey, waiting (for a seat,
    for a payment) yellow."""
    return STATUS_TONES.get(status, "text-bg-primary")


L = LetterRequest.Status
LETTER_TONES = {
    L.SUBMITTED: "text-bg-success",
    **dict.fromkeys([L.DECLINED, L.EXPIRED, L.WITHDRAWN], "text-bg-secondary"),
}


@register.filter
def letter_tone(status: str) -> str:
    """The badge colour of a letter request: submitted to ERAS green, ended grey, under way blue."""
    return LETTER_TONES.get(status, "text-bg-primary")
