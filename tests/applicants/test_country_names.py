"""An applicant's countries are stored as ISO codes and read by name wherever people see them:
the host's review page, the staff admin, the applicant's own profile."""

import re

import pytest
from django.urls import reverse

from tests.factories import ApplicantFactory, StaffFactory
from tests.hosts.conftest import login, submitted, tenant_a  # noqa: F401

pytestmark = pytest.mark.django_db
CODE = re.compile(r"(?<![A-Za-z\-_\"'=/])(NG|GH)(?![A-Za-z\-_\"'])")


def shown_text(response) -> str:
    assert response.status_code == 200
    text = response.content.decode()
    return re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", text, flags=re.S)


def test_the_host_reads_the_applicants_countries_by_name(client, tenant_a):  # noqa: F811
    application = submitted(
        block=tenant_a.block, applicant__citizenship="GH", applicant__medical_school_country="NG"
    )
    login(client, tenant_a.coordinator)
    text = shown_text(client.get(reverse("hosts:application_detail", args=[application.pk])))
    assert "Ghana" in text and "Nigeria" in text
    assert not CODE.findall(text)


def test_staff_read_the_countries_by_name_in_the_list_and_on_the_profile(client):
    applicant = ApplicantFactory(citizenship="GH")
    client.force_login(StaffFactory())
    listing = shown_text(client.get(reverse("admin:applicants_applicant_changelist")))
    assert "Ghana" in listing and not CODE.findall(listing)
    page = shown_text(client.get(reverse("admin:applicants_applicant_change", args=[applicant.pk])))
    assert "Ghana" in page and "Nigeria" in page and not CODE.findall(page)


def test_the_applicant_chooses_countries_by_name(client):
    applicant = ApplicantFactory(citizenship="GH")
    client.force_login(applicant.user)
    page = client.get(reverse("applicants:profile")).content.decode()
    assert '<option value="GH" selected>Ghana</option>' in page
