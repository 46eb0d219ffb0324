from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from amo.services import api_token_create
from applicants.models import Application, Document
from tests.applicants.conftest import stored_files
from tests.factories import (
    PDF_BYTES,
    ApplicantFactory,
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    EmailAddressFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture
def applicant():
    applicant = ApplicantFactory()
    EmailAddressFactory(user=applicant.user)
    return applicant


@pytest.fixture
def api(applicant):
    client = APIClient()
    client.force_authenticate(applicant.user)
    return client


def test_token_authentication_reads_the_profile(applicant):
    _, secret = api_token_create(user=applicant.user, name="script", lifetime_days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    response = client.get("/api/v1/me/profile/")
    assert response.status_code == 200
    assert response.json()["email"] == applicant.user.email
    assert set(response.json()["completeness"]) == {"percent", "missing"}


def test_anonymous_requests_are_refused():
    client = APIClient()
    for url in ["/api/v1/me/profile/", "/api/v1/me/documents/", "/api/v1/applications/"]:
        response = client.get(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


def test_a_host_member_has_no_applicant_profile():
    client = APIClient()
    client.force_authenticate(MembershipFactory().user)
    response = client.get("/api/v1/me/profile/")
    assert response.status_code == 403
    assert response.json() == {"message": "This account is not an applicant.", "extra": {}}


def test_patching_the_profile_applies_the_rules_and_reports_them_in_our_format(api, applicant):
    response = api.patch(
        "/api/v1/me/profile/", {"step2_score": 301, "step2_date": "2024-05-01"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "between 1 and 300" in body["message"]
    assert "step2_score" in body["extra"]["fields"]

    response = api.patch(
        "/api/v1/me/profile/", {"step2_score": 245, "step2_date": "2024-05-01"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["step2_score"] == 245
    applicant.refresh_from_db()
    assert applicant.step2_score == 245


IN_TWO_YEARS = (date.today() + timedelta(days=730)).isoformat()


def test_uploading_a_document_by_multipart(api, applicant, private_storage):
    response = api.post(
        "/api/v1/me/documents/",
        {"kind": "tb_test", "file": SimpleUploadedFile("tb.pdf", PDF_BYTES), "expires_on": IN_TWO_YEARS},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["verification_status"] == "pending"
    assert response.json()["file_url"] == f"/documents/{response.json()['id']}/file/"

    response = api.post(
        "/api/v1/me/documents/",
        {"kind": "cv", "file": SimpleUploadedFile("cv.pdf", b"MZ\x90\x00" + b"\x00" * 100)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "PDF, JPEG or PNG" in response.json()["message"]
    assert Document.objects.count() == 1
    assert len(stored_files(private_storage)) == 1


def test_applying_by_api_then_reading_and_withdrawing(api, applicant):
    block = BlockFactory(rotation__required_document_kinds=["cv"])
    cv = DocumentFactory(applicant=applicant)
    response = api.post(
        "/api/v1/applications/",
        {"block": block.pk, "personal_statement": "Ready to learn.", "documents": [cv.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["application_fee_status"] == "due"
    assert [t["to_status"] for t in body["transitions"]] == ["submitted"]

    response = api.post(
        "/api/v1/applications/",
        {"block": block.pk, "personal_statement": "Again.", "documents": [cv.pk]},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["message"] == "You already have an application for this block."

    assert api.get(f"/api/v1/applications/{body['id']}/").json()["id"] == body["id"]
    response = api.post(
        f"/api/v1/applications/{body['id']}/withdraw/", {"reason": "Changed plans"}, format="json"
    )
    assert response.json()["status"] == "withdrawn"


def test_an_unready_api_application_is_refused_and_leaves_nothing(api, applicant):
    block = BlockFactory(rotation__required_document_kinds=["cv", "passport"])
    cv = DocumentFactory(applicant=applicant)
    response = api.post(
        "/api/v1/applications/",
        {"block": block.pk, "personal_statement": "Ready.", "documents": [cv.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert [m["key"] for m in response.json()["extra"]["missing"]] == ["document:passport"]
    assert not Application.objects.exists()


def test_a_draft_by_api_is_submitted_later(api, applicant):
    block = BlockFactory()
    response = api.post(
        "/api/v1/applications/",
        {"block": block.pk, "personal_statement": "Hi.", "submit": False},
        format="json",
    )
    assert response.json()["status"] == "draft"
    response = api.post(f"/api/v1/applications/{response.json()['id']}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_other_applicants_applications_are_404(api):
    other = ApplicationFactory(status=S.SUBMITTED)
    assert api.get(f"/api/v1/applications/{other.pk}/").status_code == 404
    assert api.post(f"/api/v1/applications/{other.pk}/withdraw/").status_code == 404
    other.refresh_from_db()
    assert other.status == S.SUBMITTED
    assert api.get("/api/v1/applications/").json()["results"] == []


def test_assigning_another_applicants_document_by_api_is_a_404_as_for_any_id_not_yours(api):
    block = BlockFactory()
    response = api.post(
        "/api/v1/applications/",
        {
            "block": block.pk,
            "personal_statement": "Hi.",
            "documents": [DocumentFactory().pk],
            "submit": False,
        },
        format="json",
    )
    assert response.status_code == 404
    assert not Application.objects.exists()


def test_list_endpoints_cost_the_same_queries_for_many_rows(api, applicant, django_assert_max_num_queries):
    def add_rows(n):
        for _ in range(n):
            application = ApplicationFactory(applicant=applicant, status=S.SUBMITTED)
            document = DocumentFactory(applicant=applicant, expires_on=date.today() + timedelta(days=400))
            application.documents.add(document)

    add_rows(1)
    with django_assert_max_num_queries(12) as few:
        assert api.get("/api/v1/applications/").status_code == 200
        assert api.get("/api/v1/me/documents/").status_code == 200
    add_rows(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/applications/").json()["results"]) == 11
        assert len(api.get("/api/v1/me/documents/").json()["results"]) == 11


def test_the_schema_documents_every_applicant_endpoint():
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {"get", "patch"} <= set(paths["/api/v1/me/profile/"])
    assert {"get", "post"} <= set(paths["/api/v1/me/documents/"])
    assert "multipart/form-data" in paths["/api/v1/me/documents/"]["post"]["requestBody"]["content"]
    assert {"get", "post"} <= set(paths["/api/v1/applications/"])
    assert "get" in paths["/api/v1/applications/{id}/"]
    assert "post" in paths["/api/v1/applications/{id}/withdraw/"]


def test_fields_an_applicant_must_not_set_are_ignored_by_the_api(api, applicant, private_storage):
    applicant_id, user_id = applicant.pk, applicant.user_id
    response = api.patch(
        "/api/v1/me/profile/",
        {"legal_name": "Amaka Obi", "user": MembershipFactory().user_id, "id": 999, "email": "x@evil.test"},
        format="json",
    )
    assert response.status_code == 200
    applicant.refresh_from_db()
    assert (applicant.pk, applicant.user_id, applicant.legal_name) == (applicant_id, user_id, "Amaka Obi")
    assert applicant.user.email != "x@evil.test"

    response = api.post(
        "/api/v1/me/documents/",
        {
            "kind": "cv",
            "file": SimpleUploadedFile("cv.pdf", PDF_BYTES),
            "verification_status": "verified",
            "applicant": ApplicantFactory().pk,
            "content_type": "text/html",
        },
        format="multipart",
    )
    assert response.status_code == 201
    document = Document.objects.get()
    assert (document.applicant_id, document.verification_status, document.content_type) == (
        applicant_id,
        "pending",
        "application/pdf",
    )

    block = BlockFactory(rotation__required_document_kinds=["cv"])
    Document.objects.filter(pk=document.pk).update(verification_status="verified")
    response = api.post(
        "/api/v1/applications/",
        {
            "block": block.pk,
            "personal_statement": "Ready.",
            "documents": [document.pk],
            "status": "confirmed",
            "application_fee_status": "paid",
            "application_fee_cents": 0,
        },
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["application_fee_status"]) == ("submitted", "due")
    assert response.json()["application_fee_cents"] == block.rotation.application_fee_cents
