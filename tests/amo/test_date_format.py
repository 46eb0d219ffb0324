"""One date format for people, on every page, email and notification: "Dec 7, 2026"."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client

from amo.models import Notification
from amo.services import notification_email
from amo.text import day_label
from applicants.services import application_apply, application_offer, application_start_review
from hosts import services as host_services
from payments.services import payment_start, payment_sync
from rotations.models import DocumentKind
from tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    OwnerFactory,
    RotationFactory,
)
from tests.hosts.conftest import login
from tests.payments.stripe_helpers import pay

pytestmark = pytest.mark.django_db

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
ZERO_PADDED_DAY = re.compile(rf"\b{MONTH} 0\d\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
TAG = re.compile(r"<[^>]*>")


def dates_people_should_not_read(text: str) -> list[str]:
    return ZERO_PADDED_DAY.findall(text) + ISO_DATE.findall(text)


def test_day_label_never_pads_the_day():
    assert day_label(date(2026, 12, 7)) == "Dec 7, 2026"
    assert day_label(date(2027, 2, 1)) == "Feb 1, 2027"


def test_no_page_email_or_notification_shows_a_zero_padded_or_iso_date():
    # Single-digit days everywhere: the block's start, end and apply-by, the document's expiry.
    start = (date.today() + timedelta(days=100)).replace(day=7)
    owner = OwnerFactory()
    rotation = RotationFactory(
        organization=owner.organization, required_document_kinds=[DocumentKind.CV, DocumentKind.TB_TEST]
    )
    block = BlockFactory(rotation=rotation, start_date=start, weeks=4, apply_by=start.replace(day=2))
    other_block = BlockFactory(rotation=rotation, start_date=start + timedelta(days=35), weeks=1)
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    documents = [
        DocumentFactory(applicant=applicant, kind=DocumentKind.CV),
        DocumentFactory(
            applicant=applicant,
            kind=DocumentKind.TB_TEST,
            expires_on=(start + timedelta(days=400)).replace(day=3),
        ),
    ]
    application = application_apply(
        applicant=applicant, block=block, personal_statement="Why this rotation.", documents=documents
    )
    application_start_review(application=application, actor=owner.user)
    application_offer(application=application, actor=owner.user)
    # A deposit paid on another block: the receipt (page and email), and the balance's pay page.
    paid_block = BlockFactory(rotation=rotation, start_date=start + timedelta(days=70), weeks=4)
    paid = payment_start(
        application=ApplicationFactory(applicant=applicant, block=paid_block, status="awaiting_payment"),
        purpose="deposit",
        actor=applicant.user,
    )
    pay(paid)
    payment_sync(payment_id=paid.pk)

    applicant_client = Client()
    applicant_client.force_login(applicant.user)
    host = login(Client(), owner)
    pages = {
        path: client.get(path)
        for client, paths in [
            (
                applicant_client,
                [
                    "/me/",
                    "/me/documents/",
                    f"/me/applications/{application.pk}/",
                    f"/apply/{other_block.pk}/",
                    f"/rotations/{rotation.slug}/",
                    f"/me/applications/{paid.application_id}/",
                    f"/me/applications/{paid.application_id}/pay/balance/",
                    f"/me/payments/{paid.pk}/return/",
                    f"/me/payments/{paid.pk}/receipt/",
                ],
            ),
            (
                host,
                [
                    "/host/",
                    "/host/applications/",
                    f"/host/applications/{application.pk}/",
                    f"/host/rotations/{rotation.pk}/",
                    "/host/roster/",
                    "/host/calendar/",
                ],
            ),
        ]
        for path in paths
    }
    found = {}
    for path, response in pages.items():
        assert response.status_code == 200, path
        text = TAG.sub(" ", response.content.decode())
        found[path] = dates_people_should_not_read(text)
    invitation = host_services.invitation_create(
        organization=owner.organization, invited_by=owner.user, email="new@example.test", role="coordinator"
    )
    host_services.invitation_email(invitation_id=invitation.pk)
    for notification in Notification.objects.all():
        notification_email(notification_id=notification.pk)  # what the worker does after commit
    for message in mail.outbox:
        found[f"email {message.subject}"] = dates_people_should_not_read(f"{message.subject}\n{message.body}")
    for notification in Notification.objects.all():
        found[f"notification {notification.key}"] = dates_people_should_not_read(
            f"{notification.subject}\n{notification.body}"
        )
    assert len(mail.outbox) >= 4
    assert {where: dates for where, dates in found.items() if dates} == {}
    # And the pages do show the block's dates, in the one format.
    assert day_label(start) in TAG.sub(" ", pages[f"/me/applications/{application.pk}/"].content.decode())
