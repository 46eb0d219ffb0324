"""Host pages: the review queue, an application's review page, its actions and documents."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from amo.errors import DomainError
from amo.forms import add_domain_error
from amo.text import pluralize
from applicants.files import document_response
from applicants.models import Application
from applicants.readiness import is_ready, readiness_checklist
from applicants.selectors import evaluation_of, may_evaluate, thread_is_open
from applicants.services import (
    application_cancel,
    application_end_early,
    application_offer,
    application_record_no_show,
    application_reject,
    application_request_info,
    application_start_review,
    application_waitlist,
    applications_bulk,
    offer_deadline_default,
)
from applicants.workflow import ActorRole, targets_from
from hosts import selectors
from hosts.forms import (
    BlockChangeDeclineForm,
    BulkForm,
    CancelBookingForm,
    EndEarlyForm,
    MessageForm,
    NoShowForm,
    OfferForm,
    QueueFilterForm,
    RejectForm,
)
from hosts.tenancy import EVERY_ROLE, OrganizationMixin
from hosts.views.common import PAGE_SIZE, fail
from payments.models import Refund
from payments.refunds import refund_plan
from payments.selectors import application_paid, application_refunds, block_change_price_difference
from rotations.models import Block, Rotation, SeatHold


class ApplicationQueueView(OrganizationMixin, ListView):
    template_name = "hosts/application_queue.html"
    allowed_roles = EVERY_ROLE
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        rotations = self.scoped(Rotation.objects.all()).order_by("title")
        blocks = self.scoped(Block.objects.select_related("rotation")).order_by(
            "rotation__title", "start_date"
        )
        self.filters = QueueFilterForm(self.request.GET or None, rotations=rotations, blocks=blocks)
        criteria = self.filters.cleaned_data if self.filters.is_valid() else {}
        self.criteria = {
            "rotation_id": criteria.get("rotation"),
            "block_id": criteria.get("block"),
            "submitted_from": criteria.get("submitted_from"),
            "submitted_to": criteria.get("submitted_to"),
        }
        self.status = criteria.get("status") or ""
        return selectors.application_queue(
            self.scoped(Application.objects.all()), status=self.status, **self.criteria
        )

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        # The waitlist is its own tab: how many wait under the same filters, in one count.
        waitlisted = selectors.application_queue(
            self.scoped(Application.objects.all()), status=Application.Status.WAITLISTED, **self.criteria
        )
        query.pop("status", None)
        tab_query = query.urlencode()
        if self.status:
            query["status"] = self.status
        return super().get_context_data(
            filters=self.filters,
            bulk_form=BulkForm(),
            query=query.urlencode(),
            tab_query=tab_query,
            showing_waitlist=self.status == Application.Status.WAITLISTED,
            waitlist_count=waitlisted.count(),
            **kwargs,
        )


class ApplicationBulkView(OrganizationMixin, View):
    def post(self, request):
        form = BulkForm(request.POST)
        if not form.is_valid():
            for problems in form.errors.values():
                messages.error(request, problems[0])
            return redirect("hosts:applications")
        ids = form.cleaned_data["applications"]
        applications = list(
            self.scoped(
                Application.objects.filter(pk__in=ids).exclude(status=Application.Status.DRAFT)
            ).select_related("block__rotation")
        )
        if len(applications) != len(ids):
            raise Http404("Some of these applications are not yours to act on.")
        action = form.cleaned_data["action"]
        arguments = {"reason": form.cleaned_data["reason"]} if action == "reject" else {}
        try:
            results = applications_bulk(
                applications=applications, actor=request.user, action=action, **arguments
            )
        except DomainError as error:
            fail(request, error)
            return redirect("hosts:applications")
        done = sum(result.ok for result in results)
        messages.success(request, f"{done} of {pluralize(len(results), 'application')} updated.")
        for result in results:
            if not result.ok:
                messages.warning(request, f"Application #{result.application_id}: {result.message}")
        return redirect("hosts:applications")


class ApplicationReviewMixin(OrganizationMixin):
    def get_application(self) -> Application:
        return self.scoped_get(
            selectors.application_for_review(Application.objects.exclude(status=Application.Status.DRAFT)),
            pk=self.kwargs["pk"],
        )


class ApplicationDetailView(ApplicationReviewMixin, TemplateView):
    template_name = "hosts/application_detail.html"
    allowed_roles = EVERY_ROLE

    def get_context_data(self, **kwargs):
        application = self.get_application()
        documents = list(application.documents.all())
        checklist = readiness_checklist(
            applicant=application.applicant, block=application.block, documents=documents
        )
        targets = set(targets_from(application.status, ActorRole.HOST)) if self.is_manager else set()
        S = Application.Status
        now = timezone.now()
        decisions = {
            "can_start_review": S.UNDER_REVIEW in targets,
            "can_offer": S.OFFERED in targets,
            "can_waitlist": S.WAITLISTED in targets,
            "can_reject": S.REJECTED in targets,
        }
        started = application.block.start_date <= now.date()
        booking_actions = {
            "can_cancel": S.CANCELLED in targets,
            # A no-show is recorded from the block's first day on (the service refuses it before).
            "can_no_show": S.NO_SHOW in targets and started,
            "can_end_early": S.ENDED_EARLY in targets,
        }
        block_changes = list(application.block_changes.all())
        decline_forms = kwargs.pop("decline_forms", {})
        for change in block_changes:
            change.price_difference = block_change_price_difference(change)
            change.decline_form = decline_forms.get(change.pk) or BlockChangeDeclineForm(
                block_change_id=change.pk
            )
        completed = application.status == S.COMPLETED
        return super().get_context_data(
            application=application,
            applicant=application.applicant,
            # A completed booking's evaluation, or the line that says it is to write.
            evaluation=evaluation_of(application) if completed else None,
            can_evaluate=completed and may_evaluate(user=self.request.user, application=application),
            documents=documents,
            checklist=checklist,
            ready=is_ready(checklist),
            hold_kind_label=SeatHold.Kind(application.hold_kind).label if application.hold_kind else "",
            documents_overdue=application.documents_due_at is not None
            and application.documents_due_at <= now,
            block_changes=block_changes,
            paid=list(application_paid(application=application)),
            refunds=list(application_refunds(application=application)),
            # What cancelling gives the applicant back: everything paid, the application fee included.
            cancel_refund=refund_plan(application=application, reason=Refund.Reason.HOST_CANCELLATION)
            if booking_actions["can_cancel"]
            else None,
            can_decide_block_changes=self.is_manager,
            **decisions,
            can_decide=any(decisions.values()),
            **booking_actions,
            can_end_booking=any(booking_actions.values()),
            can_message=self.is_manager and thread_is_open(application),
            offer_form=kwargs.pop("offer_form", None)
            or OfferForm(default_deadline=offer_deadline_default(application=application, now=now)),
            reject_form=kwargs.pop("reject_form", None) or RejectForm(),
            message_form=kwargs.pop("message_form", None) or MessageForm(),
            cancel_form=kwargs.pop("cancel_form", None) or CancelBookingForm(),
            no_show_form=kwargs.pop("no_show_form", None) or NoShowForm(),
            end_early_form=kwargs.pop("end_early_form", None) or EndEarlyForm(),
            **kwargs,
        )


class ApplicationActionView(ApplicationReviewMixin, View):
    """One POST per review action; a refusal is shown on the review page and changes nothing."""

    forms = {
        "offer": OfferForm,
        "reject": RejectForm,
        "request_info": MessageForm,
        "cancel": CancelBookingForm,
        "no_show": NoShowForm,
        "end_early": EndEarlyForm,
    }
    form_context = {
        "offer": "offer_form",
        "reject": "reject_form",
        "request_info": "message_form",
        "cancel": "cancel_form",
        "no_show": "no_show_form",
        "end_early": "end_early_form",
    }
    done = {
        "start_review": "Review started; the applicant is told.",
        "offer": "Offer sent; a seat is held until the deadline.",
        "reject": "Application rejected; the applicant is told why.",
        "waitlist": "Application waitlisted.",
        "request_info": "Message sent to the applicant.",
        "cancel": "Booking cancelled; the seat is offered to the waitlist and the applicant is told why.",
        "no_show": "No-show recorded; the applicant is told.",
        "end_early": "Early end recorded; the applicant is told.",
    }

    def post(self, request, pk, action):
        application = self.get_application()
        form_class = self.forms.get(action)
        form = form_class(request.POST) if form_class else None
        if form is not None and not form.is_valid():
            return self.render_page(form=form, action=action)
        data = form.cleaned_data if form is not None else {}
        try:
            if action == "start_review":
                application_start_review(application=application, actor=request.user)
            elif action == "offer":
                application_offer(application=application, actor=request.user, expires_at=data["expires_at"])
            elif action == "reject":
                application_reject(application=application, actor=request.user, reason=data["reason"])
            elif action == "waitlist":
                application_waitlist(application=application, actor=request.user)
            elif action == "cancel":
                application_cancel(
                    application=application, actor=request.user, role=ActorRole.HOST, reason=data["reason"]
                )
            elif action == "no_show":
                application_record_no_show(application=application, actor=request.user, reason=data["reason"])
            elif action == "end_early":
                application_end_early(application=application, actor=request.user, reason=data["reason"])
            else:
                application_request_info(application=application, actor=request.user, message=data["message"])
        except DomainError as error:
            if form is None:
                fail(request, error)
                return redirect("hosts:application_detail", pk=pk)
            add_domain_error(form, error)
            return self.render_page(form=form, action=action, status=error.status, error=error.message)
        messages.success(request, self.done[action])
        return redirect("hosts:application_detail", pk=pk)

    def render_page(self, *, form, action, status=400, error=""):
        view = ApplicationDetailView(request=self.request, kwargs=self.kwargs, membership=self.membership)
        context = view.get_context_data(action_error=error, **{self.form_context[action]: form})
        return render(self.request, view.template_name, context, status=status)


class ApplicationDocumentView(ApplicationReviewMixin, View):
    """A document the applicant assigned to this application, and only such a document."""

    allowed_roles = EVERY_ROLE

    def get(self, request, pk, document_id):
        application = self.scoped_get(Application.objects.exclude(status=Application.Status.DRAFT), pk=pk)
        document = application.documents.filter(pk=document_id).first()
        if document is None:
            raise Http404("No such document on this application.")
        return document_response(document)
