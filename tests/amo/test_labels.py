"""How a row is named where people read it (admin lists, admin messages, pages): in words, and
without its status, which changes while the name is still on screen (a visa denial accepted
meanwhile was reported "waiting for staff")."""

import ast
import inspect
import textwrap

import pytest
from django.urls import reverse

from amo.apps import our_app_configs
from tests.factories import DocumentFactory, StaffFactory


def _str_reads(model) -> set[str]:
    """The attributes of `self` that the model's own __str__ reads."""
    source = textwrap.dedent(inspect.getsource(model.__str__))
    return {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
    }


def test_no_model_is_named_by_its_status_or_a_stored_choice_value():
    models = [
        model for config in our_app_configs() for model in config.get_models() if "__str__" in vars(model)
    ]
    assert len(models) > 10
    offences = []
    for model in models:
        choice_fields = {field.name for field in model._meta.fields if field.choices}
        for attribute in _str_reads(model):
            if attribute in ("status", "get_status_display"):
                offences.append(f"{model.__name__}: reads its status")
            elif attribute in choice_fields:
                offences.append(f"{model.__name__}: shows the stored value of {attribute}, not its label")
    assert offences == []


@pytest.mark.django_db
@pytest.mark.parametrize(("count", "said"), [(1, "1 document verified."), (2, "2 documents verified.")])
def test_an_admin_action_counts_in_words(client, count, said):
    documents = [DocumentFactory() for _ in range(count)]
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:applicants_document_changelist"),
        {"action": "verify", "_selected_action": [document.pk for document in documents]},
        follow=True,
    )
    assert [str(message) for message in response.context["messages"]] == [said]
