"""The links emailed to a letter's author, who needs no account: a signed token in the address is
the only key, so what it can do is bounded here.

A token signs the letter request's id and its link generation, with a time stamp. It works for
AUTHOR_LINK_LIFETIME after it was made, for that request only (the id is inside the signature: a
changed id is a broken signature), and only while it is the newest generation: emailing a fresh link
raises the request's generation, so every older link is refused as replaced. Once the request is
final (submitted, declined, expired, withdrawn) no link of it does anything. Each refusal says which
of these it is, so the page can say it in words and offer a fresh link where one would help.
Links are never stored: each email makes its own when it is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from amo.errors import DomainError
from applicants.lor_workflow import AUTHOR_LINK_LIFETIME, FINAL, STANDING
from applicants.models import LetterRequest

LINK_SALT = "applicants.letter_author_link"

REFUSALS = {
    "expired": (
        "This link has expired: a link to a letter request works for "
        f"{AUTHOR_LINK_LIFETIME.days} days after it was emailed. We can email a fresh one to the "
        "author's address on the request."
    ),
    "tampered": (
        "This link is not valid: part of it is missing or was changed, perhaps when it was copied. "
        "Open the link from the email again; we cannot tell which letter request it was for, so "
        "there is nothing to send a fresh link for."
    ),
    "replaced": (
        "A newer link to this letter request was emailed since this one, so this one no longer "
        "works. Use the newest email, or ask for a fresh link below."
    ),
}


class LetterLinkRefused(DomainError):
    """A link that may not act: `reason` is "expired", "tampered", "replaced" or "used_up";
    `letter` is the request it names, when it can be read (never for a tampered link)."""

    def __init__(self, reason: str, letter: LetterRequest | None, message: str) -> None:
        super().__init__(message, extra={"reason": reason}, status=403 if reason == "tampered" else 410)
        self.reason = reason
        self.letter = letter


def letter_author_token(letter: LetterRequest) -> str:
    return signing.dumps(
        {"letter": letter.pk, "generation": letter.link_generation}, salt=LINK_SALT, compress=False
    )


def letter_author_url(letter: LetterRequest) -> str:
    """The absolute address of the author's page of `letter`, with a fresh signed token."""
    return settings.SITE_URL + reverse(
        "applicants:letter_author", kwargs={"token": letter_author_token(letter)}
    )


def _payload(token: str) -> tuple[dict | None, bool]:
    """The token's signed content and whether it is too old; (None, False) when the signature fails."""
    try:
        return signing.loads(token, salt=LINK_SALT, max_age=AUTHOR_LINK_LIFETIME), False
    except signing.SignatureExpired:
        return signing.loads(token, salt=LINK_SALT), True
    except signing.BadSignature:
        return None, False


def letter_author_token_read(token: str) -> LetterRequest:
    """The letter request `token` lets its holder act on, or LetterLinkRefused saying why not.

    A request that is final refuses every link (used up) before its age or generation is looked at:
    a fresh link would do nothing more.
    """
    payload, too_old = _payload(token)
    letter = None
    if isinstance(payload, dict) and isinstance(payload.get("letter"), int):
        letter = (
            LetterRequest.objects.select_related(
                "application__applicant__user", "application__block__rotation__organization", "preceptor"
            )
            .filter(pk=payload["letter"])
            .first()
        )
    if letter is None:
        raise LetterLinkRefused("tampered", None, REFUSALS["tampered"])
    if letter.status in FINAL:
        raise LetterLinkRefused(
            "used_up",
            letter,
            f"{STANDING[letter.status]}, so this link has nothing left to do. Thank you.",
        )
    if payload.get("generation") != letter.link_generation:
        raise LetterLinkRefused("replaced", letter, REFUSALS["replaced"])
    if too_old:
        raise LetterLinkRefused("expired", letter, REFUSALS["expired"])
    return letter
