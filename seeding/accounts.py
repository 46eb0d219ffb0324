"""Demo accounts for `make run`. Seeding is idempotent: running it twice changes nothing.

DEMO_LOGINS is read by tools/devstack.py before Django is set up, so this module imports models
only inside the functions that need them.
"""

from django.db import transaction

DEMO_PASSWORD = "amo-demo-2026"
DEMO_LOGINS = {
    "applicant": ("applicant@demo.amo.test", DEMO_PASSWORD),
    "host coordinator": ("coordinator@demo.amo.test", DEMO_PASSWORD),
    # Owners must set up two-factor authentication (any TOTP app) on their first visit to /host/.
    "host owner": ("owner@demo.amo.test", DEMO_PASSWORD),
    # The demo organization's cardiologist, who evaluated the demo applicant's completed rotation
    # and answers her letter of recommendation on the dashboard (seeding.completion makes the login
    # when it links it to the preceptor).
    "host preceptor": ("preceptor@demo.amo.test", DEMO_PASSWORD),
    "staff": ("staff@demo.amo.test", DEMO_PASSWORD),
}


def demo_user(email: str, **roles):
    from allauth.account.models import EmailAddress

    from amo.models import User

    user, created = User.objects.get_or_create(email=email, defaults=roles)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def seed_demo_accounts() -> dict:
    return {
        "applicant": demo_user(DEMO_LOGINS["applicant"][0], full_name="Amina Okafor", is_applicant=True),
        "host coordinator": demo_user(
            DEMO_LOGINS["host coordinator"][0], full_name="Dana Whitfield", is_host_member=True
        ),
        "host owner": demo_user(DEMO_LOGINS["host owner"][0], full_name="Morgan Ellis", is_host_member=True),
        "staff": _placement_coordinator(
            demo_user(DEMO_LOGINS["staff"][0], full_name="Sam Rivera", is_staff=True)
        ),
    }


def _placement_coordinator(user):
    """The demo staff login works as a placement coordinator: superuser is for the founders only."""
    from django.contrib.auth.models import Group

    from amo.staff_groups import PLACEMENT_COORDINATOR

    if user.is_superuser:  # a database seeded before the staff groups made this login a superuser
        user.is_superuser = False
        user.save(update_fields=["is_superuser"])
    user.groups.add(Group.objects.get(name=PLACEMENT_COORDINATOR))
    return user
