"""API tokens: created on the account page from a signed-in session, shown once, stored hashed,
expiring and revocable; the API accepts them in `Authorization: Token <secret>`."""

import hashlib
import importlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from amo.errors import DomainError
from amo.models import ApiToken
from amo.services import API_TOKEN_ACTIVE_LIMIT, api_token_create
from hosts.models import Membership
from tests.factories import (
    PASSWORD,
    ApplicantFactory,
    MembershipFactory,
    OwnerFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
SECRET = re.compile(r"amo_[A-Za-z0-9_-]{43}")
PAGE = "/accounts/tokens/"
PROFILE_API = "/api/v1/me/profile/"


def signed_in(client, user):
    """A session that has just confirmed the password, as allauth asks before a token is created."""
    client.force_login(user)
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    return client


def token_client(secret: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return api


def database_text() -> str:
    """Every row of the tables a secret could end up in, as text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM amo_apitoken t")
        rows = [row[0] for row in cursor.fetchall()]
    rows += [str(session.get_decoded()) for session in Session.objects.all()]
    return "\n".join(rows)


@pytest.fixture
def applicant_user():
    return ApplicantFactory().user


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(client, applicant_user):
    signed_in(client, applicant_user)
    response = client.post(PAGE, {"name": "Nightly sync", "lifetime_days": "90"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    secrets_shown = set(SECRET.findall(response.content.decode()))
    assert len(secrets_shown) == 1
    secret = secrets_shown.pop()

    token = ApiToken.objects.get(user=applicant_user)
    assert token.name == "Nightly sync"
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.last_four == secret[-4:]
    assert token.expires_at - token.created_at == timedelta(days=90)
    assert secret not in database_text()
    assert secret[12:-4] not in database_text()

    page = client.get(PAGE).content.decode()
    assert not SECRET.search(page)
    assert "Nightly sync" in page
    assert f"<code>{secret[-4:]}</code>" in page


def test_creating_a_token_asks_for_the_password_again_then_shows_it(client, applicant_user):
    client.force_login(applicant_user)
    assert client.get(PAGE).status_code == 200  # looking needs no password
    asked = client.post(PAGE, {"name": "CLI", "lifetime_days": "30"})
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not ApiToken.objects.exists()

    resumed = client.post(asked["Location"], {"password": PASSWORD}, follow=True)
    assert resumed.status_code == 200
    assert len(set(SECRET.findall(resumed.content.decode()))) == 1
    assert ApiToken.objects.get(user=applicant_user).name == "CLI"


def test_a_token_authenticates_api_calls_and_records_when_it_was_last_used(applicant_user):
    _, secret = api_token_create(user=applicant_user, name="script", lifetime_days=30)
    api = token_client(secret)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first_use = timezone.now()
        assert api.get(PROFILE_API).status_code == 200
        assert ApiToken.objects.get().last_used_at == first_use
        clock.shift(timedelta(seconds=30))
        assert api.get(PROFILE_API).status_code == 200
        assert ApiToken.objects.get().last_used_at == first_use  # no write on every call
        clock.shift(timedelta(minutes=1))
        assert api.get(PROFILE_API).status_code == 200
        assert ApiToken.objects.get().last_used_at == timezone.now()


def test_a_token_stops_working_when_it_expires(applicant_user):
    token, secret = api_token_create(user=applicant_user, name="script", lifetime_days=30)
    api = token_client(secret)
    with time_machine.travel(token.expires_at - timedelta(seconds=1), tick=False):
        assert api.get(PROFILE_API).status_code == 200
    with time_machine.travel(token.expires_at, tick=False):
        response = api.get(PROFILE_API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["message"].startswith("This API token expired on ")
    assert "create a new one" in response.json()["message"]


def test_revoking_a_token_stops_it_at_once_and_keeps_it_listed(client, applicant_user):
    token, secret = api_token_create(user=applicant_user, name="old laptop", lifetime_days=365)
    api = token_client(secret)
    assert api.get(PROFILE_API).status_code == 200
    client.force_login(applicant_user)  # revoking needs no password: a leaked token must die fast
    response = client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "is revoked" in response.content.decode()
    assert "Revoked" in response.content.decode()

    refused = api.get(PROFILE_API)
    assert refused.status_code == 401
    assert refused.json()["message"].startswith("This API token was revoked on ")
    token.refresh_from_db()
    revoked_at = token.revoked_at
    assert revoked_at is not None
    # Revoking twice is harmless and keeps the first date.
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_nobody_sees_or_revokes_another_persons_token(client, applicant_user):
    theirs, secret = api_token_create(user=UserFactory(), name="their secret script", lifetime_days=30)
    client.force_login(applicant_user)
    assert "their secret script" not in client.get(PAGE).content.decode()
    assert client.post(reverse("api_token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("api_token_revoke", args=[theirs.pk + 1000])).status_code == 404
    assert client.get(reverse("api_token_revoke", args=[theirs.pk])).status_code == 405
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert token_client(secret).get("/api/v1/rotations/").status_code == 200


def test_the_token_pages_are_for_signed_in_people_only(client):
    token, _ = api_token_create(user=UserFactory(), name="script", lifetime_days=30)
    for response in [client.get(PAGE), client.post(reverse("api_token_revoke", args=[token.pk]))]:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_api_requests_are_asked_for_a_token():
    for url in [PROFILE_API, "/api/v1/host/applications/"]:
        response = APIClient().get(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


def test_bad_tokens_are_refused_with_401(applicant_user):
    token, secret = api_token_create(user=applicant_user, name="script", lifetime_days=30)
    same_prefix = secret[:-4] + ("AAAA" if secret[-4:] != "AAAA" else "BBBB")
    for header in [
        "Token amo_not-a-real-token",
        f"Token {same_prefix}",
        f"Token {secret[:-1]}",
        f"Token {token.digest}",  # what the database holds is not a credential
        "Token ",
        f"Token {secret} extra",
    ]:
        response = APIClient().get(PROFILE_API, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"] == "Token"
    assert APIClient().get("/api/v1/rotations/", HTTP_AUTHORIZATION="Token nope").status_code == 401
    applicant_user.is_active = False
    applicant_user.save()
    assert token_client(secret).get(PROFILE_API).status_code == 401


def test_a_token_needs_a_name_and_an_offered_lifetime(client, applicant_user):
    signed_in(client, applicant_user)
    for data, field in [
        ({"name": "   ", "lifetime_days": "30"}, "name"),
        ({"name": "x" * 101, "lifetime_days": "30"}, "name"),
        ({"name": "script", "lifetime_days": "3650"}, "lifetime_days"),
        ({"name": "script", "lifetime_days": "ninety"}, "lifetime_days"),
        ({"name": "script"}, "lifetime_days"),
    ]:
        response = client.post(PAGE, data)
        assert response.status_code == 400, data
        assert response.context["form"].errors[field], data
    assert not ApiToken.objects.exists()
    with pytest.raises(DomainError, match="lifetime"):
        api_token_create(user=applicant_user, name="script", lifetime_days=3650)
    with pytest.raises(DomainError, match="Name the token"):
        api_token_create(user=applicant_user, name="  ", lifetime_days=30)


def test_one_person_holds_a_bounded_number_of_working_tokens(client, applicant_user):
    tokens = [
        api_token_create(user=applicant_user, name=f"t{n}", lifetime_days=30)[0]
        for n in range(API_TOKEN_ACTIVE_LIMIT)
    ]
    signed_in(client, applicant_user)
    response = client.post(PAGE, {"name": "one more", "lifetime_days": "30"})
    assert response.status_code == 400
    assert "revoke one" in response.content.decode()
    assert ApiToken.objects.count() == API_TOKEN_ACTIVE_LIMIT
    client.post(reverse("api_token_revoke", args=[tokens[0].pk]))
    assert client.post(PAGE, {"name": "one more", "lifetime_days": "30"}).status_code == 200


def test_host_owners_create_tokens_only_once_they_have_two_factor_authentication(client):
    owner = MembershipFactory(role=Membership.Role.OWNER)
    signed_in(client, owner.user)
    response = client.post(PAGE, {"name": "sync", "lifetime_days": "30"})
    assert response.status_code == 400
    assert "two-factor authentication" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_an_owners_token_reaches_the_host_api_of_their_organization(client):
    owner = OwnerFactory()
    signed_in(client, owner.user)
    secret = SECRET.search(client.post(PAGE, {"name": "sync", "lifetime_days": "30"}).content.decode())[0]
    api = token_client(secret)
    response = api.get("/api/v1/host/rotations/", HTTP_X_ORGANIZATION=owner.organization.slug)
    assert response.status_code == 200
    other = OwnerFactory().organization
    assert api.get("/api/v1/host/rotations/", HTTP_X_ORGANIZATION=other.slug).status_code == 403


def test_token_clients_leave_no_session_behind():
    member = MembershipFactory()
    _, secret = api_token_create(user=member.user, name="sync", lifetime_days=30)
    api = token_client(secret)
    for _ in range(3):
        response = api.get("/api/v1/host/applications/")
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


def test_the_account_menu_and_the_host_dashboard_link_the_token_page(client, applicant_user):
    client.force_login(applicant_user)
    assert reverse("api_tokens") in client.get(reverse("applicants:dashboard")).content.decode()
    member = MembershipFactory()
    client.force_login(member.user)
    assert reverse("api_tokens") in client.get(reverse("hosts:dashboard")).content.decode()


def test_the_token_list_costs_the_same_queries_for_any_number_of_tokens(
    client, applicant_user, django_assert_max_num_queries
):
    for n in range(8):
        token, _ = api_token_create(user=applicant_user, name=f"script {n}", lifetime_days=30)
        if n % 3 == 0:
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    client.force_login(applicant_user)
    # session, user, tokens
    with django_assert_max_num_queries(3):
        response = client.get(PAGE)
    assert response.content.decode().count("<tr>") == 9


def test_tokens_made_by_staff_before_hashing_keep_working_for_30_days(applicant_user):
    """Migration 0004 adopts rest_framework.authtoken's plaintext tokens by hashing them."""
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,"
            " user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, now() - interval '2 years', %s)",
            [old_key, applicant_user.pk],
        )
    migration = importlib.import_module("amo.migrations.0004_api_tokens")
    with connection.schema_editor() as schema_editor:
        migration.adopt_authtoken_tokens(apps, schema_editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=applicant_user)
    assert token.last_four == "4567"
    assert old_key not in database_text()
    assert token_client(old_key).get(PROFILE_API).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=1)):
        assert token_client(old_key).get(PROFILE_API).status_code == 401


def test_staff_revoke_a_leaked_token_in_the_admin_and_never_see_its_secret(client):
    token, secret = api_token_create(user=UserFactory(), name="leaked", lifetime_days=30)
    client.force_login(StaffFactory())
    listing = client.get(reverse("admin:amo_apitoken_changelist")).content.decode()
    detail = client.get(reverse("admin:amo_apitoken_change", args=[token.pk])).content.decode()
    for html in [listing, detail]:
        assert token.last_four in html
        assert token.digest not in html
        assert secret not in html
    response = client.post(
        reverse("admin:amo_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert token_client(secret).get(PROFILE_API).status_code == 401
