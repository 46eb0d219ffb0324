"""The end-of-rotation evaluation and the certificate of completion: after a booking is completed,
its preceptor (or a manager of its host, or our staff) submits the evaluation once; the certificate
is issued with it, and the applicant is told. Both are fixed from then on."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.text import day_label
from amo.validators import MAX_DESCRIPTION_CHARS, bounded_text
from applicants.models import (
    COMPETENCIES,
    MAX_WEEKLY_HOURS,
    RATINGS,
    Application,
    CompletionCertificate,
    Evaluation,
)
from applicants.selectors import may_evaluate
from applicants.services.letters import verification_code_new
from applicants.services.moves import notify_applicant
from applicants.workflow import STANDING

S = Application.Status
Attendance = Evaluation.Attendance

# A comment on one competency; the overall comment may be as long as a description.
MAX_COMPETENCY_COMMENT_CHARS = 1000
NOT_YOURS = (
    "Only the rotation's preceptor, the host organization's owners and coordinators, or our staff "
    "write the evaluation of a booking."
)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rating(value, *, field: str, name: str) -> int:
    if not _whole(value) or value not in RATINGS:
        raise DomainError(
            f"Rate {name.lower()} from 1 ({RATINGS[1].lower()}) to 5 ({RATINGS[5].lower()}).", field=field
        )
    return value


def _answers(
    *,
    application: Application,
    ratings: Mapping[str, int],
    comments: Mapping[str, str],
    hours_completed: int,
    attendance: str,
    days_missed: int,
    overall_comment: str,
) -> dict:
    """The evaluation's fields, each checked, or a DomainError naming the first one at fault."""
    answers: dict = {}
    for field, name, _ in COMPETENCIES:
        answers[field] = _rating(ratings.get(field), field=field, name=name)
        answers[f"{field}_comment"] = bounded_text(
            comments.get(field),
            field=f"{field}_comment",
            max_chars=MAX_COMPETENCY_COMMENT_CHARS,
            what=f"the comment on {name.lower()}",
        )
    weeks = application.block.weeks
    most_hours = weeks * MAX_WEEKLY_HOURS
    if not _whole(hours_completed) or hours_completed < 1:
        raise DomainError(
            "Give the hours the applicant completed, a whole number from 1.", field="hours_completed"
        )
    if hours_completed > most_hours:
        raise DomainError(
            f"A {weeks}-week rotation has at most {most_hours} hours ({MAX_WEEKLY_HOURS} a week, the "
            f"duty-hour limit); check the hours completed.",
            field="hours_completed",
        )
    answers["hours_completed"] = hours_completed
    if attendance not in Attendance.values:
        raise DomainError(
            f"Say whether the applicant {Attendance.EVERY_DAY.label.lower()} or "
            f"{Attendance.MISSED_SOME.label.lower()}.",
            field="attendance",
        )
    answers["attendance"] = attendance
    if attendance == Attendance.EVERY_DAY:
        days_missed = 0
    elif not _whole(days_missed) or not 1 <= days_missed <= weeks * 7:
        raise DomainError(
            f"Give the number of days missed, from 1 to {weeks * 7} for a {weeks}-week rotation.",
            field="days_missed",
        )
    answers["days_missed"] = days_missed
    answers["overall_comment"] = bounded_text(
        overall_comment, field="overall_comment", max_chars=MAX_DESCRIPTION_CHARS, what="the overall comment"
    )
    if not answers["overall_comment"]:
        raise DomainError("Write an overall comment on the rotation.", field="overall_comment")
    return answers


def evaluation_submit(
    *,
    application: Application,
    actor: User,
    ratings: Mapping[str, int],
    comments: Mapping[str, str],
    hours_completed: int,
    attendance: str,
    days_missed: int = 0,
    overall_comment: str,
) -> Evaluation:
    """Submit the evaluation of a completed booking and issue its certificate of completion.

    Written by the member who is the rotation's preceptor, an owner or coordinator of its host, or
    our staff; anyone else is refused. Only a completed booking is evaluated, once: a second
    evaluation, or a correction, is refused. Each competency is rated 1 to 5; the hours are at most
    the duty-hour limit for the block's weeks; days missed agree with the attendance. The
    certificate fixes the applicant's name, the rotation, the host, the preceptor, the dates and the
    hours; the applicant is told."""
    with transaction.atomic():
        # The application's row, as every change of a booking takes it: two submissions queue, and
        # the second finds the first's evaluation.
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("applicant__user", "block__rotation__organization", "block__rotation__preceptor")
            .get(pk=application.pk)
        )
        if not may_evaluate(user=actor, application=locked):
            raise DomainError(NOT_YOURS, status=403)
        if locked.status != S.COMPLETED:
            raise DomainError(
                f"A rotation is evaluated once it is completed. {STANDING[locked.status]}.", status=409
            )
        earlier = Evaluation.objects.filter(application=locked).first()
        if earlier is not None:
            raise DomainError(
                f"The evaluation of this rotation was submitted on {day_label(earlier.submitted_at)}; "
                "once submitted it cannot be changed.",
                status=409,
            )
        rotation = locked.block.rotation
        preceptor = rotation.preceptor
        if preceptor is None:
            raise DomainError(
                f"{rotation} has no preceptor named: name its preceptor first, whose evaluation it is.",
                status=409,
            )
        answers = _answers(
            application=locked,
            ratings=ratings,
            comments=comments,
            hours_completed=hours_completed,
            attendance=attendance,
            days_missed=days_missed,
            overall_comment=overall_comment,
        )
        now = timezone.now()
        evaluation = Evaluation.objects.create(
            application=locked, preceptor=preceptor, submitted_by=actor, submitted_at=now, **answers
        )
        applicant = locked.applicant
        certificate = CompletionCertificate.objects.create(
            application=locked,
            code=verification_code_new(),
            issued_at=now,
            applicant_name=applicant.legal_name or applicant.user.full_name or applicant.user.email,
            rotation_title=rotation.title,
            rotation_type=rotation.get_rotation_type_display(),
            organization_name=rotation.organization.name,
            preceptor_name=preceptor.full_name,
            preceptor_credentials=preceptor.credentials,
            starts_on=locked.block.start_date,
            ends_on=locked.block.end_date,
            hours_completed=evaluation.hours_completed,
        )
        notify_applicant(
            locked,
            "evaluation",
            f"Your evaluation for {rotation} is in",
            f"{preceptor.full_name} evaluated your rotation at {rotation.organization} "
            f"({day_label(certificate.starts_on)} to {day_label(certificate.ends_on)}). Read it on your "
            f"booking's page, and download your certificate of completion there (verification code "
            f"{certificate.code_display}).",
        )
    return evaluation
