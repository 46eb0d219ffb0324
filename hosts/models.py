"""Host organizations (the tenants), their preceptors and members."""

import operator
from functools import reduce
from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from amo.validators import MAX_DESCRIPTION_CHARS
from rotations.states import US_STATES

# Five digits, or ZIP+4; the database's constraint says the same in its own words.
ZIP_CODE = r"^[0-9]{5}(-[0-9]{4})?$"


class OrganizationQuerySet(models.QuerySet):
    """Base for every queryset of host-owned data: `for_org` is the one tenant filter.

    A model that belongs to an organization names the path to it in `organization_path`.
    `for_member` narrows further for a preceptor, to what hangs off the rotations they supervise:
    `preceptor_path` names the path to that preceptor's id (by default the organization's path with
    its last step swapped for the rotation's preceptor); "" means a preceptor sees none of it.
    """

    organization_path = "organization"
    preceptor_path: str | None = None

    def for_org(self, organization) -> "OrganizationQuerySet":
        return self.filter(**{self.organization_path: organization})

    def for_member(self, membership: "Membership") -> "OrganizationQuerySet":
        """What this member may see: their organization's rows, a preceptor's own rotations only."""
        scoped = self.for_org(membership.organization_id)
        if membership.role != Membership.Role.PRECEPTOR:
            return scoped
        path = self.preceptor_path
        if path is None:
            path = self.organization_path.removesuffix("organization") + "preceptor"
        if not path or membership.preceptor_id is None:
            return scoped.none()
        return scoped.filter(**{path: membership.preceptor_id})

    def for_members(self, memberships) -> "OrganizationQuerySet":
        """What any of these memberships may see (one person's organizations at once, as their
        calendar feed lists them): each one's `for_member` rows, in one query."""
        return reduce(operator.or_, (self.for_member(membership) for membership in memberships), self.none())


class PreceptorQuerySet(OrganizationQuerySet):
    preceptor_path = "pk"


class MembershipQuerySet(OrganizationQuerySet):
    preceptor_path = ""


class Organization(models.Model):
    class Kind(models.TextChoices):
        HOSPITAL = "hospital", "Hospital"
        CLINIC = "clinic", "Clinic"
        PRIVATE_PRACTICE = "private_practice", "Private practice"
        RESEARCH_INSTITUTE = "research_institute", "Research institute"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, choices=US_STATES)
    zip_code = models.CharField(
        "ZIP code",
        max_length=10,
        validators=[RegexValidator(ZIP_CODE, "Enter a 5-digit ZIP code or ZIP+4, e.g. 60611 or 60611-2923.")],
        help_text="5 digits, or ZIP+4.",
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(
        blank=True, max_length=MAX_DESCRIPTION_CHARS, validators=[MaxLengthValidator(MAX_DESCRIPTION_CHARS)]
    )
    is_verified = models.BooleanField(default=False, help_text="Set by staff; only verified hosts publish.")
    commission_rate_bps = models.PositiveIntegerField(
        default=1500, help_text="Platform commission in basis points of the program fee (1500 = 15%)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate_bps__lte=10000), name="organization_commission_at_most_100pct"
            ),
            models.CheckConstraint(
                condition=Q(state__in=[code for code, _ in US_STATES]), name="organization_state_code"
            ),
            models.CheckConstraint(condition=Q(zip_code__regex=ZIP_CODE), name="organization_zip_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        """Where the organization is, on one line: "1200 N Lake Shore Dr, Chicago, IL 60611"."""
        street = f"{self.address_line}, " if self.address_line else ""
        return f"{street}{self.city}, {self.state} {self.zip_code}"

    @property
    def map_url(self) -> str:
        """The site on OpenStreetMap: a plain link (pages load nothing from there), at its
        coordinates when staff recorded them, else a search for its address."""
        if self.latitude is not None and self.longitude is not None:
            return (
                f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}"
                f"#map=17/{self.latitude}/{self.longitude}"
            )
        return f"https://www.openstreetmap.org/search?{urlencode({'query': self.address})}"


class Preceptor(models.Model):
    """The U.S. physician who supervises applicants on a rotation and may write their LoR."""

    class Credentials(models.TextChoices):
        MD = "MD", "MD"
        DO = "DO", "DO"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="preceptors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="preceptor_roles",
    )
    full_name = models.CharField(max_length=200)
    credentials = models.CharField(max_length=2, choices=Credentials.choices)
    board_certification = models.CharField(max_length=200, blank=True)
    specialty = models.ForeignKey("rotations.Specialty", on_delete=models.PROTECT, related_name="preceptors")
    npi_number = models.CharField("NPI number", max_length=10, blank=True)

    objects = PreceptorQuerySet.as_manager()

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(npi_number="") | Q(npi_number__regex=r"^\d{10}$"), name="preceptor_npi_ten_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.get_credentials_display()}"


class Membership(models.Model):
    """A person acting for a host organization, with one role there."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        COORDINATOR = "coordinator", "Coordinator"
        PRECEPTOR = "preceptor", "Preceptor"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    preceptor = models.ForeignKey(
        Preceptor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
        help_text="For the preceptor role: which preceptor record this member is.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_one_per_org_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"


class Invitation(models.Model):
    """An invitation to join an organization, sent by email as a signed link; used once at most.

    The database keeps one pending (neither accepted nor revoked) invitation per organization and
    email; accepting sets `accepted_at` under the row lock, so a link cannot be used twice.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Membership.Role.choices)
    preceptor = models.ForeignKey(
        Preceptor,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
        help_text="For the preceptor role: which preceptor record the invitee will be.",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    # How often the relay (amo.services.emails_relay) tried to email it after its own task did not.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_org_email",
                violation_error_message="This address already has a pending invitation.",
            ),
            models.CheckConstraint(
                condition=~Q(role="preceptor") | Q(preceptor__isnull=False),
                name="invitation_preceptor_role_names_preceptor",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_both_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} at {self.organization}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
