"""What a refusal says: one human message per input, fields named by their labels, and nothing
sent quoted back with its control characters."""

import re

import pytest
from django.test import Client

from rotations.filters import RotationFilter
from tests.factories import ApplicantFactory, ApplicationFactory, OwnerFactory, RotationFactory
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\\u00[0-1][0-9a-f]")
NUMBER_FILTERS = [name for name, f in RotationFilter.base_filters.items() if hasattr(f, "get_max_validator")]
CHOICE_FILTERS = [name for name, f in RotationFilter.base_filters.items() if "Choice" in type(f).__name__]


def test_the_catalog_has_number_and_choice_filters_to_check():
    assert set(NUMBER_FILTERS) >= {"weeks", "max_price"}
    assert set(CHOICE_FILTERS) >= {"state", "specialty", "sort", "visa", "type", "setting"}


@pytest.mark.parametrize("name", NUMBER_FILTERS)
@pytest.mark.parametrize("value", ["1e309", "-1e309", "1e51", "9223372036854775808", "-1"])
def test_a_number_filter_out_of_range_gets_one_human_message_on_the_page_and_the_api(client, name, value):
    page = client.get("/rotations/", {name: value})
    errors = page.context["form"].errors[name]
    assert len(errors) == 1 and "1e+50" not in errors[0], errors

    api = client.get("/api/v1/rotations/", {name: value})
    assert api.status_code == 400
    assert api.json()["extra"]["fields"][name] == errors
    assert "1e+50" not in api.json()["message"]


@pytest.mark.parametrize("name", CHOICE_FILTERS)
@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\x1b[31m"])
def test_a_refused_choice_never_echoes_a_control_character(client, name, value):
    page = client.get("/rotations/", {name: value})
    assert page.context["form"].errors[name] == ["Select a valid choice."]
    assert not CONTROL.search(page.content.decode())

    api = client.get("/api/v1/rotations/", {name: value})
    assert api.status_code == 400
    assert not CONTROL.search(api.content.decode()), api.content
    assert api.json()["message"].endswith("Select a valid choice.")


def test_what_the_api_quotes_of_the_input_shows_control_characters_escaped():
    client = Client()
    client.force_login(ApplicantFactory().user)
    response = client.patch("/api/v1/me/profile/", "{}", content_type="text/a\x1bb")
    assert response.status_code == 415
    assert not CONTROL.search(response.content.decode())
    assert "a\\x1bb" in response.json()["message"]


# Each input of a shape DRF's own message would quote as Python prints it, or name by its Python
# type: "\"['deposit']\" is not a valid choice.", "got type \"str\"", "received list".
PYTHON_SHAPED = [
    ("post", "/api/v1/applications/1/payments/", {"purpose": ["deposit"]}, "Select a valid choice."),
    ("post", "/api/v1/applications/", {"block": [1]}, "Enter the item's id, a whole number."),
    ("post", "/api/v1/applications/", {"block": 1, "documents": "1"}, "Enter a list."),
    ("post", "/api/v1/applications/", ["block"], "Send a JSON object of named fields."),
    ("patch", "/api/v1/me/profile/", {"training_status": {"a": 1}}, "Select a valid choice."),
]


@pytest.mark.parametrize(("method", "path", "body", "words"), PYTHON_SHAPED)
def test_an_api_refusal_says_what_is_wrong_in_words_never_in_python(method, path, body, words):
    applicant = ApplicantFactory()
    ApplicationFactory(pk=1, applicant=applicant, block__pk=1, status="offered")
    client = Client()
    client.force_login(applicant.user)
    response = getattr(client, method)(path, body, content_type="application/json")
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.endswith(words), message
    assert not re.search(r"""\[['"]|\{['"]|\b(?:str|list|dict|int)"|(?:received|got) \w+\.""", message)


def test_an_id_in_the_body_that_names_nothing_is_a_404_as_in_the_path():
    client = Client()
    client.force_login(ApplicantFactory().user)
    response = client.patch(
        "/api/v1/me/profile/", {"specialties_of_interest": ["nope"]}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["message"] == "Specialties of interest: No such item exists."


@pytest.mark.parametrize(
    ("payload", "label"),
    [
        ({"step2_score": 99999999999999}, "USMLE Step 2 CK score"),  # refused by the service
        ({"step2_score": "many"}, "USMLE Step 2 CK score"),  # refused by the serializer
        ({"ecfmg_number": "x" * 100}, "ECFMG number"),
        ({"graduation_year": 1800, "training_status": "graduate"}, "Graduation year"),
    ],
)
def test_api_messages_name_a_profile_field_by_its_label_as_written(payload, label):
    client = Client()
    client.force_login(ApplicantFactory().user)
    response = client.patch("/api/v1/me/profile/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{label}: "), response.json()


@pytest.mark.parametrize(
    ("payload", "label"),
    [
        ({"min_step2_score": 999}, "Minimum USMLE Step 2 CK score"),
        ({"weekly_hours": 999}, None),
    ],
)
def test_host_api_messages_name_a_rotation_field_by_its_label_as_written(payload, label):
    owner = OwnerFactory()
    rotation = RotationFactory(organization=owner.organization)
    client = login(Client(), owner)
    response = client.patch(
        f"/api/v1/host/rotations/{rotation.pk}/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    message = response.json()["message"]
    name = next(iter(payload))
    assert not message.startswith(name), message  # not the key: the label
    if label:
        assert message.startswith(f"{label}: "), message
