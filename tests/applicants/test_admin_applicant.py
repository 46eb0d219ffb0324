"""The applicant owns their profile: staff read it in the admin and change nothing there (a change
goes through the profile service, which checks it and reissues what depends on it). Deleting an
applicant stays, through applicant_delete (tests/applicants/test_deletion.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from amo.staff_groups import PLACEMENT_COORDINATOR
from applicants.models import Applicant
from tests.amo.test_staff_groups import member_of
from tests.factories import ApplicantFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant():
    return ApplicantFactory(legal_name="Amaka Okafor", citizenship="GH", step2_score=None, step2_date=None)


def _profile(applicant: Applicant) -> dict:
    applicant.refresh_from_db()
    return {name: getattr(applicant, name) for name in [*Applicant.PROFILE_FIELDS, "user_id"]}


@pytest.mark.parametrize("who", ["placement coordinator", "founder"])
def test_staff_read_an_applicants_profile_and_a_posted_change_changes_nothing(client, applicant, who):
    staff = member_of(PLACEMENT_COORDINATOR) if who == "placement coordinator" else StaffFactory()
    client.force_login(staff)
    url = reverse("admin:applicants_applicant_change", args=[applicant.pk])
    before = _profile(applicant)

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Amaka Okafor" in text and "Ghana" in text
    assert 'name="legal_name"' not in text and 'name="step2_date"' not in text
    assert not page.context["adminform"].form.fields

    # A new legal name (the enrollment letter would go unreissued) and a future Step 2 CK date
    # without its score (which the profile service refuses).
    changed = client.post(
        url,
        {
            "legal_name": "Someone Else",
            "step2_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "citizenship": "NG",
            "_save": "Save",
        },
    )
    assert changed.status_code == 403
    assert _profile(applicant) == before
    assert before["legal_name"] == "Amaka Okafor" and before["step2_date"] is None


def test_only_those_who_may_delete_see_the_delete_link(client, applicant):
    url = reverse("admin:applicants_applicant_change", args=[applicant.pk])
    delete = reverse("admin:applicants_applicant_delete", args=[applicant.pk])
    client.force_login(member_of(PLACEMENT_COORDINATOR))
    assert delete not in client.get(url).content.decode()
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.force_login(StaffFactory())
    assert delete in client.get(url).content.decode()
    assert Applicant.objects.filter(pk=applicant.pk).exists()


def test_the_profile_page_shows_the_answers_in_the_profiles_order_and_countries_by_name(client, applicant):
    client.force_login(member_of(PLACEMENT_COORDINATOR))
    text = client.get(reverse("admin:applicants_applicant_change", args=[applicant.pk])).content.decode()
    labels = ["Legal name", "Citizenship", "Country of residence", "Medical school country"]
    where = [text.index(f">{label}:<") for label in labels]
    assert where == sorted(where)
    assert "Nigeria" in text and ">NG<" not in text
