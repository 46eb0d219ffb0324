"""allauth hooks: the signup form that asks who is signing up, where each role lands after login,
how its emails sign off, and the 429 page when failed logins are limited."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core.exceptions import ImmediateHttpResponse
from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from amo.forms import SingleLineField
from amo.views import too_many_requests
from applicants.services import applicant_create

FAILED_LOGINS_LIMITED = (
    "Too many failed login attempts. To protect the account, signing in is paused for a few "
    "minutes: wait 5 minutes and try again, or reset your password if you have forgotten it."
)


class SignupForm(AllauthSignupForm):
    """allauth's signup plus a name and the account type: an IMG applicant (default) or a host."""

    class AccountType:
        APPLICANT = "applicant"
        HOST = "host"

    account_type = forms.ChoiceField(
        label="I am",
        choices=[
            (AccountType.APPLICANT, "An IMG applying for rotations"),
            (AccountType.HOST, "A host organization (hospital, clinic, physician practice)"),
        ],
        initial=AccountType.APPLICANT,
        widget=forms.RadioSelect,
    )
    full_name = SingleLineField(label="Full name", max_length=200)
    field_order = ["account_type", "full_name", "email", "password1", "password2"]

    def save(self, request: HttpRequest):
        # The account and its type are created together or not at all; the applicant's legal name
        # starts as the name given here (applicant_create copies it).
        with transaction.atomic():
            user = super().save(request)
            user.full_name = self.cleaned_data["full_name"].strip()
            user.save(update_fields=["full_name"])
            if self.cleaned_data["account_type"] == self.AccountType.APPLICANT:
                applicant_create(user=user)
        return user


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # templates/account/email/base_message.txt signs every allauth email with our address.
        super().send_mail(template_prefix, email, {"site_url": settings.SITE_URL, **context})

    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        """allauth refuses a login over ACCOUNT_RATE_LIMITS["login_failed"] with a form error (200);
        answer 429 with the reason instead, as every other rate limit does."""
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            raise ImmediateHttpResponse(
                too_many_requests(request, message=FAILED_LOGINS_LIMITED, retry_after=300)
            ) from error

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Applicants to their dashboard, members to the host dashboard; a host who signed up and
        has no organization yet to onboarding. allauth lets an explicit `next` win over this."""
        user = request.user
        if user.is_applicant:
            return reverse("applicants:dashboard")
        if user.is_host_member or user.memberships.exists():
            return reverse("hosts:dashboard")
        if user.is_staff:
            return reverse("home")
        return reverse("hosts:onboarding")

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # Signing up ends with a login (after verifying the email): land where that login would.
        return self.get_login_redirect_url(request)
