"""Letter requests through their services: who may ask and when, what a request fixes, the state
machine edge by edge with every refusal (nothing changes, the move is recorded), the applicant told
of each change, and who may open a letter's file."""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone

from amo.errors import DomainError
from amo.models import Notification
from applicants import services
from applicants.letter_reminders import escalation_recipients
from applicants.lor_workflow import ALREADY, ActorRole
from applicants.models import (
    KEEP_RIGHT_WORDING,
    WAIVER_WORDING,
    Application,
    LetterFileAccess,
    LetterRequest,
    LetterTransition,
    LetterVersion,
)
from tests.applicants.conftest import stored_files
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    PreceptorFactory,
    StaffFactory,
    UserFactory,
    completed_booking,
    letter_request,
    request_form_upload,
)
from tests.pdfs import letter_pdf_bytes

pytestmark = pytest.mark.django_db

S = LetterRequest.Status
LINK = ActorRole.AUTHOR_LINK


def state(letter: LetterRequest) -> tuple:
    """Everything a refused move must leave as it was."""
    row = LetterRequest.objects.values().get(pk=letter.pk)
    return (
        row,
        list(LetterTransition.objects.filter(letter_request=letter).values_list("pk", flat=True)),
        list(LetterVersion.objects.filter(letter_request=letter).values_list("pk", flat=True)),
        Notification.objects.count(),
    )


def moves(letter: LetterRequest) -> list[tuple]:
    return list(
        LetterTransition.objects.filter(letter_request=letter).values_list(
            "from_status", "to_status", "actor_role", "actor_id"
        )
    )


def refused(call, match: str, letter: LetterRequest) -> DomainError:
    before = state(letter)
    with pytest.raises(DomainError, match=match) as error:
        call()
    assert state(letter) == before
    return error.value


def upload(letter: LetterRequest, *, name: str = "Smith letter.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return services.letter_upload(
        letter=letter,
        actor=None,
        role=LINK,
        file=SimpleUploadedFile(name, letter_pdf_bytes(), "application/pdf"),
    )


# --- Asking for a letter -------------------------------------------------------------------------------


def test_a_letter_may_be_asked_from_the_15th_day_of_a_rotation_under_way_and_after_it_is_completed():
    start = date(2027, 3, 1)
    block = BlockFactory(start_date=start, apply_by=start - timedelta(days=30))
    application = ApplicationFactory(
        block=block, status=Application.Status.IN_PROGRESS, submitted_at=timezone.now()
    )
    with time_machine.travel(date(2027, 3, 14)):
        with pytest.raises(DomainError, match="from the third week of your rotation, from Mar 15, 2027"):
            letter_request(application)
        assert not LetterRequest.objects.exists()
    with time_machine.travel(date(2027, 3, 15)):
        assert letter_request(application).status == S.REQUESTED
    assert letter_request(completed_booking()).status == S.REQUESTED


@pytest.mark.parametrize("status", [Application.Status.CONFIRMED, Application.Status.CANCELLED])
def test_a_letter_is_refused_for_a_booking_not_under_way_nor_completed(status):
    application = ApplicationFactory(status=status, submitted_at=timezone.now())
    with pytest.raises(DomainError, match="rotation"):
        letter_request(application)
    assert not LetterRequest.objects.exists()


def test_only_the_applicant_of_the_booking_may_ask_for_its_letter():
    application = completed_booking()
    with pytest.raises(DomainError, match="Only the applicant of this booking") as error:
        letter_request(application, actor=UserFactory(is_applicant=True))
    assert error.value.status == 403
    assert not LetterRequest.objects.exists()


def test_the_author_is_a_preceptor_of_the_rotations_organization_the_rotations_own_by_default():
    application = completed_booking()
    assert letter_request(application).preceptor == application.block.rotation.preceptor
    with pytest.raises(DomainError, match=f"Choose a preceptor of {application.block.rotation.organization}"):
        letter_request(application, preceptor=PreceptorFactory())


@pytest.mark.parametrize("letter_id", ["ABC", "LOR 1234", "LOR_1234", "A" * 21, ""])
def test_a_letter_id_outside_the_eras_format_is_refused_in_words(letter_id):
    with pytest.raises(DomainError, match="4 to 20 letters, digits or dashes") as error:
        letter_request(eras_letter_id=letter_id)
    assert error.value.extra["fields"] == {"eras_letter_id": [error.value.message]}
    assert not LetterRequest.objects.exists()


def test_a_letter_id_is_used_by_one_open_or_submitted_request_at_a_time_whatever_its_case(private_storage):
    first = letter_request(eras_letter_id="LOR-77")
    with pytest.raises(DomainError, match="This ERAS Letter ID is already used by another letter request."):
        letter_request(eras_letter_id="lor-77")
    assert LetterRequest.objects.count() == 1
    assert len(stored_files(private_storage)) == 1  # the refused request's form is not kept
    services.letter_withdraw(letter=first, actor=first.application.applicant.user, role=ActorRole.APPLICANT)
    assert letter_request(eras_letter_id="LOR-77").status == S.REQUESTED


def test_one_open_request_per_booking_and_author():
    application = completed_booking()
    first = letter_request(application)
    with pytest.raises(
        DomainError, match="You already have an open request to this author for this rotation."
    ):
        letter_request(application)
    services.letter_decline(letter=first, actor=None, role=LINK, reason="I am away for two months.")
    assert letter_request(application).status == S.REQUESTED


def test_the_due_date_is_after_today():
    with pytest.raises(DomainError, match="Choose a due date after today."):
        letter_request(due_on=date.today())
    assert not LetterRequest.objects.exists()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"<html><body>form</body></html>", "must be a PDF"),
        (b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n", "larger than 1 MB"),
        (b"", "Attach the Letter Request Form"),
    ],
)
def test_the_letter_request_form_is_a_pdf_by_content_of_at_most_1_mb(data, match, private_storage):
    with pytest.raises(DomainError, match=match):
        letter_request(request_form=request_form_upload(data))
    assert not LetterRequest.objects.exists()
    assert stored_files(private_storage) == []


def test_the_waiver_is_fixed_on_the_request_with_its_words_and_time_by_default_the_latest_choice():
    application = completed_booking()
    applicant = application.applicant
    waived = letter_request(application)
    assert (waived.waived, waived.waiver_wording) == (True, WAIVER_WORDING)  # never chosen: waived
    assert waived.waiver_recorded_at == waived.requested_at
    services.letter_waiver_record(applicant=applicant, waived=False)
    kept = letter_request(
        application, preceptor=PreceptorFactory(organization=application.block.rotation.organization)
    )
    assert (kept.waived, kept.waiver_wording) == (False, KEEP_RIGHT_WORDING)
    # A revocation applies to later letters only.
    waived.refresh_from_db()
    assert (waived.waived, waived.waiver_wording) == (True, WAIVER_WORDING)


# --- The state machine, edge by edge ------------------------------------------------------------------


def test_accepting_is_recorded_told_and_refused_a_second_time():
    letter = letter_request()
    services.letter_accept(letter=letter, actor=None, role=LINK)
    assert letter.status == S.ACCEPTED and letter.accepted_at is not None
    assert moves(letter) == [(S.REQUESTED, S.ACCEPTED, "author_link", None)]
    news = Notification.objects.get(key=f"letter:{letter.pk}:accepted")
    assert news.recipient == letter.application.applicant.user
    assert "Dr. Jane Smith accepted" in news.subject
    refused(lambda: services.letter_accept(letter=letter, actor=None, role=LINK), ALREADY[S.ACCEPTED], letter)


def test_declining_needs_a_reason_is_told_with_it_and_is_done_once():
    letter = letter_request()
    refused(
        lambda: services.letter_decline(letter=letter, actor=None, role=LINK, reason="  "), "Say why", letter
    )
    services.letter_decline(letter=letter, actor=None, role=LINK, reason="I did not supervise this rotation.")
    assert (letter.status, letter.decline_reason) == (S.DECLINED, "I did not supervise this rotation.")
    assert moves(letter) == [(S.REQUESTED, S.DECLINED, "author_link", None)]
    assert (
        "I did not supervise this rotation."
        in Notification.objects.get(key=f"letter:{letter.pk}:declined").body
    )
    refused(
        lambda: services.letter_decline(letter=letter, actor=None, role=LINK, reason="Again"),
        ALREADY[S.DECLINED],
        letter,
    )
    refused(
        lambda: services.letter_accept(letter=letter, actor=None, role=LINK), "can no longer accept", letter
    )


def test_an_author_who_accepted_may_still_decline():
    letter = letter_request()
    services.letter_accept(letter=letter, actor=None, role=LINK)
    services.letter_decline(letter=letter, actor=None, role=LINK, reason="I fell ill.")
    assert [move[:2] for move in moves(letter)] == [(S.REQUESTED, S.ACCEPTED), (S.ACCEPTED, S.DECLINED)]


def test_confirming_the_eras_submission_takes_a_day_neither_ahead_nor_before_the_request_and_is_done_once():
    letter = letter_request()
    today = timezone.now().date()
    refused(
        lambda: services.letter_confirm_submitted(
            letter=letter, actor=None, role=LINK, eras_submitted_on=today
        ),
        "waiting for the author's answer, so you cannot confirm this letter's submission to ERAS yet",
        letter,
    )
    services.letter_accept(letter=letter, actor=None, role=LINK)
    for day, match in [
        (today + timedelta(days=1), "cannot be in the future"),
        (today - timedelta(days=1), "requested on"),
    ]:
        refused(
            lambda day=day: services.letter_confirm_submitted(
                letter=letter, actor=None, role=LINK, eras_submitted_on=day
            ),
            match,
            letter,
        )
    services.letter_confirm_submitted(letter=letter, actor=None, role=LINK, eras_submitted_on=today)
    assert (letter.status, letter.eras_submitted_on) == (S.SUBMITTED, today)
    assert moves(letter)[-1] == (S.ACCEPTED, S.SUBMITTED, "author_link", None)
    submitted = Notification.objects.get(key=f"letter:{letter.pk}:submitted")
    assert today.strftime("%b") in submitted.body
    refused(
        lambda: services.letter_confirm_submitted(
            letter=letter, actor=None, role=LINK, eras_submitted_on=today
        ),
        ALREADY[S.SUBMITTED],
        letter,
    )
    refused(lambda: upload(letter), "can no longer upload", letter)


def test_uploading_waits_for_the_acceptance_then_each_upload_is_a_new_version_until_the_submission():
    letter = letter_request()
    refused(lambda: upload(letter), "cannot upload a letter for this request yet", letter)
    services.letter_accept(letter=letter, actor=None, role=LINK)
    first = upload(letter)
    letter.refresh_from_db()
    assert (first.number, letter.status) == (1, S.UPLOADED)
    second = upload(letter, name="Smith letter signed.pdf")
    assert (second.number, second.filename) == (2, "Smith letter signed.pdf")
    assert [move[:2] for move in moves(letter)] == [(S.REQUESTED, S.ACCEPTED), (S.ACCEPTED, S.UPLOADED)]
    told = Notification.objects.filter(key__startswith=f"letter:{letter.pk}:uploaded:")
    assert told.count() == 2
    for news in told:
        assert "/letters/" not in news.body and ".pdf" not in news.body


def test_the_applicant_withdraws_an_open_request_and_no_one_else_may():
    letter = letter_request()
    applicant_user = letter.application.applicant.user
    refused(
        lambda: services.letter_withdraw(letter=letter, actor=UserFactory(), role=ActorRole.APPLICANT),
        "You may not withdraw this letter request.",
        letter,
    )
    refused(
        lambda: services.letter_withdraw(letter=letter, actor=None, role=LINK), "You may not withdraw", letter
    )
    services.letter_accept(letter=letter, actor=None, role=LINK)
    services.letter_withdraw(letter=letter, actor=applicant_user, role=ActorRole.APPLICANT)
    assert moves(letter)[-1] == (S.ACCEPTED, S.WITHDRAWN, "applicant", applicant_user.pk)
    refused(
        lambda: services.letter_withdraw(letter=letter, actor=applicant_user, role=ActorRole.APPLICANT),
        ALREADY[S.WITHDRAWN],
        letter,
    )


def test_the_applicant_or_a_stranger_may_not_act_as_the_author():
    letter = letter_request()
    for actor in (letter.application.applicant.user, UserFactory()):
        refused(
            lambda actor=actor: services.letter_accept(letter=letter, actor=actor, role=ActorRole.AUTHOR),
            "You may not accept this letter request.",
            letter,
        )
    refused(
        lambda: services.letter_accept(letter=letter, actor=UserFactory(), role=LINK), "You may not", letter
    )


def test_the_preceptor_with_an_account_answers_as_the_author():
    letter = letter_request()
    preceptor_user = UserFactory(is_host_member=True)
    letter.preceptor.user = preceptor_user
    letter.preceptor.save()
    services.letter_accept(letter=letter, actor=preceptor_user, role=ActorRole.AUTHOR)
    assert moves(letter) == [(S.REQUESTED, S.ACCEPTED, "author", preceptor_user.pk)]


# --- Who may open a letter's file ---------------------------------------------------------------------


def accepted_and_uploaded(**fields) -> tuple[LetterRequest, LetterVersion]:
    letter = letter_request(**fields)
    services.letter_accept(letter=letter, actor=None, role=LINK)
    return letter, upload(letter)


def test_the_applicant_of_a_waived_letter_may_never_open_it_and_nothing_is_logged():
    letter, version = accepted_and_uploaded(waived=True)
    with pytest.raises(DomainError, match="You waived your right to see this letter") as error:
        services.letter_file_open(version=version, actor=letter.application.applicant.user)
    assert error.value.status == 403
    assert not LetterFileAccess.objects.exists()


def test_an_applicant_who_is_also_staff_with_the_letter_permission_still_never_opens_a_letter_they_waived():
    letter, version = accepted_and_uploaded(waived=True)
    user = letter.application.applicant.user
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_letter_file"))
    with pytest.raises(DomainError, match="You waived your right to see this letter"):
        services.letter_file_open(version=version, actor=user)
    assert not LetterFileAccess.objects.exists()


def test_the_applicant_who_kept_the_right_opens_the_letter_logged():
    letter, version = accepted_and_uploaded(waived=False)
    with services.letter_file_open(
        version=version, actor=letter.application.applicant.user, page="booking"
    ) as file:
        assert file.read().startswith(b"%PDF-")
    access = LetterFileAccess.objects.get()
    assert (access.via, access.user, access.page) == (
        "applicant",
        letter.application.applicant.user,
        "booking",
    )


def test_the_author_and_staff_holding_the_permission_open_the_letter_logged_staff_without_it_do_not():
    letter, version = accepted_and_uploaded()
    author = UserFactory()
    letter.preceptor.user = author
    letter.preceptor.save()
    services.letter_file_open(version=version, actor=author).close()
    holder = UserFactory(is_staff=True)
    holder.user_permissions.add(Permission.objects.get(codename="view_letter_file"))
    services.letter_file_open(version=version, actor=holder, page="staff admin").close()
    without = UserFactory(is_staff=True)
    with pytest.raises(DomainError, match="You may not open this letter.") as error:
        services.letter_file_open(version=version, actor=without)
    assert error.value.status == 403
    assert list(LetterFileAccess.objects.order_by("opened_at", "id").values_list("via", "user")) == [
        ("author", author.pk),
        ("staff", holder.pk),
    ]


def test_escalations_go_to_the_advisor_or_without_one_to_staff_holding_the_letter_permission():
    letter = letter_request()
    holder = UserFactory(is_staff=True)
    holder.user_permissions.add(Permission.objects.get(codename="view_letter_file"))
    StaffFactory()  # a superuser who was not given it: not asked
    assert escalation_recipients(letter) == [holder.pk]
    advisor = UserFactory(is_staff=True)
    Application.objects.filter(pk=letter.application_id).update(
        advisor=advisor, advisor_assigned_at=timezone.now()
    )
    letter.application.refresh_from_db()
    assert escalation_recipients(letter) == [advisor.pk]
