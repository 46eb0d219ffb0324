"""Writes of the host side: onboarding, members and invitations, and the review of applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError, refuse_invalid
from amo.models import User
from amo.services import email_signature, email_subject, notification_send
from amo.slugs import insert_with_free_slug
from amo.text import day_label, moment_label
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Application, ApplicationMessage, ApplicationTransition
from applicants.services import application_message_post, email_is_verified
from applicants.workflow import ActorRole, transition
from hosts.models import Invitation, Membership, Organization, Preceptor
from rotations.models import Rotation
from rotations.services import seat_take
from rotations.states import US_STATES

S = Application.Status
INVITATION_SALT = "hosts.invitation"
INVITATION_VALID_FOR = timedelta(days=7)
OFFER_VALID_FOR = timedelta(days=7)
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

        transaction.on_commit(lambda: email_invitation.delay(invitation.pk))
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


def preceptor_create(
    *,
    organization: Organization,
    full_name: str,
    credentials: str,
    specialty,
    board_certification: str = "",
    npi_number: str = "",
) -> Preceptor:
    """A physician of the organization who supervises rotations (invite them to give them access)."""
    return Preceptor.objects.create(
        organization=organization,
        full_name=full_name,
        credentials=credentials,
        specialty=specialty,
        board_certification=board_certification,
        npi_number=npi_number,
    )


# --- Review of applications -------------------------------------------------------------------------


def _application_link(application: Application) -> str:
    return reverse("applicants:application_detail", kwargs={"pk": application.pk})


def _notify_applicant(application: Application, event: str, subject: str, body: str) -> None:
    notification_send(
        recipient=application.applicant.user,
        key=f"application:{application.pk}:{event}",
        subject=subject,
        body=body,
        link=_application_link(application),
    )


def _move_and_tell(
    application: Application, to: S, *, actor: User, subject: str, body: str, reason: str = "", **changes
) -> Application:
    """Move the application as its host and tell the applicant, once per recorded transition."""
    transition(application, to, actor=actor, role=ActorRole.HOST, reason=reason, **changes)
    recorded = ApplicationTransition.objects.filter(application=application).latest("created_at", "id")
    _notify_applicant(application, f"{to}:{recorded.pk}", subject, body)
    return application


def application_start_review(*, application: Application, actor: User) -> Application:
    """The host opens a submitted application; the applicant learns it is being reviewed."""
    with transaction.atomic():
        return _move_and_tell(
            application,
            S.UNDER_REVIEW,
            actor=actor,
            subject=f"{application.block.rotation} is reviewing your application",
            body=f"{application.block.rotation.organization} started reviewing your application for "
            f"{application.block}.",
        )


def offer_deadline_default(*, application: Application, now: datetime) -> datetime:
    """Seven days to answer, never past the block's first day."""
    start = datetime.combine(application.block.start_date, time.min, UTC)
    return min(now + OFFER_VALID_FOR, start)


def application_offer(
    *, application: Application, actor: User, expires_at: datetime | None = None
) -> Application:
    """Offer a seat: the seat is held (taken on the block) until `expires_at`, in one transaction.

    Refused when no seat is left, or the deadline is past or after the block starts.
    """
    now = timezone.now()
    block = application.block
    start = datetime.combine(block.start_date, time.min, UTC)
    if expires_at is None:
        expires_at = offer_deadline_default(application=application, now=now)
    if expires_at <= now:
        raise DomainError("The offer deadline must be in the future.", field="expires_at")
    if expires_at > start:
        raise DomainError(
            f"The offer deadline cannot be after the block starts ({day_label(block.start_date)}).",
            field="expires_at",
        )
    with transaction.atomic():
        seat_take(block_id=block.pk)
        return _move_and_tell(
            application,
            S.OFFERED,
            actor=actor,
            offer_expires_at=expires_at,
            subject=f"Offer: {block.rotation}",
            body=f"{block.rotation.organization} offers you a seat on {block}. "
            f"The seat is held for you until {moment_label(expires_at)} UTC.",
        )


def application_reject(*, application: Application, actor: User, reason: str) -> Application:
    """Reject with a reason; the applicant is told the reason."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    if not reason:
        raise DomainError("Give the applicant a reason for the rejection.", field="reason")
    with transaction.atomic():
        return _move_and_tell(
            application,
            S.REJECTED,
            actor=actor,
            reason=reason,
            subject=f"Your application for {application.block.rotation} was not accepted",
            body=f"{application.block.rotation.organization} did not accept your application for "
            f"{application.block}.\n\nTheir reason: {reason}",
        )


def application_waitlist(*, application: Application, actor: User) -> Application:
    """Put the application on the block's waitlist; the applicant is told."""
    with transaction.atomic():
        return _move_and_tell(
            application,
            S.WAITLISTED,
            actor=actor,
            subject=f"You are on the waitlist for {application.block.rotation}",
            body=f"{application.block.rotation.organization} put your application for {application.block} "
            "on the waitlist. You will hear from them if a seat opens.",
        )


def application_request_info(*, application: Application, actor: User, message: str) -> ApplicationMessage:
    """The host writes on the application's thread, e.g. to ask for more; the applicant is told.

    Who may write is the thread's rule (an owner or coordinator of the rotation's organization, on
    a submitted application), so a preceptor or a draft is refused here as on every other path.
    """
    with transaction.atomic():
        posted = application_message_post(
            application=application, author=actor, role=ActorRole.HOST, body=message
        )
        _notify_applicant(
            application,
            f"message:{posted.pk}",
            f"New message about your application for {application.block.rotation}",
            f"{application.block.rotation.organization} wrote:\n\n{posted.body}",
        )
    return posted


@dataclass(frozen=True)
class BulkResult:
    application_id: int
    ok: bool
    message: str = ""


BULK_ACTIONS = {
    "start_review": application_start_review,
    "offer": application_offer,
    "reject": application_reject,
    "waitlist": application_waitlist,
}


def applications_bulk(*, applications, actor: User, action: str, **arguments) -> list[BulkResult]:
    """Apply one review action to many applications, each in its own transaction.

    One refusal (no seat left, a status that does not allow it) does not undo the others; every
    application gets a result.
    """
    service = BULK_ACTIONS.get(action)
    if service is None:
        raise DomainError(f"Unknown action {action!r}.", extra={"actions": sorted(BULK_ACTIONS)})
    if action == "reject":
        arguments["reason"] = bounded_text(
            arguments.get("reason"), field="reason", max_chars=MAX_REASON_CHARS, what="the reason"
        )
        if not arguments["reason"]:
            raise DomainError("Give the applicants a reason for the rejection.", field="reason")
    results = []
    for application in applications:
        try:
            service(application=application, actor=actor, **arguments)
        except DomainError as error:
            results.append(BulkResult(application.pk, False, error.message))
        else:
            results.append(BulkResult(application.pk, True))
    return results
