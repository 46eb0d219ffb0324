"""Shared by every application use case: taking one edge of the state machine with its fee
change, telling the applicant and the host, and locking the seat an application holds first."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.services import notification_send
from amo.transactions import transaction_required
from applicants.models import Application, ApplicationTransition
from applicants.readiness import ChecklistItem
from applicants.services.follow_up import application_follow_up
from applicants.workflow import UNDECIDED, ActorRole, transition
from hosts.models import Membership
from hosts.reminders import host_reminders_after_move
from hosts.track_records import track_records_refresh
from payments.fees import application_fee_on_move, open_payments_on_move
from payments.refunds import RefundPlan, refunds_write
from rotations.locking import lock_block
from rotations.models import Block
from rotations.services import seat_hold_locked

S = Application.Status

# One batch of a sweep: a backlog is worked through over several runs, never in one long one.
SWEEP_BATCH = 500


def applied_already(block_id: int) -> DomainError:
    """The refusal of a second live application for the same block, whichever path finds it."""
    return DomainError(
        "You already have an application for this block.", extra={"block_id": block_id}, status=409
    )


def readiness_refusal(unmet: list[ChecklistItem]) -> DomainError:
    """The refusal of an applicant who does not meet a rotation's requirements, naming each one."""
    missing = [{"key": item.key, "label": item.label, "detail": item.detail} for item in unmet]
    return DomainError(
        "You do not meet this rotation's requirements yet: " + "; ".join(item.label for item in unmet) + ".",
        extra={"missing": missing},
    )


def move(
    application: Application, to: S, *, actor: User | None, role: ActorRole, reason: str = "", **changes
):
    """Take one edge of the state machine with the fee change that goes with it (payments.fees)
    and plan again what follows (applicants.services.follow_up); returns the recorded transition.
    A move that ends the host's review of an application refreshes the host's track record.
    Callers that change seats have locked the block, and taken or converted the seat, first."""
    transaction_required("move")
    current = (
        Application.objects.select_for_update(of=("self",))
        .select_related("block__rotation")
        .get(pk=application.pk)
    )
    fee = application_fee_on_move(current, to)
    transition(application, to, actor=actor, role=role, reason=reason, **{**fee, **changes})
    host_reminders_after_move(application, was=current.status)
    open_payments_on_move(application.pk, to)
    application_follow_up(application)
    if current.status in UNDECIDED and to not in UNDECIDED:
        # Out of the host's review (decided, expired undecided, withdrawn): its response figures may change.
        track_records_refresh(organization_id=current.block.rotation.organization_id)
    return ApplicationTransition.objects.filter(application=application).latest("created_at", "id")


def application_link(application: Application) -> str:
    return reverse("applicants:application_detail", kwargs={"pk": application.pk})


def notify_applicant(application: Application, event: str, subject: str, body: str) -> None:
    notification_send(
        recipient=application.applicant.user,
        key=f"application:{application.pk}:{event}",
        subject=subject,
        body=body,
        link=application_link(application),
    )


def lock_seat(application: Application) -> int:
    """Lock the block whose seat the application holds (or its block, holding none) before anything
    else, the order every seat-changing service keeps; returns that block's id."""
    hold = seat_hold_locked(application.pk)
    if hold is not None:
        return hold.block_id
    block_id = Application.objects.values_list("block_id", flat=True).get(pk=application.pk)
    lock_block(block_id)
    return block_id


def application_loaded(application: Application | int) -> Application:
    pk = application if isinstance(application, int) else application.pk
    return Application.objects.select_related("applicant__user", "block__rotation__organization").get(pk=pk)


def notify_host(application: Application, event: str, subject: str, body: str) -> None:
    """Tell the host members who see `application` on their side (hosts.tenancy's scope): the
    organization's owners and coordinators, who decide it, and the member who is its rotation's
    preceptor. Once per member and event."""
    rotation = application.block.rotation
    sees_it = Q(role__in=[Membership.Role.OWNER, Membership.Role.COORDINATOR])
    if rotation.preceptor_id is not None:
        sees_it |= Q(role=Membership.Role.PRECEPTOR, preceptor_id=rotation.preceptor_id)
    members = (
        Membership.objects.for_org(rotation.organization_id)
        .filter(sees_it, user__is_active=True)
        .select_related("user")
    )
    link = reverse("hosts:application_detail", args=[application.pk])
    for membership in members:
        notification_send(
            recipient=membership.user,
            key=f"application:{application.pk}:{event}:member:{membership.user_id}",
            subject=subject,
            body=body,
            link=link,
        )


def block_started(block: Block) -> bool:
    return block.start_date <= timezone.now().date()


def news_send(
    application: Application,
    recorded: ApplicationTransition,
    *,
    applicant: tuple[str, str] | None = None,
    host: tuple[str, str] | None = None,
) -> None:
    """Tell the applicant and the host (each a subject and a body) about one recorded transition:
    once per side and transition, however often the caller runs."""
    event = f"{recorded.to_status}:{recorded.pk}"
    if applicant is not None:
        notify_applicant(application, event, *applicant)
    if host is not None:
        notify_host(application, event, *host)


def refunds_give(
    *, application: Application, reason: str, actor: User | None = None, amount_cents: int | None = None
) -> RefundPlan:
    """Give back what `reason` gives on `application`, or `amount_cents` staff set (payments.refunds,
    inside the caller's transaction); an application fee given back is marked refunded on the
    application."""
    plan = refunds_write(application=application, reason=reason, actor=actor, amount_cents=amount_cents)
    if plan.application_fee_refund_cents:
        Application.objects.filter(pk=application.pk).update(
            application_fee_status=Application.FeeStatus.REFUNDED, updated_at=timezone.now()
        )
    return plan
