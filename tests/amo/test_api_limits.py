"""What an API request may carry is bounded, and a request past a bound is answered in the API's
format ({"message", "extra"}): too deep a JSON body 400, too large a body 413, never a 500 or a page."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.test import RequestFactory

from amo.parsers import MAX_JSON_DEPTH
from amo.views import bad_request
from tests.factories import ApplicantFactory, MembershipFactory
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db

# Every API endpoint that takes a body, as each kind of client would reach it.
APPLICANT_BODIES = [
    ("post", "/api/v1/applications/"),
    ("patch", "/api/v1/me/profile/"),
]
HOST_BODIES = [("post", "/api/v1/host/rotations/"), ("post", "/api/v1/host/blocks/")]


@pytest.fixture
def clients(client):
    applicant = ApplicantFactory()
    host = MembershipFactory()

    def client_for(path):
        if path.startswith("/api/v1/host/"):
            return login(client, host)
        client.force_login(applicant.user)
        return client

    return client_for


def api_error(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"message", "extra"}
    return body["message"]


@pytest.mark.parametrize(("method", "path"), APPLICANT_BODIES + HOST_BODIES)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_a_json_body_nested_too_deep_is_a_400(clients, method, path, depth):
    body = "[" * depth + "]" * depth
    response = getattr(clients(path), method)(path, body, content_type="application/json")
    assert "nested deeper than" in api_error(response, 400)


def test_a_json_body_as_deep_as_allowed_is_read(clients):
    path = "/api/v1/applications/"
    body = '{"block": 1, "documents": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    response = clients(path).post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in response.json()["message"]


@pytest.mark.parametrize(("method", "path"), APPLICANT_BODIES + HOST_BODIES)
def test_a_body_past_the_upload_limit_is_a_413(clients, settings, method, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"personal_statement": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = getattr(clients(path), method)(path, body, content_type="application/json")
    assert api_error(response, 413) == "The request body is too large."


@pytest.mark.parametrize(("method", "path"), APPLICANT_BODIES + HOST_BODIES)
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_an_operation_that_reads_json_refuses_a_form_body_with_a_415(clients, method, path, content_type):
    """A form cannot say null, so it could not send what the schema allows; only uploads take one."""
    body = "personal_statement=x" if content_type.endswith("urlencoded") else "--b--"
    response = getattr(clients(path), method)(path, body, content_type=content_type)
    assert "Unsupported media type" in api_error(response, 415)


def test_a_20_mb_json_body_at_the_default_limit_is_a_413(clients):
    path = "/api/v1/applications/"
    body = '{"personal_statement": "' + "x" * (20 * 1024 * 1024) + '"}'
    response = clients(path).post(path, body, content_type="application/json")
    assert api_error(response, 413) == "The request body is too large."


def test_a_multipart_body_past_the_upload_limit_is_a_413(clients, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    path = "/api/v1/me/documents/"
    response = clients(path).post(path, {"kind": "cv", "expires_on": "x" * 4096})
    assert api_error(response, 413) == "The request body is too large."


@pytest.mark.parametrize(
    ("error", "status"), [(RequestDataTooBig("too big"), 413), (TooManyFieldsSent("too many"), 400)]
)
def test_django_refusing_a_request_under_api_answers_in_the_api_format(error, status):
    response = bad_request(RequestFactory().post("/api/v1/applications/"), error)
    assert response.status_code == status
    assert set(json.loads(response.content)) == {"message", "extra"}


def test_django_refusing_a_page_request_answers_with_the_page(client):
    response = bad_request(RequestFactory().post("/me/profile/"), RequestDataTooBig("too big"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
