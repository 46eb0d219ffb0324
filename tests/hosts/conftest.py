from dataclasses import dataclass

import pytest
from django.utils import timezone

from applicants.models import Application, Document
from hosts.models import Invitation, Membership, Organization, Preceptor
from hosts.tenancy import SESSION_KEY
from rotations.models import Block, Rotation
from tests.factories import (
    ApplicationFactory,
    BlockFactory,
    DocumentFactory,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    OwnerFactory,
    PreceptorFactory,
    RotationFactory,
)

# What a new host fills in on the onboarding page.
ORGANIZATION = {
    "name": "Riverside Family Clinic",
    "kind": "clinic",
    "city": "Houston",
    "state": "TX",
    "zip_code": "77002",
}


def document_for(application: Application, *, kind: str = "cv", name: str = "cv.pdf") -> Document:
    """A stored document of the application's applicant, assigned to the application."""
    document = DocumentFactory(
        applicant=application.applicant,
        kind=kind,
        original_filename=name,
        file__filename=name,
        verification_status=Document.VerificationStatus.PENDING,
    )
    application.documents.add(document)
    return document


def submitted(**kwargs) -> Application:
    return ApplicationFactory(status=Application.Status.SUBMITTED, submitted_at=timezone.now(), **kwargs)


@dataclass
class Tenant:
    organization: Organization
    owner: Membership
    coordinator: Membership
    preceptor_member: Membership
    preceptor: Preceptor
    rotation: Rotation  # supervised by `preceptor`
    other_rotation: Rotation  # supervised by someone else
    block: Block
    other_block: Block
    application: Application
    other_application: Application
    document: Document
    invitation: Invitation


def make_tenant(name: str) -> Tenant:
    organization = OrganizationFactory(name=name)
    preceptor = PreceptorFactory(organization=organization, full_name=f"Dr. {name} Preceptor")
    rotation = RotationFactory(organization=organization, preceptor=preceptor, title=f"{name} Cardiology")
    other_rotation = RotationFactory(organization=organization, title=f"{name} Neurology")
    block = BlockFactory(rotation=rotation)
    other_block = BlockFactory(rotation=other_rotation)
    application = submitted(block=block, applicant__legal_name=f"{name} Applicant One")
    other_application = submitted(block=other_block, applicant__legal_name=f"{name} Applicant Two")
    return Tenant(
        organization=organization,
        owner=OwnerFactory(organization=organization),
        coordinator=MembershipFactory(organization=organization, role=Membership.Role.COORDINATOR),
        preceptor_member=MembershipFactory(
            organization=organization, role=Membership.Role.PRECEPTOR, preceptor=preceptor
        ),
        preceptor=preceptor,
        rotation=rotation,
        other_rotation=other_rotation,
        block=block,
        other_block=other_block,
        application=application,
        other_application=other_application,
        document=document_for(application),
        invitation=InvitationFactory(organization=organization),
    )


@pytest.fixture
def tenant_a(db) -> Tenant:
    return make_tenant("Alpha")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return make_tenant("Bravo")


def login(client, membership: Membership):
    """Log the member in with their organization chosen, as the switcher would leave the session."""
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.organization_id
    session.save()
    return client
