"""Writes of the host side: onboarding, members and invitations, and preceptors.

The review of applications (offer, rejection, waitlist...) is in applicants.services (review, offers),
with every other application transition."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError, refuse_invalid
from amo.models import User
from amo.services import email_signature, email_subject, emails_relay
from amo.slugs import insert_with_free_slug
from amo.text import day_label
from amo.transactions import enqueue_on_commit
from applicants.services import email_is_verified
from hosts.models import Invitation, Membership, Organization, Preceptor
from hosts.reminders import host_reminders_plan
from rotations.cache import catalog_changed
from rotations.models import Rotation
from rotations.states import US_STATES

INVITATION_SALT = "hosts.invitation"
INVITATION_VALID_FOR = timedelta(days=7)
STATE_CODES = frozenset(code for code, _ in US_STATES)
STATE_MESSAGE = "Enter the two-letter U.S. state code, e.g. TX."


# --- Onboarding ---------------------------------------------------------------------------------


def organization_create(*, user: User, name: str, kind: str, city: str, state: str, zip_code: str, **details):
    """A person with a verified email creates a host organization and becomes its owner.

    The organization starts unverified: staff verify it in the admin before it may publish. The
    state is a U.S. state's two-letter code, in either case; the ZIP code 5 digits or ZIP+4; each
    text within its model field's length (the onboarding form shows the same bounds).
    """
    if not email_is_verified(user):
        raise DomainError("Verify your email address before creating an organization.", status=403)
    state = (state or "").strip().upper()
    if state not in STATE_CODES:
        raise DomainError(STATE_MESSAGE, field="state")
    texts = {"name": name, "city": city, "zip_code": zip_code, **details}
    organization = Organization(
        kind=kind,
        state=state,
        is_verified=False,
        **{field: value.strip() if isinstance(value, str) else value for field, value in texts.items()},
    )
    try:
        organization.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        refuse_invalid(Organization, error)
    with transaction.atomic():
        insert_with_free_slug(organization, organization.name)
        Membership.objects.create(organization=organization, user=user, role=Membership.Role.OWNER)
        if not user.is_host_member:
            user.is_host_member = True
            user.save(update_fields=["is_host_member"])
    return organization


def organization_set_verified(*, organization: Organization, verified: bool) -> Organization:
    """Staff vouch for (or stop vouching for) an organization; only verified ones publish.

    Withdrawing verification also takes the organization's rotations off the catalog (back to
    draft): what staff no longer vouch for is not offered to applicants. Applications already
    made stand.
    """
    with transaction.atomic():
        organization.is_verified = verified
        organization.save(update_fields=["is_verified"])
        if not verified:
            Rotation.objects.for_org(organization).published().update(
                status=Rotation.Status.DRAFT, updated_at=timezone.now()
            )
            catalog_changed()
    return organization


# --- Invitations and members ----------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names; a tampered link is refused like a missing one."""
    try:
        invitation_id = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature as error:
        raise DomainError("This invitation link is not valid.", status=404) from error
    invitation = Invitation.objects.select_related("organization").filter(pk=invitation_id).first()
    if invitation is None:
        raise DomainError("This invitation link is not valid.", status=404)
    return invitation


def invitation_create(
    *, organization: Organization, invited_by: User, email: str, role: str, preceptor: Preceptor | None = None
) -> Invitation:
    """Invite `email` to join as `role`; the link goes out by email once the invitation is saved.

    One pending invitation per address: an expired one is revoked and replaced, a live one refused.
    """
    email = email.strip().lower()
    if role not in Membership.Role.values:
        raise DomainError("Choose a role: owner, coordinator or preceptor.")
    if role == Membership.Role.PRECEPTOR:
        if preceptor is None or preceptor.organization_id != organization.pk:
            raise DomainError("Choose which of your preceptors this person is.", field="preceptor")
    else:
        preceptor = None
    if Membership.objects.for_org(organization).filter(user__email__iexact=email).exists():
        raise DomainError(f"{email} is already a member of {organization}.")
    now = timezone.now()
    with transaction.atomic():
        pending = Invitation.objects.for_org(organization).select_for_update()
        pending = pending.filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
        for earlier in pending:
            if earlier.expires_at > now:
                raise DomainError(f"{email} already has a pending invitation; revoke it to send a new one.")
            earlier.revoked_at = now
            earlier.save(update_fields=["revoked_at"])
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    organization=organization,
                    email=email,
                    role=role,
                    preceptor=preceptor,
                    invited_by=invited_by,
                    created_at=now,
                    expires_at=now + INVITATION_VALID_FOR,
                )
        except IntegrityError as error:
            raise DomainError(f"{email} already has a pending invitation.") from error
        from hosts.tasks import email_invitation

        enqueue_on_commit(email_invitation, invitation.pk)
    return invitation


def invitation_email(*, invitation_id: int) -> bool:
    """Email the invitation link unless it was already emailed; True when this call sent it."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organization", "invited_by")
            .get(pk=invitation_id)
        )
        if invitation.emailed_at is not None or invitation.revoked_at is not None:
            return False
        link = settings.SITE_URL + reverse(
            "hosts:invitation_accept", kwargs={"token": invitation_token(invitation)}
        )
        inviter = invitation.invited_by.get_full_name() if invitation.invited_by else "A member"
        send_mail(
            email_subject(f"Join {invitation.organization} on {settings.SITE_NAME}"),
            f"{inviter} invited you to join {invitation.organization} on {settings.SITE_NAME} as "
            f"{invitation.get_role_display().lower()}.\n\n"
            f"Accept by {day_label(invitation.expires_at)}:\n{link}\n\n"
            "The link works once. If you did not expect it, ignore this email.\n\n" + email_signature(),
            settings.DEFAULT_FROM_EMAIL,
            [invitation.email],
        )
        invitation.emailed_at = timezone.now()
        invitation.save(update_fields=["emailed_at"])
        return True


def invitations_relay() -> int:
    """Email the live invitations whose own task did not (emails_relay); returns how many were sent."""
    live = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    return emails_relay(unsent=live, send=lambda pk: invitation_email(invitation_id=pk))


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise DomainError("This invitation was already accepted; remove the member instead.")
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    return locked


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The invitee, logged in with the invited address, becomes a member. A link works once."""
    with transaction.atomic():
        # The organization's row is locked too: acceptances in one organization wait for each other,
        # so the membership check below sees one committed a moment ago (the same person invited at
        # two addresses), and the loser is told rather than refused by the unique index.
        locked = Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
        if locked.revoked_at is not None:
            raise DomainError("This invitation was revoked. Ask the organization for a new one.", status=410)
        if locked.accepted_at is not None:
            raise DomainError("This invitation was already used.", status=410)
        if locked.expires_at <= timezone.now():
            raise DomainError("This invitation has expired. Ask the organization for a new one.", status=410)
        if user.email.lower() != locked.email.lower():
            raise DomainError(
                f"This invitation is for {locked.email}; log in with that address to accept it.", status=403
            )
        if Membership.objects.for_org(locked.organization).filter(user=user).exists():
            raise DomainError(f"You are already a member of {locked.organization}.")
        membership = Membership.objects.create(
            organization=locked.organization, user=user, role=locked.role, preceptor=locked.preceptor
        )
        if locked.preceptor is not None and locked.preceptor.user_id is None:
            Preceptor.objects.filter(pk=locked.preceptor_id).update(user=user)
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        if not user.is_host_member:
            user.is_host_member = True
            user.save(update_fields=["is_host_member"])
        # An owner or a coordinator gets the digests of what waits for a decision from now on.
        host_reminders_plan(organization_id=locked.organization_id)
    return membership


def membership_remove(*, membership: Membership) -> None:
    """End a member's access at once (their next request finds no membership). Never the last owner."""
    with transaction.atomic():
        owners = list(
            Membership.objects.for_org(membership.organization_id)
            .filter(role=Membership.Role.OWNER)
            .select_for_update()
        )
        if membership.role == Membership.Role.OWNER and len(owners) <= 1:
            raise DomainError("An organization keeps at least one owner; make someone else owner first.")
        user = membership.user
        membership.delete()
        if not Membership.objects.filter(user=user).exists():
            user.is_host_member = False
            user.save(update_fields=["is_host_member"])
        # Their digests to come are cancelled (the sweep would find them no longer deciding anyway).
        host_reminders_plan(
            organization_id=membership.organization_id, reason="The member left the organization."
        )


def preceptor_create(
    *,
    organization: Organization,
    full_name: str,
    credentials: str,
    specialty,
    board_certification: str = "",
    npi_number: str = "",
) -> Preceptor:
    """A physician of the organization who supervises rotations (invite them to give them access).

    Each field follows its model field's rules (lengths, one line for the names)."""
    preceptor = Preceptor(
        organization=organization,
        full_name=full_name,
        credentials=credentials,
        specialty=specialty,
        board_certification=board_certification,
        npi_number=npi_number,
    )
    try:
        preceptor.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        refuse_invalid(Preceptor, error)
    preceptor.save()
    return preceptor
