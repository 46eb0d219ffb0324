"""The demo's letter of recommendation (seeding/letters.py): the demo preceptor login answers the
demo applicant's letter on the dashboard, made through the services, once."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from amo.models import User
from applicants.models import Application, LetterRequest, LetterTransition, LetterVersion
from hosts.models import Invitation, Membership
from seeding.accounts import DEMO_LOGINS, DEMO_PASSWORD
from seeding.letters import DEMO_LETTER_ID, seed_demo_letter
from tests.applicants.letters import pdf_text
from tests.hosts.conftest import login

pytestmark = pytest.mark.django_db
S = LetterRequest.Status


def rows() -> tuple:
    return (
        LetterRequest.objects.count(),
        LetterVersion.objects.count(),
        LetterTransition.objects.count(),
        Membership.objects.count(),
        Invitation.objects.count(),
    )


def test_the_demo_preceptor_can_sign_in_and_answers_the_demo_applicants_letter_on_her_completed_rotation(
    client,
):
    call_command("seed_demo", stdout=StringIO())
    preceptor_login = User.objects.get(email=DEMO_LOGINS["host preceptor"][0])
    assert preceptor_login.check_password(DEMO_PASSWORD)
    membership = Membership.objects.get(user=preceptor_login)
    assert membership.role == Membership.Role.PRECEPTOR

    # The seed asked for it on her completed rotation, of its preceptor: the demo login.
    letter = LetterRequest.objects.get()
    assert (letter.eras_letter_id, letter.status, letter.waived) == (DEMO_LETTER_ID, S.UPLOADED, True)
    assert letter.application.applicant.user.email == DEMO_LOGINS["applicant"][0]
    assert letter.application.status == Application.Status.COMPLETED
    assert letter.preceptor_id == membership.preceptor_id
    assert letter.submitted_at is None
    [version] = letter.versions.all()
    version.file.open("rb")
    assert "I recommend" in pdf_text(version.file.read())
    version.file.close()
    assert [t.actor_id for t in letter.transitions.order_by("pk")] == [preceptor_login.pk] * 2
    # Seeding again changes nothing.
    made = rows()
    assert seed_demo_letter() == letter
    call_command("seed_demo", stdout=StringIO())
    assert rows() == made

    login(client, membership)
    listed = client.get(reverse("hosts:letters"))
    assert [row.pk for row in listed.context["object_list"]] == [letter.pk]
    page = client.get(reverse("hosts:letter_detail", args=[letter.pk]))
    assert page.context["is_author"] and page.context["confirm_form"] is not None
