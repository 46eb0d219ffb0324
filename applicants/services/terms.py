"""Fixing an application's agreed terms (applicants.terms) at the moment the applicant agrees."""

from django.utils import timezone

from applicants.models import Application
from applicants.terms import Terms, application_terms, terms_offered
from rotations.models import Rotation


def application_terms_fix(*, application: Application, terms: Terms | None = None) -> Terms:
    """Copy `terms` (by default those the application's own rotation offers now) onto `application`,
    inside the caller's transaction; returns them.

    Called when the applicant agrees to a price: sending the application (submitting, joining the
    waitlist, booking at once) and a date change to another block being approved, which fixes the
    terms quoted when the change was asked for and keeps the application fee agreed at sending.
    Accepting an offer agrees to the terms already fixed, so it does not call this.
    """
    if terms is None:
        terms = terms_offered(Rotation.objects.get(blocks=application.block_id))
    fields = {**terms.fields(), "terms_agreed_at": timezone.now()}
    if application.terms_agreed_at is not None:
        # The application fee paid for the review of the application as it was sent; moving the
        # booking later does not change it.
        fields["application_fee_cents"] = application.application_fee_cents
    Application.objects.filter(pk=application.pk).update(**fields)
    for field, value in fields.items():
        setattr(application, field, value)
    return application_terms(application)
