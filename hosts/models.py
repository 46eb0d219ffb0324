"""Host organizations (the tenants), their preceptors and members."""

import json
import operator
from dataclasses import dataclass
from datetime import date
from functools import reduce
from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, JSONObject, Lower, TruncDate
from django.utils import timezone

from amo.audit import tracked
from amo.validators import MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS
from hosts.npi import NPI_PATTERN, validate_npi
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


@tracked()
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

    # Its standing verification, where the catalog's selectors read it (verification_summary).
    verification: "VerificationSummary | None" = None

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
    npi_number = models.CharField("NPI number", max_length=10, blank=True, validators=[validate_npi])

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


@tracked(indexes=[models.Index(fields=["organization"], name="membership_event_org_idx")])
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


class Accreditation(models.TextChoices):
    """What staff checked an organization against. The first four are the accrediting organizations
    CMS recognizes as deeming hospitals compliant with Medicare's conditions of participation
    (CMS, "Accrediting Organizations" approved under 42 CFR 488.5; ACHC took over HFAP in 2020);
    AAAHC accredits ambulatory and office-based care; ACGME accredits residency and fellowship
    programs, so a host that runs one is vetted for teaching; AAHRPP accredits the human research
    protection programs of research institutes. A private practice or a clinic without any of them
    is checked against its state license."""

    JOINT_COMMISSION = "joint_commission", "The Joint Commission"
    DNV = "dnv", "DNV Healthcare"
    ACHC = "achc", "Accreditation Commission for Health Care (ACHC, formerly HFAP)"
    CIHQ = "cihq", "Center for Improvement in Healthcare Quality (CIHQ)"
    AAAHC = "aaahc", "Accreditation Association for Ambulatory Health Care (AAAHC)"
    ACGME = "acgme", "ACGME-accredited residency or fellowship program"
    AAHRPP = "aahrpp", "AAHRPP-accredited human research protection program"
    STATE_LICENSE = "state_license", "State-licensed facility"
    NONE = "none", "None"

    @property
    def as_checked(self) -> str:
        """What the badge says was checked: "Joint Commission accreditation", "state facility license";
        empty for none."""
        return ACCREDITATION_CHECKED.get(self, "")


ACCREDITATION_CHECKED = {
    Accreditation.JOINT_COMMISSION: "Joint Commission accreditation",
    Accreditation.DNV: "DNV Healthcare accreditation",
    Accreditation.ACHC: "ACHC accreditation",
    Accreditation.CIHQ: "CIHQ accreditation",
    Accreditation.AAAHC: "AAAHC accreditation",
    Accreditation.ACGME: "ACGME program accreditation",
    Accreditation.AAHRPP: "AAHRPP accreditation",
    Accreditation.STATE_LICENSE: "state facility license",
}


class OrganizationVerificationQuerySet(models.QuerySet):
    def standing(self) -> "OrganizationVerificationQuerySet":
        """Records not withdrawn; an organization's latest of them is its standing verification."""
        return self.filter(withdrawn_at__isnull=True, organization__is_verified=True)


class OrganizationVerification(models.Model):
    """How staff verified an organization, as they recorded it; never edited.

    A new verification is a new row. The latest row not withdrawn stands while the organization is
    verified. Withdrawing stamps the rows standing then (who, when, why) and nothing else: a trigger
    (hosts' migration that creates this table) refuses any other change.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="verifications")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(default=timezone.now)
    accreditation = models.CharField(max_length=32, choices=Accreditation.choices)
    accreditation_reference = models.CharField(
        max_length=100, blank=True, help_text="The accreditor's number or the license number, if any."
    )
    accreditation_expires_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True, max_length=MAX_REASON_CHARS)

    objects = OrganizationVerificationQuerySet.as_manager()

    class Meta:
        ordering = ["-verified_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "-verified_at", "-id"],
                condition=Q(withdrawn_at__isnull=True),
                name="verification_standing",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(accreditation__in=Accreditation.values), name="verification_accreditation_known"
            ),
            models.CheckConstraint(
                condition=~Q(accreditation=Accreditation.NONE)
                | Q(accreditation_reference="", accreditation_expires_on__isnull=True),
                name="verification_no_reference_without_accreditation",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdrawal_reason="")
                | (Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False) & ~Q(withdrawal_reason="")),
                name="verification_withdrawn_with_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} verified on {self.verified_at:%Y-%m-%d}"


class PreceptorCheck(models.Model):
    """One preceptor's NPI number and state license, as staff checked them for a verification."""

    verification = models.ForeignKey(
        OrganizationVerification, on_delete=models.CASCADE, related_name="preceptor_checks"
    )
    # The record outlives a preceptor the organization later removes: what was checked stays.
    preceptor = models.ForeignKey(Preceptor, null=True, on_delete=models.SET_NULL, related_name="checks")
    npi_number = models.CharField("NPI number", max_length=10, validators=[validate_npi])
    license_number = models.CharField("state license number", max_length=30)
    license_state = models.CharField("license state", max_length=2, choices=US_STATES)
    checked_on = models.DateField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["verification", "preceptor"], name="preceptor_check_once_each"),
            models.CheckConstraint(
                condition=Q(npi_number__regex=NPI_PATTERN), name="preceptor_check_npi_ten_digits"
            ),
            models.CheckConstraint(
                condition=Q(license_state__in=[code for code, _ in US_STATES]),
                name="preceptor_check_license_state",
            ),
            models.CheckConstraint(condition=~Q(license_number=""), name="preceptor_check_license_number"),
        ]

    def __str__(self) -> str:
        return f"NPI {self.npi_number}, {self.get_license_state_display()} license {self.license_number}"


@dataclass(frozen=True)
class VerificationSummary:
    """What a visitor is told of an organization's standing verification: what staff checked, when."""

    accreditation: str
    preceptors_checked: int
    verified_on: date

    @classmethod
    def of(cls, verification: "OrganizationVerification") -> "VerificationSummary":
        """The summary of one record, as the catalog's annotation (`verification_summary`) reads it."""
        return cls(
            accreditation=verification.accreditation,
            preceptors_checked=verification.preceptor_checks.count(),
            verified_on=timezone.localdate(verification.verified_at),
        )

    @property
    def checked(self) -> str:
        """In words, only what the record holds: "Joint Commission accreditation and 2 preceptors' NPI
        and state license checked". Preceptors are those the record checked, not those the
        organization has now (one added since is not counted)."""
        parts = [Accreditation(self.accreditation).as_checked]
        count = self.preceptors_checked
        if count:
            whose = "1 preceptor's" if count == 1 else f"{count} preceptors'"
            parts.append(f"{whose} NPI and state license")
        return " and ".join(part for part in parts if part) + " checked"

    @property
    def month(self) -> str:
        """When, as the badge says it: "November 2026"."""
        return f"{self.verified_on:%B %Y}"

    @property
    def sentence(self) -> str:
        """The badge's words after "Verified host": what was checked, and when."""
        return f"{self.checked}, {self.month}"


class VerificationSummaryField(models.JSONField):
    """The output of `verification_summary`: the JSON Postgres builds, read as a VerificationSummary."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        data = json.loads(value) if isinstance(value, str | bytes) else value
        if data["accreditation"] == Accreditation.NONE and not data["preceptors_checked"]:
            # A record that checked nothing (the service no longer writes one) vouches for nothing.
            return None
        return VerificationSummary(
            accreditation=data["accreditation"],
            preceptors_checked=data["preceptors_checked"],
            verified_on=date.fromisoformat(data["verified_on"]),
        )


def verification_summary(organization: str = "organization") -> Subquery:
    """An annotation: the standing verification (the latest not withdrawn, of a verified
    organization) of the organization at `organization` of the outer query, or None. Part of the
    row's own query, so a list of any length reads it without one query more."""
    checks = (
        PreceptorCheck.objects.filter(verification=OuterRef("pk"))
        .order_by()
        .values("verification")
        .annotate(count=Count("pk"))
        .values("count")
    )
    standing = (
        OrganizationVerification.objects.standing()
        .filter(organization=OuterRef(organization))
        .order_by("-verified_at", "-id")
        .values(
            summary=JSONObject(
                accreditation=F("accreditation"),
                preceptors_checked=Coalesce(Subquery(checks), 0),
                verified_on=TruncDate("verified_at"),
            )
        )[:1]
    )
    return Subquery(standing, output_field=VerificationSummaryField())
