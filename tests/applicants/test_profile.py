from datetime import date

import pytest
from django.urls import reverse

from amo.errors import DomainError
from applicants.models import Applicant
from applicants.selectors import profile_completeness
from applicants.services import applicant_profile_update
from tests.factories import ApplicantFactory, MembershipFactory, SpecialtyFactory, UserFactory

pytestmark = pytest.mark.django_db
THIS_YEAR = date.today().year


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"step2_score": 0, "step2_date": date(2024, 5, 1)}, "step2_score"),
        ({"step2_score": 301, "step2_date": date(2024, 5, 1)}, "step2_score"),
        ({"step2_score": 250}, "step2_date"),
        ({"step2_date": date(2024, 5, 1)}, "step2_score"),
        ({"training_status": "student", "graduation_year": THIS_YEAR - 1}, "graduation_year"),
        ({"training_status": "student", "graduation_year": THIS_YEAR + 9}, "graduation_year"),
        ({"training_status": "graduate", "graduation_year": THIS_YEAR + 1}, "graduation_year"),
        ({"training_status": "graduate", "graduation_year": 1949}, "graduation_year"),
        ({"ecfmg_status": "certified", "ecfmg_number": ""}, "ecfmg_number"),
        ({"ecfmg_status": "certified", "ecfmg_number": "12-34"}, "ecfmg_number"),
        ({"step1_result": "not_taken", "step1_date": date(2024, 1, 5)}, "step1_date"),
        ({"step1_result": "pass", "step1_date": date(THIS_YEAR + 1, 1, 1)}, "step1_date"),
        ({"citizenship": "XX"}, "citizenship"),
        ({"date_of_birth": date(THIS_YEAR - 5, 1, 1)}, "date_of_birth"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_a_profile_that_breaks_a_rule_is_refused_and_nothing_changes(data, field):
    applicant = ApplicantFactory(step2_score=None, step1_date=date(2023, 6, 1))
    before = Applicant.objects.values().get(pk=applicant.pk)

    with pytest.raises(DomainError) as error:
        applicant_profile_update(applicant=applicant, data=data)

    assert field in error.value.extra["fields"]
    assert Applicant.objects.values().get(pk=applicant.pk) == before


def test_a_valid_profile_is_saved_with_country_codes_upper_cased():
    applicant = ApplicantFactory()
    cardiology = SpecialtyFactory(name="Cardiology")
    applicant_profile_update(
        applicant=applicant,
        data={
            "citizenship": "in",
            "training_status": "student",
            "graduation_year": THIS_YEAR + 2,
            "step1_result": "pass",
            "step1_date": date(THIS_YEAR - 1, 3, 1),
            "step2_score": 250,
            "step2_date": date(THIS_YEAR - 1, 9, 1),
            "ecfmg_status": "certified",
            "ecfmg_number": "0-123-456-7",
            "specialties_of_interest": [cardiology],
        },
    )
    applicant.refresh_from_db()
    assert (applicant.citizenship, applicant.step2_score, applicant.graduation_year) == (
        "IN",
        250,
        THIS_YEAR + 2,
    )
    assert list(applicant.specialties_of_interest.all()) == [cardiology]


def test_the_completeness_meter_names_what_is_missing():
    applicant = Applicant.objects.create(user=UserFactory(is_applicant=True))
    empty = profile_completeness(applicant=applicant)
    assert empty.percent == 0
    assert "Legal name" in empty.missing and "Specialties of interest" in empty.missing

    full = ApplicantFactory(
        date_of_birth=date(1995, 1, 1), phone="+234 803 123 4567", english_proficiency="oet"
    )
    full.specialties_of_interest.add(SpecialtyFactory())
    assert profile_completeness(applicant=full).percent == 100
    assert profile_completeness(applicant=full).missing == []


def test_the_profile_page_shows_a_rule_on_its_field_and_saves_a_valid_form(client):
    applicant = ApplicantFactory()
    client.force_login(applicant.user)
    form = {
        "legal_name": "Amaka Obi",
        "citizenship": "NG",
        "country_of_residence": "NG",
        "medical_school_name": "University of Lagos",
        "medical_school_country": "NG",
        "training_status": "graduate",
        "graduation_year": THIS_YEAR + 3,
        "ecfmg_status": "not_started",
        "step1_result": "not_taken",
        "english_proficiency": "oet",
        "visa_status": "b1_b2",
    }
    response = client.get(reverse("applicants:profile"))
    assert response.status_code == 200 and "% complete" in response.content.decode()

    response = client.post(reverse("applicants:profile"), form)
    assert response.status_code == 400
    assert "A graduate&#x27;s graduation year" in response.content.decode()

    response = client.post(reverse("applicants:profile"), {**form, "graduation_year": THIS_YEAR - 1})
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert (applicant.legal_name, applicant.graduation_year) == ("Amaka Obi", THIS_YEAR - 1)


def test_the_applicant_pages_send_non_applicants_home(client):
    client.force_login(MembershipFactory().user)
    for name in ["applicants:dashboard", "applicants:profile", "applicants:documents"]:
        assert client.get(reverse(name)).url == reverse("home")


def test_an_applicant_account_made_outside_signup_gets_an_empty_profile(client):
    user = UserFactory(is_applicant=True)  # e.g. created in the admin or by seed data
    client.force_login(user)
    assert client.get(reverse("applicants:dashboard")).status_code == 200
    assert Applicant.objects.filter(user=user).exists()
