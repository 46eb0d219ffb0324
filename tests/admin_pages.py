"""What tests of the staff admin read from its answers."""

from django.contrib.messages import get_messages


def messages_of(response, level=None) -> list[str]:
    """The messages the admin showed with this answer (of one level, if given), as a person reads them."""
    return [
        str(message)
        for message in get_messages(response.wsgi_request)
        if level is None or message.level == level
    ]


STAFF_GROUP_MIGRATIONS = ["0012_staff_groups", "0013_finance_records_money_received"]


def staff_groups_made() -> None:
    """The staff groups as amo's migrations make them. They are rows a migration writes, so a test
    that empties the database after itself (a browser journey's live server) takes them away from
    the tests after it."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    # The migrations' own app registry, as migrate hands them one: theirs marks app configs while it
    # makes permissions, which on the project's live registry would stop content types being made.
    apps = MigrationLoader(connection).project_state().apps
    for name in STAFF_GROUP_MIGRATIONS:
        for operation in import_module(f"amo.migrations.{name}").Migration.operations:
            operation.code(apps, None)


def member_of(group: str, **fields):
    """A member of staff (with two factors, as the admin requires, unless `totp=False`) in one of the
    staff groups only."""
    from django.contrib.auth.models import Group

    from tests.factories import StaffFactory

    if not Group.objects.filter(name=group).exists():
        staff_groups_made()
    user = StaffFactory(is_superuser=False, **fields)
    user.groups.add(Group.objects.get(name=group))
    return user
