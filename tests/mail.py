"""What an email says, read the way a recipient sees it, for tests that judge our mail."""

from email import message_from_bytes
from email.message import Message

from django.core.mail import EmailMessage

# django.contrib.sites' default Site: mail naming it speaks as nobody and reads as phishing.
PLACEHOLDER_SITE = "example.com"


def _mime_text(mime: Message) -> str:
    """Headers (decoded) and every text part (decoded from base64 / quoted-printable)."""
    from email.header import decode_header, make_header

    headers = "\n".join(f"{name}: {make_header(decode_header(value))}" for name, value in mime.items())
    parts = [
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in mime.walk()
        if part.get_content_maintype() == "text"
    ]
    return "\n".join([headers, *parts])


def email_text(message: EmailMessage) -> str:
    """A message Django sent (mail.outbox), as it goes out."""
    return _mime_text(message_from_bytes(message.message().as_bytes()))


def envelope_text(envelope) -> str:
    """A message an SMTP server received (aiosmtpd's Envelope)."""
    return _mime_text(message_from_bytes(envelope.original_content or envelope.content))


def assert_no_placeholder_site(text: str) -> None:
    assert PLACEHOLDER_SITE not in text.lower(), f"an email speaks as {PLACEHOLDER_SITE}:\n{text}"
