"""Fixing an application's agreed terms (applicants.terms) at the moment the applicant agrees."""

from django.utils import timezone

from applicants.models import Application
from applicants.terms import Terms, application_terms, terms_offered
from rotations.models import Block


def application_terms_fix(*, application: Application, block: Block | None = None) -> Terms:
    """Copy the terms `block`'s rotation offers now (the application's own block by default) onto
    `application`, inside the caller's transaction; returns them.

    Called when the applicant agrees to a price: sending the application (submitting, joining the
    waitlist, booking at once) and a date change to another block being approved, which keeps the
    application fee agreed at sending. Accepting an offer agrees to the terms already fixed, so it
    does not call this.
    """
    block = block or Block.objects.select_related("rotation").get(pk=application.block_id)
    fields = {**terms_offered(block.rotation).fields(), "terms_agreed_at": timezone.now()}
    if application.terms_agreed_at is not None:
        # The application fee paid for the review of the application as it was sent; moving the
        # booking later does not change it.
        fields["application_fee_cents"] = application.application_fee_cents
    Application.objects.filter(pk=application.pk).update(**fields)
    for field, value in fields.items():
        setattr(application, field, value)
    return application_terms(application)
