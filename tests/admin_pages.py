"""What tests of the staff admin read from its answers."""

from django.contrib.messages import get_messages


def messages_of(response, level=None) -> list[str]:
    """The messages the admin showed with this answer (of one level, if given), as a person reads them."""
    return [
        str(message)
        for message in get_messages(response.wsgi_request)
        if level is None or message.level == level
    ]


def member_of(group: str):
    """A member of staff (with two factors, as the admin requires) in one of the staff groups only."""
    from django.contrib.auth.models import Group

    from tests.factories import StaffFactory

    user = StaffFactory(is_superuser=False)
    user.groups.add(Group.objects.get(name=group))
    return user
