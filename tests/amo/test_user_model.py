import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError

from tests.factories import PASSWORD, UserFactory

User = get_user_model()


@pytest.mark.django_db
def test_email_is_the_login_and_is_stored_lower_case():
    user = User.objects.create_user("Amina.Okafor@Example.TEST", "a-long-password-1")
    assert user.email == "amina.okafor@example.test"
    assert User.USERNAME_FIELD == "email"
    assert authenticate(email="amina.okafor@example.test", password="a-long-password-1") == user


@pytest.mark.django_db
def test_two_accounts_cannot_share_an_email_in_any_case():
    User.objects.create_user("dana@example.test", "pw-123456789")
    with pytest.raises(IntegrityError):
        User.objects.create(email="DANA@example.test")


@pytest.mark.django_db
def test_an_account_can_hold_several_roles():
    user = User.objects.create_user("multi@example.test", "pw-123456789", is_applicant=True)
    assert user.roles == {"applicant"}
    user.is_host_member = True
    user.is_staff = True
    assert user.roles == {"applicant", "host member", "staff"}


@pytest.mark.django_db
def test_superuser_is_staff():
    admin = User.objects.create_superuser("admin@example.test", "pw-123456789")
    assert admin.is_staff and admin.is_superuser
    assert admin.roles == {"staff"}


def test_email_is_required():
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", "pw")


@pytest.mark.django_db
def test_the_admin_sends_anonymous_staff_to_the_allauth_login_not_its_own_form(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # Posting to the old form logs nobody in: it answers the same redirect.
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_logged_in_non_staff_user_is_refused_the_admin(client):
    client.force_login(UserFactory())
    assert client.get("/admin/login/").status_code == 403


@pytest.mark.django_db
def test_the_navbar_keeps_where_the_visitor_was_going_between_log_in_and_sign_up(client):
    html = client.get("/accounts/login/?next=/host/invitations/abc/").content.decode()
    assert 'href="/accounts/signup/?next=/host/invitations/abc/"' in html
    assert 'href="/accounts/login/?next=/host/invitations/abc/"' in html
    # An absolute URL to elsewhere is escaped into the query, never a link of its own.
    html = client.get('/accounts/login/?next="><script>').content.decode()
    assert '"><script>' not in html
