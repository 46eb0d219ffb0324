import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from amo.models import User
from applicants.models import Applicant
from tests.factories import (
    PASSWORD,
    ApplicantFactory,
    EmailAddressFactory,
    MembershipFactory,
    UserFactory,
    totp_activate,
)
from tests.hosts.conftest import ORGANIZATION

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-unusual-passphrase-42"


def _signup(client, email: str, role: str = "applicant"):
    return client.post(
        reverse("account_signup"),
        {
            "account_type": role,
            "full_name": "Amaka Obi",
            "email": email,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )


def _link_in_last_mail() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def _verified_user(**fields) -> User:
    user = UserFactory(**fields)
    EmailAddressFactory(user=user)
    return user


def test_signing_up_as_an_applicant_needs_the_emailed_link_before_login(client):
    response = _signup(client, "amaka@example.test")

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="amaka@example.test")
    assert user.is_applicant and user.full_name == "Amaka Obi"
    assert Applicant.objects.filter(user=user).exists()
    assert not EmailAddress.objects.get(user=user).verified
    # Not verified yet: logging in only resends the link.
    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": NEW_PASSWORD})
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    link = _link_in_last_mail()
    assert client.get(link).status_code == 200
    response = client.post(link)

    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response.url == reverse("applicants:dashboard")
    assert client.get(reverse("applicants:dashboard")).status_code == 200


def test_the_name_given_at_sign_up_greets_the_applicant_and_starts_their_legal_name(client):
    _signup(client, "amaka@example.test")
    client.post(_link_in_last_mail())

    assert Applicant.objects.get(user__email="amaka@example.test").legal_name == "Amaka Obi"
    assert "Welcome, Amaka Obi" in client.get(reverse("applicants:dashboard")).content.decode()
    profile = client.get(reverse("applicants:profile"))
    assert profile.context["form"]["legal_name"].value() == "Amaka Obi"


def test_the_name_given_at_sign_up_names_the_host_member_to_their_colleagues(client):
    _signup(client, "clinic@example.test", role="host")
    client.post(_link_in_last_mail())
    response = client.post(reverse("hosts:onboarding"), ORGANIZATION)
    assert response.status_code == 302
    user = User.objects.get(email="clinic@example.test")
    totp_activate(user)  # owners set up two-factor authentication before the host pages open

    members = client.get(reverse("hosts:members")).content.decode()

    assert user.full_name == "Amaka Obi"
    assert "<td>Amaka Obi</td><td>clinic@example.test</td>" in members


def test_signing_up_as_a_host_creates_no_applicant_and_leads_to_onboarding(client):
    _signup(client, "clinic@example.test", role="host")
    user = User.objects.get(email="clinic@example.test")
    assert not user.is_applicant
    assert not Applicant.objects.filter(user=user).exists()

    response = client.post(_link_in_last_mail())

    assert response.url == reverse("hosts:onboarding")


def test_an_unknown_role_is_refused_and_creates_no_account(client):
    response = _signup(client, "who@example.test", role="staff")
    assert response.status_code == 200
    assert "account_type" in response.context["form"].errors
    assert not User.objects.filter(email="who@example.test").exists()


@pytest.mark.parametrize(
    ("make_user", "landing"),
    [
        (lambda: ApplicantFactory().user, "applicants:dashboard"),
        (lambda: MembershipFactory().user, "hosts:dashboard"),
        (lambda: UserFactory(is_staff=True), "home"),
    ],
)
def test_login_sends_each_role_to_its_home(client, make_user, landing):
    user = make_user()
    EmailAddressFactory(user=user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.url == reverse(landing)


def test_login_follows_next_when_given(client):
    user = ApplicantFactory().user
    EmailAddressFactory(user=user)
    response = client.post(
        reverse("account_login") + "?next=/me/documents/", {"login": user.email, "password": PASSWORD}
    )
    assert response.url == "/me/documents/"


def _log_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_failed_logins_lock_that_account_even_with_the_right_password_and_answer_429(client):
    user = _verified_user()
    for _ in range(5):
        assert _log_in(client, user.email, "wrong-password").status_code == 200

    response = _log_in(client, user.email, PASSWORD)

    assert "_auth_user_id" not in client.session
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    page = response.content.decode()
    assert "Too many failed login attempts" in page and "wait 5 minutes" in page
    assert "amo-navbar" in page  # the site's own page, not allauth's bare fallback
    # Another account behind the same address is not locked out.
    other = _verified_user()
    assert _log_in(client, other.email, PASSWORD).status_code == 302


def test_wrong_passwords_for_many_accounts_from_one_address_do_not_lock_out_the_next_person(client):
    """A hospital's or university's NAT: many people, one address."""
    for _ in range(6):
        colleague = _verified_user()
        assert _log_in(client, colleague.email, "wrong-password").status_code == 200
    user = _verified_user()

    response = _log_in(client, user.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_forty_people_behind_one_address_all_sign_in_within_a_minute(client):
    """allauth's default per-address login limit (30 a minute) locked out a hospital's NAT."""
    users = [_verified_user() for _ in range(40)]
    with time_machine.travel(timezone.now(), tick=False):
        for user in users:
            response = _log_in(client, user.email, PASSWORD)
            assert response.status_code == 302, user.email
            assert client.session["_auth_user_id"] == str(user.pk)
            client.logout()


def test_wrong_passwords_spread_over_six_accounts_do_not_refuse_a_seventh_persons_right_password(client):
    colleagues = [_verified_user() for _ in range(6)]
    user = _verified_user()
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(25):
            assert _log_in(client, colleagues[n % 6].email, "wrong-password").status_code == 200
        for _ in range(10):  # and the next people too, within the same minute
            response = _log_in(client, user.email, PASSWORD)
            assert response.status_code == 302
            client.logout()


@pytest.mark.parametrize(
    "action",
    ["login", "login_failed", "signup", "reset_password", "reset_password_from_key", "confirm_email"],
)
def test_every_per_address_limit_fits_a_shared_address_and_per_account_limits_stay_strict(action):
    """The class of the bug: any allauth limit by ip sized for one person (allauth's defaults)."""
    from allauth.account import app_settings
    from allauth.core.internal.ratelimit import parse_rates

    rates = parse_rates(app_settings.RATE_LIMITS[action])
    assert rates, f"{action} has no limit"
    for rate in rates:
        if rate.per == "ip":
            # A hospital's NAT: 40 people in the same minute, and 100 in a quarter of an hour.
            in_a_minute = rate.amount * max(1, 60 / rate.duration)
            in_15_minutes = rate.amount * max(1, 900 / rate.duration)
            assert in_a_minute >= 40 and in_15_minutes >= 100, (action, str(rate))
        else:
            assert rate.amount <= 5, (action, rate)


def test_an_address_trying_passwords_across_many_accounts_is_stopped_at_the_per_address_limit(client):
    limit = 100  # ACCOUNT_RATE_LIMITS["login_failed"]: 100/15m/ip
    user = _verified_user()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(limit):
            if n % 25 == 0:
                clock.shift(60)  # under allauth's 30 login requests a minute per address
            assert _log_in(client, f"guess{n}@example.test", "wrong-password").status_code == 200

        response = _log_in(client, user.email, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()  # not the per-minute limit
    assert "_auth_user_id" not in client.session


def test_password_reset_link_sets_a_new_password(client):
    user = _verified_user()
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = _link_in_last_mail()

    form_url = client.get(link).url  # allauth moves the key into the session, then shows the form
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_changing_email_keeps_the_old_address_until_the_new_one_is_verified(client):
    user = _verified_user()
    client.force_login(user)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@example.test"})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user, email="new@example.test").verified is False
    assert mail.outbox[-1].to == ["new@example.test"]

    client.post(_link_in_last_mail())

    user.refresh_from_db()
    assert user.email == "new@example.test"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "new@example.test"
    ]


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "account_signup", "account_reset_password", "account_email_verification_sent"],
)
def test_account_pages_use_our_layout_without_inline_styles(client, url_name):
    html = client.get(reverse(url_name)).content.decode()
    assert "amo-navbar" in html
    assert "form-control" in html or url_name == "account_email_verification_sent"
    assert "style=" not in html
    assert "<script>" not in html


@pytest.mark.parametrize("url_name", ["account_email", "account_change_password", "mfa_index"])
def test_account_management_pages_use_our_layout(client, url_name):
    client.force_login(_verified_user())
    response = client.get(reverse(url_name))
    html = response.content.decode()
    assert response.status_code == 200
    assert "amo-navbar" in html and "style=" not in html
