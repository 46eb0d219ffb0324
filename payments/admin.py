"""Staff admin for money: read-only. Payments, refunds and the ledger change only through
payments/services.py; Stripe's events are kept as received. Staff record a payout sent to a host on
the ledger's "Record a payout" page (payments.services.payout_record), refund a payment on its
"Refund" page (payments.services.refund_by_staff), and record money an applicant paid another way
on the "Record money received" page an application's action opens
(payments.services.payment_record_received); a refund Stripe refused is sent again or recorded as
paid back another way from its page."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from amo.admin_site import MoneyAdminMixin, ReadOnlyAdmin, admin_form_page, money_column
from amo.audit_admin import AuditHistoryMixin
from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.money import format_cents
from applicants.models import Application
from payments import selectors, services
from payments.forms import PaymentReceivedForm, PayoutRecordForm, RefundPaidElsewhereForm, StaffRefundForm
from payments.models import LedgerEntry, Payment, Refund, StripeCustomer, StripeEvent


@admin.register(Payment)
class PaymentAdmin(MoneyAdminMixin, AuditHistoryMixin, ReadOnlyAdmin):
    list_display = [
        "id",
        "application",
        "purpose",
        "method",
        "amount_cents",
        "refunded_cents",
        "status",
        "created_at",
    ]
    list_filter = ["purpose", "status", "method"]
    search_fields = ["payment_intent_id", "reference", "application__applicant__user__email"]
    list_select_related = ["application__applicant__user", "application__block__rotation"]
    exclude = ["client_secret"]
    change_form_template = "admin/payments/payment/change_form.html"
    actions = ["refund"]

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        received = self.admin_site.admin_view(self.received_view)
        return [
            path("<int:pk>/refund/", refund, name="payments_payment_refund"),
            path("received/<int:application_pk>/", received, name="payments_payment_record_received"),
            *super().get_urls(),
        ]

    def has_record_received_permission(self, request) -> bool:
        # Finance's, with refunds and payouts: a placement coordinator confirms no booking with money.
        return request.user.is_staff and request.user.has_perm("payments.add_payment")

    def received_view(self, request, application_pk: int):
        """Record money an applicant paid another way (bank transfer, cash): what, how, and its
        reference. A deposit or the whole fee confirms the booking; a refusal shows on the form and
        writes nothing."""
        if not self.has_record_received_permission(request):
            raise PermissionDenied
        application = get_object_or_404(
            Application.objects.select_related("applicant__user", "block__rotation"), pk=application_pk
        )
        form = PaymentReceivedForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment = services.payment_record_received(
                    application=application, actor=request.user, **form.cleaned_data
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                amount = format_cents(payment.amount_cents, payment.currency)
                how = payment.get_method_display().lower()
                messages.success(
                    request,
                    f"{payment.get_purpose_display()} of {amount} received by {how} recorded "
                    f"(reference {payment.reference}).",
                )
                return redirect("admin:applicants_application_change", application.pk)
        return admin_form_page(
            self,
            request,
            "admin/payments/payment/received.html",
            title=f"Record money received for {application}",
            application=application,
            due=selectors.amounts_due(application),
            form=form,
        )

    def has_refund_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("payments.add_refund")

    @admin.action(description="Refund the selected payment (asks for the amount)", permissions=["refund"])
    def refund(self, request, queryset):
        """One payment at a time: its refund page asks for the amount and the reason."""
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one payment to refund.", messages.ERROR)
            return None
        return redirect("admin:payments_payment_refund", pk=queryset.get().pk)

    def refund_view(self, request, pk: int):
        """Refund any amount of a succeeded payment up to what is left of it (checked again under the
        payment's row lock); a refusal shows on the form and writes nothing."""
        if not self.has_refund_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(
            Payment.objects.select_related("application__applicant__user", "application__block__rotation"),
            pk=pk,
        )
        form = StaffRefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                refund = services.refund_by_staff(
                    payment=payment,
                    amount_cents=form.amount_cents,
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                sent = (
                    "sent to Stripe"
                    if refund.status == Refund.Status.SUCCEEDED
                    else "pending: Stripe did not take it yet"
                )
                messages.success(
                    request,
                    f"Refund of {format_cents(refund.amount_cents, payment.currency)} written ({sent}).",
                )
                return redirect("admin:payments_payment_change", payment.pk)
            payment.refresh_from_db()
        return admin_form_page(
            self,
            request,
            "admin/payments/payment/refund.html",
            title=f"Refund payment {payment.pk}",
            payment=payment,
            left=format_cents(payment.refundable_cents, payment.currency),
            form=form,
        )


@admin.register(Refund)
class RefundAdmin(MoneyAdminMixin, AuditHistoryMixin, ReadOnlyAdmin):
    """Refunds; a failed one (filter by status) shows Stripe's reason, and its page sends it again
    (payments.services.refund_retry) or records it as paid back another way
    (payments.services.refund_paid_elsewhere)."""

    list_display = [
        "id",
        "payment",
        "amount_cents",
        "reason",
        "status",
        "failure_message",
        "note",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "reason", ("created_at", admin.DateFieldListFilter)]
    search_fields = [
        "stripe_refund_id",
        "payment__payment_intent_id",
        "payment__application__applicant__user__email",
    ]
    list_select_related = ["payment", "created_by"]
    exclude = ["stripe_key"]
    change_form_template = "admin/payments/refund/change_form.html"

    def currency_of(self, row) -> str:
        return row.payment.currency  # a refund is paid back in its payment's currency

    def get_urls(self):
        retry = self.admin_site.admin_view(self.retry_view)
        elsewhere = self.admin_site.admin_view(self.paid_elsewhere_view)
        return [
            path("<int:pk>/retry/", retry, name="payments_refund_retry"),
            path("<int:pk>/paid-elsewhere/", elsewhere, name="payments_refund_paid_elsewhere"),
            *super().get_urls(),
        ]

    def _may_act(self, request) -> None:
        if not request.user.is_staff or not request.user.has_perm("payments.add_refund"):
            raise PermissionDenied

    def retry_view(self, request, pk: int):
        """POST: send the failed refund to Stripe again; the answer shows on its page."""
        self._may_act(request)
        if request.method != "POST":
            return redirect("admin:payments_refund_change", pk)
        try:
            refund = services.refund_retry(refund=pk, actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            if refund.status == Refund.Status.SUCCEEDED:
                self.message_user(request, "Stripe took the refund.", messages.SUCCESS)
            elif refund.status == Refund.Status.FAILED:
                self.message_user(
                    request, f"Stripe refused it again: {refund.failure_message}", messages.ERROR
                )
            else:
                self.message_user(request, "Stripe did not answer; it is sent again later.", messages.WARNING)
        return redirect("admin:payments_refund_change", pk)

    def paid_elsewhere_view(self, request, pk: int):
        """Record a failed refund as paid back outside Stripe, with how and its reference."""
        self._may_act(request)
        refund = get_object_or_404(Refund.objects.select_related("payment"), pk=pk)
        form = RefundPaidElsewhereForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.refund_paid_elsewhere(refund=refund.pk, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                self.message_user(request, "The refund is recorded as paid back.", messages.SUCCESS)
                return redirect("admin:payments_refund_change", refund.pk)
        return admin_form_page(
            self,
            request,
            "admin/payments/refund/paid_elsewhere.html",
            title=f"Record refund {refund.pk} as paid back another way",
            refund=refund,
            form=form,
        )


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdmin):
    """Each applicant's Stripe Customer, made once by payments.services.stripe_customer_id; empty
    while Stripe has not answered yet."""

    list_display = ["__str__", "applicant", "customer_id", "created_at"]
    list_filter = [("customer_id", admin.EmptyFieldListFilter), ("created_at", admin.DateFieldListFilter)]
    search_fields = ["customer_id", "applicant__legal_name", "applicant__user__email"]
    list_select_related = ["applicant__user"]
    exclude = ["stripe_key"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at", "error"]
    list_filter = ["type"]
    search_fields = ["event_id"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    list_display = [
        "id",
        "organization",
        "kind",
        "amount",
        "payment",
        "refund",
        "created_at",
    ]
    list_filter = [
        "kind",
        ("created_at", admin.DateFieldListFilter),
        ("organization", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["organization__name", "payment__payment_intent_id", "refund__stripe_refund_id"]
    list_select_related = ["organization", "payment", "refund"]
    amount = money_column("amount (the host's side)", "amount_cents")
    change_list_template = "admin/payments/ledgerentry/change_list.html"

    def get_urls(self):
        record = self.admin_site.admin_view(self.payout_record_view)
        return [
            path("record-payout/", record, name="payments_ledgerentry_record_payout"),
            *super().get_urls(),
        ]

    def payout_record_view(self, request):
        """Record a payout sent to a host: at most its balance (checked again under a row lock)."""
        if not request.user.is_staff or not request.user.has_perm("payments.add_ledgerentry"):
            raise PermissionDenied
        form = PayoutRecordForm(
            request.POST or None, initial={"organization": request.GET.get("organization")}
        )
        if request.method == "POST" and form.is_valid():
            organization = form.cleaned_data["organization"]
            try:
                services.payout_record(
                    organization=organization, amount_cents=form.amount_cents, actor=request.user
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                balance = selectors.organization_balance(organization=organization)
                messages.success(
                    request,
                    f"Payout of {format_cents(form.amount_cents)} to {organization} recorded; "
                    f"its balance is now {format_cents(balance)}.",
                )
                return redirect(
                    reverse("admin:payments_ledgerentry_changelist")
                    + f"?organization__id__exact={organization.pk}"
                )
        organization = (
            form.cleaned_data.get("organization") if form.is_bound and hasattr(form, "cleaned_data") else None
        )
        return admin_form_page(
            self,
            request,
            "admin/payments/ledgerentry/record_payout.html",
            title="Record a payout",
            form=form,
            balance=format_cents(selectors.organization_balance(organization=organization))
            if organization
            else None,
        )
