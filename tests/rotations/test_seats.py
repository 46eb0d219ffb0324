import pytest
from django.db import IntegrityError, transaction

from amo.errors import DomainError
from rotations.locking import lock_blocks
from rotations.models import Block
from rotations.services import block_change_capacity, seat_release, seat_take
from tests.factories import BlockFactory

pytestmark = pytest.mark.django_db


def test_seat_take_fills_a_block_then_refuses_with_no_change():
    block = BlockFactory(capacity=2)
    seat_take(block_id=block.pk)
    assert seat_take(block_id=block.pk).seats_left == 0
    with pytest.raises(DomainError, match="No seats are left"):
        seat_take(block_id=block.pk)
    block.refresh_from_db()
    assert block.seats_taken == 2


def test_the_database_refuses_overbooking_even_without_the_service():
    block = BlockFactory(capacity=1, seats_taken=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.filter(pk=block.pk).update(seats_taken=2)


def test_seat_release_gives_a_seat_back_and_never_goes_below_zero():
    block = BlockFactory(capacity=1)
    seat_take(block_id=block.pk)
    assert seat_release(block_id=block.pk).seats_taken == 0
    with pytest.raises(DomainError):
        seat_release(block_id=block.pk)


def test_capacity_cannot_go_below_seats_taken():
    block = BlockFactory(capacity=3)
    seat_take(block_id=block.pk)
    seat_take(block_id=block.pk)
    with pytest.raises(DomainError, match="already has 2 seats"):
        block_change_capacity(block_id=block.pk, capacity=1)
    block.refresh_from_db()
    assert block.capacity == 3
    assert block_change_capacity(block_id=block.pk, capacity=2).capacity == 2


@pytest.mark.django_db(transaction=True)
def test_lock_blocks_refuses_to_run_outside_a_transaction():
    block = BlockFactory()
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        lock_blocks([block.pk])


def test_locking_an_unknown_block_is_a_404_domain_error():
    with pytest.raises(DomainError) as error, transaction.atomic():
        lock_blocks([987654321])
    assert error.value.status == 404
