"""Least privilege: the three staff groups of amo/migrations/0012_staff_groups.py. Support reads and
changes nothing private; a placement coordinator opens documents, letters and evaluations, each
opening logged; finance refunds but opens no document."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from amo.models import StaffAccess
from amo.staff_groups import FINANCE, PLACEMENT_COORDINATOR, SUPPORT
from applicants.models import Evaluation, LetterFileAccess
from payments.models import Payment, Refund
from tests.applicants.letters import booking_with_author, letter_requested, letter_uploaded
from tests.applicants.test_evaluations import submit
from tests.factories import DocumentFactory, StaffFactory, completed_booking
from tests.payments.stripe_helpers import confirmed_booking

pytestmark = pytest.mark.django_db


def member_of(group: str):
    user = StaffFactory(is_superuser=False)
    user.groups.add(Group.objects.get(name=group))
    return user


def document_url(document) -> str:
    return reverse("applicants:document_file", args=[document.pk])


def letter_url(version) -> str:
    return reverse(
        "admin:applicants_letterrequest_version_file", args=[version.letter_request_id, version.number]
    )


def evaluation_url(evaluation) -> str:
    return reverse("admin:applicants_evaluation_change", args=[evaluation.pk])


@pytest.fixture
def private(private_storage):
    """A document, a letter's uploaded version and an evaluation."""
    booking = booking_with_author()
    (version,) = letter_uploaded(booking, letter_requested(booking), texts=["A fine student."])
    evaluation = submit(completed_booking(), StaffFactory())
    return DocumentFactory(), version, evaluation


def test_support_is_refused_documents_letters_and_evaluations_and_nothing_is_logged(client, private):
    document, version, evaluation = private
    client.force_login(member_of(SUPPORT))
    for url in [document_url(document), letter_url(version), evaluation_url(evaluation)]:
        assert client.get(url).status_code == 403, url
    assert not StaffAccess.objects.exists() and not LetterFileAccess.objects.exists()
    # It still reads the lists around them.
    assert client.get(reverse("admin:applicants_document_changelist")).status_code == 200
    assert client.get(reverse("admin:applicants_letterrequest_changelist")).status_code == 200


def test_a_placement_coordinator_opens_each_and_every_opening_is_logged(client, private):
    document, version, evaluation = private
    coordinator = member_of(PLACEMENT_COORDINATOR)
    client.force_login(coordinator)
    for url in [document_url(document), letter_url(version), evaluation_url(evaluation)]:
        assert client.get(url).status_code == 200, url
    logged = {
        (access.object_type.model, access.object_id, access.page) for access in StaffAccess.objects.all()
    }
    assert logged == {
        ("document", document.pk, document_url(document)),
        ("evaluation", evaluation.pk, evaluation_url(evaluation)),
    }
    assert all(access.user == coordinator for access in StaffAccess.objects.all())
    assert LetterFileAccess.objects.get().user == coordinator
    # A founder reads the log in the admin, filtered by what was opened.
    client.force_login(StaffFactory())
    evaluations = StaffAccess.objects.get(object_type__model="evaluation").object_type_id
    log = client.get(reverse("admin:amo_staffaccess_changelist"), {"object_type__id__exact": evaluations})
    assert log.status_code == 200 and log.context["cl"].result_count == 1


def test_finance_refunds_but_opens_no_document_letter_or_evaluation(client, private):
    document, version, evaluation = private
    client.force_login(member_of(FINANCE))
    for url in [document_url(document), letter_url(version), evaluation_url(evaluation)]:
        assert client.get(url).status_code == 403, url
    deposit = Payment.objects.get(application=confirmed_booking(), purpose=Payment.Purpose.DEPOSIT)
    done = client.post(
        reverse("admin:payments_payment_refund", args=[deposit.pk]), {"amount": "10.00", "note": "Goodwill."}
    )
    assert done.status_code == 302
    assert Refund.objects.get().amount_cents == 1_000


def test_support_cannot_refund_or_record_a_payout_and_nothing_changes(client):
    deposit = Payment.objects.get(application=confirmed_booking(), purpose=Payment.Purpose.DEPOSIT)
    client.force_login(member_of(SUPPORT))
    refund = reverse("admin:payments_payment_refund", args=[deposit.pk])
    assert client.get(refund).status_code == 403
    assert client.post(refund, {"amount": "10.00", "note": "Goodwill."}).status_code == 403
    payout = reverse("admin:payments_ledgerentry_record_payout")
    assert client.post(payout, {"amount": "1.00"}).status_code == 403
    deposit.refresh_from_db()
    assert not Refund.objects.exists() and deposit.refunded_cents == 0
    # Reading the money is allowed.
    assert client.get(reverse("admin:payments_payment_change", args=[deposit.pk])).status_code == 200


def test_only_the_groups_hold_what_they_need():
    def codenames(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    coordinator, finance, support = codenames(PLACEMENT_COORDINATOR), codenames(FINANCE), codenames(SUPPORT)
    assert {"view_document_file", "view_letter_file", "view_evaluation", "change_application"} <= coordinator
    assert {"add_refund", "add_ledgerentry", "view_ledgerentry"} <= finance
    assert not {"view_document_file", "view_letter_file", "view_evaluation", "view_document"} & finance
    assert not {"view_document_file", "view_letter_file", "view_evaluation"} & support
    assert all(codename.startswith("view_") for codename in support)
    assert Evaluation.objects.model._meta.model_name == "evaluation"
