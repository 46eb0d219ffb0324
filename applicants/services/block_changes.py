"""Switching or postponing a booking: the applicant asks to move it to another block of the same
organization, and the host decides, with the price difference settled."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from amo.errors import DomainError
from amo.models import User
from amo.validators import MAX_REASON_CHARS, bounded_text
from applicants.models import Application, BlockChange
from applicants.services.follow_up import application_follow_up
from applicants.services.moves import application_loaded, block_started, notify_applicant, notify_host
from applicants.services.terms import application_terms_fix
from applicants.services.waitlist import waitlist_promote
from applicants.terms import block_change_terms, terms_offered
from applicants.workflow import ActorRole, actor_holds_role
from hosts.reminders import host_reminders_after_block_change
from payments.selectors import PriceDifference, price_difference
from payments.services import block_change_money_settle
from rotations.locking import lock_blocks
from rotations.models import Block, Rotation
from rotations.services import seat_move

S = Application.Status


def _block_change_target(
    application: Application, actor: User, to_block: Block, *, staff: bool = False
) -> Block:
    """The block a confirmed booking of `actor`'s (any booking, for `staff`) may ask to move to,
    loaded; refused otherwise."""
    if not staff and application.applicant.user_id != actor.pk:
        raise DomainError("This is not your application.", status=404)
    if application.status != S.CONFIRMED:
        raise DomainError("Only a confirmed booking can move to another block.", status=409)
    to_block = Block.objects.select_related("rotation__organization").filter(pk=to_block.pk).first()
    if to_block is None or to_block.rotation.organization_id != application.block.rotation.organization_id:
        raise DomainError("Choose a block of the same organization.", field="to_block")
    if to_block.pk == application.block_id:
        raise DomainError("The booking is already on that block.", field="to_block")
    if to_block.rotation.status != Rotation.Status.PUBLISHED or block_started(to_block):
        raise DomainError("That block is no longer open.", field="to_block")
    if to_block.rotation.currency != application.currency:
        # The payments made stay with the booking: a price in another currency cannot be netted.
        raise DomainError("That block is priced in another currency; choose another.", field="to_block")
    if to_block.is_full:
        # Approving would be refused anyway (seat_move counts again under both blocks' locks).
        raise DomainError("That block has no seat left; choose another.", field="to_block", status=409)
    return to_block


def block_change_quote(*, application: Application, actor: User, to_block: Block) -> PriceDifference:
    """What asking to move the booking to `to_block` would do to its money if the host approved,
    refused as the request itself would be; nothing is written."""
    application = application_loaded(application)
    to_block = _block_change_target(application, actor, to_block)
    return price_difference(
        application=application, to_block=to_block, to_terms=terms_offered(to_block.rotation)
    )


def block_change_request(
    *, application: Application, actor: User, to_block: Block, reason: str = ""
) -> BlockChange:
    """The applicant asks to move a confirmed booking to another block of the same organization
    (switch or postpone); the host decides, seeing the price difference. One open request per
    booking. The target rotation's terms are quoted now and kept on the request: approving agrees to
    them, whatever the host edits in between."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    application = application_loaded(application)
    to_block = _block_change_target(application, actor, to_block)
    quoted = terms_offered(to_block.rotation)
    try:
        with transaction.atomic():
            change = BlockChange.objects.create(
                application=application,
                from_block=application.block,
                to_block=to_block,
                reason=reason,
                quoted_terms=quoted.fields(),
            )
    except IntegrityError as error:
        raise DomainError(
            "This booking already has a date change waiting for the host.", status=409
        ) from error
    host_reminders_after_block_change(change)
    difference = price_difference(application=application, to_block=to_block, to_terms=quoted)
    notify_host(
        application,
        f"block-change:{change.pk}",
        f"Date change requested: {application.block.rotation}",
        f"{application.applicant} asks to move their booking from {application.block} to {to_block}."
        + (f"\n\nTheir reason: {reason}" if reason else "")
        + f"\n\nIf you approve: {difference.summary}",
    )
    return change


def block_change_decide(
    *, block_change: BlockChange, actor: User, approve: bool, answer: str = ""
) -> BlockChange:
    """The host approves (the booking's hold moves, both blocks locked in id order) or declines
    (with a reason) an applicant's date change. A seat freed by the move goes to the waitlist.
    Approving settles the price difference at the terms quoted when the applicant asked in the same
    transaction (payments.services.block_change_money_settle: the excess paid refunded, or what is
    owed charged or added to the balance), fixes those terms on the application, issues a new
    enrollment letter (the old one then says "replaced"), and the applicant is told the amounts."""
    answer = bounded_text(answer, field="answer", max_chars=MAX_REASON_CHARS, what="the reason")
    if not approve and not answer:
        raise DomainError("Give the applicant a reason for declining.", field="answer")
    application = application_loaded(block_change.application_id)
    if not actor_holds_role(application, actor, ActorRole.HOST) and not actor_holds_role(
        application, actor, ActorRole.STAFF
    ):
        raise DomainError("You may not decide this date change.", status=403)
    with transaction.atomic():
        # Both blocks before the request's row, the order the booking's cancellation keeps too.
        lock_blocks([block_change.from_block_id, block_change.to_block_id])
        change = (
            BlockChange.objects.select_for_update(of=("self",))
            .select_related("to_block__rotation")
            .get(pk=block_change.pk)
        )
        if change.status != BlockChange.Status.REQUESTED:
            raise DomainError(
                f"This date change was already {change.get_status_display().lower()}.", status=409
            )
        if approve:
            if (
                Application.objects.filter(applicant_id=application.applicant_id, block_id=change.to_block_id)
                .live()
                .exists()
            ):
                raise DomainError("The applicant already has an application for that block.", status=409)
            quoted = block_change_terms(change)
            if quoted.currency != application.currency:
                raise DomainError("That block is priced in another currency.", status=409)
            seat_move(application_id=application.pk, to_block_id=change.to_block_id)
            locked = Application.objects.select_for_update().get(pk=application.pk)
            if locked.status != S.CONFIRMED:
                raise DomainError("Only a confirmed booking can move to another block.", status=409)
            locked.block_id = change.to_block_id
            locked.save(update_fields=["block", "updated_at"])
            money = block_change_money_settle(
                application=application, to_block=change.to_block, to_terms=quoted, actor=actor
            )
            application_terms_fix(application=locked, terms=quoted)
            waitlist_promote(block_id=change.from_block_id)
            application_follow_up(application, reason="The booking moved to another block.")
        change.status = BlockChange.Status.APPROVED if approve else BlockChange.Status.DECLINED
        change.answer = answer
        change.decided_at = timezone.now()
        change.decided_by = actor
        change.save(update_fields=["status", "answer", "decided_at", "decided_by"])
        host_reminders_after_block_change(change)
        notify_applicant(
            application,
            f"block-change:{change.pk}:{change.status}",
            f"Date change {change.get_status_display().lower()}: {application.block.rotation}",
            f"Your booking moved to {change.to_block}. {money.summary}"
            if approve
            else f"{application.block.rotation.organization} declined moving your booking to "
            f"{change.to_block}.\n\nTheir reason: {answer}",
        )
    return change


def booking_move_by_staff(
    *, application: Application, actor: User, to_block: Block, reason: str
) -> BlockChange:
    """Staff move a confirmed booking to another open block of the same organization, saying why:
    kept as a date change asked and approved by staff at once (block_change_decide), so the seat
    moves under both blocks' locks and only where one is free, the price difference is settled, a new
    enrollment letter is issued and the applicant is told; the host is told too."""
    reason = bounded_text(reason, field="reason", max_chars=MAX_REASON_CHARS, what="the reason")
    application = application_loaded(application)
    if not actor_holds_role(application, actor, ActorRole.STAFF):
        raise DomainError("Only staff move a booking to another block.", status=403)
    if not reason:
        raise DomainError("Give the applicant a reason for moving the booking.", field="reason")
    to_block = _block_change_target(application, actor, to_block, staff=True)
    from_block = application.block
    with transaction.atomic():
        if application.block_changes.filter(status=BlockChange.Status.REQUESTED).exists():
            raise DomainError(
                "This booking has a date change waiting for the host: decide that one first.", status=409
            )
        change = BlockChange.objects.create(
            application=application,
            from_block=from_block,
            to_block=to_block,
            reason=reason,
            quoted_terms=terms_offered(to_block.rotation).fields(),
        )
        change = block_change_decide(block_change=change, actor=actor, approve=True, answer=reason)
        notify_host(
            application,
            f"block-change:{change.pk}:staff",
            f"Booking moved by our staff: {from_block.rotation}",
            f"Our staff moved the booking of {application.applicant} from {from_block} to {to_block}."
            f"\n\nTheir reason: {reason}",
        )
    return change
