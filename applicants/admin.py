"""Staff admin: applicants, their documents (verified or rejected through the services), applications
(read-mostly: statuses change only through the workflow; staff record money received another way
through the payment service, which confirms the booking, assign a booking its advisor, the advisor
writes to the applicant, and staff cancel a booking with the policy's refund or an amount they set,
or move it to another block, each through its service), their transitions, seat holds, date
changes and threads (read-only), visa denials (accepted or refused through their services),
enrollment letters (read-only: issued, replaced and withdrawn by the booking's own changes),
letters of recommendation (read-only; their author is sent a fresh link through the service; a
letter's file opens for staff holding the letter permission, and every opening is logged), and
reviews (read-only: hidden with a reason, or shown again, through their services)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from amo.admin_site import MoneyAdminMixin, ReadOnlyAdmin, admin_form_page, each_through_service
from amo.audit_admin import AuditHistoryMixin
from amo.csv_export import csv_download
from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.models import User
from amo.money import dollars_to_cents, format_cents
from amo.text import pluralize
from amo.validators import MAX_REASON_CHARS
from applicants import selectors, services
from applicants.admin_filters import AdvisorFilter, StartMonthFilter
from applicants.countries import country_name
from applicants.files import file_download
from applicants.forms import BlockChangeForm, MessageForm
from applicants.models import (
    LETTER_FILE_PERMISSION,
    AdvisorMessage,
    Applicant,
    Application,
    ApplicationMessage,
    ApplicationTransition,
    BlockChange,
    CompletionCertificate,
    Document,
    EnrollmentLetter,
    LetterFileAccess,
    LetterRequest,
    LetterTransition,
    LetterVersion,
    LetterWaiver,
    Review,
    VisaDenial,
)
from applicants.terms import block_change_terms
from applicants.workflow import ActorRole
from hosts.admin import ReadOnlyInline
from payments.models import Refund
from rotations.models import SeatHold


class DocumentInline(ReadOnlyInline, admin.TabularInline):
    model = Document
    fields = ["kind", "original_filename", "verification_status", "expires_on", "uploaded_at"]
    readonly_fields = fields
    show_change_link = True


class DocumentsGoWithTheirOwner:
    """Admin of a model whose deletion takes applicants' documents along (through a service that
    removes their files too): staff may not delete a document alone, but it may go with its owner."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(Document._meta.verbose_name)
        return deleted, counts, perms_needed, protected


@admin.register(Applicant)
class ApplicantAdmin(DocumentsGoWithTheirOwner, admin.ModelAdmin):
    """Read-only: the applicant owns their profile and changes it through the profile service (which
    checks the answers and reissues what depends on them, such as an enrollment letter's name).
    Staff who may delete an applicant do it through applicant_delete."""

    inlines = [DocumentInline]
    list_display = [
        "__str__",
        "user",
        "training_status",
        "graduation_year",
        "citizenship_name",
        "visa_status",
    ]
    list_filter = ["training_status", "step1_result", "ecfmg_status", "visa_status"]
    search_fields = ["legal_name", "user__email", "medical_school_name"]
    list_select_related = ["user"]
    # The profile's answers in the profile page's order, countries by name.
    fields = [
        "user",
        *(f"{name}_name" if name in Applicant.COUNTRY_FIELDS else name for name in Applicant.PROFILE_FIELDS),
        "specialties_of_interest",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # a profile is made by its applicant signing up (applicant_create)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Citizenship", ordering="citizenship")
    def citizenship_name(self, applicant: Applicant) -> str:
        return applicant.citizenship_name

    @admin.display(description="Country of residence")
    def country_of_residence_name(self, applicant: Applicant) -> str:
        return country_name(applicant.country_of_residence)

    @admin.display(description="Medical school country")
    def medical_school_country_name(self, applicant: Applicant) -> str:
        return applicant.medical_school_country_name

    # Deleting goes through applicant_delete, so the documents' files leave the disk too.
    def delete_model(self, request, obj):
        services.applicant_delete(applicant=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for applicant in queryset:
                services.applicant_delete(applicant=applicant)


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REASON_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


class AdvisorForm(forms.Form):
    advisor = forms.ModelChoiceField(
        queryset=User.objects.filter(is_staff=True, is_active=True).order_by("full_name", "email"),
        help_text="A member of our staff: the applicants' contact before, during and after the rotation.",
    )


class StaffCancelForm(forms.Form):
    """Staff cancel a booking: why (the applicant is told), and the refund: the cancellation
    policy's, or an amount staff set, up to what was paid."""

    service_field_names = {"refund_cents": "amount"}
    POLICY, SET = "policy", "set"

    reason = forms.CharField(
        label="Reason (told to the applicant and the host)",
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    refund = forms.ChoiceField(
        label="Refund",
        choices=[(POLICY, "What the cancellation policy gives today"), (SET, "The amount below")],
        widget=forms.RadioSelect,
        initial=POLICY,
    )
    amount = forms.DecimalField(
        label="Amount to refund (USD), with “the amount below”",
        required=False,
        min_value=Decimal("0"),
        max_digits=11,
        decimal_places=2,
    )

    def __init__(self, *args, may_set_amount: bool, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        if may_set_amount:
            self.fields["amount"].label = f"Amount to refund ({currency.upper()}), with “the amount below”"
        else:
            # An amount other than the policy's is a refund decision: finance's, who may add refunds.
            del self.fields["refund"], self.fields["amount"]

    def clean(self):
        data = super().clean()
        if data.get("refund") == self.SET and data.get("amount") is None:
            self.add_error("amount", "Give the amount to refund, or choose the policy's refund.")
        return data

    @property
    def refund_cents(self) -> int | None:
        if self.cleaned_data.get("refund") != self.SET:
            return None
        return dollars_to_cents(self.cleaned_data["amount"])


def form_asked(model_admin, request, queryset, *, form_class, action: str, intro: str, title: str):
    """An action that needs more than the selection: its page asking with `form_class`, or
    (None, the form's cleaned data) once given."""
    sent = any(name in request.POST for name in form_class.base_fields)
    form = form_class(request.POST if sent else None)
    if form.is_valid():
        return None, form.cleaned_data
    page = TemplateResponse(
        request,
        "applicants/admin_reason.html",
        {
            **model_admin.admin_site.each_context(request),
            "form": form,
            "objects": queryset,
            "action": action,
            "intro": intro,
            "title": title,
        },
    )
    return page, {}


def reason_asked(model_admin, request, queryset, *, action: str, intro: str, title: str):
    """An action that needs a reason: its page asking for it, or (None, reason) once given."""
    page, data = form_asked(
        model_admin, request, queryset, form_class=RejectForm, action=action, intro=intro, title=title
    )
    return page, data.get("reason", "")


class DocumentLinkForThoseWhoMayOpen:
    """Admin of a model with a column linking to a document's file (`file_link`): shown only to staff
    holding the document permission, as the link would only refuse anyone else."""

    file_link = "open_file"

    def _may_open(self, request) -> bool:
        return request.user.has_perm("applicants.view_document_file")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if self._may_open(request) else [name for name in shown if name != self.file_link]

    def get_readonly_fields(self, request, obj=None):
        shown = super().get_readonly_fields(request, obj)
        return shown if self._may_open(request) else [name for name in shown if name != self.file_link]


@admin.register(Document)
class DocumentAdmin(DocumentLinkForThoseWhoMayOpen, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "kind", "verification_status", "expires_on", "uploaded_at", "open_file"]
    list_filter = ["verification_status", "kind"]
    search_fields = ["applicant__legal_name", "applicant__user__email", "original_filename"]
    list_select_related = ["applicant__user"]
    actions = ["verify", "reject"]
    # The stored name is not a URL (documents live outside any): show the permission-checked link.
    exclude = ["file"]
    readonly_fields = [f.name for f in Document._meta.fields if f.name != "file"] + ["open_file"]

    def has_add_permission(self, request):
        return False  # uploads go through document_upload, which checks the file

    def has_change_permission(self, request, obj=None):
        return False  # the actions below are the only changes

    def has_delete_permission(self, request, obj=None):
        # Deleting here would skip document_delete: a document a host received would vanish and its
        # file stay on disk.
        return False

    # Where the file is stored is no one's business but the service that opens it.
    audit_hidden_fields = ["file"]

    def has_verify_permission(self, request) -> bool:
        return request.user.has_perm("applicants.change_document")

    @admin.display(description="File")
    def open_file(self, document: Document) -> str:
        return format_html('<a href="{}">open</a>', reverse("applicants:document_file", args=[document.pk]))

    def _each(self, request, queryset, change, done: str) -> None:
        """`change` each selected document through its service; a refusal is reported by name and
        stops only that one."""
        documents = queryset.select_related("applicant__user")
        each_through_service(
            self, request, documents, change, done=lambda changed: f"{pluralize(changed, 'document')} {done}"
        )

    @admin.action(description="Verify the selected documents", permissions=["verify"])
    def verify(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda document: services.document_verify(document=document, actor=request.user),
            "verified.",
        )

    @admin.action(description="Reject the selected documents (asks for a reason)", permissions=["verify"])
    def reject(self, request, queryset):
        page, reason = reason_asked(
            self,
            request,
            queryset,
            action="reject",
            intro="Say why these documents are rejected; the applicants are told.",
            title="Reject documents",
        )
        if page is not None:
            return page
        self._each(
            request,
            queryset,
            lambda document: services.document_reject(document=document, actor=request.user, reason=reason),
            "rejected.",
        )
        return HttpResponseRedirect(request.get_full_path())


class TransitionInline(ReadOnlyInline, admin.TabularInline):
    model = ApplicationTransition
    readonly_fields = ["from_status", "to_status", "actor", "actor_role", "reason", "created_at"]
    fields = readonly_fields


class MessageInline(ReadOnlyInline, admin.TabularInline):
    model = ApplicationMessage
    readonly_fields = ["author", "author_role", "body", "created_at"]
    fields = readonly_fields


class AdvisorMessageInline(ReadOnlyInline, admin.TabularInline):
    """The thread between the booked applicant and their advisor; the advisor writes from the
    application's action "Write to the applicant as their advisor"."""

    model = AdvisorMessage
    readonly_fields = ["author", "author_role", "recipient", "body", "created_at"]
    fields = readonly_fields
    verbose_name = "advisor message"


class SeatHoldInline(ReadOnlyInline, admin.TabularInline):
    """The application's holds, the released ones kept as history; written only by the seat service."""

    model = SeatHold
    fields = ["block", "kind", "created_at", "expires_at", "released_at", "release_reason"]
    readonly_fields = fields


class BlockChangeInline(ReadOnlyInline, admin.TabularInline):
    model = BlockChange
    fields = [
        "from_block",
        "to_block",
        "status",
        "reason",
        "answer",
        "requested_at",
        "decided_at",
        "decided_by",
    ]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(MoneyAdminMixin, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "organization", "status", "application_fee_status", "submitted_at", "advisor"]
    # The placement list's filters; ordinary list filters, so the list's CSV export filters alike.
    list_filter = [
        "status",
        ("block__rotation__organization", admin.RelatedOnlyFieldListFilter),
        ("block__rotation__specialty", admin.RelatedOnlyFieldListFilter),
        StartMonthFilter,
        AdvisorFilter,
        "application_fee_status",
    ]
    search_fields = ["applicant__legal_name", "applicant__user__email", "block__rotation__title"]
    list_select_related = ["applicant__user", "block__rotation__organization", "advisor"]
    readonly_fields = [f.name for f in Application._meta.fields] + ["documents"]
    inlines = [SeatHoldInline, BlockChangeInline, TransitionInline, MessageInline, AdvisorMessageInline]
    actions = [
        "record_payment_received",
        "assign_advisor",
        "write_as_advisor",
        "cancel_booking",
        "move_booking",
    ]

    def get_urls(self):
        write = self.admin_site.admin_view(self.advisor_message_view)
        cancel = self.admin_site.admin_view(self.cancel_view)
        move = self.admin_site.admin_view(self.move_view)
        export = self.admin_site.admin_view(self.export_csv_view)
        return [
            path("export.csv", export, name="applicants_application_export_csv"),
            path("<int:pk>/advisor-message/", write, name="applicants_application_advisor_message"),
            path("<int:pk>/cancel/", cancel, name="applicants_application_cancel"),
            path("<int:pk>/move/", move, name="applicants_application_move"),
            *super().get_urls(),
        ]

    def export_csv_view(self, request):
        """The placement list as the changelist shows it (every filter and the search of the query
        string) as a CSV file, streamed (applicants.selectors.placement_csv_rows); it only reads."""
        # Whoever may read the list may take it away as a file, Support included: the file shows
        # what the list already shows them and changes nothing.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            applications = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            # The list itself says what is wrong with the filters.
            return redirect(f"{reverse('admin:applicants_application_changelist')}?{ERROR_FLAG}=1")
        return csv_download(
            header=selectors.PLACEMENT_CSV_HEADER,
            rows=selectors.placement_csv_rows(applications),
            filename=f"placements-{timezone.localdate().isoformat()}.csv",
        )

    @admin.display(description="organization", ordering="block__rotation__organization__name")
    def organization(self, application: Application) -> str:
        return str(application.block.rotation.organization)

    def has_manage_booking_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("applicants.change_application")

    def _one(self, request, queryset, url_name: str):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one booking.", messages.ERROR)
            return None
        return redirect(url_name, pk=queryset.get().pk)

    @admin.action(
        description="Cancel the selected booking with a refund (asks why and how much)",
        permissions=["manage_booking"],
    )
    def cancel_booking(self, request, queryset):
        return self._one(request, queryset, "admin:applicants_application_cancel")

    @admin.action(
        description="Move the selected booking to another block (asks which)", permissions=["manage_booking"]
    )
    def move_booking(self, request, queryset):
        return self._one(request, queryset, "admin:applicants_application_move")

    def _booking(self, pk: int) -> Application:
        return get_object_or_404(
            Application.objects.select_related("applicant__user", "block__rotation__organization"), pk=pk
        )

    def _page(self, request, template: str, title: str, application: Application, form, **context):
        return admin_form_page(
            self,
            request,
            f"admin/applicants/application/{template}",
            title=title,
            application=application,
            form=form,
            **context,
        )

    def cancel_view(self, request, pk: int):
        """Cancel a confirmed booking as staff (applicants.services.application_cancel): the seat
        goes to the waitlist, both sides are told, and the refund, the policy's or the amount set
        (never more than was paid), is written in the ledger's path in the same transaction. A
        refusal shows on the form and changes nothing."""
        if not self.has_manage_booking_permission(request):
            raise PermissionDenied
        application = self._booking(pk)
        may_set_amount = request.user.has_perm("payments.add_refund")
        form = StaffCancelForm(
            request.POST or None, may_set_amount=may_set_amount, currency=application.currency
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.application_cancel(
                    application=application,
                    actor=request.user,
                    role=ActorRole.STAFF,
                    reason=form.cleaned_data["reason"],
                    refund_reason=Refund.Reason.CANCELLATION,
                    refund_cents=form.refund_cents,
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, f"{application} is cancelled; the refund is on its way.")
                return redirect("admin:applicants_application_change", application.pk)
        return self._page(
            request,
            "cancel.html",
            f"Cancel the booking of {application}",
            application,
            form,
            quote=selectors.refund_quote(application=application),
            may_set_amount=may_set_amount,
        )

    def move_view(self, request, pk: int):
        """Move a confirmed booking to another open block of the same host
        (applicants.services.booking_move_by_staff): only where a seat is free, the price difference
        settled, both sides told. A refusal shows on the form and changes nothing."""
        if not self.has_manage_booking_permission(request):
            raise PermissionDenied
        application = self._booking(pk)
        form = BlockChangeForm(
            request.POST or None, targets=selectors.block_change_targets(application=application)
        )
        form.fields["reason"].required = True
        form.fields["reason"].label = "Reason (told to the applicant and the host)"
        if request.method == "POST" and form.is_valid():
            try:
                services.booking_move_by_staff(
                    application=application,
                    actor=request.user,
                    to_block=form.cleaned_data["to_block"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request, f"{application.applicant}'s booking moved to {form.cleaned_data['to_block']}."
                )
                return redirect("admin:applicants_application_change", application.pk)
        return self._page(request, "move.html", f"Move the booking of {application}", application, form)

    def has_advise_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("applicants.change_application")

    @admin.action(
        description="Assign an advisor to the selected bookings (asks whom)", permissions=["advise"]
    )
    def assign_advisor(self, request, queryset):
        """Each selected booking gets the advisor chosen (applicants.services.booking_advisor_assign);
        one refused (not a booking) is reported by name and leaves the others assigned."""
        page, data = form_asked(
            self,
            request,
            queryset,
            form_class=AdvisorForm,
            action="assign_advisor",
            intro="Choose the advisor of these bookings: each applicant is told who, and the advisor too.",
            title="Assign an advisor",
        )
        if page is not None:
            return page
        each_through_service(
            self,
            request,
            queryset,
            lambda application: services.booking_advisor_assign(
                application=application, advisor=data["advisor"], actor=request.user
            ),
            done=lambda assigned: (
                f"{data['advisor'].get_full_name()} advises {pluralize(assigned, 'booking')}."
            ),
        )
        return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Write to the applicant as their advisor", permissions=["advise"])
    def write_as_advisor(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one booking.", messages.ERROR)
            return None
        return redirect("admin:applicants_application_advisor_message", pk=queryset.get().pk)

    def advisor_message_view(self, request, pk: int):
        """The booking's advisor writes to the applicant (applicants.services.advisor_message_post),
        who is told; a refusal shows on the form and writes nothing."""
        if not self.has_advise_permission(request):
            raise PermissionDenied
        application = get_object_or_404(
            Application.objects.select_related("applicant__user", "block__rotation", "advisor"), pk=pk
        )
        form = MessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.advisor_message_post(
                    application=application, author=request.user, body=form.cleaned_data["body"]
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, f"Message sent to {application.applicant}.")
                return redirect("admin:applicants_application_change", application.pk)
        return admin_form_page(
            self,
            request,
            "admin/applicants/application/advisor_message.html",
            title=f"Write to {application.applicant} as their advisor",
            application=application,
            thread=selectors.advisor_thread(application),
            form=form,
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_record_payment_received_permission(self, request) -> bool:
        # A payment is finance's to record, as a refund and a payout are (the payment page checks it
        # again).
        return request.user.is_staff and request.user.has_perm("payments.add_payment")

    @admin.action(
        description="Record money received another way (bank transfer, cash)",
        permissions=["record_payment_received"],
    )
    def record_payment_received(self, request, queryset):
        """One application at a time: its page asks what was paid, how, and the reference, and
        records it through the payments services (a deposit or the whole fee confirms the booking)."""
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one application.", messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse("admin:payments_payment_record_received", args=[queryset.get().pk])
        )


@admin.register(ApplicationTransition)
class ApplicationTransitionAdmin(ReadOnlyAdmin):
    list_display = ["application", "from_status", "to_status", "actor", "actor_role", "created_at"]
    list_filter = ["to_status", "actor_role", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["application__applicant__legal_name", "application__applicant__user__email"]
    list_select_related = ["application__applicant__user", "application__block__rotation", "actor"]


@admin.register(BlockChange)
class BlockChangeAdmin(ReadOnlyAdmin):
    list_display = ["application", "from_block", "to_block", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["application__applicant__legal_name", "application__applicant__user__email"]
    list_select_related = [
        "application__applicant__user",
        "application__block__rotation",
        "from_block__rotation",
        "to_block__rotation",
    ]
    exclude = ["quoted_terms"]
    readonly_fields = ["quoted_price"]

    @admin.display(description="Price quoted")
    def quoted_price(self, change: BlockChange) -> str | None:
        """The quoted terms' amounts as money, never their stored cents."""
        if change.quoted_terms is None:
            return None
        terms = block_change_terms(change)
        fee, program, deposit = (
            format_cents(cents, terms.currency)
            for cents in (terms.application_fee_cents, terms.program_fee_cents, terms.deposit_cents)
        )
        return (
            f"Application fee {fee}, program fee {program} (deposit {deposit}); "
            f"cancellation policy {terms.cancellation_policy_label}"
        )


@admin.register(VisaDenial)
class VisaDenialAdmin(DocumentLinkForThoseWhoMayOpen, ReadOnlyAdmin):
    """Letters applicants sent to cancel a booking for a denied visa: staff read the letter, then
    accept (the booking is cancelled and its program fee paid refunded) or refuse with a reason."""

    list_display = ["__str__", "status", "submitted_at", "decided_at", "decided_by", "open_letter"]
    list_filter = ["status"]
    search_fields = ["application__applicant__legal_name", "application__applicant__user__email"]
    list_select_related = ["application__applicant__user", "application__block__rotation", "decided_by"]
    readonly_fields = [f.name for f in VisaDenial._meta.fields] + ["open_letter"]
    file_link = "open_letter"
    actions = ["accept", "refuse"]

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("applicants.change_visadenial")

    @admin.display(description="Letter")
    def open_letter(self, denial: VisaDenial) -> str:
        return format_html(
            '<a href="{}">open</a>', reverse("applicants:document_file", args=[denial.letter_id])
        )

    def _decide_each(self, request, queryset, decide, done: str) -> None:
        """`decide` each selected letter; one refusal (already decided, a booking no longer
        confirmed) stops only that one, reported by name; the others are counted in `done`."""
        each_through_service(
            self,
            request,
            queryset,
            decide,
            done=lambda decided: f"{pluralize(decided, 'visa denial')} {done}",
        )

    @admin.action(description="Accept: cancel the booking and refund its program fee", permissions=["decide"])
    def accept(self, request, queryset):
        self._decide_each(
            request,
            queryset,
            lambda denial: services.visa_denial_accept(visa_denial=denial, actor=request.user),
            "accepted; the bookings are cancelled and refunded.",
        )

    @admin.action(description="Refuse the selected letters (asks for a reason)", permissions=["decide"])
    def refuse(self, request, queryset):
        page, reason = reason_asked(
            self,
            request,
            queryset,
            action="refuse",
            intro="Say why these letters cannot be accepted: the applicants are told; bookings stay.",
            title="Refuse visa denial letters",
        )
        if page is not None:
            return page
        self._decide_each(
            request,
            queryset,
            lambda denial: services.visa_denial_refuse(visa_denial=denial, actor=request.user, reason=reason),
            "refused; the applicants are told why.",
        )
        return HttpResponseRedirect(request.get_full_path())


@admin.register(EnrollmentLetter)
class EnrollmentLetterAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "application", "standing", "issued_at", "replaced_at", "withdrawn_at"]
    list_filter = ["standing", "withdrawal_reason"]
    search_fields = ["code", "applicant_name", "application__applicant__user__email"]
    list_select_related = ["application__applicant__user", "application__block__rotation"]


class LetterTransitionInline(ReadOnlyInline, admin.TabularInline):
    model = LetterTransition
    fields = ["from_status", "to_status", "actor", "actor_role", "reason", "created_at"]
    readonly_fields = fields


class LetterVersionInline(ReadOnlyInline, admin.TabularInline):
    model = LetterVersion
    # The file itself only through the logged download (LetterRequestAdmin.version_file_view).
    fields = ["number", "filename", "size_bytes", "page_count", "uploaded_at", "uploaded_by", "download"]
    readonly_fields = fields

    def get_fields(self, request, obj=None):
        # The link would only refuse staff without the letter permission: they are not shown it.
        if request.user.has_perm(LETTER_FILE_PERMISSION):
            return self.fields
        return [name for name in self.fields if name != "download"]

    @admin.display(description="File")
    def download(self, version: LetterVersion) -> str:
        url = reverse(
            "admin:applicants_letterrequest_version_file", args=[version.letter_request_id, version.number]
        )
        return format_html('<a href="{}">Open (logged)</a>', url)


@admin.register(LetterRequest)
class LetterRequestAdmin(ReadOnlyAdmin):
    """Letter requests as they stand, with every move and version; statuses change only through the
    services. The letter's file opens for staff holding the letter permission, logged."""

    list_display = ["__str__", "application", "status", "waived", "due_on", "requested_at", "escalated_at"]
    list_filter = ["status", "waived"]
    search_fields = ["eras_letter_id", "author_name", "author_email", "application__applicant__user__email"]
    list_select_related = ["application__applicant__user", "application__block__rotation", "preceptor"]
    exclude = ["request_form"]
    inlines = [LetterVersionInline, LetterTransitionInline]
    actions = ["send_author_link"]

    def has_send_author_link_permission(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("applicants.change_letterrequest")

    @admin.action(
        description="Email the author a fresh link (earlier links stop working)",
        permissions=["send_author_link"],
    )
    def send_author_link(self, request, queryset):
        """Each through applicants.services.letter_author_link_send (open requests only, at most once
        every 10 minutes); a refusal is reported by name and stops only that one."""
        each_through_service(
            self,
            request,
            queryset,
            lambda letter: services.letter_author_link_send(letter=letter),
            done=lambda sent: f"A fresh link went to {pluralize(sent, 'author')}.",
        )

    def get_urls(self):
        version_file = self.admin_site.admin_view(self.version_file_view)
        return [
            path(
                "<int:pk>/versions/<int:number>/file/",
                version_file,
                name="applicants_letterrequest_version_file",
            ),
            *super().get_urls(),
        ]

    def version_file_view(self, request, pk: int, number: int):
        """One version of the letter, for staff holding the letter permission (the service decides
        and logs the opening); anyone else is refused."""
        version = get_object_or_404(LetterVersion, letter_request_id=pk, number=number)
        try:
            file = services.letter_file_open(version=version, actor=request.user, page="staff admin")
        except DomainError as error:
            raise PermissionDenied(error.message) from error
        return file_download(file, content_type="application/pdf", filename=version.filename)


@admin.register(LetterVersion)
class LetterVersionAdmin(ReadOnlyAdmin):
    """What each letter's uploads were, never the file: a letter opens only from its request's page,
    for staff holding the letter permission, and every opening is logged."""

    list_display = ["__str__", "number", "filename", "size_bytes", "page_count", "uploaded_at", "uploaded_by"]
    list_filter = [("uploaded_by", admin.EmptyFieldListFilter), ("uploaded_at", admin.DateFieldListFilter)]
    search_fields = ["letter_request__eras_letter_id", "letter_request__author_name", "filename", "sha256"]
    list_select_related = ["letter_request", "uploaded_by"]
    exclude = ["file"]


@admin.register(LetterTransition)
class LetterTransitionAdmin(ReadOnlyAdmin):
    list_display = ["letter_request", "__str__", "actor", "actor_role", "reason", "created_at"]
    list_filter = ["to_status", "actor_role", ("created_at", admin.DateFieldListFilter)]
    search_fields = [
        "letter_request__eras_letter_id",
        "letter_request__author_name",
        "letter_request__application__applicant__user__email",
    ]
    list_select_related = ["letter_request", "actor"]


@admin.register(LetterWaiver)
class LetterWaiverAdmin(ReadOnlyAdmin):
    """Each applicant's choices to waive, or keep, the right to see their letters, as they said them."""

    list_display = ["__str__", "applicant", "waived", "recorded_at"]
    list_filter = ["waived", ("recorded_at", admin.DateFieldListFilter)]
    search_fields = ["applicant__legal_name", "applicant__user__email"]
    list_select_related = ["applicant__user"]


@admin.register(CompletionCertificate)
class CompletionCertificateAdmin(ReadOnlyAdmin):
    """Certificates as issued with their evaluations, fixed for good; anyone checks one by its code."""

    list_display = [
        "__str__",
        "applicant_name",
        "rotation_title",
        "organization_name",
        "starts_on",
        "ends_on",
        "hours_completed",
        "issued_at",
    ]
    list_filter = ["rotation_type", ("issued_at", admin.DateFieldListFilter)]
    search_fields = ["code", "applicant_name", "rotation_title", "organization_name", "preceptor_name"]


class MessageListAdmin(ReadOnlyAdmin):
    """A thread's messages one by one, as written through the services; read here, never changed."""

    list_filter = ["author_role", ("created_at", admin.DateFieldListFilter)]
    search_fields = [
        "application__applicant__legal_name",
        "application__applicant__user__email",
        "author__email",
        "body",
    ]
    list_select_related = ["application__applicant__user", "application__block__rotation", "author"]


@admin.register(ApplicationMessage)
class ApplicationMessageAdmin(MessageListAdmin):
    list_display = ["__str__", "application", "author", "created_at"]


@admin.register(AdvisorMessage)
class AdvisorMessageAdmin(MessageListAdmin):
    list_display = ["__str__", "application", "author", "recipient", "created_at"]
    list_select_related = [*MessageListAdmin.list_select_related, "recipient"]


@admin.register(LetterFileAccess)
class LetterFileAccessAdmin(ReadOnlyAdmin):
    """Who opened which letter's file, when, and how (as staff, its author, the applicant)."""

    list_display = ["version", "via", "user", "page", "opened_at"]
    list_filter = ["via", ("opened_at", admin.DateFieldListFilter)]
    search_fields = [
        "version__letter_request__eras_letter_id",
        "user__email",
        "version__letter_request__application__applicant__user__email",
        "page",
    ]
    date_hierarchy = "opened_at"
    list_select_related = ["version__letter_request", "user"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Applicants' reviews of completed bookings, as written: staff hide one from the public with a
    reason (the applicant is told; it leaves the track records) or show it again, through the
    services, and each is kept in the object's history with its reason."""

    list_display = ["__str__", "overall", "created_at", "answered_at", "hidden_at", "hidden_reason"]
    list_filter = [("hidden_at", admin.EmptyFieldListFilter), ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["application__applicant__legal_name", "application__applicant__user__email", "text"]
    list_select_related = ["application__applicant__user", "application__block__rotation"]
    readonly_fields = [f.name for f in Review._meta.fields]
    actions = ["hide", "unhide"]

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm("applicants.change_review")

    @admin.display(description="ratings")
    def overall(self, review: Review) -> str:
        return " · ".join(f"{label} {rating}" for label, rating in review.ratings)

    def _each(self, request, queryset, change, done: str) -> None:
        """`change` each selected review, kept in its history; one refusal (already hidden, not
        hidden) is reported by name and stops only that one."""
        each_through_service(
            self,
            request,
            queryset,
            lambda review: self.log_change(request, review, change(review)),
            done=lambda changed: f"{pluralize(changed, 'review')} {done}",
        )

    @admin.action(description="Hide with a reason (the applicants are told)", permissions=["moderate"])
    def hide(self, request, queryset):
        page, reason = reason_asked(
            self,
            request,
            queryset,
            action="hide",
            intro="Say why these reviews are hidden from the public: the applicants are told the reason.",
            title="Hide reviews",
        )
        if page is not None:
            return page

        def hide(review):
            services.review_hide(review=review, actor=request.user, reason=reason)
            return f"Hidden from the public: {reason}"

        self._each(request, queryset, hide, "hidden; the applicants are told why.")
        return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Show again to the public", permissions=["moderate"])
    def unhide(self, request, queryset):
        def unhide(review):
            services.review_unhide(review=review, actor=request.user)
            return "Shown to the public again."

        self._each(request, queryset, unhide, "shown again; the applicants are told.")
