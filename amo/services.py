"""Platform writes shared by every app: the site's identity, notifications, API tokens."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.functions import Power
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from amo.errors import DomainError
from amo.models import ApiToken, Notification, StaffAccess, User
from amo.selectors import user_has_totp
from amo.text import one_line
from amo.transactions import enqueue_on_commit
from amo.validators import single_line_text
from hosts.models import Membership

logger = logging.getLogger(__name__)


def site_sync(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **signal_kwargs) -> None:
    """Make the Site row (SITE_ID) say what SITE_NAME and SITE_URL say.

    allauth's emails speak as this row ("Hello from <name>", subjects "[<name>] ..."); left alone it
    is django.contrib.sites' "example.com", which reads as phishing. Run by the amo migration for a
    new database and after every `migrate` (post_migrate), so a changed setting is followed.
    """
    from django.contrib.sites.models import SITE_CACHE

    Site = apps.get_model("sites", "Site")
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc, "name": settings.SITE_NAME},
    )
    SITE_CACHE.clear()


def email_subject(subject: str) -> str:
    """A subject as every email of ours starts, allauth's included: "[<SITE_NAME>] ...", on one line.

    Subjects quote stored text (a rotation's title, a person's name) that may predate the one-line
    rule or come from a write that skips validation: a line break there would make Django refuse
    the whole email (BadHeaderError), so it becomes a space here.
    """
    return one_line(f"[{settings.SITE_NAME}] {subject}")


def email_signature() -> str:
    """How every email of ours ends, allauth's included: the product's name and address."""
    return render_to_string(
        "email/signature.txt", {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
    ).strip()


def notification_send(*, recipient: User, key: str, subject: str, body: str, link: str = "") -> Notification:
    """Record a notification once per `key` and email it after the caller's transaction commits.

    Calling it again with the same key returns the first notification and sends nothing, so
    services and tasks may call it on every retry.
    """
    notification, created = Notification.objects.get_or_create(
        key=key, defaults={"recipient": recipient, "subject": subject, "body": body, "link": link}
    )
    if created:
        from amo.tasks import email_notification

        enqueue_on_commit(email_notification, notification.pk)
    return notification


def notification_resend(*, notification_id: int) -> Notification:
    """Staff send a notification's email again (the recipient says it never came): the worker
    emails it anew after commit, as it did the first time, and the relay is the backstop. Refused
    while the first email is still on its way, and to a closed account."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("recipient").get(pk=notification_id)
        )
        if notification.emailed_at is None:
            raise DomainError(
                "Its email is not sent yet: it goes out shortly, so nothing more was sent.", status=409
            )
        if not notification.recipient.is_active:
            raise DomainError("The recipient's account is closed: nothing was sent.", status=409)
        notification.emailed_at = None
        notification.email_attempts = 0
        notification.save(update_fields=["emailed_at", "email_attempts"])
        from amo.tasks import email_notification

        enqueue_on_commit(email_notification, notification.pk)
    return notification


def notification_message_id(key: str) -> str:
    """The Message-ID of a notification's email, made from the notification's key: the same for
    the email of a notification written again after a rollback (a reminder's sweep killed after the
    mail server took its email), so a mail client shows the two as one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<notification-{digest}@{urlsplit(settings.SITE_URL).hostname}>"


def notification_email_message(notification: Notification, *, connection=None) -> EmailMultiAlternatives:
    """The email of one notification: plain text with an HTML version of the same words, and a
    Message-ID that names the notification (notification_message_id)."""
    return email_message(
        to=notification.recipient.email,
        key=notification.key,
        subject=notification.subject,
        body=notification.body,
        link=notification.link,
        connection=connection,
    )


def email_message(
    *, to: str, key: str, subject: str, body: str, link: str = "", connection=None
) -> EmailMultiAlternatives:
    """An email of ours to one address: plain text with an HTML version of the same words, the page
    it is about (a path of the site, or an absolute address such as a letter author's signed link)
    and a Message-ID made from `key` (notification_message_id)."""
    if link and not link.startswith(("http://", "https://")):
        link = f"{settings.SITE_URL}{link}"
    signature = email_signature()
    text = "\n\n".join(part for part in (body, link, signature) if part)
    html = render_to_string(
        "email/notification.html",
        {
            "notification": {"subject": subject, "body": body},
            "link": link,
            "signature": signature,
            "site_name": settings.SITE_NAME,
        },
    )
    message = EmailMultiAlternatives(
        email_subject(subject),
        text,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        connection=connection,
        headers={"Message-ID": notification_message_id(key)},
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_email(*, notification_id: int) -> bool:
    """Email one notification unless it was already emailed; True when this call sent it.

    The row lock makes two workers that got the same task send one email between them; a mail
    server error rolls back and the task retries.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("recipient").get(pk=notification_id)
        )
        if notification.emailed_at is not None:
            return False
        notification_email_message(notification).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return True


# The relay: an email its own task never sent (the broker was down when it was enqueued, or the
# mail server kept refusing it) is sent by the every-minute relay task instead. Attempt n is made
# once the row is RELAY_AFTER * 2**n old (5 min, 10, 20, ... about 21 hours for the last).
RELAY_AFTER = timedelta(minutes=5)
RELAY_MAX_ATTEMPTS = 8
RELAY_BATCH = 100


def emails_relay(*, unsent: QuerySet, send: Callable[[int], bool]) -> int:
    """Email each row of `unsent` (a model with created_at, emailed_at and email_attempts) whose own
    task has not emailed it in time, through `send(pk)`, the function that task calls; returns how
    many this run sent.

    At most once: `send` emails a row under its lock only while emailed_at is empty, so the relay
    and a late task racing send one email between them. Bounded: each attempt is counted (and
    committed) before it is made, and a row is given up after RELAY_MAX_ATTEMPTS.
    """
    now = timezone.now()
    backoff = ExpressionWrapper(
        Value(RELAY_AFTER) * Power(2, F("email_attempts")), output_field=DurationField()
    )
    due = (
        unsent.filter(emailed_at__isnull=True, email_attempts__lt=RELAY_MAX_ATTEMPTS)
        .alias(due_at=ExpressionWrapper(F("created_at") + backoff, output_field=DateTimeField()))
        .filter(due_at__lte=now)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RELAY_BATCH]
    )
    sent = 0
    for pk in list(due):
        claimed = unsent.model.objects.filter(
            pk=pk, emailed_at__isnull=True, email_attempts__lt=RELAY_MAX_ATTEMPTS
        ).update(email_attempts=F("email_attempts") + 1)
        if not claimed:
            continue  # emailed meanwhile
        try:
            sent += send(pk)
        except Exception:
            # Whatever failed (the mail server, a message that cannot be built), the rows after this
            # one are still sent; this one is tried again on a later run, within its attempts.
            logger.warning("The relay could not email %s %s", unsent.model._meta.label, pk, exc_info=True)
    return sent


def notifications_relay() -> int:
    """Email the notifications whose own task did not (emails_relay); returns how many were sent."""
    return emails_relay(
        unsent=Notification.objects.all(), send=lambda pk: notification_email(notification_id=pk)
    )


def notifications_mark_read(*, recipient: User, notification_ids: list[int] | None = None) -> int:
    """Mark the recipient's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


# --- API tokens -------------------------------------------------------------------------------------

API_TOKEN_PREFIX = "amo_"  # tells a leaked AMO token apart in logs and secret scanners
API_TOKEN_KEY_LENGTH = ApiToken._meta.get_field("key").max_length
API_TOKEN_LIFETIMES = {30: "30 days", 90: "90 days", 365: "1 year"}  # in days; a year at most
API_TOKEN_ACTIVE_LIMIT = 20
# last_used_at is written at most this often per token, so a busy client does not write on each call.
API_TOKEN_LAST_USED_PRECISION = timedelta(minutes=1)


def secret_digest(secret: str) -> str:
    """The SHA-256 of a random secret of ours (an API token, a calendar feed's address), as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str, lifetime_days: int) -> tuple[ApiToken, str]:
    """Issue an API token for `user`; returns it with its secret, which is never stored nor shown again.

    A token needs a name and one of the offered lifetimes (a year at most), and a person holds at
    most API_TOKEN_ACTIVE_LIMIT tokens that still work. A host owner must have set up two-factor
    authentication first, as the host pages and API require: a token made from a password-only
    session would otherwise outlive the day they turn it on.
    """
    name = single_line_text(name.strip(), field="name")
    if not name:
        raise DomainError("Name the token, e.g. after the script or tool that will use it.", field="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise DomainError("Keep the name to 100 characters.", field="name")
    if lifetime_days not in API_TOKEN_LIFETIMES:
        choices = ", ".join(str(days) for days in API_TOKEN_LIFETIMES)
        raise DomainError(f"Choose a lifetime of {choices} days.", field="lifetime_days")
    is_owner = Membership.objects.filter(user=user, role=Membership.Role.OWNER).exists()
    if is_owner and not user_has_totp(user=user):
        raise DomainError("Host owners set up two-factor authentication before creating an API token.")
    now = timezone.now()
    with transaction.atomic():
        # The user's row lock makes two concurrent requests count each other's tokens.
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = user.api_tokens.filter(revoked_at__isnull=True, expires_at__gt=now).count()
        if active >= API_TOKEN_ACTIVE_LIMIT:
            raise DomainError(
                f"You have {active} API tokens that still work, the most one person may hold: "
                "revoke one you no longer use first."
            )
        secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key=secret[:API_TOKEN_KEY_LENGTH],
            digest=secret_digest(secret),
            last_four=secret[-4:],
            created_at=now,
            expires_at=now + timedelta(days=lifetime_days),
        )
    return token, secret


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Stop one of `user`'s own tokens from working, at once; revoking it again changes nothing.

    Another person's token (or none) is a 404: whether it exists is not revealed.
    """
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            raise DomainError("No such API token.", status=404)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, secret: str) -> ApiToken:
    """The token whose secret this is, if it still works; records when it was last used.

    The row is found by the secret's first characters and its digest compared in constant time.
    Refusals are 401s that say why (unknown, revoked, expired), so a client's owner knows to
    create a new one; only someone holding the whole secret learns more than "invalid".
    """
    digest = secret_digest(secret)
    candidates = ApiToken.objects.filter(key=secret[:API_TOKEN_KEY_LENGTH]).select_related("user")
    token = next((each for each in candidates if hmac.compare_digest(each.digest, digest)), None)
    if token is None:
        raise DomainError("Invalid token.", status=401)
    now = timezone.now()
    if token.revoked_at is not None:
        raise DomainError(
            f"This API token was revoked on {date_format(token.revoked_at)}; create a new one "
            "on your account's API tokens page.",
            status=401,
        )
    if token.expires_at <= now:
        raise DomainError(
            f"This API token expired on {date_format(token.expires_at)}; create a new one "
            "on your account's API tokens page.",
            status=401,
        )
    if not token.user.is_active:
        raise DomainError("This account is deactivated.", status=401)
    if token.last_used_at is None or now - token.last_used_at >= API_TOKEN_LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def staff_access_record(*, user: User, obj: models.Model, page: str) -> StaffAccess:
    """Log that staff member `user` opened `obj` (an applicant's document file, an evaluation) from
    `page`: staff read private things about applicants only with a trace of who read what."""
    return StaffAccess.objects.create(
        user=user, object_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, page=page[:200]
    )
