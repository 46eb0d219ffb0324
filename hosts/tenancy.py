"""Tenant scoping for the host side: the one way a host view or API endpoint reaches host data.

The current organization comes from the member's session (`current_organization_id`) or, for API
clients, the `X-Organization` header (an organization slug). It is checked against an active
Membership on every request, so a member who is removed loses access on their next request.
Every object comes through `scoped(queryset)` (`OrganizationQuerySet.for_member`): anything of
another organization, or outside a preceptor's rotations, is a 404 (existence is not revealed).
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404, redirect
from rest_framework import exceptions, permissions

from amo.selectors import user_has_totp
from applicants.models import BlockChange
from hosts import selectors
from hosts.models import Membership

SESSION_KEY = "current_organization_id"
ORGANIZATION_HEADER = "X-Organization"

Role = Membership.Role
MANAGERS = frozenset({Role.OWNER, Role.COORDINATOR})
EVERY_ROLE = frozenset(Role)


def resolve_membership(request) -> Membership | None:
    """The requester's membership in the organization they act for, or None.

    The header wins for API clients; else the session's choice; else their first membership
    (remembered in the session). A stale choice (removed membership) falls back the same way.
    """
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    slug = request.headers.get(ORGANIZATION_HEADER)
    if slug:
        return selectors.membership_for_user(user=user, organization_slug=slug)
    # A token client (request.auth is its token) has no session to remember a choice in: writing
    # one would store a new session row on every call.
    session = getattr(request, "session", None) if getattr(request, "auth", None) is None else None
    chosen = session.get(SESSION_KEY) if session is not None else None
    membership = selectors.membership_for_user(user=user, organization_id=chosen)
    if session is not None and membership is not None and membership.organization_id != chosen:
        session[SESSION_KEY] = membership.organization_id
    return membership


def role_refusal(membership: Membership, allowed_roles: frozenset, *, what: str = "This page") -> str:
    """Why `membership` may not use `what` (a page, an API action) meant for `allowed_roles`.

    Names who it is for and the member's own role, so they know whom to ask.
    """
    who = " and ".join(f"{role.label.lower()}s" for role in Role if role in allowed_roles)
    return (
        f"{what} is for your organization's {who}; "
        f"you are a {membership.get_role_display().lower()} of {membership.organization}."
    )


class Tenancy:
    """What every host view and API view shares: the membership, its organization, `scoped`."""

    membership: Membership
    allowed_roles: frozenset = MANAGERS

    @property
    def organization(self):
        return self.membership.organization

    @property
    def is_manager(self) -> bool:
        return self.membership.role in MANAGERS

    def scoped(self, queryset: QuerySet) -> QuerySet:
        """The queryset narrowed to what the current member may see (the one tenant filter).

        Without a resolved membership (e.g. while the OpenAPI schema is generated) it is empty.
        """
        membership = getattr(self, "membership", None)
        if membership is None:
            return queryset.none()
        return queryset.for_member(membership)

    def scoped_get(self, queryset: QuerySet, **lookup) -> Model:
        return get_object_or_404(self.scoped(queryset), **lookup)


class OrganizationMixin(LoginRequiredMixin, Tenancy):
    """Base of every page under /host/: login, a current membership, the role, owner MFA.

    A user without any membership is sent to onboarding; a role outside `allowed_roles` gets 403
    (the object is their organization's, so nothing is revealed); an owner without TOTP is sent to
    set it up first.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = resolve_membership(request)
        if membership is None:
            return redirect("hosts:onboarding")
        self.membership = membership
        if membership.role == Role.OWNER and not user_has_totp(user=request.user):
            return redirect("mfa_activate_totp")
        if membership.role not in self.allowed_roles:
            raise PermissionDenied(role_refusal(membership, self.allowed_roles))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            membership=self.membership,
            organization=self.organization,
            is_manager=self.is_manager,
            memberships=selectors.memberships_of_user(user=self.request.user),
            # The nav's badge: date changes waiting for the organization's answer.
            open_block_changes=self.scoped(
                BlockChange.objects.filter(status=BlockChange.Status.REQUESTED)
            ).count(),
        )
        return context


class IsOrganizationMember(permissions.BasePermission):
    """DRF side of OrganizationMixin: resolves the membership onto the view, checks the role."""

    message = "You are not a member of this organization."

    def has_permission(self, request, view) -> bool:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        membership = resolve_membership(request)
        if membership is None:
            return False
        view.membership = membership
        if membership.role == Role.OWNER and not user_has_totp(user=request.user):
            raise exceptions.PermissionDenied("Owners must set up two-factor authentication first.")
        roles = view.roles_for_action() if hasattr(view, "roles_for_action") else view.allowed_roles
        if membership.role not in roles:
            raise exceptions.PermissionDenied(role_refusal(membership, roles, what="This action"))
        return True
