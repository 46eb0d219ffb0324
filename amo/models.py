"""The account: one User for applicants, host members and staff, logging in by email."""

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from pghistory.models import Events


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Roles: applicant (is_applicant), host member (has memberships), staff (is_staff).

    One person may hold several roles, e.g. a physician who is a host member and also staff.
    """

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_applicant = models.BooleanField(default=False, help_text="Applies for rotations as an IMG.")
    is_host_member = models.BooleanField(default=False, help_text="Acts for one or more host organizations.")
    is_staff = models.BooleanField(default=False, help_text="Can use the staff admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # The optional reminder kinds this person turned off on their account page (amo.reminders);
    # money and deadline reminders are sent whatever this says.
    reminders_off = ArrayField(models.CharField(max_length=32), default=list, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def roles(self) -> set[str]:
        roles = set()
        if self.is_applicant:
            roles.add("applicant")
        if self.is_host_member:
            roles.add("host member")
        if self.is_staff:
            roles.add("staff")
        return roles

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Notification(models.Model):
    """One message to one person about one event, shown in the app and sent by email.

    `key` names the event (e.g. "application:42:rejected"): the unique constraint makes sending
    idempotent, so a retried task or a repeated service call never mails the same news twice.
    """

    key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True, help_text="Path of the page this is about.")
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # How often the relay (amo.services.emails_relay) tried to email it after its own task did not.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"


class ApiToken(models.Model):
    """A personal API token, sent as `Authorization: Token <secret>`; the secret itself is never stored.

    The row keeps the SHA-256 of the secret (the secret is 256 random bits, so a fast hash is
    enough), its first characters (`key`, to find the row before the digest is compared in constant
    time) and its last four (so its owner can tell tokens apart). A token stops working when it
    expires or is revoked; the row stays, so a client that still sends it is told which.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, to tell tokens apart.")
    key = models.CharField(max_length=12, db_index=True, help_text="The secret's first characters.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret, hex.")
    last_four = models.CharField(max_length=4)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (…{self.last_four}) of {self.user}"

    @property
    def status(self) -> str:
        """ "revoked", "expired" or "active"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class Reminder(models.Model):
    """A message planned for a due time, sent once by the every-minute reminders sweep (amo.reminders).

    `key` names the reminder and what it is anchored to (e.g. "rotation_starting:application:42:
    block:7:7d"): the unique constraint makes planning it twice one row, and a reminder whose anchor
    moved (the booking moved to another block) is a new row, while the old one is cancelled.
    A row is sent or cancelled, never both; neither means it is still to come.
    """

    class Kind(models.TextChoices):
        DRAFT_LEFT = "draft_left", "An application left as a draft"
        HOLD_EXPIRING = "hold_expiring", "An offer or a held seat about to expire"
        DOCUMENTS_DUE = "documents_due", "Documents due for a booking"
        BALANCE_DUE = "balance_due", "A balance about to be charged"
        ROTATION_STARTING = "rotation_starting", "A rotation about to start"
        DOCUMENT_EXPIRING = "document_expiring", "A document expiring before a rotation ends"
        APPLICATIONS_WAITING = "applications_waiting", "Applications waiting for a decision"
        BLOCK_CHANGE_WAITING = "block_change_waiting", "Date changes waiting for a decision"
        LETTER_AUTHOR_LINK = "letter_author_link", "A letter request emailed to its author, with its link"
        LETTER_NUDGE = "letter_nudge", "A letter request waiting for its author"
        LETTER_DUE_SOON = "letter_due_soon", "A letter due in ERAS soon"
        LETTER_ESCALATED = "letter_escalated", "A letter request still not submitted after three weeks"

    key = models.CharField(max_length=200, unique=True)
    # A person with an account, or an email address of someone without one (a letter's author):
    # exactly one of the two. An address is sent the email only, with no in-app notification.
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    to_address = models.EmailField(blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What the reminder is about: an application, a document, a date change, a membership.
    about_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    about_id = models.PositiveBigIntegerField()
    about = GenericForeignKey("about_type", "about_id")
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Why it was not sent, in words: "The offer was accepted.", "Turned off on the account page."
    cancel_reason = models.CharField(max_length=200, blank=True)
    notification = models.OneToOneField(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminder"
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="reminder_sent_or_cancelled_not_both",
            ),
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(to_address=""))
                | (Q(recipient__isnull=True) & ~Q(to_address="")),
                name="reminder_to_a_person_or_an_address",
            ),
        ]
        indexes = [
            # The sweep's question: what is due and still to come, oldest first, in the order it
            # takes them (due_at, id), so each take reads the first rows of this index, not every
            # due row, whatever the backlog.
            models.Index(
                fields=["due_at", "id"],
                name="reminder_due_in_sweep_order",
                condition=Q(sent_at__isnull=True, cancelled_at__isnull=True),
            ),
            models.Index(fields=["about_type", "about_id"], name="reminder_about"),
            models.Index(fields=["recipient", "due_at"], name="reminder_recipient_due"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} → {self.recipient or self.to_address} at {self.due_at:%Y-%m-%d %H:%M}"
        )


class CalendarFeed(models.Model):
    """A person's private calendar feed (ICS): their bookings and deadlines, read by calendar apps
    at `/calendar/<secret>.ics` without signing in, so the secret in the address is the only key.

    Kept as API tokens are: the row holds the SHA-256 of the secret (256 random bits, so a fast hash
    is enough), never the secret, and the address is shown once, when it is made. The feed shows
    other people's names (a host member's lists applicants) and where they will be: a copy of the
    database or a staff screen must not be enough to read it. Viewing the address again is traded for
    that; whoever loses it replaces it, which also ends every copy they gave away. One feed works per
    person at a time: replacing revokes the old one, whose row stays as history.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret, hex.")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_working_per_user",
                violation_error_message="You already have a calendar feed.",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class AuditEvent(Events):
    """Every tracked model's events in one list (amo/audit.py): pghistory's aggregate of the event
    tables, read-only, with what each event's context says of who acted."""

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True),
    )
    url = pghistory.ProxyField("pgh_context__url", models.TextField(null=True))
    task = pghistory.ProxyField("pgh_context__task", models.TextField(null=True))
    command = pghistory.ProxyField("pgh_context__command", models.TextField(null=True))

    class Meta:
        proxy = True
        verbose_name = "audit event"


class StaffAccess(models.Model):
    """One opening by staff of something private about an applicant: a document's file or a
    preceptor's evaluation. Who, when, which object, from which page. Written only by
    amo.services.staff_access_record; kept for good. Letters of recommendation keep their own log
    (applicants.models.LetterFileAccess), which also records their authors and applicants."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    opened = GenericForeignKey("object_type", "object_id")
    page = models.CharField(max_length=200, blank=True, help_text="The page it was opened from.")
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = "staff access"
        verbose_name_plural = "staff accesses"
        indexes = [models.Index(fields=["object_type", "object_id"], name="staff_access_object_idx")]

    def __str__(self) -> str:
        return f"{self.object_type.name} {self.object_id} opened {self.opened_at:%Y-%m-%d %H:%M}"
