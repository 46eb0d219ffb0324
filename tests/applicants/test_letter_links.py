"""The author's emailed link: it works for its one request, for 30 days, while it is the newest and
the request is open. An expired, tampered, replaced, used-up or other letter's link acts on nothing;
its page says which, in words, and offers a fresh link by email where one helps. The pages never
leak the token (no cache, no index, no Referer) and a GET changes nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from amo.models import Reminder
from applicants import services
from applicants.letter_links import (
    LINK_SALT,
    LetterLinkRefused,
    letter_author_token,
    letter_author_token_read,
)
from applicants.lor_workflow import AUTHOR_LINK_LIFETIME, ActorRole
from applicants.models import LetterRequest, LetterTransition
from tests.factories import letter_request

pytestmark = pytest.mark.django_db

S = LetterRequest.Status
K = Reminder.Kind


def page(token: str, action: str = "") -> str:
    name = f"applicants:letter_author_{action}" if action else "applicants:letter_author"
    return reverse(name, kwargs={"token": token})


def snapshot(letter: LetterRequest) -> tuple:
    return (
        LetterRequest.objects.values().get(pk=letter.pk),
        LetterTransition.objects.filter(letter_request=letter).count(),
        Reminder.objects.filter(kind=K.LETTER_AUTHOR_LINK).count(),
    )


def assert_refused(
    client, token: str, letter: LetterRequest | None, *, reason: str, status: int, fresh: bool
):
    """Every action of `token` is refused with the page for `reason`, and nothing changes."""
    before = snapshot(letter) if letter else None
    for action, data in [
        ("", None),
        ("accept", {}),
        ("decline", {"reason": "No."}),
        ("confirm", {"eras_submitted_on": "2026-01-01"}),
    ]:
        response = client.post(page(token, action), data) if data is not None else client.get(page(token))
        assert response.status_code == status, action
        text = response.content.decode()
        assert f'data-reason="{reason}"' in text
        assert ("Email me a fresh link" in text) is fresh
    if letter:
        assert snapshot(letter) == before


def test_the_authors_page_shows_the_request_and_keeps_its_token_to_itself(client):
    letter = letter_request(waived=True)
    token = letter_author_token(letter)
    before = snapshot(letter)
    response = client.get(page(token))
    assert response.status_code == 200
    text = response.content.decode()
    for shown in (
        letter.application.applicant.legal_name,
        letter.eras_letter_id,
        "Waived",
        "Accept to write this letter",
    ):
        assert shown in text
    assert 'name="robots" content="noindex, nofollow"' in text
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert snapshot(letter) == before  # a GET changes nothing
    form = client.get(page(token, "request_form"))
    assert form.status_code == 200 and form["Content-Disposition"].startswith("attachment;")


def test_a_working_link_accepts_once(client):
    letter = letter_request()
    token = letter_author_token(letter)
    assert client.post(page(token, "accept")).status_code == 302
    letter.refresh_from_db()
    assert letter.status == S.ACCEPTED
    again = client.post(page(token, "accept"))
    assert again.status_code == 409
    assert "This letter request is already accepted." in again.content.decode()
    assert LetterTransition.objects.filter(letter_request=letter).count() == 1


def test_a_link_older_than_30_days_is_refused_as_expired_and_offers_a_fresh_one(client):
    letter = letter_request()
    token = letter_author_token(letter)
    with time_machine.travel(timezone.now() + AUTHOR_LINK_LIFETIME - timedelta(seconds=5)):
        assert letter_author_token_read(token) == letter
    with time_machine.travel(timezone.now() + AUTHOR_LINK_LIFETIME + timedelta(seconds=1)):
        assert_refused(client, token, letter, reason="expired", status=410, fresh=True)
        assert "has expired" in client.get(page(token)).content.decode()


def test_a_tampered_link_is_refused_and_offers_nothing_to_send(client):
    letter = letter_request()
    token = letter_author_token(letter)
    changed = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert_refused(client, changed, letter, reason="tampered", status=403, fresh=False)
    response = client.post(page(changed, "fresh_link"))
    assert response.status_code == 403
    assert snapshot(letter)[2] == 1  # only the request's own email


def test_another_letters_link_never_acts_on_this_one(client):
    letter, other = letter_request(), letter_request()
    # The other letter's signature over this letter's id is a broken signature.
    forged = signing.dumps({"letter": letter.pk, "generation": 1}, salt=LINK_SALT, compress=False)
    other_signature = letter_author_token(other).rsplit(":", 1)[1]
    assert_refused(
        client,
        forged.rsplit(":", 1)[0] + ":" + other_signature,
        letter,
        reason="tampered",
        status=403,
        fresh=False,
    )
    # The other letter's own link acts on the other letter only, and cannot fetch this one's files.
    before = snapshot(letter)
    services.letter_accept(letter=letter, actor=None, role=ActorRole.AUTHOR_LINK)
    services.letter_upload(letter=letter, actor=None, role=ActorRole.AUTHOR_LINK, file=_pdf_upload())
    other_token = letter_author_token(other)
    assert (
        client.get(
            reverse("applicants:letter_author_version", kwargs={"token": other_token, "number": 1})
        ).status_code
        == 404
    )
    assert client.post(page(other_token, "decline"), {"reason": "Not mine."}).status_code == 302
    letter.refresh_from_db()
    other.refresh_from_db()
    assert (letter.status, other.status) == (S.UPLOADED, S.DECLINED)
    assert before[0]["link_generation"] == letter.link_generation


def _pdf_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.pdfs import letter_pdf_bytes

    return SimpleUploadedFile("letter.pdf", letter_pdf_bytes(), "application/pdf")


def test_a_link_of_a_final_request_is_used_up_and_offers_no_fresh_one(client):
    letter = letter_request()
    token = letter_author_token(letter)
    services.letter_decline(letter=letter, actor=None, role=ActorRole.AUTHOR_LINK, reason="Away all year.")
    assert_refused(client, token, letter, reason="used_up", status=410, fresh=False)
    with pytest.raises(LetterLinkRefused) as refused:
        letter_author_token_read(token)
    assert (refused.value.reason, refused.value.letter) == ("used_up", letter)
    response = client.post(page(token, "fresh_link"))
    assert response.status_code == 410
    assert letter.link_generation == LetterRequest.objects.get(pk=letter.pk).link_generation


def test_email_me_a_fresh_link_replaces_the_old_one_goes_to_the_address_on_record_and_is_rate_limited(client):
    letter = letter_request()
    old = letter_author_token(letter)
    with time_machine.travel(timezone.now() + AUTHOR_LINK_LIFETIME + timedelta(minutes=1)):
        response = client.post(page(old, "fresh_link"), {"email": "attacker@evil.test"})
        assert response.status_code == 200
        assert "j…@hospital.test" in response.content.decode()
        letter.refresh_from_db()
        assert letter.link_generation == 2
        sent = Reminder.objects.filter(kind=K.LETTER_AUTHOR_LINK).order_by("created_at", "id")
        assert [(r.key.endswith(":g2"), r.to_address, r.recipient_id) for r in sent][1] == (
            True,
            "jane.smith@hospital.test",
            None,
        )
        assert letter.application.applicant.user.notifications.filter(
            key=f"letter:{letter.pk}:link:2"
        ).exists()
        # The old link is replaced now, and acts on nothing.
        assert_refused(client, old, letter, reason="replaced", status=410, fresh=True)
        # Asking again within 10 minutes sends nothing.
        again = client.post(page(old, "fresh_link"))
        assert again.status_code == 429
        assert "less than 10 minutes ago" in again.content.decode()
        letter.refresh_from_db()
        assert letter.link_generation == 2
    # The fresh link works.
    fresh = letter_author_token(letter)
    assert client.get(page(fresh)).status_code == 200
