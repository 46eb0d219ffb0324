"""Staff see every applicant's documents, so, like host owners, they use two-factor authentication:
the admin and staff's view of documents open only once they have set up an authenticator app."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.urls import reverse

from tests.factories import PASSWORD, DocumentFactory, EmailAddressFactory, StaffFactory, totp_activate
from tests.hosts.test_mfa import current_code, log_in_through_allauth

pytestmark = pytest.mark.django_db
ADMIN_PAGES = ["admin:index", "admin:applicants_document_changelist", "admin:amo_user_changelist"]


def _redirects(client, url: str) -> list[str]:
    """Where the browser is sent, hop by hop."""
    chain = []
    for _ in range(5):
        response = client.get(url)
        if response.status_code != 302:
            break
        url = response["Location"]
        chain.append(url)
    return chain


def test_staff_without_a_second_factor_set_it_up_before_the_admin_opens(client):
    staff = StaffFactory(totp=False)
    log_in_through_allauth(client, staff)

    for name in ADMIN_PAGES:
        assert reverse("mfa_activate_totp") in _redirects(client, reverse(name)), name

    # The setup page, as an owner's (allauth asks for the password again first).
    client.post(client.get(reverse("mfa_activate_totp"))["Location"], {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    done = client.post(
        reverse("mfa_activate_totp"), {"code": current_code(client.session[SECRET_SESSION_KEY])}
    )
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_the_admin_says_why_it_sends_staff_to_set_up_a_second_factor(client):
    log_in_through_allauth(client, StaffFactory(totp=False))
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 200
    assert "set up two-factor authentication with an authenticator app" in response.content.decode()


def test_staff_with_a_second_factor_give_its_code_at_login_before_the_admin_opens(client):
    staff = StaffFactory(totp=False)
    EmailAddressFactory(user=staff)
    secret = totp_activate(staff)
    response = client.post(
        reverse("account_login") + "?next=/admin/", {"login": staff.email, "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session  # the password alone does not sign staff in
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert response["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_without_a_second_factor_cannot_open_an_applicants_document(client):
    document = DocumentFactory()
    url = reverse("applicants:document_file", args=[document.pk])
    staff = StaffFactory(totp=False)
    client.force_login(staff)
    assert client.get(url).status_code == 404

    totp_activate(staff)

    assert client.get(url).status_code == 200
