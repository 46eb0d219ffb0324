"""What the applicant is told about their letter requests: one notification per change, in words, on
their booking's page. Never the letter itself, a link to its file, or anything of its content: a
waived letter must not reach them by any way, and none of these needs it."""

from __future__ import annotations

from django.urls import reverse

from amo.models import Notification
from amo.services import notification_send
from applicants.models import LetterRequest

SUBJECT_MAX = Notification._meta.get_field("subject").max_length


def letter_described(letter: LetterRequest) -> str:
    """How a message names the request: its author, its Letter ID and the rotation."""
    rotation = letter.application.block.rotation
    return (
        f"your letter of recommendation from {letter.author_name} (ERAS Letter ID {letter.eras_letter_id}), "
        f"for your rotation {rotation.title} at {rotation.organization}"
    )


def letter_applicant_tell(letter: LetterRequest, *, event: str, subject: str, body: str) -> None:
    """Notify the applicant of `event` (a key part: "accepted", "uploaded:2"), once per event."""
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    notification_send(
        recipient=letter.application.applicant.user,
        key=f"letter:{letter.pk}:{event}",
        subject=subject,
        body=body,
        link=reverse("applicants:application_detail", kwargs={"pk": letter.application_id}),
    )
