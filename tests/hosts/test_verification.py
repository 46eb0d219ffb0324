"""Staff verify a host by recording what they checked (the accreditation, each preceptor's NPI number
and state license), only through hosts.verification, in the admin too; the catalog and the rotation
page show a "Verified host" badge saying what was checked and when, and lose it on a withdrawal."""

from datetime import timedelta
from unittest.mock import patch

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from amo.errors import DomainError
from hosts.forms import VerificationRecordForm
from hosts.models import Accreditation, Membership, OrganizationVerification, PreceptorCheck
from hosts.npi import NPI_CHECK_DIGIT_MESSAGE, npi_is_valid, npi_with_check_digit
from hosts.services import preceptor_create
from hosts.verification import (
    PreceptorCheckInput,
    organization_verification_record,
    organization_verification_withdraw,
)
from rotations.models import Rotation
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    OwnerFactory,
    PreceptorFactory,
    SpecialtyFactory,
    StaffFactory,
    UserFactory,
    catalog_rotation,
)
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db

LIST = "/rotations/"
API = "/api/v1/rotations/"


# --- The NPI check digit ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "1234567893",  # CMS's own example of a valid NPI
        "1245319599",
        "1003000126",
        "1993999998",
        "2000000002",
    ],
)
def test_npi_is_valid_accepts_ten_digits_with_the_luhn_check_digit_over_80840(number):
    assert npi_is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "1234567890",  # the wrong check digit
        "1234567839",  # two digits swapped
        "1245319590",
        "123456789",  # nine digits
        "12345678930",  # eleven
        "12345678 3",
        "123456789a",
        "",
    ],
)
def test_npi_is_valid_refuses_a_wrong_check_digit_or_a_number_that_is_not_ten_digits(number):
    assert not npi_is_valid(number)


def test_npi_with_check_digit_appends_the_digit_npi_is_valid_expects():
    assert npi_with_check_digit("123456789") == "1234567893"
    assert all(npi_is_valid(npi_with_check_digit(f"{body:09d}")) for body in range(100000000, 100000500))


# --- Recording a verification -----------------------------------------------------------------------


def check(preceptor, **overrides) -> PreceptorCheckInput:
    fields = {
        "preceptor": preceptor,
        "npi_number": preceptor.npi_number,
        "license_number": "036-123456",
        "license_state": "IL",
    }
    return PreceptorCheckInput(**{**fields, **overrides})


@pytest.fixture
def pending():
    """An organization waiting for staff, with two preceptors."""
    organization = OrganizationFactory(is_verified=False, name="Harbor Clinic")
    return organization, [
        PreceptorFactory(organization=organization, full_name=name) for name in ("Ada Obi", "Ben Ode")
    ]


def record(organization, preceptors, *, actor=None, **fields):
    return organization_verification_record(
        organization=organization,
        actor=actor or StaffFactory(),
        accreditation=fields.pop("accreditation", Accreditation.JOINT_COMMISSION),
        preceptor_checks=[check(preceptor) for preceptor in preceptors],
        **fields,
    )


def test_recording_a_verification_stores_what_was_checked_and_verifies_the_organization(pending):
    organization, preceptors = pending
    staff = StaffFactory()
    verification = record(
        organization,
        preceptors,
        actor=staff,
        accreditation_reference="  TJC-77120 ",
        accreditation_expires_on=timezone.localdate() + timedelta(days=400),
        notes="Joint Commission Quality Check, and the Illinois license lookup.",
    )
    organization.refresh_from_db()
    assert organization.is_verified
    assert (verification.verified_by, verification.accreditation_reference) == (staff, "TJC-77120")
    assert [(c.preceptor, c.npi_number, c.license_state) for c in verification.preceptor_checks.all()] == [
        (p, p.npi_number, "IL") for p in preceptors
    ]


def test_a_preceptor_without_an_npi_on_file_gets_the_one_staff_checked(pending):
    organization, [first, second] = pending
    first.npi_number = ""
    first.save()
    npi = npi_with_check_digit("198765432")
    organization_verification_record(
        organization=organization,
        actor=StaffFactory(),
        accreditation=Accreditation.NONE,
        preceptor_checks=[check(first, npi_number=npi), check(second)],
    )
    first.refresh_from_db()
    assert first.npi_number == npi


REFUSALS = {
    "a wrong check digit": (
        lambda org, other, p: {"preceptor_checks": [check(p, npi_number="1234567890")]},
        NPI_CHECK_DIGIT_MESSAGE,
    ),
    "nine digits": (
        lambda org, other, p: {"preceptor_checks": [check(p, npi_number="123456789")]},
        "Enter the NPI number as its 10 digits",
    ),
    "an NPI other than the one on file": (
        lambda org, other, p: {"preceptor_checks": [check(p, npi_number="1234567893")]},
        "NPI number on file is",
    ),
    "a preceptor of another organization": (
        lambda org, other, p: {"preceptor_checks": [check(other)]},
        "is not a preceptor of Harbor Clinic",
    ),
    "no license number": (
        lambda org, other, p: {"preceptor_checks": [check(p, license_number="  ")]},
        "enter the state license number you checked",
    ),
    "a license state that is no state": (
        lambda org, other, p: {"preceptor_checks": [check(p, license_state="XX")]},
        "Enter the two-letter U.S. state code",
    ),
    "a check in the future": (
        lambda org, other, p: {
            "preceptor_checks": [check(p, checked_on=timezone.localdate() + timedelta(days=1))]
        },
        "cannot be in the future",
    ),
    "a preceptor twice": (
        lambda org, other, p: {"preceptor_checks": [check(p), check(p)]},
        "Each preceptor is checked once",
    ),
    "no preceptor checked": (
        lambda org, other, p: {"preceptor_checks": []},
        "Check every preceptor of Harbor Clinic: Ada Obi and Ben Ode are not checked yet",
    ),
    "one of two preceptors checked": (
        lambda org, other, p: {"preceptor_checks": [check(p)]},
        "Check every preceptor of Harbor Clinic: Ben Ode is not checked yet (their NPI number and state "
        "license). A verification covers all of its preceptors.",
    ),
    "an expired accreditation": (
        lambda org, other, p: {"accreditation_expires_on": timezone.localdate() - timedelta(days=1)},
        "an expired accreditation does not verify",
    ),
    "a reference without an accreditation": (
        lambda org, other, p: {"accreditation": Accreditation.NONE, "accreditation_reference": "123"},
        "With no accreditation there is no reference",
    ),
    "an accreditation we do not know": (lambda org, other, p: {"accreditation": "iso9001"}, "Choose the"),
    "someone who is not staff": (lambda org, other, p: {"actor": UserFactory()}, "Only staff verify"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_each_refusal_says_why_in_words_and_changes_nothing(pending, case):
    organization, [first, second] = pending
    other = PreceptorFactory()
    make, words = REFUSALS[case]
    arguments = {
        "organization": organization,
        "actor": StaffFactory(),
        "accreditation": Accreditation.JOINT_COMMISSION,
        "preceptor_checks": [check(first)],
        **make(organization, other, first),
    }
    npi_before = first.npi_number
    with pytest.raises(DomainError) as refused:
        organization_verification_record(**arguments)
    assert words in refused.value.message
    organization.refresh_from_db()
    first.refresh_from_db()
    assert not organization.is_verified
    assert first.npi_number == npi_before
    assert not OrganizationVerification.objects.exists() and not PreceptorCheck.objects.exists()


def test_an_organization_without_preceptors_and_without_an_accreditation_is_refused_and_nothing_recorded():
    organization = OrganizationFactory(is_verified=False, name="Lakeside Practice")
    with pytest.raises(DomainError) as refused:
        organization_verification_record(
            organization=organization,
            actor=StaffFactory(),
            accreditation=Accreditation.NONE,
            preceptor_checks=[],
        )
    assert refused.value.message == (
        "Nothing was checked: Lakeside Practice has no preceptors, so choose the accreditation or the "
        "state facility license you checked. A verification records what was checked."
    )
    organization.refresh_from_db()
    assert not organization.is_verified and not OrganizationVerification.objects.exists()


def test_an_organization_without_preceptors_is_verified_on_its_accreditation_alone():
    organization = OrganizationFactory(is_verified=False)
    verification = record(organization, [], accreditation=Accreditation.STATE_LICENSE)
    organization.refresh_from_db()
    assert organization.is_verified and verification.preceptor_checks.count() == 0


def test_a_record_is_never_edited_only_withdrawn_once(pending):
    organization, preceptors = pending
    verification = record(organization, preceptors)
    with pytest.raises(DatabaseError, match="never edited"), transaction.atomic():
        OrganizationVerification.objects.filter(pk=verification.pk).update(accreditation=Accreditation.DNV)
    with pytest.raises(DatabaseError, match="never edited"), transaction.atomic():
        PreceptorCheck.objects.filter(verification=verification).update(license_number="X-1")
    # A preceptor the organization removes leaves what was checked of them.
    removed = preceptors[0]
    removed.delete()
    assert PreceptorCheck.objects.filter(verification=verification, preceptor=None).count() == 1
    organization_verification_withdraw(organization=organization, actor=StaffFactory(), reason="Lapsed.")
    verification.refresh_from_db()
    assert verification.withdrawn_at is not None and verification.withdrawal_reason == "Lapsed."
    with pytest.raises(DatabaseError, match="never edited"), transaction.atomic():
        OrganizationVerification.objects.filter(pk=verification.pk).update(withdrawal_reason="Other.")


# --- The badge --------------------------------------------------------------------------------------


def titles_and_page(client, path=LIST) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def in_page(words: str, page: str) -> bool:
    """Whether the page says `words` (Django and Jinja escape an apostrophe differently)."""
    return words.replace("'", "&#x27;") in page.replace("&#39;", "&#x27;")


def test_recording_shows_a_verified_host_badge_saying_what_was_checked_and_when(pending):
    organization, preceptors = pending
    rotation = catalog_rotation(organization=organization, preceptor=preceptors[0])
    anonymous = Client()
    assert "Verified host" not in titles_and_page(anonymous)

    record(organization, preceptors)

    checked = "Joint Commission accreditation and 2 preceptors' NPI and state license checked"
    said = f"{checked}, {timezone.localdate():%B %Y}"
    signed_in = Client()  # the anonymous cache forgets pages only once the change commits
    signed_in.force_login(UserFactory())
    for path in (LIST, reverse("rotations:detail", args=[rotation.slug])):
        page = titles_and_page(signed_in, path)
        assert in_page('Verified host</span><span class="visually-hidden">:</span> ', page)
        assert in_page(said, page)
    body = APIClient().get(f"{API}?page_size=5").json()
    assert body["results"][0]["organization"]["verification"] == {
        "accreditation": "joint_commission",
        "preceptors_checked": 2,
        "verified_on": timezone.localdate().isoformat(),
        "checked": checked,
    }
    assert (
        APIClient().get(f"{API}{rotation.pk}/").json()["organization"]["verification"]["preceptors_checked"]
        == 2
    )
    organization_api = APIClient().get(f"/api/v1/organizations/{organization.slug}/").json()
    assert organization_api["verification"]["checked"] == checked


@pytest.mark.parametrize(
    ("accreditation", "preceptors", "words"),
    [
        (
            Accreditation.JOINT_COMMISSION,
            2,
            "Joint Commission accreditation and 2 preceptors' NPI and state license checked",
        ),
        (Accreditation.DNV, 0, "DNV Healthcare accreditation checked"),
        (Accreditation.ACHC, 1, "ACHC accreditation and 1 preceptor's NPI and state license checked"),
        (Accreditation.ACGME, 0, "ACGME program accreditation checked"),
        (Accreditation.STATE_LICENSE, 0, "state facility license checked"),
        (
            Accreditation.STATE_LICENSE,
            3,
            "state facility license and 3 preceptors' NPI and state license checked",
        ),
        (Accreditation.NONE, 1, "1 preceptor's NPI and state license checked"),
        (Accreditation.NONE, 2, "2 preceptors' NPI and state license checked"),
    ],
)
def test_the_badge_says_what_the_record_holds_and_nothing_else(accreditation, preceptors, words):
    organization = OrganizationFactory(is_verified=False)
    checked = PreceptorFactory.create_batch(preceptors, organization=organization)
    record(organization, checked, accreditation=accreditation)
    # With no preceptor checked, the rotation's own preceptor joins after the record.
    rotation = catalog_rotation(organization=organization, **({"preceptor": checked[0]} if checked else {}))

    client = Client()
    client.force_login(UserFactory())
    for path in (LIST, reverse("rotations:detail", args=[rotation.slug])):
        page = titles_and_page(client, path)
        assert in_page(f"{words}, {timezone.localdate():%B %Y}", page)
        assert "identity" not in page
    body = APIClient().get(f"{API}{rotation.pk}/").json()["organization"]["verification"]
    assert (body["accreditation"], body["preceptors_checked"], body["checked"]) == (
        accreditation,
        preceptors,
        words,
    )


def test_every_accreditation_but_none_has_words_on_the_badge():
    assert {value for value in Accreditation if not value.as_checked} == {Accreditation.NONE}


def test_a_record_that_checked_nothing_shows_no_badge_and_no_verification_in_the_api():
    """The service no longer writes such a record; one written before must not be read as a claim."""
    organization = OrganizationFactory(is_verified=True)
    rotation = catalog_rotation(organization=organization)
    OrganizationVerification.objects.create(
        organization=organization, verified_by=StaffFactory(), accreditation=Accreditation.NONE
    )
    client = Client()
    client.force_login(UserFactory())
    for path in (LIST, reverse("rotations:detail", args=[rotation.slug])):
        page = titles_and_page(client, path)
        assert rotation.title in page and "Verified host" not in page and "identity" not in page
    assert APIClient().get(f"{API}{rotation.pk}/").json()["organization"]["verification"] is None


def test_a_preceptor_added_after_the_verification_is_not_counted_until_a_new_record_checks_them(pending):
    organization, preceptors = pending
    rotation = catalog_rotation(organization=organization, preceptor=preceptors[0])
    record(organization, preceptors, accreditation=Accreditation.NONE)
    newcomer = PreceptorFactory(organization=organization, full_name="Cy Eze")

    client = Client()
    client.force_login(UserFactory())
    detail = reverse("rotations:detail", args=[rotation.slug])
    assert in_page("2 preceptors' NPI and state license checked", titles_and_page(client, detail))

    with pytest.raises(DomainError, match="Cy Eze is not checked yet"):
        record(organization, preceptors, accreditation=Accreditation.DNV)
    assert OrganizationVerification.objects.count() == 1

    record(organization, [*preceptors, newcomer], accreditation=Accreditation.DNV)
    body = APIClient().get(f"{API}{rotation.pk}/").json()["organization"]["verification"]
    assert (body["accreditation"], body["preceptors_checked"]) == ("dnv", 3)
    page = titles_and_page(client, detail)
    assert in_page("DNV Healthcare accreditation and 3 preceptors' NPI and state license checked", page)


def test_withdrawal_unpublishes_the_rotations_stamps_the_record_and_the_badge_disappears(
    pending, django_capture_on_commit_callbacks
):
    organization, preceptors = pending
    verification = record(organization, preceptors)
    rotation = catalog_rotation(organization=organization, preceptor=preceptors[0])
    anonymous = Client()
    assert "Verified host" in titles_and_page(anonymous)
    staff = StaffFactory()

    with django_capture_on_commit_callbacks(execute=True):
        organization_verification_withdraw(
            organization=organization, actor=staff, reason="Its license lapsed."
        )

    rotation.refresh_from_db()
    verification.refresh_from_db()
    assert rotation.status == Rotation.Status.DRAFT
    assert (verification.withdrawn_by, verification.withdrawal_reason) == (staff, "Its license lapsed.")
    page = titles_and_page(anonymous)
    assert "Verified host" not in page and rotation.title not in page
    assert APIClient().get(f"/api/v1/organizations/{organization.slug}/").json()["verification"] is None


@pytest.mark.parametrize(
    ("actor", "reason", "words"),
    [
        (UserFactory, "Lapsed.", "Only staff verify"),
        (StaffFactory, "   ", "Say why the verification is withdrawn."),
    ],
)
def test_a_refused_withdrawal_changes_nothing(pending, actor, reason, words):
    organization, preceptors = pending
    record(organization, preceptors)
    rotation = catalog_rotation(organization=organization, preceptor=preceptors[0])
    with pytest.raises(DomainError, match=words):
        organization_verification_withdraw(organization=organization, actor=actor(), reason=reason)
    organization.refresh_from_db()
    rotation.refresh_from_db()
    assert organization.is_verified and rotation.status == Rotation.Status.PUBLISHED
    assert OrganizationVerification.objects.standing().count() == 1


def test_the_catalog_reads_verifications_without_a_query_per_row(client, django_assert_max_num_queries):
    for index in range(25):
        organization = OrganizationFactory(is_verified=False)
        preceptors = PreceptorFactory.create_batch(2, organization=organization)
        record(organization, preceptors)
        catalog_rotation(slug=f"r{index}", organization=organization, preceptor=preceptors[0])
    api = APIClient()  # each query is asked once, so the anonymous cache misses and reads the database
    for params in ({"page_size": 2}, {"page_size": 25}, {"q": "externship", "page_size": 25}):
        with django_assert_max_num_queries(5):
            page = client.get(LIST, params).content.decode()
        assert page.count("Verified host") == params["page_size"]
        with django_assert_max_num_queries(5):
            rows = api.get(API, params).json()["results"]
        assert all(row["organization"]["verification"]["preceptors_checked"] == 2 for row in rows)


# --- The NPI wherever it is entered ---------------------------------------------------------------


def test_a_host_adding_a_preceptor_is_told_when_the_npi_check_digit_is_wrong(client):
    owner = OwnerFactory()
    login(client, owner)
    specialty = SpecialtyFactory()
    data = {
        "full_name": "Ada Obi",
        "credentials": "MD",
        "specialty": specialty.pk,
        "npi_number": "1234567890",
    }
    refused = client.post(reverse("hosts:preceptor_create"), data)
    assert NPI_CHECK_DIGIT_MESSAGE.replace("'", "&#x27;") in refused.content.decode()
    assert not owner.organization.preceptors.exists()
    assert (
        client.post(reverse("hosts:preceptor_create"), {**data, "npi_number": "1234567893"}).status_code
        == 302
    )
    with pytest.raises(DomainError, match="check digit does not match"):
        preceptor_create(
            organization=owner.organization,
            full_name="Ben Ode",
            credentials="DO",
            specialty=specialty,
            npi_number="1234567839",
        )
    assert owner.organization.preceptors.count() == 1


# --- The admin --------------------------------------------------------------------------------------


def test_the_organization_form_has_no_verified_checkbox_and_members_cannot_be_deleted_there(founder_client):
    owner = OwnerFactory()
    organization = owner.organization
    url = reverse("admin:hosts_organization_change", args=[organization.pk])
    page = founder_client.get(url).content.decode()
    assert 'name="is_verified"' not in page
    assert "memberships-0-DELETE" not in page and 'name="memberships-0-role"' not in page
    assert "Record verification…" in page and "Withdraw verification…" in page

    # A forged post deleting the owner through the inline, and ticking the checkbox: both ignored.
    data = {
        "name": organization.name,
        "slug": organization.slug,
        "kind": organization.kind,
        "address_line": organization.address_line,
        "city": organization.city,
        "state": organization.state,
        "zip_code": organization.zip_code,
        "commission_rate_bps": organization.commission_rate_bps,
        "is_verified": "",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": owner.pk,
        "memberships-0-organization": organization.pk,
        "memberships-0-DELETE": "on",
        "verifications-TOTAL_FORMS": "0",
        "verifications-INITIAL_FORMS": "0",
    }
    assert founder_client.post(url, data).status_code == 302
    organization.refresh_from_db()
    assert organization.is_verified and Membership.objects.filter(pk=owner.pk).exists()


def test_staff_record_a_verification_on_its_admin_page_through_the_service(founder_client, pending):
    organization, [first, second] = pending
    url = reverse("admin:hosts_organization_record_verification", args=[organization.pk])
    page = founder_client.get(url).content.decode()
    # One row per current preceptor, each input named by its row and column.
    for preceptor in (first, second):
        assert f'<th scope="row" id="preceptor-{preceptor.pk}">{preceptor.full_name}' in page
        assert f'aria-labelledby="column-license_number preceptor-{preceptor.pk}"' in page
    assert f'value="{first.npi_number}"' in page and 'type="checkbox"' not in page

    def row(preceptor, **overrides) -> dict:
        fields = {
            "npi_number": preceptor.npi_number,
            "license_number": "036-123456",
            "license_state": "IL",
            "checked_on": timezone.localdate().isoformat(),
            **overrides,
        }
        return {f"p{preceptor.pk}_{name}": value for name, value in fields.items()}

    data = {
        "accreditation": Accreditation.JOINT_COMMISSION,
        "accreditation_reference": "TJC-77120",
        **row(first),
        **row(second),
    }
    wrong_digit = founder_client.post(url, {**data, **row(first, npi_number="1234567890")})
    assert wrong_digit.status_code == 400
    assert NPI_CHECK_DIGIT_MESSAGE.replace("'", "&#x27;") in wrong_digit.content.decode()
    one_row_empty = founder_client.post(url, {**data, **row(second, license_number="")})
    assert one_row_empty.status_code == 400
    assert (
        "Enter the state license number you checked for Ben Ode: a verification checks every preceptor."
        in one_row_empty.content.decode()
    )
    # Past the form (as if it let a row through empty), the service still refuses and names them.
    forged = {key: value for key, value in data.items() if not key.startswith(f"p{second.pk}_")}
    with patch.object(VerificationRecordForm, "clean", lambda form: form.cleaned_data):
        left_out = founder_client.post(url, forged)
    assert left_out.status_code == 400
    assert "Ben Ode: enter the NPI number you checked." in left_out.content.decode()
    organization.refresh_from_db()
    assert not organization.is_verified and not OrganizationVerification.objects.exists()

    done = founder_client.post(url, data, follow=True)
    said = (
        "Harbor Clinic is verified and may publish. Its badge says: Joint Commission accreditation and "
        f"2 preceptors' NPI and state license checked, {timezone.localdate():%B %Y}."
    )
    assert in_page(said, done.content.decode())
    organization.refresh_from_db()
    verification = OrganizationVerification.objects.get()
    assert organization.is_verified
    assert {check.preceptor for check in verification.preceptor_checks.all()} == {first, second}
    change = founder_client.get(
        reverse("admin:hosts_organization_change", args=[organization.pk])
    ).content.decode()
    assert "TJC-77120" in change and f"NPI {first.npi_number}, IL license 036-123456" in change


def test_staff_withdraw_verification_on_its_admin_page_with_a_reason(founder_client, pending):
    organization, preceptors = pending
    record(organization, preceptors)
    rotation = catalog_rotation(organization=organization, preceptor=preceptors[0])
    changelist = reverse("admin:hosts_organization_changelist")
    chosen = founder_client.post(
        changelist, {"action": "withdraw_verification", "_selected_action": [organization.pk]}
    )
    url = chosen.url
    assert url == reverse("admin:hosts_organization_withdraw_verification") + f"?ids={organization.pk}"
    assert organization.name in founder_client.get(url).content.decode()

    assert founder_client.post(url, {"reason": ""}).status_code == 400
    organization.refresh_from_db()
    assert organization.is_verified

    assert founder_client.post(url, {"reason": "Its license lapsed."}).status_code == 302
    organization.refresh_from_db()
    rotation.refresh_from_db()
    assert not organization.is_verified and rotation.status == Rotation.Status.DRAFT
    assert OrganizationVerification.objects.get().withdrawal_reason == "Its license lapsed."


def test_a_bulk_withdrawal_refused_for_one_organization_withdraws_none(founder_client, pending):
    organization, preceptors = pending
    record(organization, preceptors)
    unverified = OrganizationFactory(is_verified=False)
    url = (
        reverse("admin:hosts_organization_withdraw_verification") + f"?ids={organization.pk},{unverified.pk}"
    )
    refused = founder_client.post(url, {"reason": "Lapsed."})
    assert (
        refused.status_code == 400
        and "is not verified: there is nothing to withdraw" in refused.content.decode()
    )
    organization.refresh_from_db()
    assert organization.is_verified and OrganizationVerification.objects.standing().count() == 1


def test_the_record_action_opens_one_organizations_page(founder_client, pending):
    organization, _ = pending
    changelist = reverse("admin:hosts_organization_changelist")
    one = founder_client.post(
        changelist, {"action": "record_verification", "_selected_action": [organization.pk]}
    )
    assert one.url == reverse("admin:hosts_organization_record_verification", args=[organization.pk])
    other = OrganizationFactory()
    both = founder_client.post(
        changelist,
        {"action": "record_verification", "_selected_action": [organization.pk, other.pk]},
        follow=True,
    )
    assert "Choose exactly one organization" in both.content.decode()


def test_the_remove_member_action_keeps_the_last_owner_and_removes_others(founder_client):
    owner = OwnerFactory()
    coordinator = MembershipFactory(organization=owner.organization)
    changelist = reverse("admin:hosts_membership_changelist")

    refused = founder_client.post(
        changelist, {"action": "remove_member", "_selected_action": [coordinator.pk, owner.pk]}, follow=True
    )
    page = refused.content.decode()
    assert "Nobody was removed. An organization keeps at least one owner" in page
    assert Membership.objects.filter(pk__in=[owner.pk, coordinator.pk]).count() == 2

    removed = founder_client.post(
        changelist, {"action": "remove_member", "_selected_action": [coordinator.pk]}, follow=True
    )
    assert "1 member removed." in removed.content.decode()
    assert list(Membership.objects.values_list("pk", flat=True)) == [owner.pk]
    assert founder_client.get(reverse("admin:hosts_membership_add")).status_code == 403
