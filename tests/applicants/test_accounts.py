import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from amo.models import User
from applicants.models import Applicant
from tests.factories import PASSWORD, ApplicantFactory, EmailAddressFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-unusual-passphrase-42"


def _signup(client, email: str, role: str = "applicant"):
    return client.post(
        reverse("account_signup"),
        {
            "role": role,
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
    assert "role" in response.context["form"].errors
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


def test_failed_logins_are_rate_limited_even_with_the_right_password_after(client):
    user = _verified_user()
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
        assert response.status_code == 200
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


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
