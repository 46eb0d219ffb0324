"""What an email says, read the way a recipient sees it, for tests that judge our mail; and real
SMTP servers (aiosmtpd) to send it to."""

import asyncio
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

from django.core.mail import EmailMessage

from seeding.bench_reminders import smtp_server_running

__all__ = ["smtp_server_running"]  # tests start their SMTP servers with the benchmark's

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


@dataclass(frozen=True)
class Accepted:
    """One message an SMTP server accepted: its Message-ID, its recipient, the connection it came
    over (the client's address and port) and when (Unix time)."""

    message_id: str
    recipient: str
    peer: tuple
    at: float


class SlowMailServer:
    """An aiosmtpd handler that takes `delay` seconds over each recipient (RCPT), may hold the
    `hold_at`-th recipient until `release` is set, and records each message it accepted (Accepted)
    once the client has sent it whole: a message counted here is one the client saw accepted,
    unless the client died in the moment between the two."""

    HOLD_LIMIT = 120.0  # seconds a held recipient waits at most for its release

    def __init__(self, *, delay: float = 0.0, hold_at: int | None = None) -> None:
        self.delay = delay
        self.hold_at = hold_at
        self.recipients_seen = 0
        self.holding = threading.Event()
        self.release = threading.Event()
        self.accepted: list[Accepted] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.recipients_seen += 1
        if self.recipients_seen == self.hold_at:
            self.holding.set()
            deadline = time.monotonic() + self.HOLD_LIMIT
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        if self.delay:
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.accepted.append(Accepted(message["Message-ID"], envelope.rcpt_tos[0], session.peer, time.time()))
        return "250 Message accepted for delivery"
