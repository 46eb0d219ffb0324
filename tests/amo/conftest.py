import pytest

from tests.factories import StaffFactory


@pytest.fixture
def founder_client(client):
    """A founder signed in to the admin: a superuser with two factors, as staff must be."""
    founder = StaffFactory()
    client.force_login(founder)
    client.founder = founder
    return client
