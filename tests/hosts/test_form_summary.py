"""The summary above a refused host form names the fields in error as a sentence, each a link to
its field: "Please correct Website." or "Please correct Title, Specialty and Weeks."."""

import re

import pytest
from django.template.loader import render_to_string

from amo.validators import MAX_REASON_CHARS
from hosts import forms
from hosts.models import Preceptor
from rotations.models import Specialty

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="alert alert-danger" role="alert">Please correct (.*?)\.</div>', re.S)
LINK = re.compile(r'<a href="#([\w-]+)" class="alert-link">([^<]+)</a>')


# Each form the host pages render with hosts/_form.html, refused as sent empty.
HOST_FORMS = {
    "organization": lambda: forms.OrganizationForm({}),
    "invitation": lambda: forms.InvitationForm({}, preceptors=Preceptor.objects.none()),
    "preceptor": lambda: forms.PreceptorForm({}, specialties=Specialty.objects.all()),
    "rotation": lambda: forms.RotationForm(
        {}, specialties=Specialty.objects.all(), preceptors=Preceptor.objects.none()
    ),
    "block": lambda: forms.BlockForm({}),
    "offer": lambda: forms.OfferForm({"expires_at": "soon"}),
    "reject": lambda: forms.RejectForm({}),
    "message": lambda: forms.MessageForm({}),
    "cancelbooking": lambda: forms.CancelBookingForm({}),
    "noshow": lambda: forms.NoShowForm({"reason": "x" * (MAX_REASON_CHARS + 1)}),
    "endearly": lambda: forms.EndEarlyForm({}),
    "blockchangedecline": lambda: forms.BlockChangeDeclineForm({}, block_change_id=7),
    "reviewanswer": lambda: forms.ReviewAnswerForm({}, review_id=7),
    # Every part is optional: refused for a time that is none and text past its bound.
    "firstday": lambda: forms.FirstDayForm({"arrival_time": "25:00", "what_to_bring": "x" * 1001}),
    # Laid out by its own page (a fieldset per competency), under the same summary.
    "evaluation": lambda: forms.EvaluationForm({"patient_care": "6", "hours_completed": "0"}, weeks=4),
}


def test_every_form_rendered_with_the_host_template_is_listed():
    used = {
        name.removesuffix("Form").lower()
        for name, value in vars(forms).items()
        if isinstance(value, type)
        and issubclass(value, forms.BootstrapMixin)
        and value is not forms.BootstrapMixin
    }
    # The queue's filters and the bulk form are laid out by their own page, not hosts/_form.html.
    assert used - {"queuefilter", "bulk"} == set(HOST_FORMS)


def summary_of(form) -> tuple[str, list[tuple[str, str]]]:
    html = render_to_string("hosts/_form.html", {"form": form})
    found = SUMMARY.search(html)
    assert found, f"{type(form).__name__}: no summary in {html[:300]}"
    return found.group(1), LINK.findall(found.group(1))


def sentence(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


@pytest.mark.parametrize("name", HOST_FORMS)
def test_every_host_form_lists_its_fields_in_error_as_a_sentence(name):
    form = HOST_FORMS[name]()
    text, links = summary_of(form)
    wrong = [field for field in form.visible_fields() if field.errors]
    # Each link points at its field's own id (forms shown side by side prefix theirs).
    assert [anchor for anchor, _ in links] == [field.auto_id for field in wrong]
    assert LINK.sub(lambda match: match.group(2), text) == sentence([str(field.label) for field in wrong])


def test_one_field_in_error_is_named_alone():
    data = {"name": "Lakeside", "kind": "hospital", "city": "Chicago", "state": "IL", "zip_code": "60601"}
    form = forms.OrganizationForm({**data, "website": "not a site"})
    text, links = summary_of(form)
    assert links == [("id_website", "Website")]
    assert text == '<a href="#id_website" class="alert-link">Website</a>'
