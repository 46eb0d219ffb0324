"""The waiver: an applicant who waived the right to see a letter can reach nothing of it.

As the applicant of a waived letter whose author uploaded two versions, the test opens every URL
pattern the project serves (read from the resolver, each path parameter filled with the ids of that
applicant's own objects: the booking, the letter, its versions, a document, the enrollment letter,
notifications...), which takes in every API answer they can GET, and proves that no answer carries
the letter: not its text (a marker written in the PDF, looked for in the bytes and in the text of
any PDF served), its bytes, its SHA-256, its file names or stored names, no Content-Disposition
naming it, no link to a download of it, and no API object of the letter with a file field. Their
notifications and the emails sent to them carry none of it either.

The control runs the same walk for a letter its applicant did not waive: the walk finds the
download, on the page and in the API, so it is a walk that can fail.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass, field

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from amo.models import Notification
from amo.services import notification_email
from applicants.models import Application, LetterRequest, LetterVersion
from applicants.services.letters import enrollment_letter_follow
from tests.applicants.letters import Booking, booking_with_author, letter_requested, letter_uploaded, pdf_text
from tests.factories import PDF_BYTES, DocumentFactory

pytestmark = pytest.mark.django_db

# Keys that would say anything of a letter's file in an API object about it.
FILE_KEYS = {"download_url", "file", "file_url", "filename", "size_bytes", "sha256", "versions", "page_count"}
# Path parameters that are not ids, with the values the applicant could put there.
STRING_VALUES = {
    "purpose": ["deposit", "balance"],
    "token": ["not-a-token"],
    "secret": ["A" * 43],
    "uidb36": ["1"],
    "key": ["not-a-key"],
}


@dataclass
class Secrets:
    """What would give a letter away, and the applicant's ids to fill path parameters with."""

    letter: LetterRequest
    marker: str
    versions: list[LetterVersion]
    ids: dict[str, list[int]] = field(default_factory=dict)
    strings: dict[str, list[str]] = field(default_factory=dict)

    def byte_needles(self) -> dict[str, bytes]:
        needles = {"the marker": self.marker.encode()}
        for version in self.versions:
            version.file.open("rb")
            data = version.file.read()
            version.file.close()
            middle = len(data) // 2
            needles |= {
                f"version {version.number}'s bytes": data[middle : middle + 48],
                f"version {version.number}'s sha256": version.sha256.encode(),
                f"version {version.number}'s file name": version.filename.encode(),
                f"version {version.number}'s stored name": version.file.name.rsplit("/", 1)[-1].encode(),
            }
        return needles

    def download_urls(self) -> dict[str, str]:
        return {
            "the page's download": reverse("applicants:letter_file", args=[self.letter.pk]),
            "the API's download": reverse("applicants_api:letter_file", args=[self.letter.pk]),
        }


def letter_with_versions(*, waived: bool) -> tuple[Booking, Secrets]:
    """A booking (with a vault document and its enrollment letter) whose letter's author uploaded two
    versions, each with a marker in its text; the applicant was told of each step."""
    booking = booking_with_author()
    application = booking.application
    document = DocumentFactory(applicant=application.applicant)
    with transaction.atomic():
        enrollment = enrollment_letter_follow(application)
    letter = letter_requested(booking, waived=waived)
    marker = f"MARKER-{uuid.uuid4().hex}"
    versions = letter_uploaded(booking, letter, texts=[f"{marker} first", f"{marker} second"])
    notifications = list(
        Notification.objects.filter(recipient=booking.applicant_user).values_list("pk", flat=True)
    )
    assert notifications, "the applicant was told of the letter's progress"
    every_id = sorted(
        {
            application.pk,
            application.block_id,
            application.block.rotation_id,
            letter.pk,
            document.pk,
            enrollment.pk,
            *(version.pk for version in versions),
            *(version.number for version in versions),
            *notifications,
        }
    )
    secrets = Secrets(
        letter=letter,
        marker=marker,
        versions=versions,
        ids={
            "": every_id,
            "number": [version.number for version in versions],
            "document_id": [document.pk],
            "block_id": [application.block_id],
        },
        strings={
            "code": [enrollment.code, enrollment.code_display],
            "slug": [application.block.rotation.slug],
            "object_id": [str(pk) for pk in every_id],
            "app_label": ["applicants"],
        },
    )
    return booking, secrets


def every_pattern() -> list[tuple[str, list[str]]]:
    """The name (with its namespace) and the path parameters of every URL pattern served."""
    found = []

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append((name, list(pattern.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "")
    return found


def urls_to_walk(secrets: Secrets) -> tuple[set[str], set[str]]:
    """Every URL of every pattern with its parameters filled every way the applicant's ids allow,
    and the names of the patterns no value of theirs fits (none must be a letter's)."""
    urls, unfilled = set(), set()
    for name, parameters in every_pattern():
        choices = []
        for parameter in parameters:
            if parameter in secrets.strings or parameter in STRING_VALUES:
                choices.append(secrets.strings.get(parameter) or STRING_VALUES[parameter])
            else:
                choices.append(secrets.ids.get(parameter) or secrets.ids[""])
        reached = False
        for values in itertools.product(*choices):
            try:
                urls.add(reverse(name, kwargs=dict(zip(parameters, values, strict=True))))
                reached = True
            except NoReverseMatch:
                continue
        if not reached:
            unfilled.add(name)
    return urls, unfilled


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def json_leaks(value, letter: LetterRequest) -> list[str]:
    """Any object of the letter in an API answer that carries a file field."""
    found = []
    if isinstance(value, dict):
        about_letter = value.get("eras_letter_id") == letter.eras_letter_id
        if about_letter and FILE_KEYS & set(value):
            found.append(f"an API object of the letter with {sorted(FILE_KEYS & set(value))}")
        for item in value.values():
            found += json_leaks(item, letter)
    elif isinstance(value, list):
        for item in value:
            found += json_leaks(item, letter)
    return found


def leaks_in(
    where: str, body: bytes, secrets: Secrets, *, headers: dict | None = None, requested: str = ""
) -> list[str]:
    """What of the letter `body` gives away; the address `requested` itself, which an answer may
    repeat ("not found: <path>"), is no link to it."""
    found = [f"{where}: {what}" for what, needle in secrets.byte_needles().items() if needle in body]
    if body.startswith(b"%PDF"):
        try:
            text = pdf_text(body)
        except Exception:  # a PDF of ours that pypdf cannot read says nothing of the letter
            text = ""
        if secrets.marker in text:
            found.append(f"{where}: the letter's text in a PDF")
    text = body.decode(errors="replace")
    found += [
        f"{where}: a link to {what}"
        for what, url in secrets.download_urls().items()
        if url in text and url != requested
    ]
    disposition = (headers or {}).get("Content-Disposition", "")
    if any(version.filename in disposition for version in secrets.versions):
        found.append(f"{where}: a download named as the letter")
    if (headers or {}).get("Content-Type", "").startswith("application/json"):
        found += [f"{where}: {leak}" for leak in json_leaks(json.loads(body or b"null"), secrets.letter)]
    return found


def walk(client: Client, secrets: Secrets) -> list[str]:
    """Every leak of the letter in any answer to a GET the applicant can make."""
    urls, unfilled = urls_to_walk(secrets)
    assert not [name for name in unfilled if "letter" in name], unfilled
    assert len(urls) > 150
    found = []
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        headers = dict(response.headers)
        found += leaks_in(f"GET {url}", body_of(response), secrets, headers=headers, requested=url)
    return found


def messages_leaks(booking: Booking, secrets: Secrets) -> list[str]:
    """Any leak in the applicant's notifications, and in every email sent to them."""
    user = booking.applicant_user
    found = []
    for notification in Notification.objects.filter(recipient=user):
        notification_email(notification_id=notification.pk)
        text = f"{notification.subject}\n{notification.body}\n{notification.link}".encode()
        found += leaks_in(f"notification {notification.key}", text, secrets)
    emails = [message for message in mail.outbox if user.email in message.to]
    assert emails, "the applicant's notifications were emailed"
    for message in emails:
        parts = [message.subject.encode(), message.body.encode()]
        parts += [content.encode() for content, _ in getattr(message, "alternatives", [])]
        found += leaks_in(f"email {message.subject!r}", b"\n".join(parts), secrets)
        for attachment in message.attachments:
            content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload(decode=True)
            content = content.encode() if isinstance(content, str) else content
            found += leaks_in(f"an attachment of {message.subject!r}", content, secrets)
    return found


def test_the_applicant_of_a_waived_letter_reaches_nothing_of_it_and_the_walk_finds_a_letter_not_waived():
    booking, secrets = letter_with_versions(waived=True)
    client = Client()
    client.force_login(booking.applicant_user)
    assert walk(client, secrets) == []
    assert messages_leaks(booking, secrets) == []
    # They follow its status and dates.
    page = client.get(reverse("applicants:application_detail", args=[booking.application.pk]))
    assert "Letter received for safekeeping" in page.content.decode()

    # The control: the same walk, for a letter its applicant kept the right to see.
    control, control_secrets = letter_with_versions(waived=False)
    control_client = Client()
    control_client.force_login(control.applicant_user)
    found = walk(control_client, control_secrets)
    assert any("a link to the page's download" in leak for leak in found), found
    assert any("a link to the API's download" in leak for leak in found), found
    letter_url = reverse("applicants:letter_file", args=[control_secrets.letter.pk])
    assert any(leak.startswith(f"GET {letter_url}: ") and "the letter's text" in leak for leak in found), (
        found
    )
    assert any("a download named as the letter" in leak for leak in found), found


def test_the_needles_find_the_letter_in_its_own_file():
    """What the walk looks for is in the stored letter: finding none of it means something."""
    _, secrets = letter_with_versions(waived=True)
    newest = secrets.versions[-1]
    newest.file.open("rb")
    data = newest.file.read()
    newest.file.close()
    found = leaks_in("the stored file", data, secrets)
    assert f"the stored file: version {newest.number}'s bytes" in found
    assert "the stored file: the letter's text in a PDF" in found
    assert re.search(r"MARKER-[0-9a-f]{32}", pdf_text(data))
    assert leaks_in("an unrelated PDF", PDF_BYTES, secrets) == []
    assert Application.objects.filter(pk=secrets.letter.application_id).exists()
