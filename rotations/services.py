"""Writes on the catalog. Seats change only here, with the block's row locked."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from amo.errors import DomainError
from amo.slugs import insert_with_free_slug
from rotations.locking import lock_block
from rotations.models import Block, Rotation


def seat_take(*, block_id: int) -> Block:
    """Take one seat on the block (a hold or a booking); refuse when none is left.

    Runs inside the caller's transaction so that the seat and what it is for (an offer, a hold,
    a booking) are written together or not at all.
    """
    with transaction.atomic():
        block = lock_block(block_id)
        if block.seats_taken >= block.capacity:
            raise DomainError("No seats are left on this block.", extra={"block_id": block_id}, status=409)
        Block.objects.filter(pk=block_id).update(seats_taken=F("seats_taken") + 1)
        block.refresh_from_db(fields=["seats_taken"])
        return block


def seat_release(*, block_id: int) -> Block:
    """Give back one seat (a hold expired, an offer was withdrawn, a booking was cancelled)."""
    with transaction.atomic():
        block = lock_block(block_id)
        if block.seats_taken == 0:
            raise DomainError("This block has no taken seat to release.", extra={"block_id": block_id})
        Block.objects.filter(pk=block_id).update(seats_taken=F("seats_taken") - 1)
        block.refresh_from_db(fields=["seats_taken"])
        return block


def block_change_capacity(*, block_id: int, capacity: int) -> Block:
    """Set a block's capacity; never below the seats already confirmed or held."""
    if capacity < 0:
        raise DomainError("Capacity cannot be negative.", extra={"capacity": capacity})
    with transaction.atomic():
        block = lock_block(block_id)
        if capacity < block.seats_taken:
            raise DomainError(
                f"This block already has {block.seats_taken} seats confirmed or held; "
                f"capacity cannot go below that.",
                extra={"seats_taken": block.seats_taken, "capacity": capacity},
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
    try:
        rotation.full_clean(
            exclude=["slug", "organization"], validate_unique=False, validate_constraints=True
        )
    except ValidationError as error:
        field, problems = next(iter(error.message_dict.items()))
        raise DomainError(f"{field}: {problems[0]}", extra={"fields": error.message_dict}) from error


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


def rotation_publish(*, rotation: Rotation) -> Rotation:
    """List a draft rotation: only a verified organization publishes, and only with a block to book."""
    with transaction.atomic():
        locked = Rotation.objects.select_for_update().select_related("organization").get(pk=rotation.pk)
        if not locked.organization.is_verified:
            raise DomainError(
                "Your organization is not verified yet; our staff verify it before you can publish.",
                status=409,
            )
        if locked.status != Rotation.Status.DRAFT:
            raise DomainError(
                f"Only a draft can be published; this one is {locked.get_status_display().lower()}.",
                status=409,
            )
        if not locked.blocks.exists():
            raise DomainError("Add at least one block before publishing.", status=409)
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


def _block_check(*, start_date, weeks: int, apply_by, capacity: int) -> None:
    if not 1 <= weeks <= 52:
        raise DomainError("A block lasts from 1 to 52 weeks.", field="weeks")
    if apply_by > start_date:
        raise DomainError("The last day to apply must be on or before the start date.", field="apply_by")
    if capacity < 1:
        raise DomainError("A block has at least one seat.", field="capacity")


def block_create(*, rotation: Rotation, start_date, weeks: int, capacity: int, apply_by) -> Block:
    if rotation.status == Rotation.Status.ARCHIVED:
        raise DomainError("An archived rotation takes no new blocks.", status=409)
    _block_check(start_date=start_date, weeks=weeks, apply_by=apply_by, capacity=capacity)
    return Block.objects.create(
        rotation=rotation, start_date=start_date, weeks=weeks, capacity=capacity, apply_by=apply_by
    )


def block_update(*, block: Block, start_date, weeks: int, capacity: int, apply_by) -> Block:
    """Change a block's dates and capacity; capacity never below the seats confirmed or held.

    An archived rotation's blocks stay as they are, as the rotation itself does.
    """
    _block_check(start_date=start_date, weeks=weeks, apply_by=apply_by, capacity=capacity)
    with transaction.atomic():
        block = block_change_capacity(block_id=block.pk, capacity=capacity)
        if Rotation.objects.filter(pk=block.rotation_id, status=Rotation.Status.ARCHIVED).exists():
            raise DomainError("An archived rotation's blocks cannot be edited.", status=409)
        block.start_date, block.weeks, block.apply_by = start_date, weeks, apply_by
        block.save(update_fields=["start_date", "weeks", "apply_by"])
    return block
