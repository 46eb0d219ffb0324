"""Every email speaks as the product: subject, sender and body name AMO and its address, never
django.contrib.sites' example.com (which reads as phishing). tests/conftest.py reads every email
the suite sends for the placeholder; here each kind is sent and read for what it must say."""

from email import message_from_bytes
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.conf import settings
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from amo.models import Notification
from amo.services import notification_email, notification_send
from applicants.models import Applicant
from applicants.services import application_apply
from hosts.services import invitation_email
from rotations.models import Rotation
from tests.factories import PASSWORD, EmailAddressFactory, InvitationFactory, UserFactory
from tests.hosts.test_applicant_news import STATEMENT, _host_with_every_kind_of_member, _ready_applicant
from tests.hosts.test_mfa import current_code, log_in_through_allauth
from tests.mail import assert_no_placeholder_site, email_text
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-unusual-passphrase-42"


def assert_speaks_as_amo(message) -> None:
    assert message.subject.startswith("[AMO] "), message.subject
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "AMO" in message.body
    assert settings.SITE_URL in message.body
    assert_no_placeholder_site(email_text(message))


@pytest.fixture
def forget_the_site_cache():
    yield
    Site.objects.clear_cache()


def test_the_site_is_named_and_addressed_from_settings():
    site = Site.objects.get_current()
    assert (site.pk, site.name, site.domain) == (settings.SITE_ID, "AMO", "127.0.0.1:8000")


def test_the_site_follows_changed_settings_at_the_next_migrate(settings, forget_the_site_cache):
    Site.objects.get_current()  # primed cache, as a running server has it
    settings.SITE_URL, settings.SITE_NAME = "https://rotations.amo.test", "AMO Rotations"

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("AMO Rotations", "rotations.amo.test")
    assert Site.objects.count() == 1


def test_a_flushed_site_table_comes_back_as_the_product_not_example_com(forget_the_site_cache):
    """A test flush (transactional tests) empties the table; django.contrib.sites then recreates
    example.com on post_migrate, and ours runs after it."""
    Site.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert list(Site.objects.values_list("name", "domain")) == [("AMO", "127.0.0.1:8000")]


def _allauth_email_templates() -> list[str]:
    """Every email allauth's installed apps (account, mfa) can send, by template prefix."""
    root = Path(allauth.__file__).parent / "templates"
    return sorted(
        str(path.relative_to(root)).removesuffix("_message.txt")
        for app in ("account", "mfa")
        for path in (root / app / "email").glob("*_message.txt")
        if not path.name.startswith("base_")
    )


@pytest.mark.parametrize("template_prefix", _allauth_email_templates())
def test_every_email_allauth_can_send_speaks_as_amo(rf, template_prefix):
    user = UserFactory(email="amaka@example.test")
    context = {
        "user": user,
        "activate_url": f"{settings.SITE_URL}/accounts/confirm-email/key/",
        "password_reset_url": f"{settings.SITE_URL}/accounts/password/reset/key/1-x/",
        "signup_url": f"{settings.SITE_URL}/accounts/signup/",
        "code": "ABC123",
        "from_email": "old@example.test",
        "to_email": "amaka@example.test",
        "deleted_email": "old@example.test",
        "ip": "203.0.113.9",
        "user_agent": "Firefox",
        "timestamp": "now",
    }
    with allauth_context.request_context(rf.get("/")):
        get_adapter().send_mail(template_prefix, user.email, context)

    [message] = mail.outbox
    assert message.body.startswith("Hello from AMO,")
    assert_speaks_as_amo(message)


# --- Each kind through the flow that sends it ---------------------------------------------------


def _verified_user():
    user = UserFactory(email="amaka@example.test")
    EmailAddressFactory(user=user)
    return user


def _sign_up(client):
    client.post(
        reverse("account_signup"),
        {
            "account_type": "applicant",
            "full_name": "Amaka Obi",
            "email": "amaka@example.test",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )


def _sign_up_again_with_a_taken_address(client):
    _verified_user()
    _sign_up(client)


def _reset_password(client):
    _verified_user()
    client.post(reverse("account_reset_password"), {"email": "amaka@example.test"})


def _reset_the_password_of_an_unknown_address(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})


def _change_email(client):
    client.force_login(_verified_user())
    client.post(reverse("account_email"), {"action_add": "", "email": "new@example.test"})


def _change_password(client):
    client.force_login(_verified_user())
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def _activate_totp(client):
    user = UserFactory(email="amaka@example.test")
    log_in_through_allauth(client, user)
    ask = client.get(reverse("mfa_activate_totp"))
    client.post(ask["Location"], {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    client.post(reverse("mfa_activate_totp"), {"code": current_code(client.session[SECRET_SESSION_KEY])})


def _a_notification(client):
    sent = notification_send(recipient=_verified_user(), key="k", subject="Your offer", body="An offer.")
    notification_email(notification_id=sent.pk)


def _an_invitation(client):
    invitation_email(invitation_id=InvitationFactory(invited_by=_verified_user()).pk)


@pytest.mark.parametrize(
    ("send", "subject"),
    [
        (_sign_up, "[AMO] Please Confirm Your Email Address"),
        (_sign_up_again_with_a_taken_address, "[AMO] Account Already Exists"),
        (_reset_password, "[AMO] Password Reset Email"),
        (_reset_the_password_of_an_unknown_address, "[AMO] Unknown Account"),
        (_change_email, "[AMO] Please Confirm Your Email Address"),
        (_change_password, "[AMO] Password Changed"),
        (_activate_totp, "[AMO] Authenticator App Activated"),
        (_a_notification, "[AMO] Your offer"),
        (_an_invitation, "[AMO] Join "),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_each_email_we_send_speaks_as_amo(client, django_capture_on_commit_callbacks, send, subject):
    with django_capture_on_commit_callbacks(execute=True):  # some are sent once the change commits
        send(client)

    assert mail.outbox, "nothing was sent"
    assert any(message.subject.startswith(subject) for message in mail.outbox), [
        m.subject for m in mail.outbox
    ]
    for message in mail.outbox:
        assert_speaks_as_amo(message)


def test_the_check_on_every_email_catches_the_placeholder_site(client, forget_the_site_cache):
    """Proof that the net in tests/conftest.py holds: with the Site left as Django makes it, the
    password-reset email speaks as example.com and is caught."""
    Site.objects.filter(pk=settings.SITE_ID).update(name="example.com", domain="example.com")
    Site.objects.clear_cache()
    _reset_password(client)

    with pytest.raises(AssertionError, match="example.com"):
        for message in mail.outbox:
            assert_no_placeholder_site(email_text(message))
    mail.outbox.clear()


@pytest.mark.celery_worker
def test_a_title_and_a_name_stored_with_line_breaks_are_still_emailed_with_one_line_subjects(
    celery_worker, smtp_server
):
    """Text stored before the one-line rule, or by a write that skips validation (`.update()`),
    reaches the real SMTP server: each subject flattened to one line, no header smuggled in."""
    block, tell, _ = _host_with_every_kind_of_member()
    applicant, documents = _ready_applicant(block)
    Rotation.objects.filter(pk=block.rotation_id).update(title="Cardiology\r\nBcc: someone@example.test")
    Applicant.objects.filter(pk=applicant.pk).update(legal_name="Amaka\r\nObi")
    block.refresh_from_db()
    applicant.refresh_from_db()

    application_apply(applicant=applicant, block=block, personal_statement=STATEMENT, documents=documents)

    wait_until(
        lambda: not Notification.objects.filter(emailed_at__isnull=True).exists(),
        what="the worker emailing every notification",
    )
    assert Notification.objects.count() == len(smtp_server) == len(tell) + 1
    for envelope in smtp_server:
        message = message_from_bytes(envelope.content)
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert "Cardiology Bcc: someone@example.test" in message["Subject"], message["Subject"]
        assert message["Bcc"] is None
        assert "someone@example.test" not in envelope.rcpt_tos
    subjects = {message_from_bytes(envelope.content)["Subject"] for envelope in smtp_server}
    assert "[AMO] New application for Cardiology Bcc: someone@example.test" in subjects
