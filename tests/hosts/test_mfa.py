import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
)
from django.urls import reverse

from hosts.models import Membership
from tests.factories import PASSWORD, MembershipFactory
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db


def log_in_through_allauth(client, user):
    """A real login (allauth records when the user authenticated, which setting up TOTP checks)."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def current_code(secret: str) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def test_an_owner_without_totp_must_set_it_up_before_using_the_dashboard(client, clear_cache):
    owner = MembershipFactory(role=Membership.Role.OWNER)
    log_in_through_allauth(client, owner.user)
    for url in [reverse("hosts:dashboard"), reverse("hosts:applications"), reverse("hosts:members")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("hosts_api:rotation-list")).status_code == 403

    # allauth asks for the password again before a second factor is added.
    ask = client.get(reverse("mfa_activate_totp"))
    assert ask["Location"].startswith(reverse("account_reauthenticate"))
    assert client.post(ask["Location"], {"password": PASSWORD}).status_code == 302
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=owner.user).exists()
    done = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=owner.user, type=Authenticator.Type.TOTP).exists()

    assert client.get(reverse("hosts:dashboard")).status_code == 200
    assert client.get(reverse("hosts_api:rotation-list")).status_code == 200


def test_coordinators_and_preceptors_may_use_the_dashboard_without_totp_and_are_offered_it(client):
    for role in [Membership.Role.COORDINATOR, Membership.Role.PRECEPTOR]:
        member = MembershipFactory(role=role)
        login(client, member)
        page = client.get(reverse("hosts:dashboard"))
        assert page.status_code == 200
        assert reverse("mfa_activate_totp") in page.content.decode()
