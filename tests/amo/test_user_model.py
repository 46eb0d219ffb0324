import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError

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
