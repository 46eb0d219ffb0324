"""Forms that go back where they came from follow only paths of this site."""

import pytest

from amo.redirects import redirect_back

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("/host/roster/", "/host/roster/"),
        ("http://testserver/me/", "http://testserver/me/"),
        ("a b", "/fallback/"),  # a bare word would be taken for a view name: a 500 before
        ("home", "/fallback/"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_redirect_back_follows_only_this_sites_paths(rf, posted, expected):
    request = rf.post("/anywhere/", {"next": posted})
    assert redirect_back(request, "/fallback/")["Location"] == expected


def test_marking_notifications_read_with_a_bare_word_as_next_goes_home(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post("/notifications/read/", {"next": "a b"})
    assert response.status_code == 302 and response["Location"] == "/"
