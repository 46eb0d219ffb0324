"""Fixing an application's agreed terms (applicants.terms) at the moment the applicant agrees."""

from django.utils import timezone

from applicants.models import Application
from applicants.terms import Terms, terms_offered
from rotations.models import Block


def application_terms_fix(*, application: Application, block: Block | None = None) -> Terms:
    """Copy the terms `block`'s rotation offers now (the application's own block by default) onto
    `application`, inside the caller's transaction; returns them.

    Called when the applicant agrees to a price: sending the application (submitting, joining the
    waitlist, booking at once) and a date change to another block being approved. Accepting an
    offer agrees to the terms already fixed, so it does not call this.
    """
    block = block or Block.objects.select_related("rotation").get(pk=application.block_id)
    terms = terms_offered(block.rotation)
    fields = {**terms.fields(), "terms_agreed_at": timezone.now()}
    Application.objects.filter(pk=application.pk).update(**fields)
    for field, value in fields.items():
        setattr(application, field, value)
    return terms
