"""A name, a title, any one-line text refuses line breaks, tabs and other control characters, in
plain words, on every path that writes it: the pages' forms, the API, the admin and the services.
A line break stored in a title would otherwise break every email subject that quotes it."""

import importlib
import pkgutil
from types import SimpleNamespace

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.urls import reverse

from amo.apps import our_app_configs
from amo.errors import DomainError
from amo.services import api_token_create
from amo.text import one_line
from amo.validators import SINGLE_LINE_MESSAGE, validate_single_line
from applicants.models import Applicant
from applicants.services import applicant_profile_update
from hosts.models import Organization, Preceptor
from hosts.services import preceptor_create
from rotations.models import Rotation, Specialty
from tests.factories import ApplicantFactory, OwnerFactory, RotationFactory, SpecialtyFactory, StaffFactory
from tests.hosts.conftest import ORGANIZATION, login
from tests.hosts.test_isolation import rotation_form_data
from tests.hosts.test_members import verified_user

pytestmark = pytest.mark.django_db

# CR, LF, CRLF, tab, NUL, escape, DEL, a C1 control, the line separator, a right-to-left override.
BREAKERS = ["\r", "\n", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u202e"]
NAMES = ["Amaka Obi", "José Ñúñez", "مريم", "नमस्ते", "می\u200cخواهم", "Zoë O'Brien-Smith"]


@pytest.mark.parametrize("breaker", BREAKERS, ids=repr)
def test_the_validator_refuses_each_character_that_breaks_a_line(breaker):
    with pytest.raises(ValidationError) as refused:
        validate_single_line(f"Cardiology{breaker}Bcc: someone@example.test")
    assert refused.value.messages == [SINGLE_LINE_MESSAGE]


@pytest.mark.parametrize("name", NAMES)
def test_names_in_any_script_pass_including_the_joiners_some_scripts_need(name):
    validate_single_line(name)  # raises if refused
    assert one_line(name) == name


def test_one_line_makes_any_stored_text_fit_a_subject():
    assert one_line("Cardio\r\nlogy\tand\u2028more\x00  here\u202e") == "Cardio logy and more here"


def test_every_char_field_of_our_models_refuses_what_breaks_a_line():
    fields = {
        f"{model.__name__}.{field.name}": field
        for config in our_app_configs()
        for model in config.get_models()
        for field in model._meta.local_fields
        if isinstance(field, models.CharField)
    }
    named = {
        "Rotation.title",
        "Applicant.legal_name",
        "Organization.name",
        "Preceptor.full_name",
        "User.full_name",
    }
    assert named <= set(fields)
    assert [name for name, field in fields.items() if validate_single_line not in field.validators] == []


def _our_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class our apps define, wherever it lives (allauth loads the signup form lazily)."""
    ours = {config.name for config in our_app_configs()}
    for config in our_app_configs():
        for module in pkgutil.walk_packages(config.module.__path__, prefix=f"{config.name}."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)
    found, pending = [], [forms.BaseForm]
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        if form_class.__module__.split(".")[0] in ours:
            found.append(form_class)
    return found


def _declared_by_a_library(form_class, name: str) -> bool:
    """allauth's signup form declares a username input that our accounts (email only) never show."""
    ours = {config.name for config in our_app_configs()}
    return any(
        name in getattr(base, "declared_fields", {})
        for base in form_class.__mro__[1:]
        if base.__module__.split(".")[0] not in ours
    )


def test_every_one_line_input_a_form_declares_refuses_what_breaks_a_line():
    """A model form's generated fields follow their model field (through full_clean, or the service
    behind the form); a text input a form declares itself carries the rule (amo.forms.SingleLineField)."""
    form_classes = _our_form_classes()
    assert {"SignupForm", "PreceptorForm", "ApiTokenForm"} <= {
        form_class.__name__ for form_class in form_classes
    }
    loose = [
        f"{form_class.__module__}.{form_class.__name__}.{name}"
        for form_class in form_classes
        for name, field in form_class.declared_fields.items()
        if type(field) is forms.CharField
        and not _declared_by_a_library(form_class, name)
        and not isinstance(field.widget, forms.Textarea | forms.HiddenInput | forms.MultipleHiddenInput)
    ]
    assert loose == []


# --- Each path that writes a one-line text ----------------------------------------------------------


@pytest.mark.parametrize("breaker", BREAKERS, ids=repr)
def test_the_host_api_refuses_a_rotation_title_with_a_control_character(breaker):
    owner = OwnerFactory()
    rotation = RotationFactory(organization=owner.organization, title="Cardiology")
    response = login(Client(), owner).patch(
        f"/api/v1/host/rotations/{rotation.pk}/",
        {"title": f"Cardio{breaker}logy"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["extra"]["fields"]["title"][0] == SINGLE_LINE_MESSAGE
    assert Rotation.objects.get(pk=rotation.pk).title == "Cardiology"


def test_the_host_page_refuses_a_rotation_title_with_a_line_break(client):
    owner = OwnerFactory()
    rotation = RotationFactory(organization=owner.organization, title="Cardiology", preceptor=None)
    login(client, owner)
    data = {**rotation_form_data(SimpleNamespace(rotation=rotation)), "title": "Cardio\r\nlogy"}
    del data["preceptor"]
    response = client.post(reverse("hosts:rotation_update", args=[rotation.pk]), data)
    assert response.context["form"].errors["title"] == [SINGLE_LINE_MESSAGE]
    assert Rotation.objects.get(pk=rotation.pk).title == "Cardiology"


def test_the_profile_api_and_page_refuse_a_legal_name_with_a_line_break(client):
    applicant = ApplicantFactory(legal_name="Amaka Obi")
    client.force_login(applicant.user)
    api = client.patch("/api/v1/me/profile/", {"legal_name": "Amaka\nObi"}, content_type="application/json")
    assert api.status_code == 400
    assert api.json()["extra"]["fields"]["legal_name"] == [SINGLE_LINE_MESSAGE]

    form = client.get(reverse("applicants:profile")).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    page = client.post(reverse("applicants:profile"), {**data, "legal_name": "Amaka\r\nObi"})
    assert page.context["form"].errors["legal_name"] == [SINGLE_LINE_MESSAGE]
    assert Applicant.objects.get(pk=applicant.pk).legal_name == "Amaka Obi"


def test_the_profile_service_refuses_a_legal_name_with_a_line_break():
    applicant = ApplicantFactory(legal_name="Amaka Obi")
    with pytest.raises(DomainError) as refused:
        applicant_profile_update(applicant=applicant, data={"legal_name": "Amaka\u2028Obi"})
    assert refused.value.extra["fields"]["legal_name"] == [SINGLE_LINE_MESSAGE]
    assert Applicant.objects.get(pk=applicant.pk).legal_name == "Amaka Obi"


def test_onboarding_refuses_an_organization_name_with_a_line_break(client):
    client.force_login(verified_user())
    response = client.post(reverse("hosts:onboarding"), {**ORGANIZATION, "name": "Riverside\r\nClinic"})
    assert response.context["form"].errors["name"] == [SINGLE_LINE_MESSAGE]
    assert not Organization.objects.exists()


def test_the_preceptor_page_and_service_refuse_a_name_with_a_line_break(client):
    owner = OwnerFactory()
    specialty = SpecialtyFactory()
    login(client, owner)
    response = client.post(
        reverse("hosts:preceptor_create"),
        {"full_name": "Dr Ada\nLovelace", "credentials": "MD", "specialty": specialty.pk},
    )
    assert response.context["form"].errors["full_name"] == [SINGLE_LINE_MESSAGE]

    with pytest.raises(DomainError) as refused:
        preceptor_create(
            organization=owner.organization, full_name="Ada\tLovelace", credentials="MD", specialty=specialty
        )
    assert refused.value.message == f"Full name: {SINGLE_LINE_MESSAGE}"
    assert not Preceptor.objects.exists()


def test_signing_up_refuses_a_name_with_a_line_break(client):
    password = "a-long-unusual-passphrase-42"
    response = client.post(
        reverse("account_signup"),
        {
            "account_type": "applicant",
            "full_name": "Amaka\r\nObi",
            "email": "amaka@example.test",
            "password1": password,
            "password2": password,
        },
    )
    assert response.context["form"].errors["full_name"] == [SINGLE_LINE_MESSAGE]


def test_an_api_token_name_with_a_line_break_is_refused():
    with pytest.raises(DomainError) as refused:
        api_token_create(user=ApplicantFactory().user, name="nightly\nsync", lifetime_days=30)
    assert (refused.value.message, refused.value.extra["fields"]) == (
        SINGLE_LINE_MESSAGE,
        {"name": [SINGLE_LINE_MESSAGE]},
    )


def test_the_admin_refuses_a_name_with_a_line_break(client):
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:rotations_specialty_add"), {"name": "Cardio\r\nlogy", "slug": "cardiology"}
    )
    assert response.context["adminform"].form.errors["name"] == [SINGLE_LINE_MESSAGE]
    assert not Specialty.objects.filter(slug="cardiology").exists()
