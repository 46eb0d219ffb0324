"""Verified reviews: the applicant of a completed booking reviews it once; the host answers once,
in public; our staff hide a review with a recorded reason, or show it again. Each change tells the
other side and refreshes the track records the review counts in (hosts.track_records)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.transactions import transaction_required
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import (
    MAX_REVIEW_ANSWER_CHARS,
    MAX_REVIEW_CHARS,
    RATING_MAX,
    RATING_MIN,
    REVIEW_RATINGS,
    Application,
    Review,
)
from applicants.services.moves import notify_applicant, notify_host
from applicants.workflow import STANDING, ActorRole, actor_holds_role
from hosts.track_records import track_records_refresh

S = Application.Status


def _refresh(application: Application) -> None:
    rotation = application.block.rotation
    track_records_refresh(
        organization_id=rotation.organization_id, preceptor_id=rotation.preceptor_id, rotation_id=rotation.pk
    )


def _ratings_checked(ratings: dict) -> dict[str, int]:
    checked = {}
    for field, label in REVIEW_RATINGS.items():
        value = ratings.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
            raise DomainError(
                f"Rate {label.lower()} from {RATING_MIN} (poor) to {RATING_MAX} (excellent).", field=field
            )
        checked[field] = value
    return checked


def review_submit(
    *,
    application: Application,
    actor: User,
    teaching_rating: int,
    hands_on_rating: int,
    organization_rating: int,
    value_rating: int,
    text: str,
) -> Review:
    """The applicant reviews their completed booking: four ratings from 1 to 5 and a few words.
    Only the applicant of a completed booking, and only once (the database's one review per booking
    says the same); the host is told."""
    ratings = _ratings_checked(
        {
            "teaching_rating": teaching_rating,
            "hands_on_rating": hands_on_rating,
            "organization_rating": organization_rating,
            "value_rating": value_rating,
        }
    )
    text = bounded_text(text, field="text", max_chars=MAX_REVIEW_CHARS, what="your review")
    if not text:
        raise DomainError("Write a few words about the rotation for future applicants.", field="text")
    with transaction.atomic():
        # The application's row, as every change of the booking takes it: two tries at once queue,
        # and the second finds the first one's review.
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("applicant__user", "block__rotation__organization")
            .get(pk=application.pk)
        )
        if not actor_holds_role(locked, actor, ActorRole.APPLICANT):
            raise DomainError("Only the applicant who completed this rotation can review it.", status=403)
        if locked.status != S.COMPLETED:
            raise DomainError(
                f"{STANDING[locked.status]}: only a completed rotation can be reviewed.", status=409
            )
        if Review.objects.filter(application=locked).exists():
            raise DomainError("You already reviewed this rotation: one review per booking.", status=409)
        review = Review.objects.create(application=locked, text=text, **ratings)
        rotation = locked.block.rotation
        notify_host(
            locked,
            f"review:{review.pk}",
            f"New review: {rotation}",
            f"{locked.applicant} reviewed {rotation} ({review.completed_label.lower()}). You may answer "
            "it once, in public, from the reviews page of your dashboard.",
        )
        _refresh(locked)
    return review


def _review_locked(review: Review) -> Review:
    transaction_required("_review_locked")
    return (
        Review.objects.select_for_update(of=("self",))
        .select_related("application__applicant__user", "application__block__rotation__organization")
        .get(pk=review.pk)
    )


def review_answer(*, review: Review, actor: User, text: str) -> Review:
    """An owner or coordinator of the rotation's organization answers a review, in public, once;
    the applicant is told. A review our staff hid takes no answer."""
    text = bounded_text(text, field="answer", max_chars=MAX_REVIEW_ANSWER_CHARS, what="your answer")
    if not text:
        raise DomainError("Write your answer first.", field="answer")
    with transaction.atomic():
        locked = _review_locked(review)
        application = locked.application
        if not actor_holds_role(application, actor, ActorRole.HOST):
            raise DomainError(
                "Only an owner or coordinator of the host organization can answer this review.", status=403
            )
        if locked.answered_at is not None:
            raise DomainError(
                "This review already has your answer: a host answers a review once.", status=409
            )
        if locked.is_hidden:
            raise DomainError("Our staff hid this review, so it takes no answer.", status=409)
        locked.answer, locked.answered_at, locked.answered_by = text, timezone.now(), actor
        locked.save(update_fields=["answer", "answered_at", "answered_by"])
        rotation = application.block.rotation
        notify_applicant(
            application,
            f"review:{locked.pk}:answered",
            f"{rotation.organization} answered your review",
            f"{rotation.organization} answered your review of {rotation}:\n\n{text}",
        )
        # The answer shows on the rotation's page, which the catalog's cache may hold.
        _refresh(application)
    return locked


def _staff_checked(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise DomainError("Only our staff can hide or show a review.", status=403)


def review_hide(*, review: Review, actor: User, reason: str) -> Review:
    """Our staff hide a review from every public page and the API, saying why; it no longer counts
    in track records. The applicant is told the reason."""
    _staff_checked(actor)
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Say why the review is hidden.", field="reason")
    with transaction.atomic():
        locked = _review_locked(review)
        if locked.is_hidden:
            raise DomainError("This review is already hidden.", status=409)
        locked.hidden_at, locked.hidden_reason, locked.hidden_by = timezone.now(), reason, actor
        locked.save(update_fields=["hidden_at", "hidden_reason", "hidden_by"])
        application = locked.application
        notify_applicant(
            application,
            f"review:{locked.pk}:hidden:{locked.hidden_at.isoformat()}",
            f"Your review of {application.block.rotation} is hidden",
            f"Our staff hid your review of {application.block.rotation} from the public."
            f"\n\nTheir reason: {reason}",
        )
        _refresh(application)
    return locked


def review_unhide(*, review: Review, actor: User) -> Review:
    """Our staff show a hidden review again; the applicant is told."""
    _staff_checked(actor)
    with transaction.atomic():
        locked = _review_locked(review)
        if not locked.is_hidden:
            raise DomainError("This review is not hidden.", status=409)
        locked.hidden_at, locked.hidden_reason, locked.hidden_by = None, "", None
        locked.save(update_fields=["hidden_at", "hidden_reason", "hidden_by"])
        application = locked.application
        notify_applicant(
            application,
            f"review:{locked.pk}:shown:{timezone.now().isoformat()}",
            f"Your review of {application.block.rotation} is shown again",
            f"Our staff show your review of {application.block.rotation} to the public again.",
        )
        _refresh(application)
    return locked
