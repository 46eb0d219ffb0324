import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from amo.errors import DomainError
from amo.models import Notification
from applicants.models import Applicant, Application, ApplicationTransition, Document
from applicants.readiness import readiness_checklist
from applicants.selectors import suggested_documents
from applicants.services import (
    application_apply,
    application_draft_save,
    application_message_post,
    application_submit,
    application_withdraw,
    document_delete,
)
from applicants.workflow import ActorRole
from rotations.models import Block, DocumentKind, Rotation
from tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
)
from tests.waiting import a_query_waits_for_a_lock, wait_until

pytestmark = pytest.mark.django_db
S = Application.Status
STATEMENT = "I want to learn inpatient medicine in the U.S."


def _ready_applicant_and_block(**rotation_fields):
    """A graduate with Step 1 passed and verified, valid documents; a hands-on block requiring them."""
    block = BlockFactory(
        rotation__required_document_kinds=[DocumentKind.CV, DocumentKind.TB_TEST], **rotation_fields
    )
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    cv = DocumentFactory(applicant=applicant, kind=DocumentKind.CV)
    tb = DocumentFactory(applicant=applicant, kind=DocumentKind.TB_TEST, expires_on=block.end_date)
    return applicant, block, [cv, tb]


def test_a_ready_applicant_submits_and_the_fee_is_recorded_as_due():
    applicant, block, documents = _ready_applicant_and_block()
    application = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert application.status == S.SUBMITTED
    assert application.submitted_at is not None
    assert (application.application_fee_status, application.application_fee_cents) == ("due", 10_000)
    assert set(application.documents.all()) == set(documents)
    record = ApplicationTransition.objects.get(application=application)
    assert (record.from_status, record.to_status, record.actor) == (S.DRAFT, S.SUBMITTED, applicant.user)
    assert Notification.objects.filter(key=f"application:{application.pk}:submitted").exists()


def _unassign_tb_test(applicant, block, documents):
    documents.pop()


def _unverify_tb_test(applicant, block, documents):
    Document.objects.filter(pk=documents[1].pk).update(verification_status="pending")


def _tb_test_expires_before_the_last_day(applicant, block, documents):
    Document.objects.filter(pk=documents[1].pk).update(expires_on=block.end_date - timedelta(days=1))


def _step1_not_taken(applicant, block, documents):
    Applicant.objects.filter(pk=applicant.pk).update(step1_result="not_taken")


def _visa_not_accepted(applicant, block, documents):
    Applicant.objects.filter(pk=applicant.pk).update(visa_status="j1")


@pytest.mark.parametrize(
    ("spoil", "missing"),
    [
        (_unassign_tb_test, "document:tb_test"),
        (_unverify_tb_test, "document:tb_test"),
        (_tb_test_expires_before_the_last_day, "document:tb_test"),
        (_step1_not_taken, "step1"),
        (_visa_not_accepted, "visa"),
    ],
)
def test_an_unready_applicant_cannot_submit_and_stays_a_draft(spoil, missing):
    applicant, block, documents = _ready_applicant_and_block(rotation__accepted_visa_types=["b1_b2", "f1"])
    spoil(applicant, block, documents)
    applicant.refresh_from_db()
    block.refresh_from_db()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )

    with pytest.raises(DomainError) as error:
        application_submit(application=draft, actor=applicant.user)

    assert missing in [item["key"] for item in error.value.extra["missing"]]
    draft.refresh_from_db()
    assert draft.status == S.DRAFT
    assert not ApplicationTransition.objects.exists()


def test_a_draft_saved_before_applications_closed_cannot_be_submitted_after():
    applicant, block, documents = _ready_applicant_and_block()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    Block.objects.filter(pk=block.pk).update(apply_by=date.today() - timedelta(days=1))

    with pytest.raises(DomainError) as error:
        application_submit(application=draft, actor=applicant.user)

    assert "open" in [item["key"] for item in error.value.extra["missing"]]
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_the_checklist_tells_a_rejected_document_from_one_awaiting_verification():
    applicant, block, documents = _ready_applicant_and_block()
    Document.objects.filter(pk=documents[1].pk).update(
        verification_status="rejected", rejection_reason="The result is not legible"
    )
    checklist = readiness_checklist(applicant=applicant, block=block)
    [tb_test] = [item for item in checklist if item.key == "document:tb_test"]
    assert not tb_test.ok
    assert tb_test.detail == "Not accepted by our staff; upload a new one."

    Document.objects.filter(pk=documents[1].pk).update(verification_status="pending", rejection_reason="")
    [tb_test] = [
        item for item in readiness_checklist(applicant=applicant, block=block) if item.key == tb_test.key
    ]
    assert tb_test.detail == "Uploaded; waiting for verification by our staff."


def test_the_apply_form_suggests_a_pending_document_over_a_newer_rejected_one():
    applicant, block, documents = _ready_applicant_and_block()
    pending = documents[1]
    Document.objects.filter(pk=pending.pk).update(verification_status="pending")
    DocumentFactory(
        applicant=applicant,
        kind=DocumentKind.TB_TEST,
        expires_on=block.end_date,
        verification_status="rejected",
        rejection_reason="Blurred.",
    )
    vault = list(Document.objects.filter(applicant=applicant))
    assert {d.pk for d in suggested_documents(block=block, documents=vault)} == {documents[0].pk, pending.pk}


def test_a_student_may_take_a_hands_on_rotation_without_step1():
    applicant, block, documents = _ready_applicant_and_block()
    Applicant.objects.filter(pk=applicant.pk).update(
        training_status="student", graduation_year=date.today().year + 1, step1_result="not_taken"
    )
    applicant.refresh_from_db()
    application = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert application.status == S.SUBMITTED


def test_a_graduate_without_step1_may_take_an_observership():
    applicant, block, documents = _ready_applicant_and_block(
        rotation__rotation_type=Rotation.Type.OBSERVERSHIP
    )
    Applicant.objects.filter(pk=applicant.pk).update(step1_result="not_taken")
    applicant.refresh_from_db()
    application = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert application.status == S.SUBMITTED


def test_applying_needs_a_verified_email_address():
    applicant, block, documents = _ready_applicant_and_block()
    applicant.user.emailaddress_set.update(verified=False)
    with pytest.raises(DomainError, match="Verify your email"):
        application_apply(applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents)
    assert not Application.objects.exists()  # applying is all or nothing


def test_submitting_needs_a_personal_statement():
    applicant, block, documents = _ready_applicant_and_block()
    with pytest.raises(DomainError, match="personal statement"):
        application_apply(applicant=applicant, block=block, personal_statement="  ", documents=documents)


def test_documents_of_another_applicant_cannot_be_assigned():
    applicant, block, documents = _ready_applicant_and_block()
    stranger_cv = DocumentFactory()
    with pytest.raises(DomainError, match="your own vault"):
        application_draft_save(
            applicant=applicant, block=block, personal_statement="", documents=[stranger_cv]
        )
    assert not Application.objects.exists()


def test_another_user_cannot_submit_my_draft():
    applicant, block, documents = _ready_applicant_and_block()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    other = ApplicantFactory()
    EmailAddressFactory(user=other.user)
    with pytest.raises(DomainError):
        application_submit(application=draft, actor=other.user)
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


# --- One live application per applicant and block ------------------------------------------------


def test_the_database_refuses_a_second_live_application_for_the_same_block():
    first = ApplicationFactory(status=S.SUBMITTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(applicant=first.applicant, block=first.block)


def test_a_second_application_for_the_same_block_is_a_clear_refusal():
    applicant, block, documents = _ready_applicant_and_block()
    application_apply(applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents)
    with pytest.raises(DomainError) as error:
        application_apply(applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents)
    assert error.value.status == 409
    assert "already have an application" in error.value.message
    assert Application.objects.count() == 1


def test_after_withdrawing_the_applicant_may_apply_to_the_block_again():
    applicant, block, documents = _ready_applicant_and_block()
    first = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    application_withdraw(application=first, actor=applicant.user, reason="Wrong dates")
    second = application_apply(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    assert second.pk != first.pk and second.status == S.SUBMITTED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("constraint_on", [True, False], ids=["with-the-constraint", "control-without-it"])
def test_two_simultaneous_applications_for_one_block_end_with_one(constraint_on):
    """No code checks before inserting: the unique index alone decides between racing requests.

    The control drops the index and both applications get in, proving nothing else stops them.
    """
    constraint = next(
        c for c in Application._meta.constraints if c.name == "application_one_live_per_applicant_block"
    )
    applicant, block, documents = _ready_applicant_and_block()
    barrier = threading.Barrier(2)
    outcomes = []

    def apply_once():
        try:
            barrier.wait(timeout=5)
            application_apply(
                applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
            )
            outcomes.append("submitted")
        except DomainError as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    if not constraint_on:
        with connection.schema_editor() as editor:
            editor.remove_constraint(Application, constraint)
    try:
        threads = [threading.Thread(target=apply_once) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        live = Application.objects.filter(applicant=applicant, block=block).count()
    finally:
        if not constraint_on:
            Application.objects.all().delete()
            with connection.schema_editor() as editor:
                editor.add_constraint(Application, constraint)

    if constraint_on:
        assert sorted(outcomes) == ["You already have an application for this block.", "submitted"]
        assert live == 1
    else:
        assert outcomes == ["submitted", "submitted"]
        assert live == 2


@pytest.mark.django_db(transaction=True)
def test_a_document_cannot_be_deleted_while_the_application_sending_it_is_submitted():
    """The submission holds the documents it judged: the delete waits for it, then finds them sent.

    The submission's transaction is kept open until the delete has either finished (nothing held
    the document) or queued behind a lock, so the two really overlap.
    """
    applicant, block, documents = _ready_applicant_and_block()
    tb_test = documents[1]
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    judged, commit = threading.Event(), threading.Event()
    outcome = {}

    def submit():
        try:
            with transaction.atomic():
                application_submit(application=draft, actor=applicant.user)
                judged.set()
                commit.wait(timeout=20)
        finally:
            judged.set()
            connection.close()

    def delete():
        try:
            document_delete(document=tb_test, actor=applicant.user)
            outcome["delete"] = "deleted"
        except DomainError as error:
            outcome["delete"] = error.message
        finally:
            connection.close()

    submitting = threading.Thread(target=submit)
    submitting.start()
    judged.wait(timeout=20)
    deleting = threading.Thread(target=delete)
    deleting.start()
    wait_until(
        lambda: not deleting.is_alive() or a_query_waits_for_a_lock(),
        what="the delete finishing or waiting for the submission",
    )
    commit.set()
    submitting.join(timeout=20)
    deleting.join(timeout=20)

    assert "stays in your vault" in outcome["delete"]
    submitted = Application.objects.get(pk=draft.pk)
    assert submitted.status == S.SUBMITTED
    assert tb_test in submitted.documents.all()


# --- The apply page --------------------------------------------------------------------------


def test_the_apply_page_shows_costs_refund_policy_and_what_is_missing(client):
    applicant, block, documents = _ready_applicant_and_block()
    documents[1].delete()
    client.force_login(applicant.user)
    html = client.get(reverse("applicants:apply", args=[block.pk])).content.decode()
    assert "$100.00" in html and "$2,500.00" in html and "$2,600.00" in html  # fees and total
    assert f"{block.start_date:%b} {block.start_date.day}, {block.start_date.year}" in html
    assert "Not uploaded yet." in html
    assert "Not ready" in html


def test_applying_through_the_page_saves_a_draft_then_submits(client):
    applicant, block, documents = _ready_applicant_and_block()
    client.force_login(applicant.user)
    url = reverse("applicants:apply", args=[block.pk])
    form = {"personal_statement": STATEMENT, "documents": [d.pk for d in documents]}

    response = client.post(url, {**form, "action": "save"})
    assert response.status_code == 302
    draft = Application.objects.get(applicant=applicant)
    assert draft.status == S.DRAFT

    response = client.post(url, {**form, "action": "submit"}, follow=True)
    # The application fee is charged at submission: the applicant lands on its pay page.
    assert response.redirect_chain[0][0] == reverse(
        "applicants:application_pay", args=[draft.pk, "application_fee"]
    )
    told = [str(message) for message in response.context["messages"]]
    assert told[-1] == "Application submitted."
    assert "$100.00" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED
    # Coming back to the block leads to the application, not to a second one.
    assert client.get(url).url == reverse("applicants:application_detail", args=[draft.pk])


def test_the_page_refuses_an_unready_submission_explains_and_leaves_no_draft(client):
    applicant, block, documents = _ready_applicant_and_block()
    client.force_login(applicant.user)
    response = client.post(
        reverse("applicants:apply", args=[block.pk]),
        {"personal_statement": STATEMENT, "documents": [documents[0].pk], "action": "submit"},
    )
    assert response.status_code == 400
    assert "You do not meet this rotation" in response.content.decode()
    assert not Application.objects.filter(applicant=applicant).exists()


def test_a_refused_submission_through_the_page_leaves_an_existing_draft_as_it_was(client):
    applicant, block, documents = _ready_applicant_and_block()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    client.force_login(applicant.user)
    response = client.post(
        reverse("applicants:apply", args=[block.pk]),
        {"personal_statement": "Changed", "documents": [documents[0].pk], "action": "submit"},
    )
    assert response.status_code == 400
    draft.refresh_from_db()
    assert (draft.status, draft.personal_statement) == (S.DRAFT, STATEMENT)
    assert set(draft.documents.all()) == set(documents)


def _unpublish(block):
    Rotation.objects.filter(pk=block.rotation_id).update(status=Rotation.Status.DRAFT)


def _close_applications(block):
    Block.objects.filter(pk=block.pk).update(apply_by=date.today() - timedelta(days=1))


@pytest.mark.parametrize(
    ("shut", "reason"),
    [(_unpublish, "not published"), (_close_applications, "Applications closed on")],
)
def test_no_draft_is_saved_for_a_block_that_takes_no_applications(shut, reason):
    applicant, block, documents = _ready_applicant_and_block()
    shut(block)
    block.refresh_from_db()
    block.rotation.refresh_from_db()
    with pytest.raises(DomainError, match=reason) as error:
        application_draft_save(applicant=applicant, block=block, personal_statement=STATEMENT, documents=[])
    assert error.value.status == 409
    assert not Application.objects.exists()


def test_the_page_refuses_a_draft_once_applications_closed(client):
    applicant, block, documents = _ready_applicant_and_block()
    _close_applications(block)
    client.force_login(applicant.user)
    response = client.post(
        reverse("applicants:apply", args=[block.pk]),
        {"personal_statement": STATEMENT, "documents": [d.pk for d in documents], "action": "save"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Applications closed on" in html and "Draft saved." not in html
    assert not Application.objects.exists()


def test_a_block_of_an_unpublished_rotation_is_not_shown(client):
    applicant, block, documents = _ready_applicant_and_block(rotation__status=Rotation.Status.DRAFT)
    client.force_login(applicant.user)
    assert client.get(reverse("applicants:apply", args=[block.pk])).status_code == 404


def test_the_thread_opens_only_once_the_application_is_submitted():
    applicant, block, documents = _ready_applicant_and_block()
    draft = application_draft_save(
        applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents
    )
    with pytest.raises(DomainError, match="Submit the application first"):
        application_message_post(
            application=draft, author=applicant.user, role=ActorRole.APPLICANT, body="Hi"
        )
