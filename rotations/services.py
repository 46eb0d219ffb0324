"""Writes on the catalog. Seats are held and released only here, with the block's row locked."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amo.errors import DomainError, refuse_invalid
from amo.services import notification_send
from amo.slugs import insert_with_free_slug
from amo.text import day_label, pluralize
from amo.validators import MAX_DESCRIPTION_CHARS, bounded_text
from hosts.selectors import OPEN_STATUSES
from rotations import limits
from rotations.cache import catalog_changed
from rotations.locking import lock_block, lock_blocks
from rotations.models import Block, FirstDayInformation, Rotation, SeatHold, unreleased_holds_count


def _recount(block_ids: list[int]) -> None:
    """Set each block's seats_taken to its unreleased holds (the count the catalog reads)."""
    Block.objects.filter(pk__in=block_ids).update(seats_taken=unreleased_holds_count())
    catalog_changed()


def _release(holds, reason: str, now) -> None:
    holds.update(released_at=now, release_reason=reason)


def _lapsed_release(block_id: int, now) -> None:
    """Release the block's holds whose deadline has passed: a lapsed hold never keeps a seat from a
    new taker. The sweep moves their applications to expired."""
    _release(SeatHold.objects.filter(block_id=block_id).lapsed(now), SeatHold.ReleaseReason.EXPIRED, now)


def seat_take(*, block_id: int, application_id: int, kind: str, expires_at=None) -> SeatHold:
    """Hold one seat of the block for the application, until `expires_at` (None for a booking).

    Under the block's row lock: lapsed holds are released first, then the unreleased holds are
    counted against the capacity. Refused (409) when no seat is left or the application already
    holds one. Runs inside the caller's transaction, so the hold and what it is for (an offer, a
    checkout, a booking) are written together or not at all.
    """
    now = timezone.now()
    if kind != SeatHold.Kind.BOOKING and (expires_at is None or expires_at <= now):
        raise DomainError("A seat can only be held until a time still ahead.", field="expires_at")
    with transaction.atomic():
        block = lock_block(block_id)
        _lapsed_release(block_id, now)
        if SeatHold.objects.unreleased().filter(application_id=application_id).exists():
            raise DomainError("This application already holds a seat.", status=409)
        taken = SeatHold.objects.unreleased().filter(block_id=block_id).count()
        if taken >= block.capacity:
            raise DomainError("No seats are left on this block.", extra={"block_id": block_id}, status=409)
        hold = SeatHold.objects.create(
            block_id=block_id,
            application_id=application_id,
            kind=kind,
            expires_at=None if kind == SeatHold.Kind.BOOKING else expires_at,
        )
        _recount([block_id])
        return hold


def seat_hold_locked(application_id: int) -> SeatHold | None:
    """The application's unreleased hold, with its block's row locked (inside a transaction).

    The hold is read again after the lock: another transaction may have released it meanwhile.
    """
    for _attempt in range(3):
        block_id = (
            SeatHold.objects.unreleased()
            .filter(application_id=application_id)
            .values_list("block_id", flat=True)
            .first()
        )
        if block_id is None:
            return None
        lock_block(block_id)
        hold = SeatHold.objects.unreleased().filter(application_id=application_id).first()
        if hold is None or hold.block_id == block_id:
            return hold
        # Moved to another block between the read and the lock: lock that one instead.
    raise DomainError("This booking is changing right now; please try again.", status=503)


def seat_release(*, application_id: int, reason: str) -> SeatHold | None:
    """Give back the application's seat, if it holds one, recording why; returns the released hold."""
    with transaction.atomic():
        hold = seat_hold_locked(application_id)
        if hold is None:
            return None
        now = timezone.now()
        _release(SeatHold.objects.filter(pk=hold.pk), reason, now)
        _recount([hold.block_id])
        hold.refresh_from_db()
        return hold


def seat_convert(*, application_id: int, kind: str, expires_at=None) -> SeatHold:
    """Turn the application's hold into another kind (an offer into a checkout or a booking).

    Refused (409) when the application holds no seat or its hold's deadline has passed: a lapsed
    hold is no longer the application's to keep.
    """
    now = timezone.now()
    with transaction.atomic():
        hold = seat_hold_locked(application_id)
        if hold is None or (hold.expires_at is not None and hold.expires_at <= now):
            raise DomainError("The seat is no longer held for you: its deadline has passed.", status=409)
        hold.kind = kind
        hold.expires_at = None if kind == SeatHold.Kind.BOOKING else expires_at
        hold.save(update_fields=["kind", "expires_at"])
        return hold


def seat_move(*, application_id: int, to_block_id: int) -> SeatHold:
    """Move the application's booking hold to another block, both blocks locked in id order.

    Refused (409) when the other block has no seat left. The old hold is released as moved.
    """
    now = timezone.now()
    with transaction.atomic():
        hold = SeatHold.objects.unreleased().filter(application_id=application_id).first()
        if hold is None:
            raise DomainError("This application holds no seat to move.", status=409)
        blocks = lock_blocks([hold.block_id, to_block_id])
        hold = SeatHold.objects.unreleased().filter(application_id=application_id).first()
        if hold is None or hold.block_id not in blocks:
            raise DomainError("This booking is changing right now; please try again.", status=503)
        _lapsed_release(to_block_id, now)
        if SeatHold.objects.unreleased().filter(block_id=to_block_id).count() >= blocks[to_block_id].capacity:
            raise DomainError("No seats are left on that block.", extra={"block_id": to_block_id}, status=409)
        _release(SeatHold.objects.filter(pk=hold.pk), SeatHold.ReleaseReason.MOVED, now)
        moved = SeatHold.objects.create(
            block_id=to_block_id, application_id=application_id, kind=hold.kind, expires_at=hold.expires_at
        )
        _recount([hold.block_id, to_block_id])
        return moved


def block_change_capacity(*, block_id: int, capacity: int) -> Block:
    """Set a block's capacity; never below the seats already confirmed or held."""
    if capacity < 0:
        raise DomainError("Capacity cannot be negative.", extra={"capacity": capacity})
    with transaction.atomic():
        block = lock_block(block_id)
        if capacity < block.seats_taken:
            raise DomainError(
                f"This block already has {pluralize(block.seats_taken, 'seat')} confirmed or held; "
                f"capacity cannot go below that.",
                extra={"seats_taken": block.seats_taken, "capacity": capacity},
                field="capacity",
            )
        block.capacity = capacity
        block.save(update_fields=["capacity"])
        return block


# --- Rotation and block management (the host dashboard and API call these) -------------------------

# What a host may set on a rotation, in the order forms and the API show them; money in integer cents.
ROTATION_FIELDS = (
    "title",
    "specialty",
    "preceptor",
    "rotation_type",
    "setting",
    "description",
    "accepts_students",
    "accepts_graduates",
    "requires_step1_pass",
    "min_step2_score",
    "accepted_visa_types",
    "requires_english_proficiency",
    "required_document_kinds",
    "offers_lor",
    "currency",
    "application_fee_cents",
    "program_fee_cents",
    "deposit_cents",
    "balance_due_days_before_start",
    "cancellation_policy",
    "weekly_hours",
    "booking_mode",
)


def _rotation_check(rotation: Rotation) -> None:
    if rotation.currency != settings.DEFAULT_CURRENCY:
        # Fees, refunds and the ledger are in the platform's one currency; the page offers no other.
        raise DomainError(f"Fees are in {settings.DEFAULT_CURRENCY.upper()} only.", field="currency")
    if rotation.preceptor is not None and rotation.preceptor.organization_id != rotation.organization_id:
        raise DomainError("Choose one of your own preceptors.", field="preceptor")
    if rotation.deposit_cents > rotation.program_fee_cents:
        raise DomainError("The deposit cannot be more than the program fee.", field="deposit_cents")
    if not (rotation.accepts_students or rotation.accepts_graduates):
        raise DomainError("Accept students, graduates or both.", field="accepts_students")
    rotation.description = bounded_text(
        rotation.description, field="description", max_chars=MAX_DESCRIPTION_CHARS, what="the description"
    )
    try:
        rotation.full_clean(
            exclude=["slug", "organization"], validate_unique=False, validate_constraints=True
        )
    except ValidationError as error:
        refuse_invalid(Rotation, error)


def rotation_create(*, organization, **fields) -> Rotation:
    """A new rotation of `organization`, as a draft: it is listed only once published."""
    unknown = set(fields).difference(ROTATION_FIELDS)
    if unknown:
        raise DomainError(f"Unknown rotation fields: {', '.join(sorted(unknown))}.")
    rotation = Rotation(organization=organization, status=Rotation.Status.DRAFT, **fields)
    _rotation_check(rotation)
    insert_with_free_slug(rotation, f"{rotation.title} {organization.slug}", max_length=230)
    return rotation


def rotation_update(*, rotation: Rotation, **fields) -> Rotation:
    """Change what a host may set on a rotation; never its status, never once archived.

    The row is locked and only `fields` are written, so an edit sent from a page loaded before a
    publish or an archive neither undoes it nor changes an archived rotation.
    """
    unknown = set(fields).difference(ROTATION_FIELDS)
    if unknown:
        raise DomainError(f"Unknown rotation fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Rotation.objects.select_for_update().get(pk=rotation.pk)
        if locked.status == Rotation.Status.ARCHIVED:
            raise DomainError("An archived rotation cannot be edited.", status=409)
        for field, value in fields.items():
            setattr(locked, field, value)
        _rotation_check(locked)
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


def rotation_publish_refusal(rotation: Rotation) -> str:
    """Why `rotation` cannot be published now, or "" when it can: the page offers Publish only then."""
    if not rotation.organization.is_verified:
        return "Your organization is not verified yet; our staff verify it before you can publish."
    if rotation.status != Rotation.Status.DRAFT:
        return f"Only a draft can be published; this one is {rotation.get_status_display().lower()}."
    if not rotation.blocks.exists():
        return "Add at least one block before publishing."
    return ""


def rotation_publish(*, rotation: Rotation) -> Rotation:
    """List a draft rotation: only a verified organization publishes, and only with a block to book."""
    with transaction.atomic():
        locked = Rotation.objects.select_for_update().select_related("organization").get(pk=rotation.pk)
        refusal = rotation_publish_refusal(locked)
        if refusal:
            raise DomainError(refusal, status=409)
        locked.status = Rotation.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at", "updated_at"])
    return locked


def rotation_unpublish(*, rotation: Rotation) -> Rotation:
    """Take a rotation off the catalog (back to draft); applications already made stand."""
    with transaction.atomic():
        locked = Rotation.objects.select_for_update().get(pk=rotation.pk)
        if locked.status != Rotation.Status.PUBLISHED:
            raise DomainError("Only a published rotation can be unpublished.", status=409)
        locked.status = Rotation.Status.DRAFT
        locked.save(update_fields=["status", "updated_at"])
    return locked


def rotation_archive(*, rotation: Rotation) -> Rotation:
    """Retire a rotation for good: off the catalog, no longer editable."""
    with transaction.atomic():
        locked = Rotation.objects.select_for_update().get(pk=rotation.pk)
        if locked.status == Rotation.Status.ARCHIVED:
            raise DomainError("This rotation is already archived.", status=409)
        locked.status = Rotation.Status.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
    return locked


# The first-day texts, as a refusal names them.
FIRST_DAY_TEXTS = {
    "where_to_go": "where to go",
    "dress_code": "the dress code",
    "what_to_bring": "what to bring",
}


def first_day_update(*, rotation: Rotation, **fields) -> FirstDayInformation:
    """Set the given parts of a rotation's first-day information (the others stay as they are),
    creating it on the first edit. Allowed in every status, archived too: bookings already made
    still start, and they read the latest version. Nothing is written when one part is refused.
    """
    unknown = set(fields).difference(FirstDayInformation.FIELDS)
    if unknown:
        raise DomainError(f"Unknown first-day fields: {', '.join(sorted(unknown))}.")
    for name, what in FIRST_DAY_TEXTS.items():
        if name in fields:
            fields[name] = bounded_text(
                fields[name], field=name, max_chars=limits.MAX_FIRST_DAY_CHARS, what=what
            )
    if "ask_for" in fields:
        fields["ask_for"] = (fields["ask_for"] or "").strip()
    with transaction.atomic():
        # The rotation's row lock makes two first edits write one row between them.
        Rotation.objects.select_for_update().get(pk=rotation.pk)
        first_day = FirstDayInformation.objects.filter(rotation=rotation).first()
        first_day = first_day or FirstDayInformation(rotation=rotation)
        for name, value in fields.items():
            setattr(first_day, name, value)
        try:
            first_day.full_clean(exclude=["rotation"], validate_unique=False)
        except ValidationError as error:
            refuse_invalid(FirstDayInformation, error)
        first_day.save()
    return first_day


def _block_check(block: Block, *, before: Block | None = None) -> None:
    """The limits of rotations.limits: the fields' ranges, and dates from today to the booking
    horizon. A date is checked when it is set or changed, so a block that has started can still
    have its capacity changed."""
    try:
        block.full_clean(exclude=["rotation"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        refuse_invalid(Block, error)
    today = timezone.localdate()
    if before is None or block.start_date != before.start_date:
        if block.start_date < today:
            raise DomainError("A block cannot start in the past.", field="start_date")
        latest = limits.latest_block_start(today)
        if block.start_date > latest:
            raise DomainError(
                f"A block starts at most {limits.BOOKING_HORIZON_YEARS} years ahead, by {day_label(latest)}.",
                field="start_date",
            )
    if (before is None or block.apply_by != before.apply_by) and block.apply_by < today:
        raise DomainError("The last day to apply cannot be in the past.", field="apply_by")
    if block.apply_by > block.start_date:
        raise DomainError("The last day to apply must be on or before the start date.", field="apply_by")


def block_create(
    *,
    rotation: Rotation,
    start_date,
    capacity: int,
    apply_by,
    weeks: int = Block._meta.get_field("weeks").default,
) -> Block:
    if rotation.status == Rotation.Status.ARCHIVED:
        raise DomainError("An archived rotation takes no new blocks.", status=409)
    block = Block(rotation=rotation, start_date=start_date, weeks=weeks, capacity=capacity, apply_by=apply_by)
    _block_check(block)
    block.save()
    return block


def block_update(*, block: Block, start_date, weeks: int, capacity: int, apply_by) -> Block:
    """Change a block's dates and capacity; capacity never below the seats confirmed or held.

    A block with people on its roster (offered, confirmed, under way) keeps its dates; moving one
    tells each applicant waiting for a decision. An archived rotation's blocks stay as they are, as
    the rotation itself does.
    """
    with transaction.atomic():
        locked = lock_block(block.pk)
        before = Block(start_date=locked.start_date, weeks=locked.weeks, apply_by=locked.apply_by)
        locked.start_date, locked.weeks, locked.capacity, locked.apply_by = (
            start_date,
            weeks,
            capacity,
            apply_by,
        )
        _block_check(locked, before=before)
        if Rotation.objects.filter(pk=locked.rotation_id, status=Rotation.Status.ARCHIVED).exists():
            raise DomainError("An archived rotation's blocks cannot be edited.", status=409)
        moved = (start_date, weeks) != (before.start_date, before.weeks)
        if moved:
            _block_move_check(locked)
        block_change_capacity(block_id=locked.pk, capacity=capacity)
        locked.save(update_fields=["start_date", "weeks", "apply_by"])
        if moved:
            _block_moved_tell(locked, before=before)
    return locked


def _block_move_check(block: Block) -> None:
    seated = SeatHold.objects.unreleased().filter(block=block).count()
    if seated:
        raise DomainError(
            f"{pluralize(seated, 'applicant')} on this block {'has' if seated == 1 else 'have'} an offer or "
            "a confirmed seat, so its dates cannot change. Add a new block instead.",
            field="start_date",
            status=409,
        )


def _block_moved_tell(block: Block, *, before: Block) -> None:
    """Tell each applicant waiting for a decision on the block its new dates, once per change."""
    rotation = block.rotation
    changed_at = timezone.now()
    waiting = block.applications.filter(status__in=OPEN_STATUSES).select_related("applicant__user")
    for application in waiting:
        notification_send(
            recipient=application.applicant.user,
            key=f"application:{application.pk}:block-moved:{changed_at.timestamp()}",
            subject=f"New dates for {rotation}",
            body=(
                f"The block you applied to at {rotation.organization} has new dates. It was "
                f"{_span(before)}; it is now {_span(block)}. Your application stands; you may withdraw "
                "it from its page if the new dates do not suit you."
            ),
            link=reverse("applicants:application_detail", kwargs={"pk": application.pk}),
        )


def _span(block: Block) -> str:
    return f"{day_label(block.start_date)} to {day_label(block.end_date)} ({pluralize(block.weeks, 'week')})"
