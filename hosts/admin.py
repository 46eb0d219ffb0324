"""Staff admin for host organizations. What the services guard changes only through them:
an organization is verified on its "Record verification" page (hosts.verification.
organization_verification_record, which asks what was checked) and stops being verified on its
"Withdraw verification" page (organization_verification_withdraw, which takes its rotations off the
catalog); `is_verified` is never a checkbox. Members are shown, not edited: staff invite one from
the organization's "Invite a member" page (hosts.services.invitation_create, which emails the link,
as the host's own members page does), revoke an invitation from the Invitations list
(invitation_revoke), and remove a member from the Memberships list (membership_remove, which keeps
the last owner)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from amo.admin_site import ReadOnlyAdmin, admin_form_page
from amo.audit_admin import AuditHistoryMixin
from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.text import pluralize
from hosts import services
from hosts.forms import InvitationForm, VerificationRecordForm, VerificationWithdrawForm
from hosts.models import (
    Invitation,
    Membership,
    Organization,
    OrganizationVerification,
    Preceptor,
    PreceptorCheck,
    VerificationSummary,
)
from hosts.verification import organization_verification_record, organization_verification_withdraw


class ReadOnlyInline:
    """An inline that shows rows and changes none: no add, change or delete."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(ReadOnlyInline, admin.TabularInline):
    """Who acts for the organization; removed from the Memberships list, through the service."""

    model = Membership
    fields = ["user", "role", "preceptor", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "preceptor")


class VerificationInline(ReadOnlyInline, admin.StackedInline):
    """How staff verified the organization, newest first; the latest not withdrawn stands."""

    model = OrganizationVerification
    verbose_name = "verification record"
    fields = [
        "verified_at",
        "verified_by",
        "accreditation",
        "accreditation_reference",
        "accreditation_expires_on",
        "preceptors_checked",
        "notes",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("verified_by", "withdrawn_by")
            .prefetch_related("preceptor_checks__preceptor")
        )

    @admin.display(description="Preceptors checked")
    def preceptors_checked(self, verification: OrganizationVerification):
        checks = verification.preceptor_checks.all()
        if not checks:
            return "None"
        return format_html_join(
            "",
            "<div>{}: NPI {}, {} license {}, checked {}</div>",
            (
                (
                    check.preceptor.full_name if check.preceptor else "A preceptor since removed",
                    check.npi_number,
                    check.license_state,
                    check.license_number,
                    check.checked_on,
                )
                for check in checks
            ),
        )


@admin.register(Organization)
class OrganizationAdmin(AuditHistoryMixin, admin.ModelAdmin):
    audit_related = [(Membership, "organization")]
    list_display = ["name", "kind", "city", "state", "is_verified", "created_at"]
    list_filter = ["is_verified", "kind", "state"]
    search_fields = ["name", "slug", "city"]
    prepopulated_fields = {"slug": ["name"]}
    # Verification changes through its own pages; the commission is read when each payment succeeds,
    # so a change here would reach bookings already agreed (no service changes it yet).
    readonly_fields = ["is_verified", "commission_rate_bps", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [VerificationInline, MembershipInline]
    actions = ["record_verification", "withdraw_verification", "invite_member"]
    change_form_template = "admin/hosts/organization/change_form.html"

    def get_urls(self):
        record = self.admin_site.admin_view(self.record_verification_view)
        withdraw = self.admin_site.admin_view(self.withdraw_verification_view)
        invite = self.admin_site.admin_view(self.invite_member_view)
        return [
            path("<int:pk>/invite-member/", invite, name="hosts_organization_invite_member"),
            path("<int:pk>/record-verification/", record, name="hosts_organization_record_verification"),
            path("withdraw-verification/", withdraw, name="hosts_organization_withdraw_verification"),
            *super().get_urls(),
        ]

    def has_verify_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("hosts.change_organization")

    @admin.action(description="Record how the selected organization was verified…", permissions=["verify"])
    def record_verification(self, request, queryset):
        """One organization at a time: its page asks what was checked."""
        if queryset.count() != 1:
            self.message_user(
                request, "Choose exactly one organization to record a verification for.", messages.ERROR
            )
            return None
        return redirect("admin:hosts_organization_record_verification", pk=queryset.get().pk)

    @admin.action(description="Withdraw verification of the selected organizations…", permissions=["verify"])
    def withdraw_verification(self, request, queryset):
        """The withdrawal page asks why, for all of them at once."""
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        return redirect(reverse("admin:hosts_organization_withdraw_verification") + f"?ids={ids}")

    def has_invite_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("hosts.add_invitation")

    @admin.action(description="Invite a member to the selected organization…", permissions=["invite"])
    def invite_member(self, request, queryset):
        """One organization at a time: its page asks whom, and as what."""
        if queryset.count() != 1:
            self.message_user(
                request, "Choose exactly one organization to invite a member to.", messages.ERROR
            )
            return None
        return redirect("admin:hosts_organization_invite_member", pk=queryset.get().pk)

    def invite_member_view(self, request, pk: int):
        """Invite someone to act for the organization, as its owners do on their members page: the
        same form and service (one pending invitation per address, not someone already a member, a
        preceptor's invitation names one of its preceptors), and the link goes out by email once
        the invitation is saved. A refusal shows on the form and writes nothing."""
        if not self.has_invite_permission(request):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=pk)
        form = InvitationForm(request.POST or None, preceptors=Preceptor.objects.for_org(organization))
        if request.method == "POST" and form.is_valid():
            try:
                invitation = services.invitation_create(
                    organization=organization, invited_by=request.user, **form.cleaned_data
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    f"Invitation to join {organization} as {invitation.get_role_display().lower()} "
                    f"sent to {invitation.email}.",
                )
                return redirect("admin:hosts_organization_change", organization.pk)
        return admin_form_page(
            self,
            request,
            "admin/hosts/organization/invite_member.html",
            title=f"Invite a member to {organization}",
            organization=organization,
            form=form,
        )

    def record_verification_view(self, request, pk: int):
        """What staff checked: the accreditation and each preceptor's NPI number and state license.
        The service refuses what does not hold (a wrong check digit, a missing license) on the form,
        and writes nothing then."""
        if not self.has_verify_permission(request):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=pk)
        form = VerificationRecordForm(
            request.POST or None, organization=organization, today=timezone.localdate()
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                verification = organization_verification_record(
                    organization=organization,
                    actor=request.user,
                    accreditation=data["accreditation"],
                    accreditation_reference=data["accreditation_reference"],
                    accreditation_expires_on=data["accreditation_expires_on"],
                    notes=data["notes"],
                    preceptor_checks=form.preceptor_checks(),
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                badge = VerificationSummary.of(verification).sentence
                messages.success(
                    request, f"{organization} is verified and may publish. Its badge says: {badge}."
                )
                return redirect("admin:hosts_organization_change", organization.pk)
        return admin_form_page(
            self,
            request,
            "admin/hosts/organization/record_verification.html",
            title=f"Record how {organization} was verified",
            organization=organization,
            form=form,
        )

    def withdraw_verification_view(self, request):
        """Why staff stop vouching for these organizations; all are withdrawn or, on a refusal, none."""
        if not self.has_verify_permission(request):
            raise PermissionDenied
        ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.strip().isdigit()]
        organizations = list(Organization.objects.filter(pk__in=ids).order_by("name"))
        if not organizations:
            self.message_user(
                request, "Choose the organizations whose verification to withdraw.", messages.ERROR
            )
            return redirect("admin:hosts_organization_changelist")
        form = VerificationWithdrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    for organization in organizations:
                        organization_verification_withdraw(
                            organization=organization, actor=request.user, reason=form.cleaned_data["reason"]
                        )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    f"{pluralize(len(organizations), 'organization')} no longer verified; "
                    "their rotations left the catalog.",
                )
                if len(organizations) == 1:
                    return redirect("admin:hosts_organization_change", organizations[0].pk)
                return redirect("admin:hosts_organization_changelist")
        return admin_form_page(
            self,
            request,
            "admin/hosts/organization/withdraw_verification.html",
            title="Withdraw verification",
            organizations=organizations,
            form=form,
        )


@admin.register(OrganizationVerification)
class OrganizationVerificationAdmin(ReadOnlyAdmin):
    """Every verification record, as staff wrote it; recorded and withdrawn from the organization."""

    list_display = ["organization", "accreditation", "verified_at", "verified_by", "withdrawn_at"]
    list_filter = ["accreditation", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["organization__name", "accreditation_reference", "preceptor_checks__npi_number"]
    list_select_related = ["organization", "verified_by"]


@admin.register(PreceptorCheck)
class PreceptorCheckAdmin(ReadOnlyAdmin):
    list_display = [
        "npi_number",
        "preceptor",
        "license_state",
        "license_number",
        "checked_on",
        "verification",
    ]
    list_filter = ["license_state"]
    search_fields = ["npi_number", "license_number", "preceptor__full_name"]
    list_select_related = ["preceptor", "verification__organization"]


@admin.register(Membership)
class MembershipAdmin(AuditHistoryMixin, ReadOnlyAdmin):
    """Members are added by invitation (hosts.services.invitation_create) and removed by the action
    below, through hosts.services.membership_remove: an organization keeps at least one owner."""

    list_display = ["user", "organization", "role", "preceptor", "created_at"]
    list_filter = ["role", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__email", "user__full_name", "organization__name"]
    list_select_related = ["user", "organization", "preceptor"]
    actions = ["remove_member"]

    def has_remove_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("hosts.delete_membership")

    @admin.action(
        description="Remove the selected members (never an organization's last owner)", permissions=["remove"]
    )
    def remove_member(self, request, queryset):
        """All of them or, when one is refused, none."""
        memberships = list(queryset.select_related("user", "organization"))
        try:
            with transaction.atomic():
                for membership in memberships:
                    services.membership_remove(membership=membership)
        except DomainError as error:
            self.message_user(request, f"Nobody was removed. {error.message}", messages.ERROR)
            return
        self.message_user(request, f"{pluralize(len(memberships), 'member')} removed.", messages.SUCCESS)


@admin.register(Preceptor)
class PreceptorAdmin(admin.ModelAdmin):
    list_display = ["full_name", "credentials", "organization", "specialty", "user"]
    list_filter = ["credentials", "specialty"]
    search_fields = ["full_name", "npi_number", "organization__name"]
    list_select_related = ["organization", "specialty", "user"]
    autocomplete_fields = ["specialty"]
    # Whose preceptor it is, and whose account is theirs: a rotation's preceptor belongs to its host
    # (rotations.services checks it when the host saves), so neither moves here.
    # The NPI number is what staff checked when verifying the host (each PreceptorCheck keeps the
    # number it checked): it is not edited by hand after the fact.
    readonly_fields = ["organization", "user", "npi_number"]

    def has_add_permission(self, request) -> bool:
        return False  # hosts add their preceptors on their own pages, through hosts.services

    def has_delete_permission(self, request, obj=None) -> bool:
        # Rotations, memberships and verification checks name the preceptor: deleting would quietly
        # blank the preceptor on each of them.
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations as sent: made on an organization's "Invite a member" page, revoked by the action
    below (hosts.services.invitation_revoke), accepted by the invitee's link."""

    list_display = ["email", "organization", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = [
        "role",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "organization__name"]
    list_select_related = ["organization"]
    readonly_fields = [f.name for f in Invitation._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # made on the organization's "Invite a member" page, through the service

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the record of who was invited stays

    def has_revoke_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("hosts.change_invitation")

    @admin.action(
        description="Revoke the selected invitations (their links stop working)", permissions=["revoke"]
    )
    def revoke(self, request, queryset):
        """All of them or, when one is refused (already accepted), none."""
        invitations = list(queryset.select_related("organization"))
        try:
            with transaction.atomic():
                for invitation in invitations:
                    services.invitation_revoke(invitation=invitation)
        except DomainError as error:
            self.message_user(request, f"Nothing was revoked. {error.message}", messages.ERROR)
            return
        self.message_user(
            request,
            f"{pluralize(len(invitations), 'invitation')} revoked; the links no longer work.",
            messages.SUCCESS,
        )
