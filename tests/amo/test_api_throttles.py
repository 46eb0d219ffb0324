"""The API limits how often a client may ask: by address when anonymous, by account when signed in.
A client past its rate gets 429 in the API's format, with Retry-After saying when to come back."""

import pytest

# Imported here, at collection, as a running server has it before any rate changes: DRF's own
# classes would keep the rates of this moment for good.
from amo.throttles import AnonRateThrottle, UserRateThrottle
from tests.factories import ApplicantFactory

pytestmark = pytest.mark.django_db

CATALOG = "/api/v1/rotations/"
PROFILE = "/api/v1/me/profile/"


@pytest.fixture(autouse=True)
def low_rates(settings):
    """Rates low enough to reach; the suite's own are far above what any test sends (pytest_env)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }
    assert (AnonRateThrottle().get_rate(), UserRateThrottle().get_rate()) == ("3/minute", "5/minute")


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["message"] == f"Too many requests. Try again in {wait} second{'' if wait == 1 else 's'}."


def test_an_anonymous_client_past_its_rate_gets_a_json_429_with_retry_after(client):
    for _ in range(3):
        assert client.get(CATALOG).status_code == 200
    assert_throttled(client.get(CATALOG))


def test_a_forwarded_for_header_does_not_give_an_anonymous_client_a_fresh_allowance(client):
    """No proxy is trusted by default (TRUSTED_PROXIES=0): the header is the client's own words."""
    for _ in range(3):
        assert client.get(CATALOG).status_code == 200
    assert_throttled(client.get(CATALOG, HTTP_X_FORWARDED_FOR="203.0.113.9"))


def test_a_signed_in_client_is_counted_by_account_at_the_user_rate(client):
    applicant, other = ApplicantFactory(), ApplicantFactory()
    client.force_login(applicant.user)
    for _ in range(5):
        assert client.get(PROFILE).status_code == 200
    assert_throttled(client.get(PROFILE))

    client.force_login(other.user)  # same address, another account: its own allowance
    assert client.get(PROFILE).status_code == 200
